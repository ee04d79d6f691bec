"""A real Celery worker process for tests, on the broker from settings and the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def running_worker(*, concurrency: int = 1) -> Iterator[subprocess.Popen[bytes]]:
    """Start a worker on a queue of its own (so a shared broker never mixes test runs); stop it after."""
    queue = f"amend-test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": queue,
        "DATABASE_CONN_MAX_AGE": "0",
    }
    log_dir = ROOT / ".data" / "test-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / f"worker-{queue}.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--concurrency",
            str(concurrency),
            "-Q",
            queue,
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # Settings came from Django under the CELERY_ namespace, so the namespaced key is the one to change.
    previous = celery_app.conf.CELERY_TASK_DEFAULT_QUEUE, celery_app.conf.task_always_eager
    celery_app.conf.CELERY_TASK_DEFAULT_QUEUE = queue
    celery_app.conf.task_always_eager = False
    try:
        yield process
    finally:
        celery_app.conf.CELERY_TASK_DEFAULT_QUEUE, celery_app.conf.task_always_eager = previous
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_until(predicate, *, timeout: float = 30.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
