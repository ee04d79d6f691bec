"""A small client for Shopify's Admin GraphQL API: retries with backoff and jitter, and the rate limit.

Shopify limits each app and shop with a leaky bucket of query-cost points. Every answer reports the
bucket (`extensions.cost.throttleStatus`); we keep the last report in the shared cache, so every
process waits for enough points before it sends, instead of being turned away. An answer of
THROTTLED is waited out and retried all the same.

Retries: a query is retried on any transient failure. A mutation is retried only when Shopify cannot
have run it (no connection, 429, THROTTLED, 502/503); after a timeout its outcome is unknown, so the
error goes to the caller, whose idempotency handling finds out what happened.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
from django.conf import settings
from django.core.cache import cache

from cancellations.core.backoff import backoff_seconds
from cancellations.platforms.base import (
    BucketReport,
    PermanentPlatformError,
    PlatformError,
    TransientPlatformError,
)
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.shopify import documents

if TYPE_CHECKING:
    from cancellations.platforms.shopify.tokens import TokenProvider

logger = logging.getLogger(__name__)

_http: httpx.Client | None = None

# What Shopify said each document costs, learnt from answers (requestedQueryCost).
_known_costs: dict[int, float] = {}


def http_client() -> httpx.Client:
    """One pooled HTTP client per process."""
    global _http
    if _http is None:
        _http = httpx.Client(limits=httpx.Limits(max_connections=20, max_keepalive_connections=10))
    return _http


def shop_origin(shop: str) -> str:
    """Where this shop's Admin API and OAuth pages are (SHOPIFY_API_ORIGIN with {shop} filled in)."""
    return settings.SHOPIFY_API_ORIGIN.replace("{shop}", shop)


# The least a throttled call waits before it is sent again, whatever the (slightly old) report says.
MIN_THROTTLE_WAIT = 0.05


def bucket_key(shop: str) -> str:
    return f"shopify:bucket:{shop}"


def bucket_report(shop: str) -> BucketReport | None:
    """The bucket this shop's answers last reported, as the client cached it (wall-clock `at`)."""
    return _as_report(cache.get(bucket_key(shop)))


def _as_report(data: dict[str, float] | None) -> BucketReport | None:
    if not data:
        return None
    return BucketReport(
        capacity=float(data["maximum"]),
        rate=float(data["rate"]),
        available=float(data["available"]),
        at=float(data["at"]),
    )


_STATUS_ERRORS: dict[int, tuple[PlatformErrorCode, str]] = {
    401: (
        PlatformErrorCode.PLATFORM_UNAUTHORIZED,
        "Shopify refused the store's access token; connect the store again.",
    ),
    402: (PlatformErrorCode.SHOP_FROZEN, "The shop's Shopify account is frozen (unpaid)."),
    403: (PlatformErrorCode.PLATFORM_FORBIDDEN, "The Amend app lacks a Shopify permission this needs."),
    404: (PlatformErrorCode.SHOP_NOT_FOUND, "Shopify does not know this shop."),
    423: (PlatformErrorCode.SHOP_LOCKED, "Shopify has locked this shop."),
}


class StaticToken:
    """A token as given (a legacy non-expiring token, or a test's): nothing to refresh."""

    def __init__(self, token: str) -> None:
        self._token = token

    def token(self) -> str:
        return self._token

    def refreshed(self, *, rejected: str) -> str | None:
        return None


