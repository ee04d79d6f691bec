"""A large Shopify store's order history mirrored through one bulk operation.

    python -m tests.bench.shopify_backfill                  (or: make bench)
    python -m tests.bench.shopify_backfill --orders 20000

Needs DATABASE_URL (PostgreSQL; `make bench` starts the embedded one when unset). It makes a throwaway
database beside the one named, starts the fake Shopify in this process with `--orders` orders (one to
three line items each), connects a store to it and runs the import as `manage.py resync_store --all`
does: `bulkOperationRunQuery`, polls of the operation, then the JSONL file downloaded and mirrored in
batches. It prints the time to export, the time to mirror and orders per second, checks that every
order and line item arrived once, and prints what paging through the same orders with
AmendOrdersPage would have cost at Shopify's standard 100 points a second, from the costs the fake
charged for a sample of pages.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

from tests.bench.bulk_cancel import API_KEY, API_SECRET, ROOT, _bench_database_url, _fake_shopify
from tests.bench.webhook_throughput import _recreate_database

STANDARD_RESTORE_RATE = 100.0


def _populate(fake, domain: str, count: int) -> int:
    """`count` orders on the fake shop, one to three line items each; the number of line items."""
    lines = 0
    for n in range(count):
        variants = [(f"gid://shopify/ProductVariant/{v}", 1 + v % 2, "9.50") for v in range(1, 2 + n % 3)]
        created = f"2026-{1 + n % 11:02d}-{1 + n % 27:02d}T{n % 24:02d}:00:00Z"
        fake.add_order(domain, lines=variants, createdAt=created, processedAt=created)
        lines += len(variants)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL must point at PostgreSQL (make bench starts one).")
    fake = _fake_shopify()
    database_url = _bench_database_url(os.environ["DATABASE_URL"], suffix="_importbench")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": API_SECRET,
        "SHOPIFY_API_ORIGIN": fake.origin,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "ORDER_IMPORT_POLL_SECONDS": "1",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    os.environ.update(env)
    _recreate_database(database_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )

    import django

    django.setup()
    from cancellations.models import LineItem, Order
    from cancellations.orders.imports import run_import
    from cancellations.platforms import get_adapter
    from cancellations.platforms.shopify.connections import connect_shopify
    from tenants.models import Store

    domain = f"bench-import-{uuid.uuid4().hex[:6]}.myshopify.com"
    shop = fake.add_shop(domain)
    store = Store.objects.create(
        slug=f"bench-import-{uuid.uuid4().hex[:6]}",
        name="Bench import",
        platform="shopify",
        platform_domain=domain,
        currency="USD",
    )
    connect_shopify(store=store, shop=domain, access_token=shop.token, scopes=["read_orders"])
    started = time.monotonic()
    lines = _populate(fake, domain, args.orders)
    print(
        f"machine: {os.cpu_count()} cores; {args.orders:,} orders with {lines:,} line items on the fake shop "
        f"(made in {time.monotonic() - started:.1f}s)"
    )

    started = time.monotonic()
    found = run_import(store=store)
    elapsed = time.monotonic() - started
    assert found is not None
    exported = (found.exported_at - found.started_at).total_seconds() if found.exported_at else 0.0
    mirrored = Order.objects.for_store(store).count()
    line_rows = LineItem.objects.for_store(store).count()
    print(
        f"import {found.status}: {found.orders_read:,} orders read, {found.orders_created:,} new, "
        f"{found.exported_objects:,} objects exported"
    )
    print(
        f"time {elapsed:.1f}s (export {exported:.1f}s, mirror {elapsed - exported:.1f}s): "
        f"{found.orders_read / elapsed:,.0f} orders/s"
    )
    calls = fake.shops[domain].calls
    print(
        f"Shopify calls: {calls.count('AmendBulkOrders')} bulkOperationRunQuery, "
        f"{calls.count('AmendBulkOperation')} polls, {len(calls)} in all"
    )

    # What paging would have cost: a sample of AmendOrdersPage pages, their actual cost, at 100 points/s.
    fake.set_bucket(domain, maximum=1_000_000, available=1_000_000, restore_rate=0)
    adapter = get_adapter(store)
    cursor = None
    pages = 0
    for _ in range(20):
        snapshots, cursor = adapter.orders_page(created_since=datetime(2025, 1, 1, tzinfo=UTC), after=cursor)
        pages += 1
        if cursor is None:
            break
    spent = 1_000_000 - fake.shops[domain].available
    per_page = spent / pages
    total_pages = -(-args.orders // len(snapshots or [None]))
    paged_hours = total_pages * per_page / STANDARD_RESTORE_RATE / 3600
    print(
        f"paging instead: {total_pages:,} AmendOrdersPage queries of {len(snapshots)} orders, "
        f"~{per_page:.0f} points each actually spent -> {paged_hours:.1f} h at "
        f"{STANDARD_RESTORE_RATE:.0f} points/s"
    )
    ok = found.status == "done" and mirrored == args.orders and line_rows == lines
    print(
        "every order and line item mirrored once" if ok else f"MISMATCH: {mirrored} orders, {line_rows} lines"
    )
    fake.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
