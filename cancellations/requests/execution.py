"""Carrying approved requests out on the store's platform, exactly once.

Execution is at least once; the effect is exactly once. Three things make that so:

1. The request row is the durable record of work owed. An approved (or auto-approved) request, or one
   executing, carries `next_attempt_at`; the sweep sends any whose time is well past to a worker again,
   so a task lost between commit and enqueue, or with a worker killed mid-call, is never lost for good.
2. Every platform call carries the request's own idempotency key (`OrderRequest.platform_key`); the
   adapter's effect ledger applies the effect once per key and answers repeats with the first outcome.
3. Each step re-reads the request under a row lock and acts only from the status it expects, so a
   duplicated task, a late retry or the sweep finding work already done changes nothing.

Transient platform errors retry with exponential backoff and jitter (never sooner than the platform
asked); permanent ones, or too many attempts, mark the request failed with a message staff can read.
Shopify's asynchronous cancel job is polled until it completes.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from cancellations.core.backoff import backoff_seconds as backoff
from cancellations.core.queueing import enqueue, send_task
from cancellations.holds.services import hold_new_order
from cancellations.models import (
    FulfillmentStatus,
    Order,
    OrderRequest,
    PlatformEffect,
    RefundMethod,
    RequestChange,
    RequestKind,
    RequestStatus,
)
from cancellations.models.requests import ACTIVE_STATUSES, EXECUTABLE_STATUSES
from cancellations.notifications import services as notifications
from cancellations.orders.services import record_cancelled, upsert_order
from cancellations.platforms.base import (
    Address,
    AddVariant,
    CancelReason,
    CancelRequest,
    CancelResult,
    ChangeAddress,
    EditChange,
    EditRequest,
    EffectStatus,
    OrderSnapshot,
    PermanentPlatformError,
    PlatformAdapter,
    PlatformError,
    RemoveLine,
    ReorderLine,
    ReorderRequest,
    SetQuantity,
    SwapVariant,
    TransientPlatformError,
    to_json,
)
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.requests.access import access_request
from cancellations.requests.actors import Actor
from cancellations.requests.errors import RequestErrorCode
from cancellations.requests.lifecycle import record_event, transition
from cancellations.requests.selectors import cancel_options_for, execution_choice
from cancellations.requests.store_credit import bonus_granted, owes_bonus, with_bonus
from tenants.errors import ErrorCode
from tenants.models import Platform, Store

logger = logging.getLogger(__name__)

S = RequestStatus

# What a step came to, for the task's log and for tests.
COMPLETED, PENDING, RETRYING, FAILED, SKIPPED = "completed", "pending", "retrying", "failed", "skipped"


def _seconds(name: str) -> float:
    return float(getattr(settings, name))


def _next_look(request: OrderRequest, now: datetime) -> float:
    """Seconds until the platform's job is looked at again: soon at first (a customer is watching the
    page), then as long as the job has run, up to REQUEST_JOB_POLL_SECONDS (looks at about 0.25, 0.5,
    1 and 2 s, then every 2 s by default)."""
    age = (now - (request.executed_at or now)).total_seconds()
    first = settings.REQUEST_JOB_FIRST_POLL_MS / 1000
    return min(_seconds("REQUEST_JOB_POLL_SECONDS"), max(first, age))


def _executor() -> Actor:
    return replace(Actor.system(), label="Amend executor")


def _adapter(store: Store) -> PlatformAdapter:
    # A setting, so a fault test can put a misbehaving platform in front of the real one.
    factory = import_string(settings.REQUEST_ADAPTER_FACTORY)
    return factory(store)


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter for the n-th attempt (1-based); never sooner than asked."""
    return backoff(
        attempt,
        base=_seconds("REQUEST_RETRY_BASE_SECONDS"),
        cap=_seconds("REQUEST_RETRY_MAX_SECONDS"),
        retry_after=retry_after,
    )


