"""Bulk cancellation, write side: start a job, pause, resume or stop it.

A job names its orders up front (one item each); the drain (`cancellations.bulk.drain`) carries each
one through the request lifecycle at the platform's rate limit. Orders that cannot be cancelled are
recorded as skipped items, so the result lists every order the staff member chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cancellations.bulk.drain import enqueue_drain
from cancellations.bulk.errors import BulkErrorCode
from cancellations.bulk.selectors import (
    ZERO,
    OrderFilters,
    access_bulk_job,
    ineligible_reasons,
    preview_bulk_cancel,
    refundable,
)
from cancellations.models import (
    BulkCancelItem,
    BulkCancelJob,
    BulkCancelReason,
    BulkItemStatus,
    BulkJobStatus,
    PlatformConnection,
    RefundMethod,
)
from cancellations.models.bulk import JOB_TRANSITIONS
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.requests.actors import Actor
from cancellations.requests.errors import InvalidRequest
from tenants.errors import Conflict, PermissionDenied
from tenants.models import Platform, Store
from tenants.roles import Scope


class BulkJobConflict(Conflict):
    """The job is not in a state that allows this (e.g. resuming a job that is not paused)."""

    code = BulkErrorCode.BULK_JOB_STATE


# --- starting and steering a job -----------------------------------------------------------------


def _require_decider(actor: Actor) -> None:
    if not actor.is_staff or actor.user is None or not actor.may(Scope.REQUESTS_DECIDE):
        raise PermissionDenied(_("Your role in this store does not allow cancelling orders."))


def _history(job: BulkCancelJob, action: str, actor: Actor, now: datetime) -> None:
    job.history = [*job.history, {"at": now.isoformat(), "action": action, "by": actor.label[:200]}]


def _check_platform(store: Store) -> None:
    if store.platform != Platform.SHOPIFY:
        return
    connection = PlatformConnection.objects.for_store(store).filter(platform=Platform.SHOPIFY).first()
    if connection is None or not connection.is_active:
        raise InvalidRequest(
            _("The store is not connected to Shopify; connect it first."),
            code=PlatformErrorCode.PLATFORM_NOT_CONNECTED,
        )


def start_bulk_cancel(
    *,
    store: Store,
    actor: Actor,
    start_key: str,
    filters: OrderFilters | None = None,
    order_numbers: str | Sequence[str] | None = None,
    reason: str = BulkCancelReason.OTHER,
    refund_method: str = RefundMethod.ORIGINAL,
    restock: bool = True,
    notify_customer: bool = False,
    staff_note: str = "",
) -> BulkCancelJob:
    """Start cancelling the chosen orders; the same `start_key` returns the job it started first."""

    _require_decider(actor)
    key = (start_key or "").strip()
    if not key or len(key) > 64:
        raise InvalidRequest(_("The form has expired; preview again."), code=BulkErrorCode.START_KEY_INVALID)
    existing = BulkCancelJob.objects.for_store(store).filter(start_key=key).first()
    if existing is not None:
        return existing
    if reason not in BulkCancelReason.values:
        raise InvalidRequest(_("Choose a reason."), code=BulkErrorCode.REASON_INVALID, field="reason")
    if refund_method not in RefundMethod.values:
        raise InvalidRequest(
            _("Choose how to refund."), code=BulkErrorCode.REFUND_METHOD_INVALID, field="refund_method"
        )
    if len(staff_note) > 255:
        raise InvalidRequest(
            _("Keep the note to 255 characters."), code=BulkErrorCode.NOTE_TOO_LONG, field="staff_note"
        )
    _check_platform(store)
    preview = preview_bulk_cancel(
        store=store, filters=filters, order_numbers=order_numbers, refund_method=refund_method
    )
    if not preview.count:
        raise InvalidRequest(
            _("None of these orders can be cancelled."), code=BulkErrorCode.NOTHING_TO_CANCEL
        )
    now = timezone.now()
    with transaction.atomic():
        # Starts of one store take turns, so a double submit finds the first job instead of racing it.
        Store.objects.select_for_update().filter(pk=store.pk).first()
        existing = BulkCancelJob.objects.for_store(store).filter(start_key=key).first()
        if existing is not None:
            return existing
        # Re-checked under the lock: an order another job took meanwhile is skipped here, not twice.
        orders = [*preview.eligible]
        reasons = ineligible_reasons(store, orders, None)
        currencies = {order.currency for order in orders}
        job = BulkCancelJob(
            store=store,
            created_by=actor.user,
            created_by_label=actor.label[:200],
            run_as=actor.user,
            start_key=key,
            description=preview.description[:500],
            selection=preview.selection,
            unknown_numbers=list(preview.unknown_numbers),
            reason=reason,
            refund_method=refund_method,
            restock=restock,
            notify_customer=notify_customer,
            staff_note=staff_note.strip(),
            currency=currencies.pop() if len(currencies) == 1 else store.currency,
            created_at=now,
            lease_until=now + timedelta(seconds=float(settings.BULK_CANCEL_LEASE_SECONDS)),
        )
        _history(job, "started", actor, now)
        job.save()
        items = [
            BulkCancelItem(
                store=store,
                job=job,
                order=order,
                order_name=order.name,
                currency=order.currency,
                refund=refundable(order, refund_method),
            )
            for order in orders
            if order.pk not in reasons
        ]
        skipped = [
            *(
                BulkCancelItem(
                    store=store,
                    job=job,
                    order_id=row.order_id,
                    order_name=row.name,
                    status=BulkItemStatus.SKIPPED,
                    message=row.message,
                    processed_at=now,
                )
                for row in preview.ineligible
            ),
            *(
                BulkCancelItem(
                    store=store,
                    job=job,
                    order=order,
                    order_name=order.name,
                    currency=order.currency,
                    status=BulkItemStatus.SKIPPED,
                    message=reasons[order.pk][1],
                    processed_at=now,
                )
                for order in orders
                if order.pk in reasons
            ),
        ]
        BulkCancelItem.objects.bulk_create([*items, *skipped], batch_size=1000)
        job.total_count = len(items) + len(skipped)
        job.skipped_count = len(skipped)
        job.refund_total = sum((item.refund for item in items), ZERO)
        job.save(update_fields=["total_count", "skipped_count", "refund_total"])
        enqueue_drain(store_id=store.pk, job_id=job.pk)
    return job


def _refusal(job: BulkCancelJob, to: str) -> str:
    refusals: dict[str, str] = {
        BulkJobStatus.PAUSED: _("This bulk cancellation is %(status)s, so it cannot be paused."),
        BulkJobStatus.QUEUED: _("This bulk cancellation is %(status)s, so it cannot be resumed."),
        BulkJobStatus.CANCELLED: _("This bulk cancellation is %(status)s, so it cannot be stopped."),
    }
    return refusals[to] % {"status": job.get_status_display().lower()}


def _move_job(*, store: Store, job_id: int, actor: Actor, to: str, action: str) -> BulkCancelJob:

    _require_decider(actor)
    now = timezone.now()
    with transaction.atomic():
        job = access_bulk_job(store=store, job_id=job_id, lock=True)
        if job.status == to:
            return job
        if to not in JOB_TRANSITIONS[job.status]:
            raise BulkJobConflict(_refusal(job, to))
        job.status = to
        fields = ["status", "history", "updated_at"]
        if to == BulkJobStatus.QUEUED:
            # Whoever resumes the job carries on with their own access (the creator may have lost theirs).
            job.run_as = actor.user
            job.last_error = ""
            job.lease_until = now + timedelta(seconds=float(settings.BULK_CANCEL_LEASE_SECONDS))
            fields += ["run_as", "last_error", "lease_until"]
        _history(job, action, actor, now)
        job.save(update_fields=fields)
        if to in (BulkJobStatus.QUEUED, BulkJobStatus.CANCELLED):
            # A stopped job is finished by the drain: it skips what was not started, ends what was.
            enqueue_drain(store_id=store.pk, job_id=job.pk)
    return job


def pause_bulk_job(*, store: Store, job_id: int, actor: Actor) -> BulkCancelJob:
    """Pause after the orders in hand; nothing more is started until the job is resumed."""
    return _move_job(store=store, job_id=job_id, actor=actor, to=BulkJobStatus.PAUSED, action="paused")


def resume_bulk_job(*, store: Store, job_id: int, actor: Actor) -> BulkCancelJob:
    """Carry on with a paused job, under the access of whoever resumes it."""
    return _move_job(store=store, job_id=job_id, actor=actor, to=BulkJobStatus.QUEUED, action="resumed")


def cancel_bulk_job(*, store: Store, job_id: int, actor: Actor) -> BulkCancelJob:
    """Stop the job for good: orders not reached are skipped; those already sent are finished."""
    return _move_job(store=store, job_id=job_id, actor=actor, to=BulkJobStatus.CANCELLED, action="stopped")
