"""Insights on a store with a million orders: how long each figure takes, for 30 and 365 days.

    python -m tests.bench.insights [--orders 1000000] [--runs 7] [--reuse]   (or: make bench)

Needs DATABASE_URL (PostgreSQL; `make bench` starts the embedded one when unset). It works in a
database beside it (`<name>_insights_bench`, or the database itself when its name ends in "bench"),
migrates it and builds one store in SQL with `generate_series`: orders over two years (8% cancelled,
at delays from minutes to weeks), line items for 30% of them, a request for every cancelled order and
for 2% of the others, and retention outcomes for 1%; then ANALYZE. It times the rollup build, then
each insight (p50/p95 over --runs, after one warm-up) for the last 30 and 365 days, and then, with the
rollups set aside, the same insights computed from the source tables: what the rollups save. With
--reuse an existing bench store is kept instead of being built again.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
SLUG = "insights-bench"
TARGET_MS = 300.0
REASONS = ("changed_mind", "found_cheaper", "ordered_by_mistake", "too_slow", "wrong_size", "other")


def _bench_database_url(base: str) -> str:
    parts = urlsplit(base)
    name = parts.path.strip("/")
    if name.endswith("bench"):
        return base
    return urlunsplit(parts._replace(path=f"/{name}_insights_bench"))


def _ensure_database(url: str, *, recreate: bool) -> None:
    import psycopg2

    parts = urlsplit(url)
    admin = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    admin.autocommit = True
    name = parts.path.lstrip("/")
    with admin.cursor() as cursor:
        if recreate:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def _insert_select(cursor, model, exprs: dict[str, str], source: str, params: dict) -> int:
    """INSERT INTO model's table SELECT exprs FROM source; other non-null columns get their default."""
    from django.db import connection
    from django.db.models import DateTimeField

    columns, selects, values = [], [], dict(params)
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.column in exprs:
            columns.append(field.column)
            selects.append(exprs[field.column])
        elif not field.null:
            default = field.get_default()
            columns.append(field.column)
            if default is None and isinstance(field, DateTimeField):
                selects.append("now()")  # auto_now / auto_now_add
                continue
            values[f"default_{field.column}"] = field.get_db_prep_save(default, connection)
            selects.append(f"%(default_{field.column})s")
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - all ours
        f"SELECT {', '.join(selects)} FROM {source}"
    )
    cursor.execute(sql, values)
    return cursor.rowcount