# --- enqueueing ----------------------------------------------------------------------------------


# The request row still says the work is owed, so a send the broker refused is made by the sweep.
EXECUTE_TASK, POLL_TASK = "requests.execute", "requests.poll_platform_job"


def enqueue_execution(*, store_id: int, request_id: int, countdown: float | None = None) -> None:
    """Send the request to a worker once the current transaction commits."""
    enqueue(EXECUTE_TASK, (store_id, request_id), countdown=countdown)


def enqueue_poll(*, store_id: int, request_id: int, countdown: float | None = None) -> None:
    enqueue(POLL_TASK, (store_id, request_id), countdown=countdown)


# --- the platform call ---------------------------------------------------------------------------


def _edit_change(change: RequestChange) -> EditChange:
    if change.kind == RequestChange.Kind.ADDRESS:
        return ChangeAddress(Address.from_mirror(change.address))
    if change.kind == RequestChange.Kind.QUANTITY:
        return SetQuantity(change.line_platform_id, change.quantity or 0)
    if change.kind == RequestChange.Kind.SWAP:
        return SwapVariant(change.line_platform_id, change.variant_platform_id, change.quantity)
    if change.kind == RequestChange.Kind.ADD:
        return AddVariant(change.variant_platform_id, change.quantity or 1)
    return RemoveLine(change.line_platform_id)


def _refund_method(request: OrderRequest) -> Any:

    return (
        RefundMethod(request.refund_method)
        if request.refund_method in RefundMethod.values
        else RefundMethod.ORIGINAL
    )


def _note(request: OrderRequest) -> str:
    # Deterministic: a retry must describe the same effect, or the ledger refuses the key.
    return f"Amend request {request.pk}" + (f": {request.reason_code}" if request.reason_code else "")


def _cancel_request(store: Store, request: OrderRequest) -> CancelRequest:
    """What the platform is asked for a cancel or a withdrawal (the same on every try)."""
    by_rule = cancel_options_for(store=store, request=request)
    default_reason = CancelReason.CUSTOMER if request.requester_kind == "customer" else CancelReason.STAFF
    return CancelRequest(
        request.order.platform_id,
        reason=by_rule.reason if by_rule else default_reason,
        refund=_refund_method(request),
        restock=execution_choice(request, "restock", by_rule.restock if by_rule else True),
        notify_customer=False,  # Amend tells the customer itself
        staff_note=_note(request),
        # A withdrawal is refunded in full (Directive 2011/83/EU, Art. 13); a cancel keeps its fee.
        fee=request.fee if request.kind == RequestKind.CANCEL else Decimal("0.00"),
    )


def _call_platform(
    store: Store, request: OrderRequest
) -> tuple[str, str, dict[str, Any], OrderSnapshot | None]:
    """Carry the request out; (status, job id, result as JSON, the order as the platform now has it).

    Runs outside any transaction.
    """
    order = request.order
    key = request.platform_key
    if request.kind == RequestKind.WITHDRAWAL and order.fulfillment_status != FulfillmentStatus.UNFULFILLED:
        # The goods are on their way or delivered: the store takes them back and refunds on return.
        return EffectStatus.COMPLETED, "", {"return_required": True}, None
    adapter = _adapter(store)
    if request.kind in (RequestKind.CANCEL, RequestKind.WITHDRAWAL):
        result = adapter.cancel(_cancel_request(store, request), idempotency_key=key)
        return result.status, result.job_id, with_bonus(adapter, request, to_json(result)), result.order
    changes = list(request.changes.all())
    if request.kind == RequestKind.EDIT:
        edited = adapter.edit(
            EditRequest(
                order.platform_id,
                changes=tuple(_edit_change(change) for change in changes),
                notify_customer=False,
                staff_note=_note(request),
                # Amend's email says what is owed; Shopify's invoice is the way to pay it there.
                send_invoice=request.amount_owed > 0,
            ),
            idempotency_key=key,
        )
        return edited.status, "", to_json(edited), None
    reordered = adapter.create_reorder(
        ReorderRequest(
            order.platform_id,
            lines=tuple(ReorderLine(change.variant_platform_id, change.quantity or 1) for change in changes),
            note=_note(request),
        ),
        idempotency_key=key,
    )
    if store.platform == Platform.BUILTIN and not reordered.replayed:
        # The built-in store's new order arrives here, not by a webhook: held like any new order.
        new_order = Order.objects.for_store(store).filter(platform_id=reordered.platform_id).first()
        if new_order is not None:
            hold_new_order(store=store, order=new_order)
    return EffectStatus.COMPLETED, "", to_json(reordered), None


