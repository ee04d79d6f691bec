"""Insights: one function per figure, each for a period of whole days and the period just before it.

Every function takes `store`, the first and last day of the period (both included) and the time zone
the days are cut in, and returns a plain dataclass with the current and the previous figure. Orders
count by the day they were placed, requests by the day they were made, kept orders by the day they
were kept; all but the percentiles are read from the daily rollups (see `rollups`). A rate or share
over nothing is None, never a division by zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils.translation import get_language

from cancellations.insights.periods import Bucket, Period, bucket_index
from cancellations.insights.rollups import (
    DELAY_BUCKETS,
    RequestTotals,
    read_breakdown,
    read_daily,
    read_requests,
)
from cancellations.models import InsightDimension, OrderRequest, RequestKind, Resolution
from cancellations.policy.services import current_policy
from tenants.models import Store

T = TypeVar("T")
ZERO = Decimal("0.00")
TOP_REASONS = 8
TREND_REASONS = 5
TOP_PRODUCTS = 10
TOP_PRODUCT_TYPES = 12
# Decided by the store's policy the moment the request was made.
POLICY_RESOLUTIONS = (Resolution.AUTO_APPROVED, Resolution.DENIED)
# Waited for a decision (by staff, a rule or an integration).
REVIEW_RESOLUTIONS = (Resolution.APPROVED, Resolution.REJECTED)
OPEN = "open"  # the outcome of a request not decided yet
OUTCOMES = (*(value for value in Resolution.values if value), OPEN)
MONEY_KINDS = (RequestKind.CANCEL, RequestKind.WITHDRAWAL)


@dataclass(frozen=True)
class Compared(Generic[T]):
    """A figure for the period and for the period before it."""

    current: T
    previous: T

    @property
    def change(self) -> T | None:
        if self.current is None or self.previous is None:
            return None
        # T is a number or a duration here; a TypeVar cannot say "subtracts from itself" for all of them.
        return self.current - self.previous  # type: ignore[operator]


def ratio(part: int | Decimal, whole: int | Decimal) -> float | None:
    """part / whole, or None when there is no whole."""
    return float(part) / float(whole) if whole else None


def _period(start: date, end: date, tz: ZoneInfo | str) -> Period:
    return Period.of(start, end, tz)


def _requests(
    store: Store, period: Period, keys: Sequence[str], kinds: Sequence[str] | None = None
) -> tuple[dict[tuple[Any, ...], RequestTotals], dict[tuple[Any, ...], RequestTotals]]:
    """Requests of the period and of the one before, totalled by `keys`."""

    def totals(days: Period) -> dict[tuple[Any, ...], RequestTotals]:
        return {row.keys: row for row in read_requests(store=store, period=days, keys=keys, kinds=kinds)}

    return totals(period), totals(period.previous())


def _count(rows: dict[tuple[Any, ...], RequestTotals], when: Callable[..., bool] = lambda *keys: True) -> int:
    return sum(row.requests for keys, row in rows.items() if when(*keys))


# --- orders: cancellation rate, products, time to cancel -----------------------------------------


@dataclass(frozen=True)
class RatePoint:
    first: date
    last: date
    placed: int
    cancelled: int

    @property
    def rate(self) -> float | None:
        return ratio(self.cancelled, self.placed)


@dataclass(frozen=True)
class CancellationRate:
    period: Period
    placed: Compared[int]
    cancelled: Compared[int]
    rate: Compared[float | None]
    placed_value: Compared[Decimal]
    cancelled_value: Compared[Decimal]
    points: list[RatePoint]
    previous_points: list[RatePoint]


def _points(store: Store, period: Period) -> tuple[list[RatePoint], Decimal, Decimal]:
    days = read_daily(store=store, period=period)
    buckets = period.buckets()
    index = bucket_index(buckets)
    placed = [0] * len(buckets)
    cancelled = [0] * len(buckets)
    for row in days.values():
        placed[index[row.day]] += row.placed
        cancelled[index[row.day]] += row.cancelled
    points = [RatePoint(b.first, b.last, placed[i], cancelled[i]) for i, b in enumerate(buckets)]
    placed_value = sum((row.placed_value for row in days.values()), ZERO)
    cancelled_value = sum((row.cancelled_value for row in days.values()), ZERO)
    return points, placed_value, cancelled_value


def cancellation_rate(*, store: Store, start: date, end: date, tz: ZoneInfo | str) -> CancellationRate:
    """Of the orders placed in the period, how many were cancelled since; by day (or week)."""
    period = _period(start, end, tz)
    points, placed_value, cancelled_value = _points(store, period)
    previous_points, previous_placed_value, previous_cancelled_value = _points(store, period.previous())
    placed = Compared(sum(p.placed for p in points), sum(p.placed for p in previous_points))
    cancelled = Compared(sum(p.cancelled for p in points), sum(p.cancelled for p in previous_points))
    return CancellationRate(
        period=period,
        placed=placed,
        cancelled=cancelled,
        rate=Compared(ratio(cancelled.current, placed.current), ratio(cancelled.previous, placed.previous)),
        placed_value=Compared(placed_value, previous_placed_value),
        cancelled_value=Compared(cancelled_value, previous_cancelled_value),
        points=points,
        previous_points=previous_points,
    )


@dataclass(frozen=True)
class ProductRow:
    key: str  # the product's title, or its type ("" when it has none)
    orders: Compared[int]  # orders with the product type (product types only)
    cancelled: Compared[int]
    cancelled_value: Compared[Decimal]

    @property
    def rate(self) -> Compared[float | None]:
        return Compared(
            ratio(self.cancelled.current, self.orders.current),
            ratio(self.cancelled.previous, self.orders.previous),
        )


@dataclass(frozen=True)
class ProductBreakdown:
    period: Period
    rows: list[ProductRow]


def _breakdown(store: Store, period: Period, dimension: str, limit: int) -> ProductBreakdown:
    current = read_breakdown(store=store, period=period, dimension=dimension)
    previous = read_breakdown(store=store, period=period.previous(), dimension=dimension)
    rows = []
    for key in set(current) | set(previous):
        now, before = current.get(key), previous.get(key)
        rows.append(
            ProductRow(
                key=key,
                orders=Compared(now.orders if now else 0, before.orders if before else 0),
                cancelled=Compared(now.cancelled if now else 0, before.cancelled if before else 0),
                cancelled_value=Compared(now.value if now else ZERO, before.value if before else ZERO),
            )
        )
    rows = [row for row in rows if row.cancelled.current or row.cancelled.previous]
    rows.sort(key=lambda row: (-row.cancelled.current, -row.cancelled.previous, row.key))
    return ProductBreakdown(period=period, rows=rows[:limit])


def cancellations_by_product(*, store: Store, start: date, end: date, tz: ZoneInfo | str) -> ProductBreakdown:
    """The products most often in cancelled orders (of those placed in the period), with their value."""
    return _breakdown(store, _period(start, end, tz), InsightDimension.PRODUCT, TOP_PRODUCTS)


def cancellations_by_product_type(
    *, store: Store, start: date, end: date, tz: ZoneInfo | str
) -> ProductBreakdown:
    """Per product type: orders with it placed in the period, how many were cancelled, and the rate."""
    return _breakdown(store, _period(start, end, tz), InsightDimension.PRODUCT_TYPE, TOP_PRODUCT_TYPES)


@dataclass(frozen=True)
class DelayRow:
    key: str
    cancelled: Compared[int]


@dataclass(frozen=True)
class TimeToCancel:
    period: Period
    rows: list[DelayRow]  # every bucket, shortest first
    cancelled: Compared[int]

    def share(self, row: DelayRow) -> Compared[float | None]:
        return Compared(
            ratio(row.cancelled.current, self.cancelled.current),
            ratio(row.cancelled.previous, self.cancelled.previous),
        )


def time_to_cancel(*, store: Store, start: date, end: date, tz: ZoneInfo | str) -> TimeToCancel:
    """How long after ordering customers cancelled (orders placed in the period), in buckets."""
    period = _period(start, end, tz)
    current = read_breakdown(store=store, period=period, dimension=InsightDimension.CANCEL_DELAY)
    previous = read_breakdown(store=store, period=period.previous(), dimension=InsightDimension.CANCEL_DELAY)
    rows = [
        DelayRow(
            key=key,
            cancelled=Compared(
                current[key].cancelled if key in current else 0,
                previous[key].cancelled if key in previous else 0,
            ),
        )
        for key, _bound in DELAY_BUCKETS
    ]
    total = Compared(sum(r.cancelled.current for r in rows), sum(r.cancelled.previous for r in rows))
    return TimeToCancel(period=period, rows=rows, cancelled=total)


# --- requests: kinds and outcomes, reasons, decisions ---------------------------------------------


@dataclass(frozen=True)
class OutcomeRow:
    kind: str
    outcome: str  # a Resolution value, or OPEN
    count: Compared[int]


@dataclass(frozen=True)
class RequestOutcomes:
    period: Period
    rows: list[OutcomeRow]  # kinds in RequestKind order, outcomes in OUTCOMES order; none all-zero
    total: Compared[int]


def requests_by_outcome(*, store: Store, start: date, end: date, tz: ZoneInfo | str) -> RequestOutcomes:
    """Requests made in the period by kind and how they were decided (open: not yet)."""
    period = _period(start, end, tz)
    now, before = _requests(store, period, ("kind", "resolution"))
    found: dict[tuple[str, str], list[int]] = {}
    for position, totals in enumerate((now, before)):
        for (kind, resolution), row in totals.items():
            found.setdefault((kind, resolution or OPEN), [0, 0])[position] += row.requests
    kinds = [*RequestKind.values, *sorted({kind for kind, _ in found} - set(RequestKind.values))]
    rows = [
        OutcomeRow(kind, outcome, Compared(*found[(kind, outcome)]))
        for kind in kinds
        for outcome in OUTCOMES
        if (kind, outcome) in found
    ]
    return RequestOutcomes(period=period, rows=rows, total=Compared(_count(now), _count(before)))


@dataclass(frozen=True)
class ReasonRow:
    code: str  # "" when the customer gave none
    label: str
    count: Compared[int]


@dataclass(frozen=True)
class ReasonTrend:
    code: str
    label: str
    counts: list[int]  # per bucket of the period


@dataclass(frozen=True)
class TopReasons:
    period: Period
    rows: list[ReasonRow]  # the most given reasons, most first
    total: Compared[int]  # every cancellation request of the period, for shares
    buckets: list[Bucket]
    trend: list[ReasonTrend]  # the top reasons of the period, per bucket

    def share(self, row: ReasonRow) -> Compared[float | None]:
        return Compared(
            ratio(row.count.current, self.total.current), ratio(row.count.previous, self.total.previous)
        )


def top_reasons(
    *, store: Store, start: date, end: date, tz: ZoneInfo | str, language: str | None = None
) -> TopReasons:
    """The reasons customers gave for cancellation requests made in the period, and their trend.

    Labels are the store's own, in `language` (the active one by default); a code the policy no
    longer lists shows as itself.
    """

    period = _period(start, end, tz)
    cancels = (RequestKind.CANCEL,)
    days = read_requests(store=store, period=period, keys=("reason_code",), kinds=cancels, by_day=True)
    before = read_requests(store=store, period=period.previous(), keys=("reason_code",), kinds=cancels)
    counts: dict[str, list[int]] = {}
    for position, totals in enumerate((days, before)):
        for row in totals:
            counts.setdefault(row.keys[0], [0, 0])[position] += row.requests
    ranked = sorted(counts.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
    policy, _version = current_policy(store=store)
    lang = language or get_language() or store.locale

    rows = [
        ReasonRow(code, policy.reasons.label_of(code, lang), Compared(*pair))
        for code, pair in ranked[:TOP_REASONS]
    ]
    buckets = period.buckets()
    index = bucket_index(buckets)
    trend_codes = [row.code for row in rows if row.count.current][:TREND_REASONS]
    series = {code: [0] * len(buckets) for code in trend_codes}
    for row in days:
        if row.keys[0] in series and row.day is not None:
            series[row.keys[0]][index[row.day]] += row.requests
    return TopReasons(
        period=period,
        rows=rows,
        total=Compared(sum(row.requests for row in days), sum(row.requests for row in before)),
        buckets=buckets,
        trend=[ReasonTrend(code, policy.reasons.label_of(code, lang), series[code]) for code in trend_codes],
    )


@dataclass(frozen=True)
class AutomationShare:
    period: Period
    by_policy: Compared[int]  # approved or refused by the store's policy when made
    without_person: Compared[int]  # decided after review by a rule or an integration
    by_staff: Compared[int]

    @property
    def decided(self) -> Compared[int]:
        return Compared(
            self.by_policy.current + self.without_person.current + self.by_staff.current,
            self.by_policy.previous + self.without_person.previous + self.by_staff.previous,
        )

    @property
    def automatic(self) -> Compared[int]:
        return Compared(
            self.by_policy.current + self.without_person.current,
            self.by_policy.previous + self.without_person.previous,
        )

    @property
    def share(self) -> Compared[float | None]:
        automatic, decided = self.automatic, self.decided
        return Compared(
            ratio(automatic.current, decided.current), ratio(automatic.previous, decided.previous)
        )


def automation_share(*, store: Store, start: date, end: date, tz: ZoneInfo | str) -> AutomationShare:
    """Of the requests made in the period and decided, the share decided without a person.

    Withdrawn requests were decided by the customer and are left out. A decision without a person is
    one by the policy, or an approval or rejection with no staff user on it (a rule, an integration).
    """
    period = _period(start, end, tz)
    now, before = _requests(store, period, ("resolution", "decided_by_staff"))

    def compared(when: Callable[[str, bool], bool]) -> Compared[int]:
        return Compared(_count(now, when), _count(before, when))

    return AutomationShare(
        period=period,
        by_policy=compared(lambda resolution, staff: resolution in POLICY_RESOLUTIONS),
        without_person=compared(lambda resolution, staff: resolution in REVIEW_RESOLUTIONS and not staff),
        by_staff=compared(lambda resolution, staff: resolution in REVIEW_RESOLUTIONS and staff),
    )


@dataclass(frozen=True)
class DecisionTime:
    period: Period
    reviewed: Compared[int]
    median: Compared[timedelta | None]
    p90: Compared[timedelta | None]


# Percentiles do not add up across days, so they are not rolled up: the store's requests are read.
_DECISION_TIME_SQL = f"""
    SELECT count(*) FILTER (WHERE r.requested_at >= %(start)s),
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY r.decided_at - r.requested_at)
               FILTER (WHERE r.requested_at >= %(start)s),
           count(*) FILTER (WHERE r.requested_at < %(start)s),
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY r.decided_at - r.requested_at)
               FILTER (WHERE r.requested_at < %(start)s)
    FROM {OrderRequest._meta.db_table} r
    WHERE r.store_id = %(store)s AND r.requested_at >= %(previous_start)s AND r.requested_at < %(end)s
      AND r.resolution IN %(resolutions)s AND r.decided_at IS NOT NULL
