"""Daily rollups: one SQL per table, used both to build the rollups and to read what they do not hold yet.

Each source SQL yields a rollup table's rows for the events of [%(start)s, %(end)s), by day in the
store's time zone: orders by the day they were placed ("cancelled" counts those of them cancelled
since, a cohort, so a rate never passes 100%), requests by the day they were made, kept orders by the
day they were kept. The tables hold complete days up to `InsightsRollup.built_through`; a reader takes
those days from the tables and every later day (today, always) from the same SQL, so a figure never
depends on whether the rollups are fresh, only its speed does. Orders are usually cancelled and
requests decided within days, so each refresh recomputes the last `REFRESH_TRAILING_DAYS` days; a
change to something older is counted after the next `manage.py rebuild_insights`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from cancellations.insights.periods import Period, as_zone, midnight
from cancellations.models import (
    DailyBreakdown,
    DailyRequestStats,
    DailyStoreStats,
    InsightDimension,
    InsightsRollup,
    LineItem,
    Order,
    OrderRequest,
    RequestStatus,
    RetentionOutcome,
)
from tenants.models import Store

REFRESH_TRAILING_DAYS = 60
# A refresh is due when the last one is older than this (the Insights page asks for one then).
REFRESH_EVERY = timedelta(hours=1)

# How long after ordering a customer cancelled: stable keys (kept in rollups and CSVs), upper bounds.
DELAY_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("under_1h", timedelta(hours=1)),
    ("1h_6h", timedelta(hours=6)),
    ("6h_24h", timedelta(hours=24)),
    ("1d_3d", timedelta(days=3)),
    ("3d_7d", timedelta(days=7)),
    ("7d_30d", timedelta(days=30)),
    ("over_30d", None),
)

_ORDER = Order._meta.db_table
_LINE = LineItem._meta.db_table
_REQUEST = OrderRequest._meta.db_table
_KEPT = RetentionOutcome._meta.db_table
_PLACED_DAY = "(o.placed_at AT TIME ZONE %(tz)s)::date"
_PLACED = "o.store_id = %(store)s AND o.placed_at >= %(start)s AND o.placed_at < %(end)s"
_LINE_VALUE = "(li.unit_price * li.quantity - li.total_discount)"
_JOIN_LINES = f"JOIN {_LINE} li ON li.store_id = o.store_id AND li.order_id = o.id"


def _delay_case() -> str:
    arms = " ".join(
        f"WHEN o.cancelled_at - o.placed_at < interval '{int(bound.total_seconds())} seconds' THEN '{key}'"
        for key, bound in DELAY_BUCKETS
        if bound is not None
    )
    return f"CASE {arms} ELSE '{DELAY_BUCKETS[-1][0]}' END"


# (day, placed, placed_value, cancelled, cancelled_value)
DAILY_SQL = f"""
    SELECT {_PLACED_DAY} AS day,
           count(*) AS placed,
           coalesce(sum(o.total), 0) AS placed_value,
           count(*) FILTER (WHERE o.cancelled_at IS NOT NULL) AS cancelled,
           coalesce(sum(o.total) FILTER (WHERE o.cancelled_at IS NOT NULL), 0) AS cancelled_value
    FROM {_ORDER} o
    WHERE {_PLACED}
    GROUP BY 1
