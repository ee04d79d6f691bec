"""The per-store rate limiter a bulk cancellation drains under.

A leaky bucket of points, as Shopify's cost-based limit is: it holds up to `capacity` points, refills at
`rate` points a second, and a call may go when the bucket holds its cost. Callers reserve before they
call (`reserve` returns how long to wait, and counts the points as spent from that moment on), so
several threads of one drain share the bucket without overdrawing it.

The bucket is the adapter's `rate_budget()`. Where the platform reports its bucket (Shopify: every answer
carries `extensions.cost.throttleStatus`, which the GraphQL client keeps in the shared cache), the
limiter reads that report before each reservation. The first report replaces the limiter's guess
(Shopify's standard bucket) outright; after that the limiter keeps its own count and takes a report in
only when it shows fewer points by more than `tolerance` (other processes, such as request execution or
order sync, spend from the same bucket). A report is always a little behind (it is stamped when the
answer arrives, a few milliseconds after Shopify counted), so following every one would lose that much of
the rate on each call. For the built-in store the rate is a setting, one point per cancel.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cancellations.platforms.base import BucketReport, PlatformAdapter

# What the platform said of its bucket (the limiter's name for it).
Report = BucketReport


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


def limiter_for(adapter: PlatformAdapter) -> tuple[RateLimiter, float]:
    """The limiter for the adapter's platform and what one cancel costs under it."""
    budget = adapter.rate_budget()
    limiter = RateLimiter(
        capacity=budget.capacity,
        rate=budget.rate,
        report=budget.report,
        tolerance=budget.cancel_cost if budget.report else 0.0,
        clock=budget.clock,
    )
    return limiter, budget.cancel_cost