"""  # noqa: S608 - the table name is ours; values are parameters


def time_to_decision(*, store: Store, start: date, end: date, tz: ZoneInfo | str) -> DecisionTime:
    """For requests made in the period that waited for review: the median and 90th percentile wait."""
    period = _period(start, end, tz)
    params: dict[str, int | datetime | tuple[str, ...]] = {
        "store": store.pk,
        "start": period.start_at,
        "previous_start": period.previous().start_at,
        "end": period.end_at,
        "resolutions": tuple(str(r) for r in REVIEW_RESOLUTIONS),
    }
    with connection.cursor() as cursor:
        cursor.execute(_DECISION_TIME_SQL, params)
        count_now, now, count_before, before = cursor.fetchone()
    # Over intervals percentile_cont answers intervals; NULL when there was nothing to rank.
    now, before = now or [None, None], before or [None, None]
    return DecisionTime(
        period=period,
        reviewed=Compared(count_now, count_before),
        median=Compared(now[0], before[0]),
        p90=Compared(now[1], before[1]),
    )


# --- money: retention, refunds and fees -------------------------------------------------------------


@dataclass(frozen=True)
class Retention:
    period: Period
    kept: Compared[int]  # orders kept after an offer in the period, and not cancelled since
    kept_value: Compared[Decimal]
    declined: Compared[int]  # cancellation requests made after the customer saw an offer

    @property
    def acceptance(self) -> Compared[float | None]:
        return Compared(
            ratio(self.kept.current, self.kept.current + self.declined.current),
            ratio(self.kept.previous, self.kept.previous + self.declined.previous),
        )


def retention(*, store: Store, start: date, end: date, tz: ZoneInfo | str) -> Retention:
    """Orders customers kept after a retention offer in the period (count and value), and offers declined."""
    period = _period(start, end, tz)
    kept = [
        read_breakdown(store=store, period=p, dimension=InsightDimension.RETENTION).values()
        for p in (period, period.previous())
    ]
    now, before = _requests(store, period, ("offer_shown",), kinds=(RequestKind.CANCEL,))
    declined = Compared(_count(now, bool), _count(before, bool))
    return Retention(
        period=period,
        kept=Compared(*(sum(row.orders - row.cancelled for row in rows) for rows in kept)),
        kept_value=Compared(*(sum((row.value for row in rows), ZERO) for rows in kept)),
        declined=declined,
    )


@dataclass(frozen=True)
class RefundsAndFees:
    period: Period
    completed: Compared[int]  # cancellations and withdrawals carried out
    refunds: Compared[Decimal]
    fees: Compared[Decimal]
    kept_as_credit: Compared[Decimal]  # refunds paid as store credit: revenue kept


def refunds_and_fees(*, store: Store, start: date, end: date, tz: ZoneInfo | str) -> RefundsAndFees:
    """Refunds paid and fees kept on cancellations and withdrawals made in the period and carried out."""
    period = _period(start, end, tz)
    done = [rows.get((True,)) for rows in _requests(store, period, ("completed",), kinds=MONEY_KINDS)]
    return RefundsAndFees(
        period=period,
        completed=Compared(*(row.requests if row else 0 for row in done)),
        refunds=Compared(*(row.refunds if row else ZERO for row in done)),
        fees=Compared(*(row.fees if row else ZERO for row in done)),
        kept_as_credit=Compared(*(row.kept_as_credit if row else ZERO for row in done)),
    )