"""  # noqa: S608 - table names and SQL fragments are ours; values are parameters

# (day, dimension, key, orders, cancelled, value), one SQL per dimension.
BREAKDOWN_SQL: dict[str, str] = {
    # Products: only cancelled orders, which keeps the table as small as the number of cancellations.
    InsightDimension.PRODUCT: f"""
        SELECT {_PLACED_DAY} AS day, 'product' AS dimension, li.title AS key,
               count(DISTINCT o.id) AS orders, count(DISTINCT o.id) AS cancelled,
               coalesce(sum({_LINE_VALUE}), 0) AS value
        FROM {_ORDER} o {_JOIN_LINES}
        WHERE {_PLACED} AND o.cancelled_at IS NOT NULL
        GROUP BY 1, 3
    """,  # noqa: S608
    InsightDimension.PRODUCT_TYPE: f"""
        SELECT {_PLACED_DAY} AS day, 'product_type' AS dimension, li.product_type AS key,
               count(DISTINCT o.id) AS orders,
               count(DISTINCT o.id) FILTER (WHERE o.cancelled_at IS NOT NULL) AS cancelled,
               coalesce(sum({_LINE_VALUE}) FILTER (WHERE o.cancelled_at IS NOT NULL), 0) AS value
        FROM {_ORDER} o {_JOIN_LINES}
        WHERE {_PLACED}
        GROUP BY 1, 3
    """,  # noqa: S608
    InsightDimension.CANCEL_DELAY: f"""
        SELECT {_PLACED_DAY} AS day, 'cancel_delay' AS dimension, {_delay_case()} AS key,
               count(*) AS orders, count(*) AS cancelled, coalesce(sum(o.total), 0) AS value
        FROM {_ORDER} o
        WHERE {_PLACED} AND o.cancelled_at IS NOT NULL
        GROUP BY 1, 3
    """,  # noqa: S608
    # Kept orders, by the day they were kept; `value` is what is still kept (not cancelled since).
    InsightDimension.RETENTION: f"""
        SELECT (k.accepted_at AT TIME ZONE %(tz)s)::date AS day, 'retention' AS dimension,
               k.offer_kind AS key, count(*) AS orders,
               count(*) FILTER (WHERE o.cancelled_at IS NOT NULL) AS cancelled,
               coalesce(sum(k.order_total) FILTER (WHERE o.cancelled_at IS NULL), 0) AS value
        FROM {_KEPT} k JOIN {_ORDER} o ON o.store_id = k.store_id AND o.id = k.order_id
        WHERE k.store_id = %(store)s AND k.accepted_at >= %(start)s AND k.accepted_at < %(end)s
        GROUP BY 1, 3
    """,  # noqa: S608
}

REQUEST_KEYS = ("kind", "resolution", "reason_code", "decided_by_staff", "offer_shown", "completed")
REQUEST_MEASURES = ("requests", "refunds", "fees", "kept_as_credit")
REQUEST_SQL = f"""
    SELECT (r.requested_at AT TIME ZONE %(tz)s)::date AS day, r.kind, r.resolution, r.reason_code,
           r.decided_by_id IS NOT NULL AS decided_by_staff, r.retention_offer_shown AS offer_shown,
           r.status = '{RequestStatus.COMPLETED}' AS completed,
           count(*) AS requests, coalesce(sum(r.refund_amount), 0) AS refunds,
           coalesce(sum(r.fee), 0) AS fees,
           coalesce(sum(r.refund_amount) FILTER (WHERE r.refund_method = 'store_credit'), 0.00)
               AS kept_as_credit
    FROM {_REQUEST} r
    WHERE r.store_id = %(store)s AND r.requested_at >= %(start)s AND r.requested_at < %(end)s
    GROUP BY 1, 2, 3, 4, 5, 6, 7
"""  # noqa: S608


@dataclass(frozen=True)
class DayRow:
    day: date
    placed: int
    placed_value: Decimal
    cancelled: int
    cancelled_value: Decimal


@dataclass(frozen=True)
class KeyTotals:
    key: str
    orders: int
    cancelled: int
    value: Decimal


@dataclass(frozen=True)
class RequestTotals:
    """Requests alike in the keys asked for, made on `day` (None: over the whole period)."""

    day: date | None
    keys: tuple[Any, ...]
    requests: int
    refunds: Decimal
    fees: Decimal
    # Of `refunds`, what was paid as store credit: revenue the store kept.
    kept_as_credit: Decimal = Decimal("0.00")


def _covered_through(store: Store, period: Period) -> date | None:
    """The last day of `period` the rollup tables hold, for rollups cut in the period's time zone."""
    state = (
        InsightsRollup.objects.for_store(store)
        .only("store", "timezone", "built_through")
        .filter(timezone=period.tz.key)
        .first()
    )
    if state is None or state.built_through is None or state.built_through < period.start:
        return None
    return min(state.built_through, period.end)


