"""A cancellation on Shopify: the asynchronous cancel job is polled until it completes, once."""

from __future__ import annotations

import pytest

from cancellations.models import Order, RequestEvent
from cancellations.orders.services import sync_order_from_platform
from cancellations.requests.actors import Actor
from cancellations.requests.execution import (
    COMPLETED,
    PENDING,
    RETRYING,
    SKIPPED,
    execute_request,
    poll_platform_job,
)
from cancellations.requests.submission import submit_request

pytestmark = pytest.mark.django_db


def _mirrored_order(fake, store):
    remote = fake.add_order(store.platform_domain)
    sync_order_from_platform(store=store, order_platform_id=remote["id"])
    return Order.objects.for_store(store).get(platform_id=remote["id"])


def _cancel(store, order):
    return submit_request(
        store=store, order=order, actor=Actor.customer(order.email), kind="cancel", idempotency_key="shop-1"
    )


def test_the_cancel_job_is_polled_to_completion_and_shopify_is_asked_once(fake_shopify, shopify_store):
    fake_shopify.job_ticks = 2
    order = _mirrored_order(fake_shopify, shopify_store)
    request = _cancel(shopify_store, order)
    assert request.status == "auto_approved"

    assert execute_request(store=shopify_store, request_id=request.pk) == PENDING
    request.refresh_from_db()
    assert request.status == "executing" and request.platform_job_id.startswith("gid://shopify/Job/")
    # a duplicated execution while the job runs looks at the job instead of cancelling again
    assert execute_request(store=shopify_store, request_id=request.pk) == PENDING
    outcomes = [poll_platform_job(store=shopify_store, request_id=request.pk)]
    while outcomes[-1] == PENDING and len(outcomes) < 5:
        outcomes.append(poll_platform_job(store=shopify_store, request_id=request.pk))

    assert outcomes[0] == PENDING and outcomes[-1] == COMPLETED  # the job took two looks
    assert poll_platform_job(store=shopify_store, request_id=request.pk) == SKIPPED
    request.refresh_from_db()
    order.refresh_from_db()
    assert request.status == "completed" and order.is_cancelled
    shop = fake_shopify.shops[shopify_store.platform_domain]
    assert shop.calls.count("AmendOrderCancel") == 1
    assert (
        RequestEvent.objects.for_store(shopify_store).filter(request=request, action="completed").count() == 1
    )


def test_shopify_down_for_a_while_is_retried_and_the_cancel_happens_once(
    fake_shopify, shopify_store, settings
):
    settings.SHOPIFY_HTTP_TIMEOUT = 2
    order = _mirrored_order(fake_shopify, shopify_store)
    request = _cancel(shopify_store, order)
    fake_shopify.fail_next(shopify_store.platform_domain, *([503] * 6))

    outcomes = []
    for _ in range(6):
        outcome = execute_request(store=shopify_store, request_id=request.pk)
        outcomes.append(outcome)
        if outcome != RETRYING:
            break
    while outcomes[-1] == PENDING:
        outcomes.append(poll_platform_job(store=shopify_store, request_id=request.pk))

    assert RETRYING in outcomes and outcomes[-1] == COMPLETED
    assert fake_shopify.shops[shopify_store.platform_domain].calls.count("AmendOrderCancel") == 1


def test_an_answer_lost_on_the_way_back_does_not_cancel_twice(fake_shopify, shopify_store):
    order = _mirrored_order(fake_shopify, shopify_store)
    request = _cancel(shopify_store, order)
    fake_shopify.lose_next_answer(shopify_store.platform_domain)

    first = execute_request(store=shopify_store, request_id=request.pk)
    second = execute_request(store=shopify_store, request_id=request.pk)

    assert (first, second) == (RETRYING, COMPLETED)
    request.refresh_from_db()
    assert request.status == "completed" and request.result["replayed"] is True
    assert fake_shopify.shops[shopify_store.platform_domain].calls.count("AmendOrderCancel") == 1


def test_a_cancel_shopify_carried_out_is_not_reported_failed_when_its_answer_is_lost(
    fake_shopify, shopify_store, settings
):
    settings.REQUEST_MAX_ATTEMPTS = 1
    order = _mirrored_order(fake_shopify, shopify_store)
    request = _cancel(shopify_store, order)
    shop = fake_shopify.shops[shopify_store.platform_domain]
    shop.calls.clear()
    fake_shopify.lose_next_answer(shopify_store.platform_domain)

    # The last attempt allowed lost its answer: one status read finds the order cancelled.
    assert execute_request(store=shopify_store, request_id=request.pk) == COMPLETED

    request.refresh_from_db()
    order.refresh_from_db()
    assert request.status == "completed" and order.is_cancelled
    assert shop.calls.count("AmendOrderCancel") == 1
    assert shop.calls.count("AmendFetchOrder") == 0  # not the whole order: the cheap status read
    assert shop.calls.count("AmendBulkCancelStatus") == 1


def test_a_cancel_shopify_refused_is_still_reported_failed(fake_shopify, shopify_store, settings):
    settings.REQUEST_MAX_ATTEMPTS = 1
    order = _mirrored_order(fake_shopify, shopify_store)
    request = _cancel(shopify_store, order)
    fake_shopify.order(shopify_store.platform_domain, order.platform_id)["displayFulfillmentStatus"] = (
        "FULFILLED"
    )

    execute_request(store=shopify_store, request_id=request.pk)

    request.refresh_from_db()
    order.refresh_from_db()
    assert request.status == "failed" and not order.is_cancelled


def test_a_new_cancel_job_is_looked_at_soon_then_less_often_as_it_runs(
    fake_shopify, shopify_store, settings, monkeypatch
):
    from datetime import timedelta

    from cancellations.models import OrderRequest
    from cancellations.requests import execution

    settings.REQUEST_JOB_FIRST_POLL_MS = 300
    settings.REQUEST_JOB_POLL_SECONDS = 5
    polls: list[float] = []
    monkeypatch.setattr(execution, "enqueue_poll", lambda **kw: polls.append(kw["countdown"]))
    fake_shopify.job_ticks = 4
    request = _cancel(shopify_store, _mirrored_order(fake_shopify, shopify_store))
    running = OrderRequest.objects.for_store(shopify_store).filter(pk=request.pk)

    assert execute_request(store=shopify_store, request_id=request.pk) == PENDING
    for age in (2, 60):  # the job has run for this long at the next look
        started = running.get().executed_at
        running.update(executed_at=started - timedelta(seconds=age))
        assert poll_platform_job(store=shopify_store, request_id=request.pk) == PENDING

    # Soon at first (the customer's page sees a quick cancel within a second), then as long as the
    # job has run, up to the poll interval.
    assert 0.3 <= polls[0] < 1.0  # 0.3, unless the cancel itself took longer
    assert 2.0 <= polls[1] < 2.5
    assert polls[2] == 5.0
