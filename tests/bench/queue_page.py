"""The support queue page with 100,000 requests in one store: p50/p95 and queries per page.

    python -m tests.bench.queue_page [--requests 100000] [--repeat 40]   (or: make bench)

Needs DATABASE_URL (PostgreSQL; `make bench` starts the embedded one when unset). It makes a
throwaway database beside it, migrates it, fills one store with orders and requests in a few
INSERT ... SELECT FROM generate_series statements (a realistic mix: a fifth waiting for review,
the rest decided or done, three kinds of risk, a spread of values and ages over a year, a second
store beside it), then asks for the queue page through Django's test client, as a signed-in agent:
the first page, a page deep in the queue (by cursor), and pages with filters, search and other
sorts. It prints p50/p95 and the number of queries of each, and the query plan of the deep page.
Exits non-zero if a page's p95 is over the budget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
BUDGET_MS = 100.0

# One store's rows, built in the database. %(store)s, %(n)s and %(orders)s are filled in below.
ORDERS_SQL = """
INSERT INTO cancellations_order (
    store_id, platform_id, name, number, email, customer_name, customer_locale, placed_at, currency,
    subtotal, shipping, tax, discount, total, refunded, financial_status, fulfillment_status, cancelled_at,
    cancel_reason, risk_level, risk_recommendation, tags, discount_codes, payment_gateways,
    shipping_address, billing_address, version, created_at, updated_at)
SELECT %(store)s, 'gid://bench/Order/' || g, '#' || (100000 + g), 100000 + g,
       'customer' || (g %% %(customers)s) || '@example.com', 'Customer ' || (g %% %(customers)s), 'en',
       now() - make_interval(days => (g %% 365), mins => (g %% 1440)), 'USD',
       t.total, 0, 0, 0, t.total, 0, 'paid', CASE WHEN g %% 3 = 0 THEN 'fulfilled' ELSE 'unfulfilled' END,
       CASE WHEN g %% 10 = 0 THEN now() - make_interval(days => (g %% 300)) END, '',
       CASE WHEN g %% 20 = 0 THEN 'high' WHEN g %% 20 < 4 THEN 'medium' ELSE 'low' END, '',
       '{}', '{}', '{}', '{}', '{}', 1, now(), now()
FROM generate_series(1, %(orders)s) AS g,
     LATERAL (SELECT round((10 + (g * 7919) %% 99000 / 100.0)::numeric, 2) AS total) AS t
"""

# Every request belongs to one order (so the one-open-request constraint holds); a fifth wait for review.
REQUESTS_SQL = """
INSERT INTO cancellations_orderrequest (
    store_id, order_id, kind, status, reason_code, reason_text, customer_message, refund_method, currency,
    fee, refund_amount, retention_offer_shown, retention_offer_accepted, decision, policy_version,
    requester_kind, requester_label, requested_at, decided_by_label, decided_at, decision_note, resolution,
    executed_at, completed_at, attempts, next_attempt_at, last_error, last_error_code, idempotency_key,
    platform_job_id, result, updated_at, assigned_to_id)
SELECT o.store_id, o.id,
       (ARRAY['cancel','cancel','cancel','edit','reorder','withdrawal'])[1 + o.number %% 6],
       s.status,
       (ARRAY['changed_mind','found_cheaper','ordered_by_mistake','too_slow',''])[1 + o.number %% 5],
       '', '', 'original', 'USD', 0, o.total, false, false,
       '{"outcome": "needs_approval", "reasons": [], "trace": []}'::jsonb, 1,
       'customer', o.email, o.placed_at + interval '20 minutes',
       CASE WHEN s.status = 'pending_review' THEN '' ELSE 'policy v1' END,
       CASE WHEN s.status = 'pending_review' THEN NULL ELSE o.placed_at + interval '30 minutes' END, '',
       CASE s.status WHEN 'pending_review' THEN '' WHEN 'completed' THEN 'approved'
                     WHEN 'rejected' THEN 'rejected' ELSE 'denied' END,
       NULL, NULL, 0, NULL, '', '', 'bench-' || o.id, '', '{}', now(),
       CASE WHEN s.status = 'pending_review' AND o.number %% 3 = 0
            THEN (ARRAY[%(staff)s])[1 + o.number %% %(staff_count)s] END
FROM cancellations_order o,
     LATERAL (SELECT CASE WHEN o.number %% 5 = 0 THEN 'pending_review'
                          WHEN o.number %% 5 = 1 THEN 'rejected'
                          WHEN o.number %% 5 = 2 THEN 'denied'
                          ELSE 'completed' END AS status) AS s
WHERE o.store_id = %(store)s
ORDER BY o.id
LIMIT %(n)s
"""

EVENTS_SQL = """
INSERT INTO cancellations_requestevent (
    store_id, request_id, at, actor_kind, actor_label, action, from_status, to_status, data)
SELECT r.store_id, r.id, r.requested_at, 'customer', r.requester_label, 'submitted', '', 'submitted',
       '{}'::jsonb
FROM cancellations_orderrequest r WHERE r.store_id = %(store)s
UNION ALL
SELECT r.store_id, r.id, r.requested_at + interval '1 second', 'system', 'policy v1',
       CASE WHEN r.status = 'pending_review' THEN 'queued' ELSE 'decided' END, 'submitted', r.status,
       '{}'::jsonb