def _split_params(store: Store, period: Period) -> dict[str, Any]:
    """Parameters for a union read: rollup days [first, covered], live events [start, end)."""
    covered = _covered_through(store, period)
    live_from = period.start if covered is None else covered + timedelta(days=1)
    return {
        "store": store.pk,
        "tz": period.tz.key,
        "first": period.start,
        # Before `first` when nothing is covered, so the rollup part is empty.
        "covered": covered or period.start - timedelta(days=1),
        "start": min(midnight(live_from, period.tz), period.end_at),
        "end": period.end_at,
    }


def _fetch(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def read_daily(*, store: Store, period: Period) -> dict[date, DayRow]:
    """Orders placed on each day of the period that had any."""
    sql = f"""
        SELECT day, placed, placed_value, cancelled, cancelled_value FROM {DailyStoreStats._meta.db_table}
        WHERE store_id = %(store)s AND day >= %(first)s AND day <= %(covered)s
        UNION ALL ({DAILY_SQL})
    """  # noqa: S608
    return {row[0]: DayRow(*row) for row in _fetch(sql, _split_params(store, period))}


def read_breakdown(*, store: Store, period: Period, dimension: str) -> dict[str, KeyTotals]:
    """Totals per key of one dimension over the period."""
    sql = f"""
        SELECT key, sum(orders), sum(cancelled), sum(value) FROM (
            SELECT key, orders, cancelled, value FROM {DailyBreakdown._meta.db_table}
            WHERE store_id = %(store)s AND dimension = %(dimension)s
              AND day >= %(first)s AND day <= %(covered)s
            UNION ALL
            SELECT key, orders, cancelled, value FROM ({BREAKDOWN_SQL[dimension]}) AS live
        ) AS rows GROUP BY key
    """  # noqa: S608
    params = {**_split_params(store, period), "dimension": dimension}
    return {key: KeyTotals(key, int(o), int(c), v) for key, o, c, v in _fetch(sql, params)}


def read_requests(
    *,
    store: Store,
    period: Period,
    keys: Sequence[str],
    kinds: Sequence[str] | None = None,
    by_day: bool = False,
) -> list[RequestTotals]:
    """Requests made in the period (of `kinds`, or all), totalled per value of `keys` (and per day)."""
    unknown = set(keys) - set(REQUEST_KEYS)
    if unknown:
        raise ValueError(f"Requests are not counted by {sorted(unknown)}.")
    needed = ("day", *keys, *(("kind",) if kinds is not None and "kind" not in keys else ()))
    columns = ", ".join(needed)
    group = ", ".join((*(("day",) if by_day else ()), *keys)) or "()"
    params = _split_params(store, period)
    where = ""
    if kinds is not None:
        where = "WHERE kind IN %(kinds)s"
        params["kinds"] = tuple(str(kind) for kind in kinds) or ("",)
    sql = f"""
        SELECT {"day" if by_day else "NULL::date"}{"".join(f", {key}" for key in keys)},
               sum(requests), sum(refunds), sum(fees), sum(kept_as_credit) FROM (
            SELECT {columns}, {", ".join(REQUEST_MEASURES)} FROM {DailyRequestStats._meta.db_table}
            WHERE store_id = %(store)s AND day >= %(first)s AND day <= %(covered)s
            UNION ALL
            SELECT {columns}, {", ".join(REQUEST_MEASURES)} FROM ({REQUEST_SQL}) AS live
        ) AS rows {where} GROUP BY {group}
    """  # noqa: S608 - keys are checked against REQUEST_KEYS; values are parameters
    return [
        RequestTotals(
            day=row[0],
            keys=tuple(row[1:-4]),
            requests=int(row[-4]),
            refunds=row[-3],
            fees=row[-2],
            kept_as_credit=row[-1],
        )
        for row in _fetch(sql, params)
        if row[-4]  # a total over nothing (no keys, no rows) is NULL
    ]


def _write_days(store: Store, tz: str, first: date, last: date) -> None:
    zone = as_zone(tz)
    params: dict[str, int | str | datetime] = {
        "store": store.pk,
        "tz": tz,
        "start": midnight(first, zone),
        "end": midnight(last + timedelta(days=1), zone),
    }
    for model in (DailyStoreStats, DailyBreakdown, DailyRequestStats):
        model.objects.for_store(store).filter(day__gte=first, day__lte=last).delete()
    breakdowns = " UNION ALL ".join(f"({sql})" for sql in BREAKDOWN_SQL.values())
    daily = "store_id, day, placed, placed_value, cancelled, cancelled_value, computed_at"
    breakdown = "store_id, day, dimension, key, orders, cancelled, value"
    requests = f"store_id, day, {', '.join(REQUEST_KEYS)}, {', '.join(REQUEST_MEASURES)}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {DailyStoreStats._meta.db_table} ({daily}) "  # noqa: S608
            f"SELECT %(store)s, d.*, now() FROM ({DAILY_SQL}) d",
            params,
        )
        cursor.execute(
            f"INSERT INTO {DailyBreakdown._meta.db_table} ({breakdown}) "  # noqa: S608
            f"SELECT %(store)s, b.* FROM ({breakdowns}) b",
            params,
        )
        cursor.execute(
            f"INSERT INTO {DailyRequestStats._meta.db_table} ({requests}) "  # noqa: S608
            f"SELECT %(store)s, r.* FROM ({REQUEST_SQL}) r",
            params,
        )


