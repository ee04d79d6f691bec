"""From a customer's click to the effect on the platform: an auto-approved cancel, on each broker.

    python -m tests.bench.click_to_effect                    (or: make bench)
    python -m tests.bench.click_to_effect --requests 300

Needs DATABASE_URL (PostgreSQL; `make bench` starts the embedded one when unset). It makes a throwaway
database beside the one named and, for each broker (the filesystem broker `make demo` uses, and Redis at
CELERY_BROKER_URL or 127.0.0.1:6379 when one answers), starts the worker `make demo` starts (prefork,
concurrency 2) and has a signed-in customer of a built-in store cancel `--requests` orders one after
another under the default policy (auto-approved), each through the real confirm POST (Django's test
client in this process, the production middleware). For each it takes the time from the POST to the
moment the worker recorded the cancel in the effect ledger (`PlatformEffect.completed_at`), and the
POST's own time, and prints p50/p95/p99 of both. Bounded: each request gets at most 10 s.

Shopify stores are not measured here: the effect there waits on Shopify's cancel job.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

from tests.bench.broker_drain import _redis_answers
from tests.bench.bulk_cancel import ROOT, _bench_database_url
from tests.bench.webhook_throughput import _recreate_database

PER_REQUEST_LIMIT = 10.0


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)

    def at(p: float) -> float:
        return ordered[min(round(p * (len(ordered) - 1)), len(ordered) - 1)] * 1000

    return f"p50 {at(0.5):.0f} ms, p95 {at(0.95):.0f} ms, p99 {at(0.99):.0f} ms"


def measure(count: int) -> int:
    """In a child process with the broker's environment: the requests, timed; prints one result line."""
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.test import Client
    from django.utils import timezone

    from cancellations.models import PlatformEffect
    from tests.factories import make_order, make_store, make_user

    store = make_store(f"bench-{uuid.uuid4().hex[:6]}")
    email = f"buyer-{uuid.uuid4().hex[:6]}@example.com"
    user = make_user(email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    client = Client()
    client.force_login(user)
    latencies: list[float] = []
    posts: list[float] = []
    for n in range(count + 5):  # the first five warm the worker and the caches
        order = make_order(store, email=email, lines=1, financial_status="paid")
        url = f"/s/{store.slug}/orders/{order.pk}/cancel/"
        clicked = timezone.now()
        started = time.monotonic()
        response = client.post(url, {"step": "confirm", "reason": "changed_mind", "submit_key": f"k{n}"})
        post_time = time.monotonic() - started
        if response.status_code != 302:
            print(f"FAILED the POST answered {response.status_code}")
            return 1
        # The first waits for the worker to start.
        deadline = time.monotonic() + (60.0 if n == 0 else PER_REQUEST_LIMIT)
        effect = None
        while effect is None and time.monotonic() < deadline:
            effect = (
                PlatformEffect.objects.for_store(store)
                .filter(order_platform_id=order.platform_id, completed_at__isnull=False)
                .values_list("completed_at", flat=True)
                .first()
            )
            if effect is None:
                time.sleep(0.002)
        if effect is None:
            print(f"FAILED order {order.pk} had no effect after {PER_REQUEST_LIMIT:.0f}s")
            return 1
        if n >= 5:
            latencies.append((effect - clicked).total_seconds())
            posts.append(post_time)
    print("RESULT", " ".join(f"{v:.6f}" for v in latencies), "|", " ".join(f"{v:.6f}" for v in posts))
    return 0


def _run(name: str, broker: str, env: dict[str, str], count: int) -> float | None:
    run_env = {**env, "CELERY_BROKER_URL": broker, "CELERY_QUEUE": f"amend-bench-{uuid.uuid4().hex[:8]}"}
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "portal", "worker", "--concurrency", "2",
            "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ],
        cwd=ROOT, env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        out = subprocess.run(
            [sys.executable, "-m", "tests.bench.click_to_effect", "--measure", str(count)],
            cwd=ROOT, env=run_env, capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        os.killpg(worker.pid, 9)
        worker.wait(timeout=30)
    line = next((x for x in out.stdout.splitlines() if x.startswith(("RESULT", "FAILED"))), "")
    if not line.startswith("RESULT"):
        print(f"{name:<11} {line or out.stderr.strip()[-400:]}")
        return None
    effect_part, post_part = line[len("RESULT ") :].split("|")
    latencies = [float(v) for v in effect_part.split()]
    posts = [float(v) for v in post_part.split()]
    p95 = sorted(latencies)[round(0.95 * (len(latencies) - 1))]
    print(
        f"{name:<11} click to effect: {_percentiles(latencies)} (mean {statistics.mean(latencies) * 1000:.0f} ms)"  # noqa: E501
    )
    print(f"{'':<11} the POST alone:  {_percentiles(posts)}; the rest is the broker and the worker")
    return p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure(args.measure)
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL must point at PostgreSQL (make bench starts one).")
    database_url = _bench_database_url(os.environ["DATABASE_URL"], suffix="_clickbench")
    _recreate_database(database_url)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_FILESYSTEM_BROKER_DIR": tempfile.mkdtemp(prefix="amend-click-bench-"),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "testserver",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    env.pop("CELERY_BROKER_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    print(f"machine: {os.cpu_count()} cores; {args.requests} auto-approved cancels in turn, built-in store")
    goals = {}
    goals["filesystem"] = (_run("filesystem", "filesystem://localhost//", env, args.requests), 1.0)
    redis_url = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
    if redis_url.startswith("redis") and _redis_answers(redis_url):
        goals["redis"] = (_run("redis", redis_url, env, args.requests), 0.3)
    ok = True
    for name, (p95, goal) in goals.items():
        met = p95 is not None and p95 < goal
        ok = ok and met
        print(f"{name:<11} goal p95 < {goal * 1000:.0f} ms: {'met' if met else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