# --- steps ---------------------------------------------------------------------------------------


def execute_request(*, store: Store, request_id: int, now: datetime | None = None) -> str:
    """Carry an approved request out on the platform (or resume one that is executing)."""
    now = now or timezone.now()
    with transaction.atomic():
        request = access_request(store=store, request_id=request_id, lock=True)
        if request.status in EXECUTABLE_STATUSES:
            transition(
                request, S.EXECUTING, actor=_executor(), action="execution_started", now=now, executed_at=now
            )
        elif request.status != S.EXECUTING:
            return SKIPPED
        if request.platform_job_id:
            # The platform took the effect already and is finishing it: look, do not ask again.
            enqueue_poll(store_id=store.pk, request_id=request.pk)
            return PENDING
        if request.attempts >= int(settings.REQUEST_MAX_ATTEMPTS):
            return _fail(request, code=RequestErrorCode.TOO_MANY_ATTEMPTS, message=_gave_up(request), now=now)
        request.attempts += 1
        # A lease: if this worker dies mid-call, the sweep finds the request once it runs out.
        request.next_attempt_at = now + timedelta(seconds=_seconds("REQUEST_EXECUTION_LEASE_SECONDS"))
        request.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
    try:
        status, job_id, result, order = _call_platform(store, request)
    except TransientPlatformError as error:
        return _after_transient(store, request_id, error, poll=False)
    except PlatformError as error:
        return _after_permanent(store, request_id, error)
    return _after_success(store, request_id, status, job_id, result, order)


def poll_platform_job(*, store: Store, request_id: int, now: datetime | None = None) -> str:
    """Ask the platform whether the effect it started asynchronously has finished."""
    now = now or timezone.now()
    request = access_request(store=store, request_id=request_id)
    if request.status != S.EXECUTING or not request.platform_job_id:
        return SKIPPED
    started = request.executed_at or now
    if now - started > timedelta(seconds=_seconds("REQUEST_JOB_TIMEOUT_SECONDS")):
        error = PermanentPlatformError(
            "The platform did not finish the change in time.", code=RequestErrorCode.JOB_TIMEOUT
        )
        return _after_permanent(store, request_id, error)
    try:
        adapter = _adapter(store)
        result = adapter.poll_job(request.platform_job_id, idempotency_key=request.platform_key)
        done = with_bonus(adapter, request, to_json(result))
    except TransientPlatformError as error:
        return _after_transient(store, request_id, error, poll=True)
    except PlatformError as error:
        return _after_permanent(store, request_id, error)
    return _after_success(store, request_id, result.status, result.job_id, done, result.order)


def _executing(store: Store, request_id: int) -> OrderRequest | None:
    """The request, locked, if it is still executing (a duplicate may have finished it meanwhile)."""
    request = access_request(store=store, request_id=request_id, lock=True)
    return request if request.status == S.EXECUTING else None


