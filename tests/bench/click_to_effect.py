"""From a customer's click to the effect on the platform: an auto-approved cancel, on each broker.

    python -m tests.bench.click_to_effect                    (or: make bench)
    python -m tests.bench.click_to_effect --requests 300 --shopify-requests 100 --shopify-latency 0.2

Needs DATABASE_URL (PostgreSQL; `make bench` starts the embedded one when unset). It makes a throwaway
database beside the one named and, for each broker (the filesystem broker `make demo` uses, and Redis at
CELERY_BROKER_URL or 127.0.0.1:6379 when one answers), starts the worker `make demo` starts (prefork,
concurrency 2) and has a signed-in customer of a built-in store cancel `--requests` orders one after
another under the default policy (auto-approved), each through the real confirm POST (Django's test
client in this process, the production middleware). For each it takes the time from the POST to the
moment the worker recorded the cancel in the effect ledger (`PlatformEffect.completed_at`), and the
POST's own time, and prints p50/p95/p99 of both. Bounded: each request gets at most 10 s.

Then the same for a Shopify-connected store on the project's fake Shopify (in this process, over
loopback), every Admin API answer delayed by `--shopify-latency` seconds (default 0.15: Shopify
publishes no latency figure; this stands for the round trip and Shopify's own work). There the worker
sends `orderCancel`, Shopify answers with a job, the worker looks at the job `REQUEST_JOB_FIRST_POLL_MS`
later (the fake finishes a job at its first look) and records the effect when the job is done.
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
from collections import Counter

from tests.bench.broker_drain import _redis_answers
from tests.bench.bulk_cancel import API_KEY, API_SECRET, ROOT, Run, _bench_database_url, _fake_shopify, _store
from tests.bench.webhook_throughput import _recreate_database

PER_REQUEST_LIMIT = 10.0


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)

    def at(p: float) -> float:
        return ordered[min(round(p * (len(ordered) - 1)), len(ordered) - 1)] * 1000

    return f"p50 {at(0.5):.0f} ms, p95 {at(0.95):.0f} ms, p99 {at(0.99):.0f} ms"


def measure(count: int, store_slug: str | None) -> int:
    """In a child process with the broker's environment: the requests, timed; prints one result line.

    Built-in: a new store and orders. Shopify (`store_slug`): the store and orders the parent put on
    the fake Shopify and mirrored, each cancelled by its customer.
    """
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.test import Client
    from django.utils import timezone

    from cancellations.models import Order, PlatformEffect
    from tenants.models import Store, User
    from tests.factories import make_order, make_store

    store = Store.objects.get(slug=store_slug) if store_slug else make_store(f"bench-{uuid.uuid4().hex[:6]}")
    mirrored = list(Order.objects.for_store(store).order_by("pk")) if store_slug else []
    email = f"buyer-{uuid.uuid4().hex[:6]}@example.com"
    client = Client()
    signed_in = ""
    latencies: list[float] = []
    posts: list[float] = []
    for n in range(count + 5):  # the first five warm the worker and the caches
        order = (
            mirrored[n] if store_slug else make_order(store, email=email, lines=1, financial_status="paid")
        )
        if order.email != signed_in:
            user = User.objects.filter(email=order.email).first() or User.objects.create_user(
                order.email, None
            )
            EmailAddress.objects.get_or_create(
                user=user, email=order.email, defaults={"verified": True, "primary": True}
            )
            client.force_login(user)
            signed_in = order.email
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


def _run(
    name: str,
    broker: str,
    env: dict[str, str],
    count: int,
    store_slug: str = "",
    rest: str = "the broker and the worker",
) -> float | None:
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
            [sys.executable, "-m", "tests.bench.click_to_effect", "--measure", str(count),
             "--store", store_slug],
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
    print(f"{'':<11} the POST alone:  {_percentiles(posts)}; the rest is {rest}")
    return p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="cancels on the built-in store")
    parser.add_argument("--shopify-requests", type=int, default=100, help="cancels on the fake Shopify")
    parser.add_argument("--shopify-latency", type=float, default=0.15, help="seconds per Admin API answer")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--store", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure(args.measure, args.store or None)
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
    redis_url = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
    brokers = [("filesystem", "filesystem://localhost//")]
    if redis_url.startswith("redis") and _redis_answers(redis_url):
        brokers.append(("redis", redis_url))
    print(f"machine: {os.cpu_count()} cores; {args.requests} auto-approved cancels in turn, built-in store")
    goals = {}
    for name, broker in brokers:
        goals[name] = (_run(name, broker, env, args.requests), 1.0 if name == "filesystem" else 0.3)
    if args.shopify_requests:
        fake = _fake_shopify()
        fake.latency = args.shopify_latency
        env |= {
            "SHOPIFY_API_KEY": API_KEY,
            "SHOPIFY_API_SECRET": API_SECRET,
            "SHOPIFY_API_ORIGIN": fake.origin,
        }
        os.environ.update(env)
        import django

        django.setup()
        print(
            f"{args.shopify_requests} auto-approved cancels in turn, Shopify store on the fake Shopify, "
            f"{args.shopify_latency * 1000:.0f} ms per Admin API answer"
        )
        first_look = int(os.environ.get("REQUEST_JOB_FIRST_POLL_MS", "250"))
        shopify_rest = (
            f"the broker, the worker and Shopify: orderCancel, the job's first look {first_look} ms later, "
            "the job and the order read back, each answer taking the latency"
        )
        for name, broker in brokers:
            store, _access = _store(fake, Run("click", orders=args.shopify_requests + 5, restore_rate=100.0,
                                              maximum=1000.0))  # fmt: skip
            calls = len(fake.shops[store.platform_domain].calls)
            goals[f"shopify {name}"] = (
                _run(f"shopify {name}", broker, env, args.shopify_requests, store.slug, rest=shopify_rest),
                1.0,
            )
            shop = fake.shops[store.platform_domain]
            made = Counter(shop.calls[calls:])
            print(f"{'':<11} Shopify calls: {', '.join(f'{n} {c}' for c, n in sorted(made.items()))}")
    ok = True
    for name, (p95, goal) in goals.items():
        met = p95 is not None and p95 < goal
        ok = ok and met
        print(f"{name:<18} goal p95 < {goal * 1000:.0f} ms: {'met' if met else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
