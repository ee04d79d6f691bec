"""A real Celery worker process for tests, on the broker from settings and the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """A worker process on a queue of its own that a test can start, kill (SIGKILL) and start again.

    Inside `with Worker(...)`, tasks sent from the test go to the worker's queue through the broker.
    `env` adds to the worker's environment (e.g. DJANGO_SETTINGS_MODULE, CELERY_VISIBILITY_TIMEOUT).
    """

    def __init__(self, *, concurrency: int = 1, env: dict[str, str] | None = None) -> None:
        self.concurrency = concurrency
        self.queue = f"amend-test-{uuid.uuid4().hex[:10]}"
        self.env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_QUEUE": self.queue,
            "DATABASE_CONN_MAX_AGE": "0",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0
        self._log: IO[bytes] | None = None
        self._previous: tuple[object, object] | None = None

    def __enter__(self) -> Worker:
        # Settings came from Django under the CELERY_ namespace, so the namespaced key is the one to change.
        self._previous = celery_app.conf.CELERY_TASK_DEFAULT_QUEUE, celery_app.conf.task_always_eager
        celery_app.conf.CELERY_TASK_DEFAULT_QUEUE = self.queue
        celery_app.conf.task_always_eager = False
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
            self.purge()
        finally:
            assert self._previous is not None
            celery_app.conf.CELERY_TASK_DEFAULT_QUEUE, celery_app.conf.task_always_eager = self._previous

    def start(self) -> subprocess.Popen[bytes]:
        log_dir = ROOT / ".data" / "test-logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = open(log_dir / f"worker-{self.queue}.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
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
                str(self.concurrency),
                "-Q",
                self.queue,
            ],
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # A session of its own, so kill() can take the pool's children down with the main process.
            start_new_session=True,
        )
        self.starts += 1
        return self.process

    def kill(self) -> None:
        """SIGKILL the worker and its pool at once, as a crash or an OOM kill would."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)
        self.kills += 1

    def purge(self) -> None:
        """Drop what is left on the queue, so a shared broker does not collect finished tests' tasks."""
        with celery_app.connection_for_write() as connection:
            connection.default_channel.queue_purge(self.queue)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
        if self._log is not None:
            self._log.close()
            self._log = None


@contextmanager
def running_worker(
    *, concurrency: int = 1, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a worker on a queue of its own (so a shared broker never mixes test runs); stop it after."""
    with Worker(concurrency=concurrency, env=env) as worker:
        yield worker.start()


def wait_until(predicate, *, timeout: float = 30.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