def _build(store, orders: int) -> dict[str, int]:
    from django.db import connection, transaction

    from cancellations.models import LineItem, Order, OrderRequest, RetentionOutcome
    from tenants.models import User

    staff = User.objects.filter(email="insights-bench@example.com").first() or User.objects.create_user(
        "insights-bench@example.com", None
    )

    # h: a well-spread number 0..999 per order, so choices look random but every run builds the same data.
    h = "mod(g::bigint * 2654435761, 1000)"
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        params = {"store": store.pk, "n": orders, "staff": staff.pk}
        counts["orders"] = _insert_select(
            cursor,
            Order,
            {
                "store_id": "%(store)s",
                "platform_id": "'bench-' || g",
                "name": "'#' || g",
                "number": "g",
                "email": "'customer' || mod(g, 50000) || '@example.com'",
                "placed_at": "now() - interval '730 days' * (1 - g::float / %(n)s)",
                "currency": "'SEK'",
                "subtotal": "(50 + mod(g * 7919, 45000) / 100.0)::numeric(14, 2)",
                "total": "(50 + mod(g * 7919, 45000) / 100.0)::numeric(14, 2)",
                "financial_status": "'paid'",
                "cancelled_at": f"""CASE WHEN {h} < 80 THEN least(now(),
                    now() - interval '730 days' * (1 - g::float / %(n)s)
                    + interval '1 minute' * (ARRAY[10, 120, 600, 2000, 5000, 15000, 60000])[1 + mod(g, 7)])
                    END""",
                "cancel_reason": f"CASE WHEN {h} < 80 THEN 'customer' ELSE '' END",
            },
            "generate_series(1::bigint, %(n)s) AS g",
            params,
        )
        per_order = f"""
            (SELECT o.*, o.number AS g, mod(o.number * 2654435761, 1000) AS h
             FROM {Order._meta.db_table} o WHERE o.store_id = %(store)s) AS o
        """  # noqa: S608 - the table name is ours
        counts["line_items"] = _insert_select(
            cursor,
            LineItem,
            {
                "store_id": "%(store)s",
                "order_id": "o.id",
                "platform_id": "o.g || '-' || k",
                "title": "'Product ' || mod(o.g * 31 + k * 17, 200)",
                "product_type": "'Type ' || mod(mod(o.g * 31 + k * 17, 200), 12)",
                "sku": "'SKU-' || mod(o.g * 31 + k * 17, 200)",
                "quantity": "1 + mod(k, 2)",
                "unit_price": "(10 + mod(o.g * 31 + k * 17, 200))::numeric(14, 2)",
                "position": "k",
            },
            f"{per_order} CROSS JOIN LATERAL generate_series(1, 1 + mod(o.g, 2)) AS k WHERE mod(o.g, 10) < 3",
            params,
        )
        reviewed = "mod(o.h, 5) >= 3"  # 40% wait for staff; the rest are decided by the policy
        decided_after = "interval '1 minute' * mod(o.g * 13, 2880)"
        counts["requests"] = _insert_select(
            cursor,
            OrderRequest,
            {
                "store_id": "%(store)s",
                "order_id": "o.id",
                "kind": "CASE WHEN o.cancelled_at IS NOT NULL THEN 'cancel' "
                "ELSE (ARRAY['cancel', 'edit', 'reorder', 'withdrawal'])[1 + mod(o.g, 4)] END",
                "status": f"CASE WHEN o.cancelled_at IS NOT NULL THEN 'completed' "
                "WHEN mod(o.g, 5) = 0 THEN 'pending_review' "
                f"WHEN {reviewed} THEN 'rejected' ELSE 'denied' END",
                "resolution": f"CASE WHEN o.cancelled_at IS NULL AND mod(o.g, 5) = 0 THEN '' "
                f"WHEN o.cancelled_at IS NOT NULL AND {reviewed} THEN 'approved' "
                f"WHEN o.cancelled_at IS NOT NULL THEN 'auto_approved' "
                f"WHEN {reviewed} THEN 'rejected' ELSE 'denied' END",
                "reason_code": f"(ARRAY{list(REASONS)!r})[1 + mod(o.h + o.g, {len(REASONS)})]",
                "currency": "'SEK'",
                "fee": "CASE WHEN o.cancelled_at IS NOT NULL AND mod(o.h, 5) = 0 "
                "THEN round(o.total * 0.05, 2) ELSE 0 END",
                "refund_amount": "CASE WHEN o.cancelled_at IS NOT NULL THEN o.total - "
                "CASE WHEN mod(o.h, 5) = 0 THEN round(o.total * 0.05, 2) ELSE 0 END ELSE 0 END",
                "retention_offer_shown": "mod(o.h, 3) = 0",
                "requester_kind": "'customer'",
                "requested_at": "o.placed_at + interval '5 minutes'",
                # Half of the reviewed requests are decided by staff, the other half by a rule.
                "decided_by_id": f"CASE WHEN {reviewed} AND mod(o.g, 2) = 0 "
                "AND NOT (o.cancelled_at IS NULL AND mod(o.g, 5) = 0) THEN %(staff)s END",
                "decided_at": f"CASE WHEN o.cancelled_at IS NULL AND mod(o.g, 5) = 0 THEN NULL "
                f"WHEN {reviewed} THEN o.placed_at + interval '5 minutes' + {decided_after} "
                f"ELSE o.placed_at + interval '5 minutes' END",
                "completed_at": "o.cancelled_at",
                "idempotency_key": "'bench-request-' || o.id",
            },
            f"{per_order} WHERE o.cancelled_at IS NOT NULL OR o.h BETWEEN 80 AND 99",
            params,
        )
        counts["retention_outcomes"] = _insert_select(
            cursor,
            RetentionOutcome,
            {
                "store_id": "%(store)s",
                "order_id": "o.id",
                "offer_kind": "'discount_code'",
                "discount_code": "'KEEP10'",
                "accepted_at": "o.placed_at + interval '30 minutes'",
                "order_total": "o.total",
                "currency": "'SEK'",
            },
            f"{per_order} WHERE o.h BETWEEN 100 AND 109",
            params,
        )
        for model in (Order, LineItem, OrderRequest, RetentionOutcome):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return counts


