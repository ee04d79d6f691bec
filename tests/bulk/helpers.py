"""Builders for the bulk cancellation tests: staff actors, orders in a store, a job started by staff."""

from __future__ import annotations

import itertools
from typing import Any

from cancellations.bulk.drain import drain_bulk_job
from cancellations.bulk.selectors import OrderFilters
from cancellations.bulk.services import start_bulk_cancel
from cancellations.models import BulkCancelJob, Order
from cancellations.requests.actors import Actor
from tenants.access import staff_access
from tenants.models import Store
from tenants.roles import Role
from tests.factories import make_member, make_order

_keys = itertools.count(1)


def staff(store: Store, role: str = Role.AGENT) -> Actor:
    user = make_member(store, role)
    access = staff_access(user=user, store=store)
    assert access is not None
    return Actor.staff(access)


def orders(store: Store, count: int, **fields: Any) -> list[Order]:
    return [make_order(store, **fields) for _ in range(count)]


def start(store: Store, actor: Actor, **kwargs: Any) -> BulkCancelJob:
    kwargs.setdefault("filters", None if "order_numbers" in kwargs else OrderFilters())
    return start_bulk_cancel(store=store, actor=actor, start_key=f"key-{next(_keys)}", **kwargs)


def drain_to_end(store: Store, job: BulkCancelJob, *, runs: int = 50) -> list[str]:
    """Run the drain (as the task would) until the job is done or paused; the outcomes of each run."""
    outcomes = []
    for _ in range(runs):
        outcome = drain_bulk_job(store=store, job_id=job.pk, sleep=lambda seconds: None)
        outcomes.append(outcome)
        if outcome in ("done", "paused"):
            break
    job.refresh_from_db()
    return outcomes