FROM cancellations_orderrequest r WHERE r.store_id = %(store)s
"""


def _bench_database_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_queue_bench"))


def _recreate_database(url: str) -> None:
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
    with admin.cursor() as cursor:
        name = parts.path.lstrip("/")
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def _fill(store, staff_ids: list[int], requests: int) -> float:
    from django.db import connection

    started = time.perf_counter()
    orders = requests + requests // 10  # some orders have no request
    params = {
        "store": store.pk,
        "n": requests,
        "orders": orders,
        "customers": max(orders // 4, 1),
        "staff": ",".join(str(pk) for pk in staff_ids),
        "staff_count": len(staff_ids),
    }
    with connection.cursor() as cursor:
        cursor.execute(ORDERS_SQL % params)
        cursor.execute(REQUESTS_SQL % params)
        cursor.execute(EVENTS_SQL % params)
        # What autovacuum would have done by the time a store has this many requests.
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def _time(client, urls: list[str], repeat: int) -> list[dict[str, float]]:
    """Time each URL `repeat` times, round by round, so a busy moment on the machine hits every page alike."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in urls:
        for _ in range(3):  # warm: connections, templates, caches
            assert client.get(url).status_code == 200, url
    timings: list[list[float]] = [[] for _ in urls]
    cpu: list[list[float]] = [[] for _ in urls]
    for _ in range(repeat):
        for index, url in enumerate(urls):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings[index].append((time.perf_counter() - started) * 1000)
            cpu[index].append((time.process_time() - cpu_started) * 1000)
            assert response.status_code == 200, url
    results = []
    for url, samples, cpu_samples in zip(urls, timings, cpu, strict=True):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        samples.sort()
        results.append(
            {
                "p50": statistics.median(samples),
                "p95": samples[max(int(len(samples) * 0.95) - 1, 0)],
                "cpu": statistics.median(cpu_samples),
                "queries": len(queries),
                "rows": response.content.count(b'class="queue-row'),
            }
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database a previous run filled (same --requests)"
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL must point at PostgreSQL (make bench starts one).")
    database_url = _bench_database_url(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "ALLOWED_HOSTS": "testserver",
    }
    os.environ.update(env)
    if not args.reuse:
        _recreate_database(database_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from cancellations.models import OrderRequest
    from cancellations.queue.selectors import QueueFilters, cursor_for, filtered_requests, page_queryset
    from tenants.models import Membership, Store, User

    settings.ALLOWED_HOSTS = ["testserver"]
    store = Store.objects.filter(slug="bench-shop").first() if args.reuse else None
    if store is None:
        store = Store.objects.create(slug="bench-shop", name="Bench Shop")
        other = Store.objects.create(slug="other-shop", name="Other Shop")
        for n in range(5):
            user = User.objects.create_user(f"agent{n}@bench.example", "bench-password-1")
            Membership.objects.create(store=store, user=user, role="agent")
        staff_ids = list(Membership.objects.for_store(store).values_list("user_id", flat=True))
        filled = _fill(store, staff_ids, args.requests)
        _fill(other, staff_ids[:1], args.requests // 10)
    else:
        filled = 0.0
    staff = [m.user for m in Membership.objects.for_store(store).select_related("user").order_by("user_id")]
    total = OrderRequest.objects.for_store(store).count()
    pending = OrderRequest.objects.for_store(store).filter(status="pending_review").count()
    print(
        f"store: {total:,} requests ({pending:,} waiting for review) and {args.requests // 10:,} in a second "
        f"store, filled in {filled:.1f}s; {os.cpu_count()} cores; {args.repeat} timed requests per page"
    )

    deep_filters = QueueFilters()
    deep_row = filtered_requests(store=store, filters=deep_filters).order_by("requested_at", "id")[
        pending * 3 // 4
    ]
    deep_cursor = cursor_for(deep_row, sort="oldest")
    newest_row = filtered_requests(store=store, filters=QueueFilters(status="")).order_by(
        "-requested_at", "-id"
    )[total // 2]
    base = "/app/bench-shop/queue/"
    pages = [
        ("first page (waiting, oldest first)", {}),
        (f"deep page (row {pending * 3 // 4:,} of {pending:,})", {"cursor": deep_cursor}),
        ("kind + risk + value filters", {"kind": "cancel", "risk": "high", "min_value": "500"}),
        ("reason + assignee", {"reason": "found_cheaper", "assignee": str(staff[1].pk)}),
        ("older than 7 days, newest first", {"age": "7d", "sort": "newest"}),
        ("every status, newest first", {"status": "all", "sort": "newest"}),
        (
            f"every status, deep (row {total // 2:,})",
            {"status": "all", "sort": "newest", "cursor": cursor_for(newest_row, sort="newest")},
        ),
        ("search by order number", {"q": deep_row.order.name}),
        ("search by email", {"q": deep_row.order.email}),
        ("500 rows a page", {"per_page": "500"}),
    ]
    client = Client()
    client.force_login(staff[0])
    urls = [f"{base}?{urlencode(params)}" if params else base for _label, params in pages]
    load_before = os.getloadavg()[0]
    results = _time(client, urls, args.repeat)
    print(
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (on {os.cpu_count()} cores)"
    )
    print(f"{'page':<42} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>8} {'queries':>8} {'rows':>5}")
    over = []
    for (label, _params), result in zip(pages, results, strict=True):
        p50, p95, cpu, queries = result["p50"], result["p95"], result["cpu"], result["queries"]
        print(f"{label:<42} {p50:8.1f} {p95:8.1f} {cpu:8.1f} {queries:8d} {result['rows']:5d}")
        if result["p95"] > BUDGET_MS and "500 rows" not in label:
            over.append(label)

    query, _from_cursor, _backwards = page_queryset(store=store, filters=deep_filters, cursor=deep_cursor)
    sql, sql_params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) {sql}", sql_params)
        print("\nplan of the deep page:")
        for (line,) in cursor.fetchall():
            print(f"  {line}")
    if over:
        print(f"over the {BUDGET_MS:.0f} ms budget at p95: {', '.join(over)}")
        return 1
    print(f"every page under {BUDGET_MS:.0f} ms at p95 (500-row pages aside)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
