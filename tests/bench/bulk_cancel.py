"""Bulk cancellation throughput against the Shopify-like server and its cost bucket.

    python -m tests.bench.bulk_cancel                      (or: make bench)
    python -m tests.bench.bulk_cancel --runs long --orders 5000 --restore-rate 1000 --maximum 1000
    python -m tests.bench.bulk_cancel --runs short

Needs DATABASE_URL (PostgreSQL; `make bench` starts the embedded one when unset); uses the broker and
cache from the environment like any worker. It makes a throwaway database beside the one named, starts
the fake Shopify in this process with the bucket asked for (orderCancel requests 12 points there, as on
Shopify), mirrors the orders into a Shopify-connected store, starts one real Celery worker with the
production bulk settings, and starts a bulk cancellation of every order as a staff member would. It
prints the achieved rate against the theoretical one (the restore rate over the cost of a cancel), and
the elapsed time against the ideal time (the points needed beyond a full bucket, at the restore rate);
the points the drain asked of the bucket in all (the status queries that confirm the cancels too: a
point an order), and the time they take at the restore rate; and the CPU per order of the worker and
of this process (the fake Shopify). Then it counts: every order cancelled once on the fake Shopify (one
orderCancel, one job each), one ledger row, one completed request and one done item per order.

Two runs by default: "long" (5,000 orders at 300 points/s: 30 cancels/s, under three minutes) and
"short" (300 orders at Shopify's standard 100 points/s: 10 cancels/s). At 100 points/s 5,000 orders take
over eight minutes; `--restore-rate 1000` shows a Plus store's rate, where the bucket still sets the
pace (about 5 ms of worker CPU and 1 ms of the fake's per order on this machine). Loopback only;
bounded in count and time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from http.server import ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.bench.webhook_throughput import _recreate_database

ROOT = Path(__file__).resolve().parents[2]
# What orderCancel requests by Shopify's rules (documents.COSTS; the fake charges it).
CANCEL_COST = 12.0
TIME_LIMIT = 900.0
API_KEY, API_SECRET = "bench-key", "bench-secret-0123456789"


@dataclass(frozen=True)
class Run:
    name: str
    orders: int
    restore_rate: float
    maximum: float


RUNS = {
    "long": Run("long", orders=5000, restore_rate=300.0, maximum=1000.0),
    "short": Run("short", orders=300, restore_rate=100.0, maximum=100.0),
}


def _bench_database_url(base: str, *, suffix: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}{suffix}"))


def _fake_shopify() -> Any:
    from tests.fakeshopify.server import FakeShopify, _Handler

    class BenchFakeShopify(FakeShopify):
        """The fake Shopify with TCP_NODELAY, as real servers have: without it every answer waits
        ~40 ms for a delayed ACK (headers and body are written separately), which would measure the
        loopback, not the drain."""

        def start(self, port: int = 0) -> BenchFakeShopify:
            fake = self

            class Handler(_Handler):
                server_fake = fake
                disable_nagle_algorithm = True

            self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
            self._server.daemon_threads = True
            Thread(target=self._server.serve_forever, daemon=True).start()
            return self

    return BenchFakeShopify(api_key=API_KEY, api_secret=API_SECRET).start()


def _store(fake: Any, run: Run) -> tuple[Any, Any]:
    """A Shopify-connected store with `run.orders` orders on the fake, mirrored; and an agent of it."""
    from django.utils import timezone

    from cancellations.models import LineItem, Order
    from cancellations.platforms.shopify.connections import connect_shopify
    from tenants.access import staff_access
    from tenants.models import Membership, Store, User
    from tenants.roles import Role

    domain = f"bench-{run.name}-{uuid.uuid4().hex[:6]}.myshopify.com"
    shop = fake.add_shop(domain)
    store = Store.objects.create(
        slug=f"bench-{run.name}-{uuid.uuid4().hex[:6]}",
        name=f"Bench {run.name}",
        platform="shopify",
        platform_domain=domain,
        currency="USD",
    )
    connect_shopify(store=store, shop=domain, access_token=shop.token, scopes=["write_orders"])
    user = User.objects.create_user(f"agent-{store.slug}@example.com", None)
    Membership.objects.create(store=store, user=user, role=Role.AGENT)
    placed = timezone.now()
    remote = [fake.add_order(domain) for _ in range(run.orders)]
    orders = Order.objects.bulk_create(
        [
            Order(
                store=store,
                platform_id=order["id"],
                name=order["name"],
                number=order["number"],
                email=order["email"],
                placed_at=placed,
                currency="USD",
                subtotal=Decimal("20.00"),
                shipping=Decimal("5.00"),
                total=Decimal("25.00"),
                financial_status="paid",
            )
            for order in remote
        ],
        batch_size=1000,
    )
    LineItem.objects.bulk_create(
        [
            LineItem(
                store=store,
                order=order,
                platform_id=node["lineItems"]["nodes"][0]["id"],
                title="Item 1",
                quantity=2,
                unit_price=Decimal("10.00"),
            )
            for order, node in zip(orders, remote, strict=True)
        ],
        batch_size=1000,
    )
    fake.set_bucket(domain, maximum=run.maximum, available=run.maximum, restore_rate=run.restore_rate)
    access = staff_access(user=user, store=store)
    return store, access


def _tree_cpu(pid: int) -> float | None:
    """CPU seconds (user and system) of a process and its children, from /proc (None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            children = [int(child) for child in handle.read().split()]
    except OSError:
        return None
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total + sum(_tree_cpu(child) or 0.0 for child in children)


def _drain(store: Any, access: Any, run: Run, worker_pid: int) -> dict[str, Any]:
    from cancellations.bulk.drain import sweep_bulk_jobs
    from cancellations.bulk.selectors import OrderFilters
    from cancellations.bulk.services import start_bulk_cancel
    from cancellations.models import BulkCancelJob
    from cancellations.requests.actors import Actor

    began, worker_cpu, own_cpu = time.perf_counter(), _tree_cpu(worker_pid), time.process_time()
    job = start_bulk_cancel(
        store=store,
        actor=Actor.staff(access),
        start_key=uuid.uuid4().hex,
        filters=OrderFilters(),
        reason="inventory",
        staff_note="bench",
    )
    deadline = time.monotonic() + TIME_LIMIT
    last_sweep = time.monotonic()
    while time.monotonic() < deadline:
        job = BulkCancelJob.objects.for_store(store).get(pk=job.pk)
        if job.finished_at is not None:
            break
        if time.monotonic() - last_sweep > 5:
            sweep_bulk_jobs()  # the bench plays beat, as a deployment runs it
            last_sweep = time.monotonic()
        time.sleep(0.25)
    wall = time.perf_counter() - began
    own_cpu = time.process_time() - own_cpu
    worker_end = _tree_cpu(worker_pid)
    assert job.started_at is not None
    drained = ((job.finished_at or job.updated_at) - job.started_at).total_seconds()
    worker_cpu = worker_end - worker_cpu if worker_cpu is not None and worker_end is not None else None
    return {"job": job, "wall": wall, "drained": drained, "worker_cpu": worker_cpu, "own_cpu": own_cpu}


def _verify(fake: Any, store: Any, job: Any, run: Run) -> list[str]:
    """Every order processed, and cancelled exactly once, by the fake's count and by our rows."""
    from cancellations.bulk.items import platform_key
    from cancellations.models import BulkCancelItem, Order, OrderRequest, PlatformEffect

    shop = fake.shops[store.platform_domain]
    problems = []
    calls = Counter(shop.calls)
    jobs_per_order = Counter(j["order"] for j in shop.jobs.values())
    remote_cancelled = sum(1 for order in shop.orders.values() if order["cancelledAt"])
    if calls["AmendOrderCancel"] != run.orders:
        problems.append(f"{calls['AmendOrderCancel']} orderCancel calls for {run.orders} orders")
    if len(jobs_per_order) != run.orders or max(jobs_per_order.values(), default=0) != 1:
        problems.append(f"cancel jobs: {len(jobs_per_order)} orders, at most {max(jobs_per_order.values())}")
    if remote_cancelled != run.orders:
        problems.append(f"{remote_cancelled} orders cancelled on the fake Shopify")
    effects = PlatformEffect.objects.for_store(store)
    keys = {platform_key(job.pk, pk) for pk in Order.objects.for_store(store).values_list("pk", flat=True)}
    if effects.count() != run.orders or set(effects.values_list("idempotency_key", flat=True)) != keys:
        problems.append(f"{effects.count()} ledger rows")
    if effects.exclude(status="completed").exists():
        problems.append("ledger rows not completed")
    requests = OrderRequest.objects.for_store(store)
    if requests.count() != run.orders or requests.exclude(status="completed").exists():
        problems.append(f"{requests.count()} requests, not all completed")
    items = BulkCancelItem.objects.for_store(store).filter(job=job)
    if items.exclude(status="done").exists() or items.count() != run.orders:
        problems.append("items not all done")
    if Order.objects.for_store(store).filter(cancelled_at__isnull=True).exists():
        problems.append("mirror orders not cancelled")
    return problems


def _report(
    run: Run, outcome: dict[str, Any], calls: Counter[str], points: Counter[str], problems: list[str]
) -> bool:
    job, drained = outcome["job"], outcome["drained"]
    theoretical = run.restore_rate / CANCEL_COST
    achieved = run.orders / drained
    ideal = max(run.orders * CANCEL_COST - run.maximum, 0.0) / run.restore_rate
    # What the drain asked of the bucket in all (the status queries too), beyond the first bucket.
    bound = max(sum(points.values()) - run.maximum, 0.0) / run.restore_rate
    print(
        f"[{run.name}] {run.orders} orders; bucket {run.maximum:g} points, restoring {run.restore_rate:g}/s; "
        f"orderCancel {CANCEL_COST:g} points"
    )
    print(
        f"[{run.name}] drained in {drained:.1f}s (wall {outcome['wall']:.1f}s from the start request): "
        f"{achieved:.1f} cancels/s; theoretical {theoretical:.1f}/s -> {achieved / theoretical:.0%}; "
        f"ideal time with the first bucket {ideal:.1f}s -> {ideal / drained:.0%}"
    )
    print(
        f"[{run.name}] Shopify calls: {calls['AmendOrderCancel']} orderCancel, "
        f"{calls['AmendBulkCancelStatus']} status queries, {calls['AmendJob']} job polls, "
        f"{calls['AmendFetchOrder']} order fetches; job {job.status}: {job.done_count} done, "
        f"{job.failed_count} failed, {job.skipped_count} skipped"
    )
    others = sum(points.values()) - points["AmendOrderCancel"]
    print(
        f"[{run.name}] points asked of the bucket: {points['AmendOrderCancel']:g} for orderCancel, "
        f"{others:g} for status queries; at the restore rate {bound:.1f}s after the first bucket -> "
        f"{bound / drained:.0%}"
    )
    if outcome["worker_cpu"] is not None:
        print(
            f"[{run.name}] CPU per order: worker {1000 * outcome['worker_cpu'] / run.orders:.1f} ms, "
            f"fake Shopify and this bench {1000 * outcome['own_cpu'] / run.orders:.1f} ms"
        )
    print(
        f"[{run.name}] "
        + ("every order cancelled exactly once" if not problems else "MISMATCH: " + "; ".join(problems))
    )
    return not problems and ideal / drained >= 0.9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="long,short", help="long, short or both (comma separated)")
    parser.add_argument("--orders", type=int, help="orders in the long run (default 5000)")
    parser.add_argument("--restore-rate", type=float, help="points/s in the long run (default 300)")
    parser.add_argument("--maximum", type=float, help="bucket size in the long run (default 1000)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL must point at PostgreSQL (make bench starts one).")
    runs = [RUNS[name.strip()] for name in args.runs.split(",") if name.strip()]
    runs = [
        Run(
            run.name,
            orders=args.orders or run.orders,
            restore_rate=args.restore_rate or run.restore_rate,
            maximum=args.maximum or run.maximum,
        )
        if run.name == "long"
        else run
        for run in runs
    ]

    fake = _fake_shopify()
    database_url = _bench_database_url(os.environ["DATABASE_URL"], suffix="_bulkbench")
    queue = f"amend-bench-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": API_SECRET,
        "SHOPIFY_API_ORIGIN": fake.origin,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "CELERY_QUEUE": queue,
        "DATABASE_CONN_MAX_AGE": "60",
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
    logs = ROOT / ".data" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "-Q",
            queue,
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=open(logs / "bulk-worker.log", "wb"),  # noqa: SIM115 - lives as long as the process
        stderr=subprocess.STDOUT,
    )
    ok = True
    try:
        print(
            f"machine: {os.cpu_count()} cores; one worker (concurrency 1) with the production bulk settings"
        )
        for run in runs:
            store, access = _store(fake, run)
            outcome = _drain(store, access, run, worker.pid)
            shop = fake.shops[store.platform_domain]
            calls, points = Counter(shop.calls), Counter()
            for name, cost in shop.costs:
                points[name] += cost
            problems = _verify(fake, store, outcome["job"], run)
            ok = _report(run, outcome, calls, points, problems) and ok
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        fake.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