def _first_day(store: Store) -> date | None:
    """The first day anything Insights counts happened (orders come before their requests)."""
    first = Order.objects.for_store(store).order_by("placed_at").values_list("placed_at", flat=True).first()
    return first.astimezone(as_zone(store.timezone)).date() if first else None


def refresh_rollups(*, store: Store, full: bool = False, now: datetime | None = None) -> InsightsRollup:
    """Bring a store's rollups up to yesterday: the trailing days again, or everything when `full`."""
    now = now or timezone.now()
    tz = store.timezone
    yesterday = now.astimezone(as_zone(tz)).date() - timedelta(days=1)
    with transaction.atomic():
        # One refresh per store at a time: two would delete and insert the same days.
        state, _ = (
            InsightsRollup.objects.for_store(store)
            .select_for_update()
            .get_or_create(store=store, defaults={"timezone": tz})
        )
        if full or state.built_through is None or state.timezone != tz:
            for model in (DailyStoreStats, DailyBreakdown, DailyRequestStats):
                model.objects.for_store(store).delete()
            first = _first_day(store)
            state.rebuilt_at = now
        else:
            first = min(
                state.built_through + timedelta(days=1),
                yesterday - timedelta(days=REFRESH_TRAILING_DAYS - 1),
            )
        if first is not None and first <= yesterday:
            _write_days(store, tz, first, yesterday)
        state.timezone = tz
        state.built_through = yesterday
        state.refreshed_at = now
        state.save()
    return state


def refresh_due(*, store: Store, now: datetime | None = None) -> bool:
    """Whether the store's rollups are missing, cut in another time zone, or older than REFRESH_EVERY."""
    now = now or timezone.now()
    state = InsightsRollup.objects.for_store(store).only("store", "timezone", "refreshed_at").first()
    return (
        state is None
        or state.timezone != store.timezone
        or state.refreshed_at is None
        or now - state.refreshed_at >= REFRESH_EVERY
    )


def stores_due_for_refresh(*, now: datetime | None = None) -> list[int]:
    """Stores with rollups (someone opened Insights) not refreshed for REFRESH_EVERY."""
    now = now or timezone.now()
    # Across stores on purpose: only store ids leave here, and the task re-resolves each store.
    due = InsightsRollup.objects.dangerously_unscoped().filter(refreshed_at__lte=now - REFRESH_EVERY)
    return list(due.order_by("store_id").values_list("store_id", flat=True))
