"""How fast a worker drains its queue: the default filesystem broker beside Redis, in one run.

    python -m tests.bench.broker_drain                       (or: make bench)
    python -m tests.bench.broker_drain --tasks 2000

Needs DATABASE_URL (PostgreSQL; `make bench` starts the embedded one when unset). It makes a throwaway
database beside the one named and, for each broker (the filesystem broker `make demo` uses with no
CELERY_BROKER_URL, and Redis at CELERY_BROKER_URL or 127.0.0.1:6379 when one answers), starts the worker
`make demo` starts (prefork, concurrency 2), waits for it to run one task, then sends `--tasks`
`portal.mark_heartbeat` tasks (one row update each) and times until every one has run. It prints tasks/s
for each broker and their ratio. Bounded: each broker gets at most 300 s.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import uuid

from tests.bench.bulk_cancel import ROOT, _bench_database_url
from tests.bench.webhook_throughput import _recreate_database

TIME_LIMIT = 300.0


def _redis_answers(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1).close()
    except OSError:
        return False
    return True


def _measure(name: str, broker: str, env: dict[str, str], tasks: int) -> float | None:
    run_env = {**env, "CELERY_BROKER_URL": broker, "CELERY_QUEUE": f"amend-bench-{uuid.uuid4().hex[:8]}"}
    code = f"""
import os, sys, time, uuid
import django
django.setup()
from portal.celery import app
from portal.models import TaskHeartbeat
from portal.tasks import mark_heartbeat_task
first = TaskHeartbeat.objects.create(token=uuid.uuid4().hex)
mark_heartbeat_task.delay(first.pk)
deadline = time.monotonic() + 60
while not TaskHeartbeat.objects.filter(pk=first.pk, ran_at__isnull=False).exists():
    if time.monotonic() > deadline:
        sys.exit("the worker never ran the first task")
    time.sleep(0.05)
beats = TaskHeartbeat.objects.bulk_create([TaskHeartbeat(token=uuid.uuid4().hex) for _ in range({tasks})])
ids = [b.pk for b in beats]
started = time.monotonic()
for pk in ids:
    mark_heartbeat_task.delay(pk)
sent = time.monotonic() - started
deadline = started + {TIME_LIMIT}
while TaskHeartbeat.objects.filter(pk__in=ids, ran_at__isnull=True).exists():
    if time.monotonic() > deadline:
        print("TIMEOUT", TaskHeartbeat.objects.filter(pk__in=ids, ran_at__isnull=False).count())
        sys.exit(0)
    time.sleep(0.05)
print("DONE", time.monotonic() - started, sent)
"""
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=run_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=run_env, capture_output=True, text=True, check=False
        )
    finally:
        os.killpg(worker.pid, 9)
        worker.wait(timeout=30)
    line = (out.stdout.strip().splitlines() or [""])[-1]
    if line.startswith("DONE"):
        _, elapsed, sent = line.split()
        rate = tasks / float(elapsed)
        print(
            f"{name:<11} {tasks:,} tasks in {float(elapsed):.1f}s (sent in {float(sent):.1f}s): "
            f"{rate:,.0f} tasks/s"
        )
        return rate
    print(f"{name:<11} did not finish: {line or out.stderr.strip()[-300:]}")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL must point at PostgreSQL (make bench starts one).")
    database_url = _bench_database_url(os.environ["DATABASE_URL"], suffix="_brokerbench")
    _recreate_database(database_url)
    data = tempfile.mkdtemp(prefix="amend-broker-bench-")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_FILESYSTEM_BROKER_DIR": data,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    env.pop("CELERY_BROKER_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    print(f"machine: {os.cpu_count()} cores; worker: prefork, concurrency 2 (as make demo)")
    filesystem = _measure("filesystem", "filesystem://localhost//", env, args.tasks)
    redis_url = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
    redis = (
        _measure("redis", redis_url, env, args.tasks)
        if redis_url.startswith("redis") and _redis_answers(redis_url)
        else None
    )
    if filesystem and redis:
        print(f"filesystem / redis: {filesystem / redis:.2f}")
    return 0 if filesystem and filesystem >= 100 else 1


if __name__ == "__main__":
    sys.exit(main())