def _after_success(
    store: Store,
    request_id: int,
    status: str,
    job_id: str,
    result: dict[str, Any],
    order: OrderSnapshot | None = None,
) -> str:
    now = timezone.now()
    with transaction.atomic():
        if order is not None:
            # What the platform says the order is now, whatever became of the request meanwhile.
            upsert_order(store=store, snapshot=order)
        request = _executing(store, request_id)
        if request is None:
            return SKIPPED
        if status == EffectStatus.PENDING:
            request.platform_job_id = job_id or request.platform_job_id
            delay = _next_look(request, now)
            request.next_attempt_at = now + timedelta(seconds=delay)
            request.save(update_fields=["platform_job_id", "next_attempt_at", "updated_at"])
            enqueue_poll(store_id=store.pk, request_id=request.pk, countdown=delay)
            return PENDING
        kept = Decimal(str(result.get("fee") or "0"))
        # Where the platform refunded less a fee itself, what it refunded and kept is what the
        # customer is told (Shopify's refundable amount may differ from the mirror's).
        money = {"fee": kept, "refund_amount": Decimal(str(result["refunded"]))} if kept > 0 else {}
        payment: dict[str, Any] = {}
        if request.kind == RequestKind.EDIT and "outstanding" in result:
            # What the platform says is left to pay replaces the estimate made when it was submitted.
            money["amount_owed"] = Decimal(str(result["outstanding"]))
            payment["payment_url"] = str(result.get("payment_url") or "")[:2000]
        event = transition(
            request,
            S.COMPLETED,
            actor=_executor(),
            action="completed",
            now=now,
            data={"replayed": bool(result.get("replayed")), "attempts": request.attempts, **_money(money)},
            completed_at=now,
            result=result,
            next_attempt_at=None,
            last_error="",
            last_error_code="",
            **money,
            **payment,
        )
        notifications.queue_customer_email(request, event, "completed")
    return COMPLETED


def _money(amounts: dict[str, Decimal]) -> dict[str, str]:
    return {name: str(amount) for name, amount in amounts.items()}


def _gave_up(request: OrderRequest) -> str:
    last = f" The last answer was: {request.last_error}" if request.last_error else ""
    return f"The platform could not be reached after {request.attempts} attempts.{last}"


def _after_transient(store: Store, request_id: int, error: TransientPlatformError, *, poll: bool) -> str:
    last_try = access_request(store=store, request_id=request_id).attempts >= int(
        settings.REQUEST_MAX_ATTEMPTS
    )
    if (
        last_try
        and error.code != PlatformErrorCode.EFFECT_IN_PROGRESS
        and _cancelled_after_all(store, request_id)
    ):
        return COMPLETED
    now = timezone.now()
    with transaction.atomic():
        request = _executing(store, request_id)
        if request is None:
            return SKIPPED
        held_elsewhere = error.code == PlatformErrorCode.EFFECT_IN_PROGRESS
        if held_elsewhere:
            # Another worker is carrying it out: that is not a failed attempt, only a look too early.
            request.attempts = max(request.attempts - 1, 0)
        else:
            request.last_error, request.last_error_code = error.message[:2000], error.code
            if request.attempts >= int(settings.REQUEST_MAX_ATTEMPTS):
                return _fail(request, code=error.code, message=_gave_up(request), now=now)
        delay = backoff_seconds(request.attempts, error.retry_after)
        request.next_attempt_at = now + timedelta(seconds=delay)
        request.save(
            update_fields=["attempts", "last_error", "last_error_code", "next_attempt_at", "updated_at"]
        )
        record_event(
            request,
            _executor(),
            "attempt_failed",
            S.EXECUTING,
            S.EXECUTING,
            now=now,
            data={"code": error.code, "message": error.message[:500], "retry_in": round(delay, 2)},
        )
        if poll:
            enqueue_poll(store_id=store.pk, request_id=request.pk, countdown=delay)
        else:
            enqueue_execution(store_id=store.pk, request_id=request.pk, countdown=delay)
    return RETRYING


