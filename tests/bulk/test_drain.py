"""Draining a bulk cancellation: each order once through the request lifecycle, however the task runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from cancellations.bulk import drain as bulk_drain
from cancellations.bulk import items as bulk_items
from cancellations.bulk.drain import BUSY, DONE, MORE, PAUSED, _claim, drain_bulk_job, sweep_bulk_jobs
from cancellations.bulk.items import cancel_request, platform_key, request_key
from cancellations.bulk.services import cancel_bulk_job, pause_bulk_job, resume_bulk_job
from cancellations.models import (
    BulkCancelItem,
    BulkCancelJob,
    InventoryAdjustment,
    LineItem,
    Notification,
    Order,
    OrderRequest,
    PlatformEffect,
    Refund,
    RequestEvent,
    Variant,
)
from cancellations.platforms import get_adapter
from cancellations.platforms.base import request_fingerprint
from cancellations.requests.actors import Actor
from cancellations.requests.submission import submit_request
from tenants.models import Membership
from tenants.roles import Role
from tests.bulk.helpers import drain_to_end, orders, staff, start
from tests.factories import make_order, make_product
from tests.requests.helpers import scripted

pytestmark = pytest.mark.django_db


@contextmanager
def _slice_ends_after_one_batch() -> Iterator[Callable[[], float]]:
    """A clock for the drain that stands still until it has started one batch, then jumps past the slice."""
    started: list[int] = []
    real = bulk_drain.start_batch

    def start_batch(run, items):
        started.append(len(items))
        return real(run, items)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bulk_drain, "start_batch", start_batch)
        yield lambda: 10_000.0 if started else 0.0


def _effects(store) -> int:
    return PlatformEffect.objects.for_store(store).count()


def test_every_order_is_cancelled_once_through_the_request_lifecycle(store_a):
    made = orders(store_a, 12)
    actor = staff(store_a)
    job = start(store_a, actor)

    assert drain_to_end(store_a, job) == [DONE]

    assert (job.status, job.done_count, job.failed_count, job.skipped_count) == ("completed", 12, 0, 0)
    assert job.started_at and job.finished_at and not job.lease_token
    assert job.refunded_total == sum(order.total for order in made)
    assert Order.objects.for_store(store_a).filter(cancelled_at__isnull=False).count() == 12
    assert _effects(store_a) == 12
    assert Refund.objects.for_store(store_a).count() == 12
    requests = OrderRequest.objects.for_store(store_a)
    assert requests.count() == 12
    for order in made:
        request = requests.get(order=order)
        assert request.idempotency_key == request_key(job.pk, order.pk)
        assert (request.status, request.resolution, request.kind) == ("completed", "approved", "cancel")
        assert request.requested_by == actor.user and request.decided_by == actor.user
        assert request.next_attempt_at is None  # the generic sweep leaves it to the drain
        actions = list(
            RequestEvent.objects.for_store(store_a).filter(request=request).values_list("action", flat=True)
        )
        assert actions == ["submitted", "bulk_selected", "approved", "execution_started", "completed"]
    items = BulkCancelItem.objects.for_store(store_a).filter(job=job)
    assert {item.status for item in items} == {"done"}
    assert all(item.processed_at and item.request_id for item in items)
    # Staff chose to cancel: no customer emails are queued by Amend (the platform notifies if asked).
    assert not Notification.objects.for_store(store_a).exists()


def test_the_jobs_settings_reach_the_platform(store_a, django_capture_on_commit_callbacks):
    product = make_product(store_a, variants=1)
    variant = Variant.objects.for_store(store_a).get(product=product)
    restocked, kept = orders(store_a, 2, email="ann@example.com")
    for order in (restocked, kept):
        LineItem.objects.for_store(store_a).filter(order=order).update(variant_id=variant.platform_id)
    actor = staff(store_a)

    first = start(
        store_a,
        actor,
        order_numbers=[restocked.name],
        reason="fraud",
        refund_method="none",
        restock=True,
        notify_customer=True,
        staff_note="chargeback wave",
    )
    with django_capture_on_commit_callbacks(execute=True):
        drain_to_end(store_a, first)
    second = start(store_a, actor, order_numbers=[kept.name], restock=False, notify_customer=False)
    with django_capture_on_commit_callbacks(execute=True):
        drain_to_end(store_a, second)

    assert InventoryAdjustment.objects.for_store(store_a).filter(order=restocked).exists()
    assert not InventoryAdjustment.objects.for_store(store_a).filter(order=kept).exists()
    assert not Refund.objects.for_store(store_a).filter(order=restocked).exists()  # refund: none
    assert Refund.objects.for_store(store_a).filter(order=kept).exists()
    assert [message.to for message in mail.outbox] == [["ann@example.com"]]  # only the first asked
    restocked.refresh_from_db()
    assert restocked.cancel_reason == "fraud"
    effect = PlatformEffect.objects.for_store(store_a).get(
        idempotency_key=platform_key(first.pk, restocked.pk)
    )
    first.refresh_from_db()
    assert effect.fingerprint == request_fingerprint("cancel", cancel_request(first, restocked.platform_id))
    assert cancel_request(first, restocked.platform_id).staff_note == "chargeback wave"
    from cancellations.requests.selectors import execution_choice

    request = OrderRequest.objects.for_store(store_a).get(order=kept)
    assert (
        execution_choice(request, "restock") is False
        and execution_choice(request, "notify_customer") is False
    )


def test_a_task_delivered_twice_changes_nothing_the_second_time(store_a):
    orders(store_a, 4)
    job = start(store_a, staff(store_a))
    assert drain_bulk_job(store=store_a, job_id=job.pk) == DONE
    effects = _effects(store_a)

    assert drain_bulk_job(store=store_a, job_id=job.pk) == DONE

    assert _effects(store_a) == effects == 4
    assert OrderRequest.objects.for_store(store_a).count() == 4


def test_a_second_drain_finds_the_lease_taken_and_does_nothing(store_a):
    orders(store_a, 3)
    job = start(store_a, staff(store_a))
    outcome, token = _claim(store_a, job.pk, timezone.now())
    assert outcome == "claimed" and token

    assert drain_bulk_job(store=store_a, job_id=job.pk) == BUSY
    assert _effects(store_a) == 0 and not OrderRequest.objects.for_store(store_a).exists()


def test_one_job_per_store_drains_at_a_time_and_the_next_starts_when_it_ends(store_a, store_b):
    orders(store_a, 2)
    first = start(store_a, staff(store_a))
    outcome, _token = _claim(store_a, first.pk, timezone.now())
    assert outcome == "claimed"
    make_order(store_a, name="#late")
    second = start(store_a, staff(store_a), order_numbers=["#late"])
    # another store is not held up
    orders(store_b, 1)
    other = start(store_b, staff(store_b))

    assert drain_bulk_job(store=store_a, job_id=second.pk) == "waiting"
    assert drain_bulk_job(store=store_b, job_id=other.pk) == DONE


def test_work_left_by_a_killed_worker_is_finished_once(store_a):
    # given: a drain recorded the requests of two orders and had cancelled the first on the platform
    # when its worker died (the request still says executing)
    made = orders(store_a, 3)
    job = start(store_a, staff(store_a))
    with pytest.MonkeyPatch.context() as patch, _slice_ends_after_one_batch() as clock:
        patch.setattr(bulk_items, "_call", lambda run, work: None)
        drain_bulk_job(store=store_a, job_id=job.pk, clock=clock)
    requests = OrderRequest.objects.for_store(store_a)
    assert set(requests.values_list("status", flat=True)) == {"executing"}
    job.refresh_from_db()
    first = made[0]
    get_adapter(store_a).cancel(
        cancel_request(job, first.platform_id), idempotency_key=platform_key(job.pk, first.pk)
    )
    # and its lease ran out
    BulkCancelJob.objects.for_store(store_a).filter(pk=job.pk).update(
        lease_token="dead", lease_until=timezone.now() - timezone.timedelta(seconds=1)
    )

    assert drain_to_end(store_a, job)[-1] == DONE

    assert _effects(store_a) == 3 and Refund.objects.for_store(store_a).count() == 3
    assert requests.count() == 3 and set(requests.values_list("status", flat=True)) == {"completed"}
    assert requests.get(order=first).result["replayed"] is True


def test_orders_that_stopped_being_eligible_are_skipped_with_why(store_a):
    shipped, asked, fine = orders(store_a, 3)
    job = start(store_a, staff(store_a))
    Order.objects.for_store(store_a).filter(pk=shipped.pk).update(fulfillment_status="fulfilled")
    customer_request = submit_request(
        store=store_a, order=asked, actor=Actor.customer(asked.email), kind="cancel", idempotency_key="mine"
    )

    drain_to_end(store_a, job)

    items = {item.order_id: item for item in BulkCancelItem.objects.for_store(store_a).filter(job=job)}
    assert items[fine.pk].status == "done"
    assert items[shipped.pk].status == "skipped" and "shipped" in items[shipped.pk].message
    # The customer's own request (carried out by the policy) was first: the bulk job did not add another.
    customer_request.refresh_from_db()
    assert items[asked.pk].status == "skipped"
    assert OrderRequest.objects.for_store(store_a).filter(order=asked).count() == 1
    assert (job.done_count, job.skipped_count) == (1, 2)


def test_pause_stops_new_work_and_resume_carries_on(store_a):
    orders(store_a, 4)
    actor = staff(store_a)
    job = start(store_a, actor)
    pause_bulk_job(store=store_a, job_id=job.pk, actor=actor)

    assert drain_bulk_job(store=store_a, job_id=job.pk) == PAUSED
    assert not OrderRequest.objects.for_store(store_a).exists()
    job.refresh_from_db()
    assert job.status == "paused" and not job.lease_token and job.lease_until is None

    resume_bulk_job(store=store_a, job_id=job.pk, actor=actor)
    assert drain_to_end(store_a, job) == [DONE]
    assert (job.status, job.done_count) == ("completed", 4)
    assert [entry["action"] for entry in job.history] == ["started", "paused", "resumed"]


def test_stopping_skips_what_was_not_reached_and_keeps_what_was_done(settings, store_a):
    settings.BULK_CANCEL_BATCH_SIZE = 2
    orders(store_a, 5)
    actor = staff(store_a)
    job = start(store_a, actor)
    with _slice_ends_after_one_batch() as clock:
        assert drain_bulk_job(store=store_a, job_id=job.pk, clock=clock) == MORE

    cancel_bulk_job(store=store_a, job_id=job.pk, actor=actor)
    assert drain_to_end(store_a, job) == [DONE]

    assert (job.status, job.done_count, job.skipped_count) == ("cancelled", 2, 3)
    assert job.finished_at is not None
    skipped = BulkCancelItem.objects.for_store(store_a).filter(job=job, status="skipped")
    assert {item.message for item in skipped} == {
        "Not cancelled: the job was stopped before it reached this order."
    }
    assert _effects(store_a) == 2
    # a finished job cannot be steered any more
    from cancellations.bulk.services import BulkJobConflict

    with pytest.raises(BulkJobConflict):
        resume_bulk_job(store=store_a, job_id=job.pk, actor=actor)
    assert cancel_bulk_job(store=store_a, job_id=job.pk, actor=actor).status == "cancelled"


def test_transient_errors_are_retried_and_permanent_ones_fail_the_order(settings, store_a):
    orders(store_a, 3)
    job = start(store_a, staff(store_a))
    # first order: down twice then fine; second: answer lost after the effect; third: refused
    with scripted(settings, "transient", "transient", "ok", "lost", "permanent") as platform:
        drain_to_end(store_a, job)

    # (the script is followed call by call across the orders of a batch)
    items = list(BulkCancelItem.objects.for_store(store_a).filter(job=job).order_by("id"))
    assert sorted(item.status for item in items) == ["done", "done", "failed"]
    failed = next(item for item in items if item.status == "failed")
    assert failed.message == "The platform refused: order is locked."
    assert OrderRequest.objects.for_store(store_a).get(pk=failed.request_id).status == "failed"
    assert _effects(store_a) == 2  # the lost answer's effect is recorded once and replayed
    assert platform.calls.count("cancel:lost") == 1
    events = RequestEvent.objects.for_store(store_a).filter(action="attempt_failed").count()
    assert events == 3


def test_a_job_whose_runner_lost_their_rights_pauses_and_someone_else_resumes_it(store_a):
    orders(store_a, 2)
    leaving = staff(store_a)
    job = start(store_a, leaving)
    Membership.objects.for_store(store_a).filter(user=leaving.user).update(role=Role.VIEWER)

    assert drain_bulk_job(store=store_a, job_id=job.pk) == PAUSED
    job.refresh_from_db()
    assert job.status == "paused" and "can no longer cancel orders" in job.last_error
    assert not OrderRequest.objects.for_store(store_a).exists()

    colleague = staff(store_a, Role.ADMIN)
    resume_bulk_job(store=store_a, job_id=job.pk, actor=colleague)
    drain_to_end(store_a, job)
    assert job.done_count == 2 and job.last_error == ""
    assert set(OrderRequest.objects.for_store(store_a).values_list("requested_by", flat=True)) == {
        colleague.user.pk
    }


def test_the_sweep_sends_jobs_whose_drain_was_lost(store_a, django_capture_on_commit_callbacks):
    orders(store_a, 2)
    actor = staff(store_a)
    lost = start(store_a, actor)
    BulkCancelJob.objects.for_store(store_a).filter(pk=lost.pk).update(
        lease_token="dead-worker", lease_until=timezone.now() - timezone.timedelta(seconds=5)
    )
    make_order(store_a, name="#P1")
    paused = start(store_a, actor, order_numbers=["#P1"])
    pause_bulk_job(store=store_a, job_id=paused.pk, actor=actor)
    BulkCancelJob.objects.for_store(store_a).filter(pk=paused.pk).update(lease_until=None)

    # Tasks run inline in these tests: the sweep's send drains the lost job.
    assert sweep_bulk_jobs() == 1
    lost.refresh_from_db()
    assert (lost.status, lost.done_count) == ("completed", 2)
    assert sweep_bulk_jobs() == 0  # nothing else is owed: the paused job waits for a person


def test_counts_and_refunds_add_up_with_mixed_currencies_and_unpaid_orders(store_a):
    paid = make_order(store_a, currency="EUR")
    unpaid = make_order(store_a, financial_status="pending")
    job = start(store_a, staff(store_a))
    drain_to_end(store_a, job)
    assert job.refunded_total == paid.total
    unpaid.refresh_from_db()
    assert unpaid.financial_status == "voided" and unpaid.refunded == Decimal("0.00")
