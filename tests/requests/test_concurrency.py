"""Races: many staff deciding one request at once, and double submits from two tabs."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from cancellations.models import OrderRequest, RequestEvent
from cancellations.requests.actors import Actor
from cancellations.requests.errors import AlreadyDecided, RequestAlreadyOpen
from cancellations.requests.services import approve_request, reject_request
from cancellations.requests.submission import submit_request
from tests.factories import make_order
from tests.requests.helpers import key, pending_request, review_everything, staff_actor

pytestmark = pytest.mark.django_db(transaction=True)


def _race(workers: list[Callable[[], Any]]) -> list[Any]:
    """Run every worker in its own thread, released together; return each result or exception."""
    barrier = threading.Barrier(len(workers))
    results: list[Any] = [None] * len(workers)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = workers[index]()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_staff_approving_and_rejecting_at_once_make_one_decision_and_one_event(store_a):
    request = pending_request(store_a)
    staff = [staff_actor(store_a) for _ in range(20)]

    def decide(index: int) -> Callable[[], Any]:
        if index % 2:
            return lambda: reject_request(
                store=store_a, request_id=request.pk, actor=staff[index], message="No."
            )
        return lambda: approve_request(store=store_a, request_id=request.pk, actor=staff[index])

    # Execution is not what this test is about: approved requests stay queued.
    with _no_execution():
        results = _race([decide(i) for i in range(20)])

    winners = [r for r in results if isinstance(r, OrderRequest)]
    losers = [r for r in results if isinstance(r, AlreadyDecided)]
    assert len(winners) == 1 and len(losers) == 19, Counter(type(r).__name__ for r in results)
    decisions = RequestEvent.objects.for_store(store_a).filter(
        request=request, action__in=["approved", "rejected"]
    )
    assert decisions.count() == 1
    request.refresh_from_db()
    assert request.resolution == decisions.get().action
    assert {loser.decided_by for loser in losers} == {request.decided_by_label}


def test_two_concurrent_submits_for_one_order_and_action_make_one_request(store_a):
    review_everything(store_a)
    order = make_order(store_a)

    def submit() -> Any:
        return submit_request(
            store=store_a,
            order=order,
            actor=Actor.customer(order.email),
            kind="cancel",
            idempotency_key=key(),
        )

    results = _race([submit for _ in range(8)])

    created = [r for r in results if isinstance(r, OrderRequest)]
    refused = [r for r in results if isinstance(r, RequestAlreadyOpen)]
    assert len(created) == 1 and len(refused) == 7, results
    assert {error.request.pk for error in refused} == {created[0].pk}
    assert OrderRequest.objects.for_store(store_a).count() == 1


def test_a_double_click_with_one_key_makes_one_request(store_a):
    review_everything(store_a)
    order = make_order(store_a)
    same = key()

    def submit() -> Any:
        return submit_request(
            store=store_a, order=order, actor=Actor.customer(order.email), kind="cancel", idempotency_key=same
        )

    results = _race([submit for _ in range(8)])

    assert all(isinstance(r, OrderRequest) for r in results), results
    assert {r.pk for r in results} == {results[0].pk}
    assert RequestEvent.objects.for_store(store_a).filter(action="submitted").count() == 1


class _no_execution:
    """Swallow the execution tasks approvals enqueue (the broker is not part of this test)."""

    def __enter__(self) -> None:
        from cancellations.requests import execution

        self._enqueue = execution.enqueue
        execution.enqueue = lambda *args, **kwargs: None

    def __exit__(self, *exc: object) -> None:
        from cancellations.requests import execution

        execution.enqueue = self._enqueue


def test_two_callers_at_once_make_one_auto_approved_cancel(store_a):
    order = make_order(store_a)  # the default policy approves a cancel of a new order at once

    def submit() -> Any:
        return submit_request(
            store=store_a,
            order=order,
            actor=Actor.customer(order.email),
            kind="cancel",
            idempotency_key=key(),
        )

    with _no_execution():  # the request stays auto-approved, queued for a worker
        results = _race([submit for _ in range(8)])

    created = [r for r in results if isinstance(r, OrderRequest)]
    refused = [r for r in results if isinstance(r, RequestAlreadyOpen)]
    assert len(created) == 1 and len(refused) == 7, results
    assert created[0].status == "auto_approved"
    assert OrderRequest.objects.for_store(store_a).filter(order=order).count() == 1
