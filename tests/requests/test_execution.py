"""Execution on the platform: exactly once under retries, transient and permanent errors, staff retry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.models import Notification, Order, OrderRequest, PlatformEffect, Refund, RequestEvent
from cancellations.orders.describe import reorder_outcome
from cancellations.requests.execution import (
    COMPLETED,
    FAILED,
    RETRYING,
    SKIPPED,
    backoff_seconds,
    execute_request,
    sweep_stuck_requests,
)
from cancellations.requests.services import approve_request, retry_request
from cancellations.requests.tasks import execute_request_task, poll_platform_job_task
from tests.factories import make_order
from tests.requests.helpers import pending_request, scripted, staff_actor

pytestmark = pytest.mark.django_db


def _approved(store):
    request = pending_request(store)
    approve_request(store=store, request_id=request.pk, actor=staff_actor(store))
    request.refresh_from_db()
    assert request.status == "approved"
    return request


def _effects(store, request):
    return PlatformEffect.objects.for_store(store).filter(idempotency_key=request.platform_key).count()


def test_executing_twice_carries_the_effect_out_once(store_a, settings):
    request = _approved(store_a)

    with scripted(settings) as platform:
        assert execute_request(store=store_a, request_id=request.pk) == COMPLETED
        assert execute_request(store=store_a, request_id=request.pk) == SKIPPED

    request.refresh_from_db()
    assert request.status == "completed" and request.completed_at and request.attempts == 1
    assert platform.calls == ["cancel:ok"]
    assert _effects(store_a, request) == 1
    assert Refund.objects.for_store(store_a).filter(order=request.order).count() == 1


def test_a_transient_error_retries_later_with_backoff_and_then_completes(store_a, settings):
    request = _approved(store_a)

    with scripted(settings, "transient", "transient") as platform:
        assert execute_request(store=store_a, request_id=request.pk) == RETRYING
        request.refresh_from_db()
        assert request.status == "executing" and request.next_attempt_at > timezone.now() - timedelta(
            seconds=1
        )
        assert "503" in request.last_error
        assert execute_request(store=store_a, request_id=request.pk) == RETRYING
        assert execute_request(store=store_a, request_id=request.pk) == COMPLETED

    request.refresh_from_db()
    assert request.status == "completed" and request.attempts == 3 and request.last_error == ""
    assert platform.calls == ["cancel:transient", "cancel:transient", "cancel:ok"]
    retries = RequestEvent.objects.for_store(store_a).filter(request=request, action="attempt_failed")
    assert [e.data["code"] for e in retries] == ["platform_unavailable", "platform_unavailable"]


def test_an_answer_lost_after_the_effect_is_not_applied_again(store_a, settings):
    request = _approved(store_a)

    with scripted(settings, "lost") as platform:
        assert execute_request(store=store_a, request_id=request.pk) == RETRYING
        assert execute_request(store=store_a, request_id=request.pk) == COMPLETED

    assert platform.calls == ["cancel:lost", "cancel:ok"]
    request.refresh_from_db()
    assert request.result["replayed"] is True
    assert _effects(store_a, request) == 1
    assert Refund.objects.for_store(store_a).filter(order=request.order).count() == 1


def test_a_permanent_error_fails_the_request_with_a_message_for_staff(store_a, settings):
    request = _approved(store_a)

    with scripted(settings, "permanent"):
        assert execute_request(store=store_a, request_id=request.pk) == FAILED

    request.refresh_from_db()
    assert request.status == "failed"
    assert (request.last_error, request.last_error_code) == (
        "The platform refused: order is locked.",
        "order_locked",
    )
    assert request.next_attempt_at is None
    event = RequestEvent.objects.for_store(store_a).get(request=request, action="failed")
    assert event.data["code"] == "order_locked"
    templates = set(
        Notification.objects.for_store(store_a).filter(request=request).values_list("template", flat=True)
    )
    assert {"failed", "staff_failed"} <= templates


def test_too_many_transient_errors_fail_the_request(store_a, settings):
    settings.REQUEST_MAX_ATTEMPTS = 3
    request = _approved(store_a)

    with scripted(settings, "transient", "transient", "transient"):
        outcomes = [execute_request(store=store_a, request_id=request.pk) for _ in range(3)]

    assert outcomes == [RETRYING, RETRYING, FAILED]
    request.refresh_from_db()
    assert request.status == "failed" and "after 3 attempts" in request.last_error


def test_another_worker_holding_the_request_does_not_use_up_its_attempts(store_a, settings):
    settings.REQUEST_MAX_ATTEMPTS = 2
    request = _approved(store_a)

    with scripted(settings, "held", "held", "held") as platform:
        outcomes = [execute_request(store=store_a, request_id=request.pk) for _ in range(4)]

    assert outcomes == [RETRYING, RETRYING, RETRYING, COMPLETED]
    assert platform.calls == ["cancel:held", "cancel:held", "cancel:held", "cancel:ok"]
    request.refresh_from_db()
    assert request.status == "completed" and request.attempts == 1 and request.last_error == ""


def test_staff_retry_a_failed_request_and_it_completes_once(
    store_a, settings, django_capture_on_commit_callbacks
):
    request = _approved(store_a)
    with scripted(settings, "permanent"):
        execute_request(store=store_a, request_id=request.pk)

    with scripted(settings) as platform, django_capture_on_commit_callbacks(execute=True):
        retry_request(store=store_a, request_id=request.pk, actor=staff_actor(store_a))

    request.refresh_from_db()
    assert request.status == "completed" and platform.calls == ["cancel:ok"]
    actions = list(
        RequestEvent.objects.for_store(store_a).filter(request=request).values_list("action", flat=True)
    )
    assert actions[-4:] == ["execution_started", "failed", "retried", "completed"]
    assert _effects(store_a, request) == 1


def test_backoff_grows_exponentially_with_jitter_and_honours_retry_after(settings):
    settings.REQUEST_RETRY_BASE_SECONDS = 2
    settings.REQUEST_RETRY_MAX_SECONDS = 60

    first = [backoff_seconds(1) for _ in range(50)]
    fourth = [backoff_seconds(4) for _ in range(50)]

    assert all(1 <= d <= 2 for d in first) and all(8 <= d <= 16 for d in fourth)
    assert len(set(fourth)) > 1
    assert all(d <= 60 for d in (backoff_seconds(20) for _ in range(20)))
    assert backoff_seconds(1, retry_after=30) == 30


def test_the_sweep_sends_overdue_approved_work_again_and_leases_it(store_a, settings):
    request = _approved(store_a)  # its task was never sent: the broker did not hear of it
    later = timezone.now() + timedelta(
        seconds=settings.REQUEST_EXECUTION_LEASE_SECONDS + settings.REQUEST_SWEEP_GRACE_SECONDS + 1
    )

    with scripted(settings) as platform:
        assert sweep_stuck_requests(now=timezone.now()) == 0  # not overdue yet
        assert sweep_stuck_requests(now=later) == 1

    request.refresh_from_db()
    assert request.status == "completed" and platform.calls == ["cancel:ok"]


def test_the_sweep_resumes_a_request_whose_worker_died_mid_call(store_a, settings):
    request = _approved(store_a)
    # the worker claimed it and died: executing, with a lease that has run out
    OrderRequest.objects.for_store(store_a).filter(pk=request.pk).update(
        status="executing", attempts=1, next_attempt_at=timezone.now() - timedelta(minutes=10)
    )

    with scripted(settings):
        assert sweep_stuck_requests() == 1
        assert sweep_stuck_requests() == 0

    request.refresh_from_db()
    assert request.status == "completed" and request.attempts == 2


def test_a_duplicated_task_delivery_does_nothing_more(store_a, settings):
    request = _approved(store_a)

    with scripted(settings) as platform:
        results = [execute_request_task.delay(store_a.pk, request.pk).get() for _ in range(3)]

    assert results == [COMPLETED, SKIPPED, SKIPPED]
    assert platform.calls == ["cancel:ok"]
    assert RequestEvent.objects.for_store(store_a).filter(request=request, action="completed").count() == 1


def test_tasks_given_another_stores_request_do_nothing(store_a, store_b, settings):
    theirs = _approved(store_b)

    with scripted(settings) as platform:
        assert execute_request_task.delay(store_a.pk, theirs.pk).get() == SKIPPED
        assert poll_platform_job_task.delay(store_a.pk, theirs.pk).get() == SKIPPED
        assert execute_request_task.delay(999_999, theirs.pk).get() == SKIPPED

    theirs.refresh_from_db()
    assert theirs.status == "approved" and platform.calls == []


def test_an_edit_and_a_reorder_are_carried_out_on_the_builtin_store(store_a, settings):
    from cancellations.requests.actors import Actor
    from cancellations.requests.submission import submit_request
    from tests.factories import make_product

    product = make_product(store_a)
    variant = product.variants.first()
    order = make_order(store_a)
    line = order.line_items.first()
    line.variant_id = variant.platform_id
    line.save(update_fields=["variant_id"])

    with scripted(settings):
        edit = submit_request(
            store=store_a,
            order=order,
            actor=Actor.customer(order.email),
            kind="edit",
            idempotency_key="edit-1",
            changes=[
                {
                    "kind": "address",
                    "address": {"address1": "Ny gata 3", "city": "Lund", "country_code": "SE"},
                }
            ],
        )
        execute_request(store=store_a, request_id=edit.pk)
        reorder = submit_request(
            store=store_a,
            order=order,
            actor=Actor.customer(order.email),
            kind="reorder",
            idempotency_key="re-1",
        )
        execute_request(store=store_a, request_id=reorder.pk)

    edit.refresh_from_db()
    reorder.refresh_from_db()
    order.refresh_from_db()
    assert edit.status == "completed" and order.shipping_address["address1"] == "Ny gata 3"
    assert reorder.status == "completed"
    new_order = Order.objects.for_store(store_a).get(platform_id=reorder.result["platform_id"])
    assert new_order.email == order.email and "reorder" in new_order.tags
    # The customer is told the new order by the name they will see, and how to pay for it.
    assert reorder_outcome(reorder) == (
        f"New order: {new_order.name}. The store will send the way to pay for it."
    )
