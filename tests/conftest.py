"""Fixtures shared by every test."""

from __future__ import annotations

import pytest

from portal.celery import app as celery_app


@pytest.fixture(autouse=True, scope="session")
def _celery_runs_tasks_inline():
    """Unit tests run tasks in-process; tests marked `worker` use a real worker instead."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False
