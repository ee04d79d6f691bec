"""Handing work to the workers: by task name, after the transaction commits, in one place (STYLE #15).

Domain code never imports a `tasks` module (workers import the domain, not the reverse). It names the
task (`"requests.execute_request"`) and this helper finds it in the Celery app's registry. Every
piece of work Amend enqueues is also recorded in the database (a request's `next_attempt_at`, a
stored webhook, a notification row, a bulk job), so when the broker cannot be reached the send is
logged and dropped here: the sweep that owns that row sends it again once the broker is back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def _registered(name: str) -> Any:
    tasks = current_app.tasks
    if name not in tasks:
        # Task modules are discovered lazily (a web process has not imported them yet).
        current_app.loader.import_default_modules()
    if name not in tasks:
        # A typo in a task name is a bug, not an outage: let it fail loudly.
        raise LookupError(f"no task named {name!r} is registered")
    return tasks[name]


def send_task(name: str, args: Sequence[Any] = (), *, countdown: float | None = None) -> bool:
    """Send the named task now; False (and a warning) when the broker cannot take it."""
    task = _registered(name)
    try:
        task.apply_async(tuple(args), countdown=countdown)
    except Exception:
        logger.warning("could not enqueue %s%s; its sweep will send it", name, tuple(args), exc_info=True)
        return False
    return True


def enqueue(
    name: str,
    args: Sequence[Any] = (),
    *,
    countdown: float | None = None,
    on_failure: Callable[[], None] | None = None,
) -> None:
    """Send the named task once the current transaction commits (at once outside a transaction).

    `on_failure` runs when the broker refused the task (to release a lease taken for it, say).
    """
    frozen = tuple(args)

    def send() -> None:
        if not send_task(name, frozen, countdown=countdown) and on_failure is not None:
            on_failure()

    transaction.on_commit(send)