def _cancelled_after_all(store: Store, request_id: int) -> bool:
    """Before a cancel is reported failed: one cheap status read (Shopify: `cancelledAt`, not the whole
    order) asks whether the platform cancelled the order after all (a lost answer, a killed worker).
    If it did, the mirror, the ledger and the request say so and the request completes."""
    request = access_request(store=store, request_id=request_id)
    if request.kind != RequestKind.CANCEL or request.status != S.EXECUTING:
        return False
    adapter = _adapter(store)
    if not adapter.status_batch_size:
        return False
    order = request.order
    try:
        status = adapter.cancel_statuses([order.platform_id]).get(order.platform_id)
    except PlatformError:
        return False
    if status is None or status.cancelled_at is None:
        return False
    record_cancelled(store=store, order_id=order.pk, status=status)
    if adapter.refunds_after_cancel(_cancel_request(store, request)) or (
        owes_bonus(request) and not bonus_granted(store, request)
    ):
        # The order is cancelled, but the refund less the fee is a step of its own that has not
        # been seen through, or the store-credit bonus is still owed: the request is not carried out
        # (a retry finds the cancel in the ledger).
        return False
    result = CancelResult(status=EffectStatus.COMPLETED, job_id=request.platform_job_id)
    PlatformEffect.objects.for_store(store).filter(idempotency_key=request.platform_key).exclude(
        status=PlatformEffect.Status.COMPLETED
    ).update(status=PlatformEffect.Status.COMPLETED, result=to_json(result), completed_at=timezone.now())
    return _after_success(store, request_id, EffectStatus.COMPLETED, "", to_json(result)) == COMPLETED


def _after_permanent(store: Store, request_id: int, error: PlatformError) -> str:
    if _cancelled_after_all(store, request_id):
        return COMPLETED
    with transaction.atomic():
        request = _executing(store, request_id)
        if request is None:
            return SKIPPED
        return _fail(request, code=error.code, message=error.message, now=timezone.now())


def _fail(request: OrderRequest, *, code: ErrorCode, message: str, now: datetime) -> str:
    """Mark a locked, executing request failed, keeping the message for staff (they can retry)."""

    event = transition(
        request,
        S.FAILED,
        actor=_executor(),
        action="failed",
        now=now,
        data={"code": code, "message": message[:2000]},
        last_error=message[:2000],
        last_error_code=code[:60],
        next_attempt_at=None,
        platform_job_id="",
    )
    notifications.queue_customer_email(request, event, "failed")
    notifications.queue_staff_failure_alert(request, event)
    return FAILED


# --- the sweep -----------------------------------------------------------------------------------


def sweep_stuck_requests(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send requests whose work is overdue (a lost task, a killed worker) to a worker again.

    Each one sent gets a fresh lease first (a conditional update), so a backlog is not sent twice by
    the next sweep; sending it twice would be harmless anyway.
    """
    now = now or timezone.now()
    overdue = now - timedelta(seconds=_seconds("REQUEST_SWEEP_GRACE_SECONDS"))
    lease = now + timedelta(seconds=_seconds("REQUEST_EXECUTION_LEASE_SECONDS"))
    # A system sweep across stores: each row is then handled under its own store by the task.
    rows = list(
        OrderRequest.objects.dangerously_unscoped()
        .filter(status__in=ACTIVE_STATUSES, next_attempt_at__lt=overdue)
        .order_by("next_attempt_at")
        .values_list("store_id", "pk", "next_attempt_at", "platform_job_id")[:limit]
    )
    sent = 0
    for store_id, request_id, due, job_id in rows:
        claimed = (
            OrderRequest.objects.for_store(store_id)
            .filter(pk=request_id, status__in=ACTIVE_STATUSES, next_attempt_at=due)
            .update(next_attempt_at=lease)
        )
        if not claimed:
            continue
        send_task(POLL_TASK if job_id else EXECUTE_TASK, (store_id, request_id))
        sent += 1
    if sent:
        logger.info("sweep sent %s overdue requests to workers again", sent)
    return sent
