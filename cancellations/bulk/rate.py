"""The per-store rate limiter a bulk cancellation drains under.

A leaky bucket of points, as Shopify's cost-based limit is: it holds up to `capacity` points, refills at
`rate` points a second, and a call may go when the bucket holds its cost. Callers reserve before they
call (`reserve` returns how long to wait, and counts the points as spent from that moment on), so
several threads of one drain share the bucket without overdrawing it.

For Shopify the bucket follows what the platform reports: every answer carries
`extensions.cost.throttleStatus`, which the GraphQL client keeps in the shared cache; before each
reservation the limiter reads that report. The first report replaces the limiter's guess (Shopify's
standard bucket) outright; after that the limiter keeps its own count and takes a report in only when
it shows fewer points by more than `tolerance` (other processes, such as request execution or order
sync, spend from the same bucket). A report is always a little behind (it is stamped when the answer
arrives, a few milliseconds after Shopify counted), so following every one would lose that much of the
rate on each call. For the built-in store the rate is a setting, one point per cancel.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from cancellations.platforms.shopify.client import bucket_key
from tenants.models import Platform, Store

# Shopify's documented bucket for a standard shop, assumed until the first answer reports the real one.
SHOPIFY_DEFAULT_CAPACITY = 1000.0
SHOPIFY_DEFAULT_RATE = 100.0
# What one cancel costs: Shopify's orderCancel mutation; one point for the built-in store.
SHOPIFY_CANCEL_COST = 10.0
BUILTIN_CANCEL_COST = 1.0


@dataclass
class Bucket:
    """A leaky bucket's state: `available` points at clock time `at`."""

    capacity: float
    rate: float
    available: float
    at: float

    def level(self, now: float) -> float:
        """Points in the bucket at `now` (negative while reservations are still being paid off)."""
        return min(self.capacity, self.available + max(now - self.at, 0.0) * self.rate)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds from `now` until the bucket holds `cost` points (0 if it does already)."""
        if self.rate <= 0:
            return 0.0
        missing = min(cost, self.capacity) - self.level(now)
        return max(missing / self.rate, 0.0)

    def take(self, cost: float, now: float) -> None:
        self.available = self.level(now) - cost
        self.at = now


@dataclass(frozen=True)
class Report:
    """What the platform last said about the bucket, and when (by the same clock as the limiter)."""

    capacity: float
    rate: float
    available: float
    at: float


class RateLimiter:
    """Reserve points before each platform call; thread-safe; the clock and sleep are injectable."""

    def __init__(
        self,
        *,
        capacity: float,
        rate: float,
        available: float | None = None,
        report: Callable[[], Report | None] | None = None,
        tolerance: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self._report = report
        self._tolerance = tolerance
        self._seen_at: float | None = None
        self._lock = threading.Lock()
        self.bucket = Bucket(
            capacity=capacity, rate=rate, available=capacity if available is None else available, at=clock()
        )
        self.waited = 0.0

    def _follow_report(self, now: float) -> None:
        """Take in a newer platform report: its capacity and rate, and its points when clearly fewer."""
        if self._report is None:
            return
        report = self._report()
        if report is None or (self._seen_at is not None and report.at <= self._seen_at):
            return
        first = self._seen_at is None
        self._seen_at = report.at
        self.bucket.capacity, self.bucket.rate = report.capacity, report.rate
        reported = Bucket(report.capacity, report.rate, report.available, report.at).level(now)
        # Our own reservations may not have reached the platform yet: a report showing more points
        # than we count is not believed (except the first, which replaces a guess).
        if first or reported < self.bucket.level(now) - self._tolerance:
            self.bucket.available, self.bucket.at = reported, now

    def reserve(self, cost: float) -> float:
        """Count `cost` points as spent and return how many seconds to wait before calling."""
        with self._lock:
            now = self.clock()
            self._follow_report(now)
            wait = self.bucket.wait_for(cost, now)
            # Spent from the moment the call may go: later reservations queue up behind this one.
            self.bucket.take(cost, now)
            return wait

    def acquire(self, cost: float) -> float:
        """Wait until a call costing `cost` may go; return the seconds waited."""
        wait = self.reserve(cost)
        if wait > 0:
            self.sleep(wait)
        with self._lock:
            self.waited += wait
        return wait


def shopify_report(shop: str) -> Callable[[], Report | None]:
    """The bucket the Shopify client last saw for this shop (it stores wall-clock times)."""

    def read() -> Report | None:
        data = cache.get(bucket_key(shop))
        if not data:
            return None
        return Report(
            capacity=float(data["maximum"]),
            rate=float(data["rate"]),
            available=float(data["available"]),
            at=float(data["at"]),
        )

    return read


def limiter_for(store: Store, *, shop: str = "") -> tuple[RateLimiter, float]:
    """The limiter for a store's platform and what one cancel costs under it."""
    if store.platform == Platform.SHOPIFY and shop:
        limiter = RateLimiter(
            capacity=SHOPIFY_DEFAULT_CAPACITY,
            rate=SHOPIFY_DEFAULT_RATE,
            report=shopify_report(shop),
            tolerance=SHOPIFY_CANCEL_COST,
            clock=time.time,  # the client stamps its reports with the wall clock
        )
        return limiter, SHOPIFY_CANCEL_COST
    rate = float(settings.BULK_CANCEL_BUILTIN_RATE)
    return RateLimiter(capacity=max(rate, 1.0), rate=rate), BUILTIN_CANCEL_COST
