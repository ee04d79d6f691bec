"""Webhook intake throughput: gunicorn on PostgreSQL, signed orders/create deliveries from another process.

    python -m tests.bench.webhook_throughput [--deliveries 2000] [--concurrency 8]   (or: make bench)

Needs DATABASE_URL (PostgreSQL; `make bench` starts the embedded one when unset). It makes a
throwaway database beside it, starts gunicorn, and from a second process sends signed deliveries
(5% of them sent twice, as Shopify's retries are), then the same number of requests to /healthz, a
minimal Django view on the same server. It prints deliveries/s, p50/p99 latency, the ratio to the
minimal view, then starts a Celery worker to process the inbox and counts rows: every delivery
stored once, every order mirrored once. Loopback only; bounded in count and time.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.shared_data import shared_path

ROOT = Path(__file__).resolve().parents[2]
SECRET = "bench-app-secret"
SHOP = "bench-shop.myshopify.com"
# Optional here: without the shared folder the bench sends a minimal order instead.
SAMPLE = shared_path("shopify", "samples", "orders-create.sample.json")
TIME_LIMIT = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bodies(count: int) -> list[tuple[str, bytes]]:
    template = json.loads(SAMPLE.read_text()) if SAMPLE.exists() else {"currency": "USD", "line_items": []}
    bodies = []
    for n in range(count):
        order = dict(template, id=7_000_000 + n, order_number=10_000 + n, name=f"#{10_000 + n}")
        order.update(created_at="2026-11-26T10:00:00Z", updated_at="2026-11-26T10:00:00Z", cancelled_at=None)
        bodies.append((f"bench-{n}", json.dumps(order).encode()))
    return bodies


def _post(port: int, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST" if body is not None else "GET", path, body=body, headers=headers)
        status = connection.getresponse().status
    finally:
        connection.close()
    return status, time.perf_counter() - started


def _webhook_headers(webhook_id: str, body: bytes) -> dict[str, str]:
    """The headers Shopify sends with a delivery, signed with the bench app's secret."""
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-API-Version": "2026-07",
    }


def _drive(port: int, deliveries: int, concurrency: int, results) -> None:
    """The load generator (a second process): webhooks, then the minimal view, same count and concurrency."""
    bodies = _bodies(deliveries)
    resent = bodies[: max(deliveries // 20, 1)]  # Shopify delivers at least once: some arrive twice
    jobs = [*bodies, *resent]

    def webhook(job: tuple[str, bytes]) -> tuple[int, float]:
        webhook_id, body = job
        return _post(port, "/webhooks/shopify/", body, _webhook_headers(webhook_id, body))

    def minimal(_: int) -> tuple[int, float]:
        return _post(port, "/healthz", None, {})

    report = {}
    for name, fn, items in (("webhook", webhook, jobs), ("minimal", minimal, range(len(jobs)))):
        deadline = time.monotonic() + TIME_LIMIT

        def bounded(item, fn=fn, deadline=deadline):
            return fn(item) if time.monotonic() < deadline else None

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            outcomes = [o for o in pool.map(bounded, items) if o is not None]
        elapsed = time.perf_counter() - started
        latencies = sorted(latency for _, latency in outcomes)
        report[name] = {
            "requests": len(outcomes),
            "errors": sum(1 for status, _ in outcomes if status != 200),
            "per_second": len(outcomes) / elapsed,
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        }
    report["unique"] = len(bodies)
    results.put(report)


def _bench_database_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_bench"))


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL must point at PostgreSQL (make bench starts one).")

    database_url = _bench_database_url(os.environ["DATABASE_URL"])
    queue = f"amend-bench-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SHOPIFY_API_SECRET": SECRET,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "CELERY_QUEUE": queue,
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
    from cancellations.models import Order, WebhookDelivery
    from tenants.models import Store

    store = Store.objects.create(slug="bench-shop", name="Bench", platform="shopify", platform_domain=SHOP)
    logs = ROOT / ".data" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.web_workers),
            "--threads",
            str(args.threads),
        ],
        cwd=ROOT,
        env=env,
        stdout=open(logs / "gunicorn.log", "wb"),  # noqa: SIM115 - lives as long as the process
        stderr=subprocess.STDOUT,
    )
    worker = None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if _post(port, "/healthz", None, {})[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        results = multiprocessing.get_context("spawn").Queue()
        driver = multiprocessing.get_context("spawn").Process(
            target=_drive, args=(port, args.deliveries, args.concurrency, results)
        )
        driver.start()
        report = results.get(timeout=TIME_LIMIT * 2 + 60)
        driver.join(timeout=10)

        stored = WebhookDelivery.objects.for_store(store).count()
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
                "2",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=open(logs / "worker.log", "wb"),  # noqa: SIM115 - lives as long as the process
            stderr=subprocess.STDOUT,
        )
        drain_started = time.perf_counter()
        waiting = WebhookDelivery.objects.for_store(store).exclude(status="processed")
        deadline = time.monotonic() + TIME_LIMIT
        while waiting.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        drained = time.perf_counter() - drain_started
        # With the worker idle and waiting: how long from the 200 to the delivery processed.
        starts = []
        for n in range(20):
            body = _bodies(1)[0][1]
            webhook_id = f"latency-{n}"
            _post(port, "/webhooks/shopify/", body, _webhook_headers(webhook_id, body))
            answered = time.perf_counter()
            row = WebhookDelivery.objects.for_store(store).filter(webhook_id=webhook_id)
            while not row.filter(status="processed").exists() and time.perf_counter() - answered < 10:
                time.sleep(0.005)
            starts.append(time.perf_counter() - answered)
            time.sleep(0.05)
        starts.sort()
        processed = (
            WebhookDelivery.objects.for_store(store)
            .filter(status="processed")
            .exclude(webhook_id__startswith="latency-")
            .count()
        )
        orders = Order.objects.for_store(store).count()  # the probe resends the first order: no new one
    finally:
        for process in (gunicorn, worker):
            if process is not None:
                process.terminate()
                process.wait(timeout=20)

    web, base = report["webhook"], report["minimal"]
    print(
        f"machine: {os.cpu_count()} cores; gunicorn --workers {args.web_workers} --threads {args.threads}; "
        f"{args.concurrency} concurrent clients"
    )
    for name, row in (("webhook /webhooks/shopify/", web), ("minimal view /healthz", base)):
        print(
            f"{name:<28} {row['requests']:>6} requests  {row['per_second']:8.1f}/s  "
            f"p50 {row['p50_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms  errors {row['errors']}"
        )
    print(f"webhook throughput / minimal view: {web['per_second'] / base['per_second']:.2f}")
    print(
        f"rows: {stored} deliveries stored for {report['unique']} unique ids "
        f"({web['requests'] - report['unique']} resent), {processed} processed, {orders} orders mirrored; "
        f"worker drained the inbox in {drained:.1f}s ({processed / drained:.0f}/s)"
    )
    print(
        "from the 200 to the delivery processed, worker idle: "
        f"p50 {statistics.median(starts) * 1000:.0f} ms, "
        f"max {starts[-1] * 1000:.0f} ms over {len(starts)} deliveries (goal: within a second)"
    )
    ok = stored == processed == orders == report["unique"] and web["errors"] == 0 and starts[-1] < 1.0
    print("nothing lost or duplicated" if ok else "MISMATCH: rows lost or duplicated")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