def _time(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()  # warm-up: the first run reads from disk and plans
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep the bench store if it is there")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL must point at PostgreSQL (make bench starts one).")
    database_url = _bench_database_url(os.environ["DATABASE_URL"])
    os.environ.update(
        {"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "portal.settings", "LOG_LEVEL": "WARNING"}
    )
    _ensure_database(database_url, recreate=not args.reuse)
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from cancellations.insights import queries
    from cancellations.insights.periods import Period
    from cancellations.insights.rollups import refresh_rollups
    from cancellations.models import InsightsRollup, Order
    from tenants.models import Store

    call_command("migrate", interactive=False, verbosity=0)
    store = Store.objects.filter(slug=SLUG).first()
    if store is None or not args.reuse:
        if store is not None:
            store.delete()
        store = Store.objects.create(
            slug=SLUG, name="Insights bench", timezone="Europe/Stockholm", currency="SEK", locale="sv"
        )
        started = time.perf_counter()
        counts = _build(store, args.orders)
        built = time.perf_counter() - started
        print(
            f"built {counts['orders']:,} orders, {counts['line_items']:,} line items, "
            f"{counts['requests']:,} requests, {counts['retention_outcomes']:,} retention outcomes "
            f"in {built:.1f} s (incl. ANALYZE)"
        )
    else:
        print(f"reusing {Order.objects.for_store(store).count():,} orders of {SLUG}")

    InsightsRollup.objects.for_store(store).delete()
    started = time.perf_counter()
    state = refresh_rollups(store=store, full=True)
    print(f"rollups rebuilt through {state.built_through} in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cancellations_dailystorestats; ANALYZE cancellations_dailybreakdown")
    started = time.perf_counter()
    refresh_rollups(store=store)
    print(f"hourly refresh (the last 60 days again) in {time.perf_counter() - started:.2f} s")

    insights = {
        "cancellation_rate": queries.cancellation_rate,
        "requests_by_outcome": queries.requests_by_outcome,
        "top_reasons": queries.top_reasons,
        "cancellations_by_product": queries.cancellations_by_product,
        "cancellations_by_product_type": queries.cancellations_by_product_type,
        "time_to_cancel": queries.time_to_cancel,
        "automation_share": queries.automation_share,
        "time_to_decision": queries.time_to_decision,
        "retention": queries.retention,
        "refunds_and_fees": queries.refunds_and_fees,
    }
    from_rollups = set(insights) - {"time_to_decision"}  # percentiles are read from the requests
    print(f"\n{'insight':32} {'days':>5} {'p50 ms':>8} {'p95 ms':>8}  (target < {TARGET_MS:.0f} ms)")
    slowest = 0.0
    rows = []
    for days in (30, 365):
        period = Period.last_days(days, store.timezone)
        for name, fn in insights.items():

            def call(fn=fn, period=period) -> object:
                return fn(store=store, start=period.start, end=period.end, tz=period.tz)

            p50, p95 = _time(call, args.runs)
            slowest = max(slowest, p95)
            rows.append((name, days, p50, p95))
            print(f"{name:32} {days:>5} {p50:>8.1f} {p95:>8.1f}")
    # Without rollups: the same figures computed from the source tables (the path before a refresh).
    InsightsRollup.objects.for_store(store).update(built_through=None)
    print("\nwithout the rollups (computed live from orders, line items, requests):")
    for days in (30, 365):
        period = Period.last_days(days, store.timezone)
        for name in sorted(from_rollups):

            def live(fn=insights[name], period=period) -> object:
                return fn(store=store, start=period.start, end=period.end, tz=period.tz)

            p50, p95 = _time(live, max(2, args.runs // 3))
            print(f"{name:32} {days:>5} {p50:>8.1f} {p95:>8.1f}")
    refresh_rollups(store=store, full=True)
    print(
        f"\nslowest insight p95 with rollups: {slowest:.1f} ms ({'within' if slowest < TARGET_MS else 'OVER'}"
        f" the {TARGET_MS:.0f} ms target)"
    )
    return 0 if slowest < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