class ShopifyClient:
    # How long a report read from the shared cache stands before it is read again. This client's own
    # answers replace it at once; another process's show within this long (a report is a little old
    # anyway). Saves a cache read before every call, which a drain at 80 calls/s felt.
    report_read_every = 0.05

    def __init__(
        self,
        *,
        shop: str,
        access_token: str = "",
        tokens: TokenProvider | None = None,
        api_version: str | None = None,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        max_wait: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.shop = shop
        # The client asks its token provider for the token on every call (tokens.py refreshes it).
        self.tokens: TokenProvider = tokens or StaticToken(access_token)
        self.api_version = api_version or settings.SHOPIFY_API_VERSION
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_wait = max_wait
        self.sleep = sleep
        # (time.monotonic() of the last read of the shared cache, the report read or this client's own since)
        self._report: tuple[float, dict[str, float] | None] | None = None

    def __repr__(self) -> str:
        return f"<ShopifyClient {self.shop} {self.api_version}>"

    @property
    def endpoint(self) -> str:
        return f"{shop_origin(self.shop)}/admin/api/{self.api_version}/graphql.json"

    def execute(
        self, document: str, variables: dict[str, Any] | None = None, *, cost: float | None = None
    ) -> dict:
        """Run a query or mutation and return its `data`; raise a PlatformError when it cannot be had.

        `cost` is the points to wait for before sending: by default what the document may request
        (documents.COSTS) or what Shopify last said it requested, whichever is more.
        """
        is_query = not document.lstrip().startswith("mutation")
        if cost is None:
            cost = max(documents.requested_cost(document), _known_costs.get(hash(document), 0.0))
        failure: PlatformError
        renewed = False
        attempt = 0
        while attempt < self.max_attempts:
            attempt += 1
            self._wait_for_points(cost)
            delay: float | None = None
            retryable = is_query
            token = self.tokens.token()
            try:
                response = http_client().post(
                    self.endpoint,
                    json={"query": document, "variables": variables or {}},
                    headers={"X-Shopify-Access-Token": token, "Accept": "application/json"},
                    timeout=settings.SHOPIFY_HTTP_TIMEOUT,
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
                failure = TransientPlatformError(
                    "Shopify could not be reached.", code=PlatformErrorCode.PLATFORM_UNREACHABLE
                )
                retryable = True
            except httpx.TransportError:
                failure = TransientPlatformError(
                    "Shopify did not answer in time.", code=PlatformErrorCode.PLATFORM_TIMEOUT
                )
            else:
                status = response.status_code
                if status == 429:
                    delay = _retry_after(response)
                    failure = TransientPlatformError(
                        "Shopify asked us to slow down.",
                        code=PlatformErrorCode.PLATFORM_THROTTLED,
                        retry_after=delay,
                    )
                    retryable = True
                elif status >= 500:
                    failure = TransientPlatformError(
                        f"Shopify had a problem ({status}).", code=PlatformErrorCode.PLATFORM_UNAVAILABLE
                    )
                    retryable = retryable or status in (502, 503)
                elif status == 401 and not renewed and self.tokens.refreshed(rejected=token):
                    # Shopify ran nothing on a 401: renew the token once and send again, not
                    # counting it as an attempt.
                    # https://shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh
                    renewed = True
                    attempt -= 1
                    continue
                elif status in _STATUS_ERRORS:
                    code, message = _STATUS_ERRORS[status]
                    raise PermanentPlatformError(message, code=code)
                elif status >= 400:
                    raise PermanentPlatformError(
                        f"Shopify refused the call ({status}).", code=PlatformErrorCode.PLATFORM_REFUSED
                    )
                else:
                    outcome = self._read(response, document, cost)
                    if not isinstance(outcome, PlatformError):
                        return outcome
                    failure = outcome
                    if (
                        isinstance(failure, TransientPlatformError)
                        and failure.code == PlatformErrorCode.PLATFORM_THROTTLED
                    ):
                        retryable, delay = True, failure.retry_after
            if not retryable or attempt == self.max_attempts:
                raise failure
            wait = delay if delay is not None else self._backoff(attempt)
            logger.info(
                "shopify %s: %s, attempt %d of %d, retrying in %.2fs",
                self.shop,
                failure.code,
                attempt,
                self.max_attempts,
                wait,
            )
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises

    def _read(self, response: httpx.Response, document: str, cost: float) -> dict | PlatformError:
        try:
            body = response.json()
        except ValueError:
            return TransientPlatformError(
                "Shopify sent an unreadable answer.", code=PlatformErrorCode.PLATFORM_BAD_RESPONSE
            )
        extensions = body.get("extensions") or {}
        self._note_cost(document, extensions.get("cost") or {})
        errors = body.get("errors") or []
        if not errors:
            return body.get("data") or {}
        codes = {(error.get("extensions") or {}).get("code") for error in errors}
        requested = (extensions.get("cost") or {}).get("requestedQueryCost")
        maximum = ((extensions.get("cost") or {}).get("throttleStatus") or {}).get("maximumAvailable")
        if "MAX_COST_EXCEEDED" in codes or (
            "THROTTLED" in codes and requested is not None and maximum and float(requested) > float(maximum)
        ):
            # Waiting cannot help: no bucket ever holds this many points (a single query may cost at
            # most 1,000). https://shopify.dev/docs/api/usage/limits#graphql-admin-api-rate-limits
            raise PermanentPlatformError(
                f"Shopify will never run this query: it costs {requested or 'more than 1000'} points, "
                f"more than {maximum or 1000} allowed.",
                code=PlatformErrorCode.PLATFORM_QUERY_TOO_COSTLY,
            )
        if "THROTTLED" in codes:
            # The last report may already look full again (it is a little behind): never retry at once.
            return TransientPlatformError(
                "Shopify's rate limit for this shop is used up.",
                code=PlatformErrorCode.PLATFORM_THROTTLED,
                retry_after=max(self._seconds_until(cost), MIN_THROTTLE_WAIT),
            )
        if "INTERNAL_SERVER_ERROR" in codes:
            return TransientPlatformError(
                "Shopify had an internal error.", code=PlatformErrorCode.PLATFORM_UNAVAILABLE
            )
        if "ACCESS_DENIED" in codes:
            raise PermanentPlatformError(
                "The Amend app lacks a Shopify permission this needs.",
                code=PlatformErrorCode.PLATFORM_FORBIDDEN,
            )
        messages = "; ".join(str(error.get("message", "")) for error in errors)[:500]
        raise PermanentPlatformError(
            f"Shopify rejected the request: {messages}", code=PlatformErrorCode.PLATFORM_QUERY_REJECTED
        )

    # --- the cost-based rate limit ---

    def _note_cost(self, document: str, cost: dict[str, Any]) -> None:
        if cost.get("requestedQueryCost") is not None:
            _known_costs[hash(document)] = float(cost["requestedQueryCost"])
        status = cost.get("throttleStatus")
        if status:
            report = {
                "maximum": float(status["maximumAvailable"]),
                "available": float(status["currentlyAvailable"]),
                "rate": float(status["restoreRate"]),
                "at": time.time(),
            }
            cache.set(bucket_key(self.shop), report, timeout=3600)
            self._report = (self._report[0] if self._report else time.monotonic(), report)

    def _last_report(self) -> dict[str, float] | None:
        """The shop's last report: this client's own or the shared cache's, read at most every so often."""
        now = time.monotonic()
        if self._report is None or now - self._report[0] >= self.report_read_every:
            self._report = (now, cache.get(bucket_key(self.shop)))
        return self._report[1]

    def bucket_report(self) -> BucketReport | None:
        """The bucket the shop last reported (wall-clock `at`), as `_last_report` has it."""
        return _as_report(self._last_report())

    def _seconds_until(self, cost: float) -> float:
        """How long until the bucket holds `cost` points, by the last report (0 if no report)."""
        bucket = self._last_report()
        if not bucket or bucket["rate"] <= 0:
            return 0.0
        available = min(
            bucket["maximum"], bucket["available"] + (time.time() - bucket["at"]) * bucket["rate"]
        )
        needed = min(cost, bucket["maximum"]) - available
        return max(needed / bucket["rate"], 0.0)

    def _wait_for_points(self, cost: float) -> None:
        wait = self._seconds_until(cost)
        if wait <= 0:
            return
        if wait > self.max_wait:
            raise TransientPlatformError(
                "Shopify's rate limit for this shop is used up.",
                code=PlatformErrorCode.PLATFORM_THROTTLED,
                retry_after=wait,
            )
        logger.info("shopify %s: waiting %.2fs for %g rate-limit points", self.shop, wait, cost)
        self.sleep(wait)

    def _backoff(self, attempt: int) -> float:
        return backoff_seconds(attempt, base=self.backoff_base, cap=self.backoff_cap)


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(float(response.headers.get("Retry-After", "1")), 0.0)
    except ValueError:
        return 1.0
