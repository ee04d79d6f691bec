"""One bulk item's way through the request lifecycle: its request recorded, the platform asked, the outcome.

The drain (`cancellations.bulk.drain`) hands items here a batch at a time. A batch's requests are
recorded in one transaction under the orders' row locks, each as staff make and approve one, by the
lifecycle's many-rows path (`open_requests`: the moves checked against the table, an event for each,
the same webhooks as one by one); each order's platform
call then goes out through the effect ledger under a key derived from the job and the order. A cancel
the platform accepted is noted on its request with the others that came back meanwhile; any other
outcome is written back under the request's row lock, acting only from the status expected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cancellations.bulk.rate import RateLimiter
from cancellations.bulk.selectors import UNDER_WAY_STATUSES, order_ineligibility, refundable
from cancellations.models import (
    BulkCancelItem,
    BulkCancelJob,
    BulkItemStatus,
    Order,
    OrderRequest,
    RefundMethod,
    RequestKind,
    RequestStatus,
    Resolution,
)
from cancellations.orders.services import upsert_order
from cancellations.platforms.base import (
    CancelReason,
    CancelRequest,
    CancelResult,
    EffectStatus,
    PlatformAdapter,
    PlatformError,
    TransientPlatformError,
    to_json,
)
from cancellations.policy import Action, decide, order_facts
from cancellations.requests.access import access_request
from cancellations.requests.actors import Actor
from cancellations.requests.execution import backoff_seconds
from cancellations.requests.lifecycle import Step, open_requests, record_event, transition
from tenants.errors import ErrorCode
from tenants.models import Store

logger = logging.getLogger(__name__)

S = RequestStatus
I = BulkItemStatus  # noqa: E741 - the item statuses, as S is the request's
ZERO = Decimal("0.00")


def setting_seconds(name: str) -> float:
    """A BULK_/REQUEST_ timing setting, in seconds."""
    return float(getattr(settings, name))


def request_key(job_id: int, order_id: int) -> str:
    """The request's idempotency key: one request per order per job, however often the drain runs."""
    return f"bulk-{job_id}-{order_id}"


def platform_key(job_id: int, order_id: int) -> str:
    """The key the platform call carries through the effect ledger."""
    return f"amend-bulk-{job_id}-{order_id}"


@dataclass
class DrainRun:
    """What one drain run works with: the job as last read, its lease, the platform and who acts."""

    store: Store
    job: BulkCancelJob
    token: str
    adapter: PlatformAdapter
    limiter: RateLimiter
    cost: float
    actor: Actor | None
    executor: Actor
    policy: Any
    policy_version: int
    # Asked before an item is reported failed: whether the platform shows its order cancelled after all
    # (an answer lost, a worker killed), in which case it has completed the item instead.
    cancelled_after_all: Callable[[DrainRun, int], bool] | None = None

    def platform_cancelled(self, item_id: int) -> bool:
        return self.cancelled_after_all is not None and self.cancelled_after_all(self, item_id)


def pending_items(run: DrainRun) -> QuerySet[BulkCancelItem]:
    """The job's items not finished yet."""
    return BulkCancelItem.objects.for_store(run.store).filter(job_id=run.job.pk, status=I.PENDING)


def due_items(run: DrainRun) -> QuerySet[BulkCancelItem]:
    """The job's unfinished items the drain should look at now."""
    return pending_items(run).filter(Q(due_at__isnull=True) | Q(due_at__lte=timezone.now()))


# --- starting a batch: each order's request, recorded together ------------------------------------


@dataclass(frozen=True)
class Work:
    """An item whose platform call is owed; `platform_id` is set when its request was just recorded."""

    item_id: int
    request_id: int
    order_id: int
    platform_id: str = ""


def recorded_path(run: DrainRun, now: datetime) -> list[Step]:
    """The moves a bulk request makes as it is recorded: put before staff, approved by them, started."""
    assert run.actor is not None
    decided = {
        "resolution": Resolution.APPROVED,
        "decided_by": run.actor.user,
        "decided_by_label": run.actor.label[:200],
        "decided_at": now,
        "decision_note": run.job.staff_note,
    }
    return [
        Step("bulk_selected", S.PENDING_REVIEW, run.actor),
        Step("approved", S.APPROVED, run.actor, decided),
        # Attempt 1 is about to go.
        Step("execution_started", S.EXECUTING, run.executor, {"executed_at": now, "attempts": 1}),
    ]


def _event_data(run: DrainRun) -> Any:
    bulk = {"bulk_job": run.job.pk}

    def data(request: OrderRequest, step: Step) -> dict[str, Any]:
        if step.action == "submitted":
            return {**bulk, "outcome": request.decision.get("outcome", "")}
        return bulk

    return data


def start_batch(run: DrainRun, items: Sequence[BulkCancelItem]) -> list[Work]:
    """Record the requests of a batch of new items in one transaction; skip the orders that cannot go."""
    store, job, actor = run.store, run.job, run.actor
    assert actor is not None  # new items start only while the job has someone to run as
    now = timezone.now()
    with transaction.atomic():
        locked = list(
            BulkCancelItem.objects.for_store(store)
            .select_for_update()
            .filter(pk__in=[item.pk for item in items], status=I.PENDING, request__isnull=True)
            .order_by("pk")
        )
        order_ids = [item.order_id for item in locked]
        # Requests for one order take turns on its row (as customer submits do), so the checks below
        # hold until this transaction commits. Rows are locked in id order, as everywhere.
        orders = {
            order.pk: order
            for order in Order.objects.for_store(store)
            .select_for_update(of=("self",))
            .filter(pk__in=order_ids)
            .order_by("pk")
            .prefetch_related("line_items")
        }
        keys = [request_key(job.pk, order_id) for order_id in order_ids]
        requests = OrderRequest.objects.for_store(store).filter(
            order_id__in=order_ids, kind=RequestKind.CANCEL
        )
        mine = dict(requests.filter(idempotency_key__in=keys).values_list("order_id", "pk"))
        under_way = dict(
            requests.filter(status__in=UNDER_WAY_STATUSES)
            .exclude(idempotency_key__in=keys)
            .values_list("order_id", "pk")
        )
        fresh: list[tuple[BulkCancelItem, OrderRequest, Order]] = []
        changed: list[BulkCancelItem] = []
        for item in locked:
            order = orders.get(item.order_id)
            if item.order_id in mine:
                item.request_id = mine[item.order_id]
            elif order is None:
                item.status, item.message, item.processed_at = (
                    I.SKIPPED,
                    _("The order no longer exists."),
                    now,
                )
            else:
                order.store = store
                facts = order_facts(order)
                # What bulk/selectors.py annotates on the rows it lists; the model declares no such field.
                order.has_shipped_lines = any(line.fulfilled_quantity for line in facts.lines)  # type: ignore[attr-defined]
                why = order_ineligibility(order, open_request=under_way.get(order.pk))
                if why is not None:
                    item.status, item.message, item.processed_at = I.SKIPPED, why[1], now
                else:
                    fresh.append((item, _request_row(run, order, facts, now), order))
            changed.append(item)
        # The partial unique index (one open cancel per order) still guards against a writer that
        # skipped the order lock: the batch then rolls back and the next run skips that order.
        created = open_requests(
            [entry[1] for entry in fresh], path=recorded_path(run, now), now=now, data=_event_data(run)
        )
        for entry, request in zip(fresh, created, strict=True):
            entry[0].request_id = request.pk
        BulkCancelItem.objects.for_store(store).update_each(
            changed, ["request", "status", "message", "processed_at"]
        )
    ready = [
        Work(entry[0].pk, request.pk, entry[2].pk, entry[2].platform_id)
        for entry, request in zip(fresh, created, strict=True)
    ]
    resumed = [Work(item.pk, mine[item.order_id], item.order_id) for item in locked if item.order_id in mine]
    return [*ready, *resumed]


def _request_row(run: DrainRun, order: Order, facts: Any, now: datetime) -> OrderRequest:
    """A cancel request as staff make one (the lifecycle walks it to executing as it records it)."""
    job, actor = run.job, run.actor
    assert actor is not None
    # The customer policy's view, kept for the audit trail; the staff member's approval decides.
    decision = decide(policy=run.policy, order=facts, action=Action.CANCEL, now=now)
    return OrderRequest(
        store=run.store,
        order=order,
        kind=RequestKind.CANCEL,
        reason_code=job.reason,
        refund_method=job.refund_method,
        currency=order.currency,
        refund_amount=refundable(order, job.refund_method),
        # The staff choices sit in the decision, where a retry from the queue reads them too.
        decision={**decision.to_dict(), "restock": job.restock, "notify_customer": job.notify_customer},
        policy_version=run.policy_version,
        requested_by=actor.user,
        requester_kind=actor.kind,
        requester_label=actor.label[:200],
        requested_at=now,
        idempotency_key=request_key(job.pk, order.pk),
    )


# --- one item's platform call ----------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """A cancel the platform took on and finishes in the background, to be noted (`note_accepted`)."""

    item_id: int
    request_id: int
    job_id: str


def process(run: DrainRun, work: Work) -> Accepted | None:
    """Ask the platform to cancel one order; an unexpected failure is retried like a transient one.

    A cancel the platform accepted comes back to be noted with others of the batch: until then the
    ledger row holds the job, so a run that stops before noting it finds it there (no second call).
    """
    try:
        return _call(run, work)
    except Exception as error:
        # A bug, or the database going away: the item is looked at again after a backoff.
        logger.exception("bulk job %s: item %s failed unexpectedly", run.job.pk, work.item_id)
        _item_trouble(run, work.item_id, str(error)[:500])
        return None


def note_accepted(run: DrainRun, accepted: Sequence[Accepted]) -> None:
    """Note each accepted cancel's job on its request (only while it still executes), in one transaction,
    and look at the orders after the confirmation delay."""
    if not accepted:
        return
    now = timezone.now()
    rows = [
        OrderRequest(pk=entry.request_id, platform_job_id=entry.job_id, updated_at=now) for entry in accepted
    ]
    later = now + timedelta(seconds=setting_seconds("BULK_CANCEL_CONFIRM_DELAY_SECONDS"))
    with transaction.atomic():
        OrderRequest.objects.for_store(run.store).filter(status=S.EXECUTING).update_each(
            rows, ["platform_job_id", "updated_at"]
        )
        BulkCancelItem.objects.for_store(run.store).filter(
            pk__in=[entry.item_id for entry in accepted], status=I.PENDING
        ).update(due_at=later)


def _item_trouble(run: DrainRun, item_id: int, message: str) -> None:
    with transaction.atomic():
        item = BulkCancelItem.objects.for_store(run.store).select_for_update().get(pk=item_id)
        if item.status != I.PENDING:
            return
        item.attempts += 1
        if item.attempts >= int(settings.REQUEST_MAX_ATTEMPTS):
            item.status, item.message, item.processed_at = I.FAILED, message, timezone.now()
        else:
            item.due_at = timezone.now() + timedelta(seconds=backoff_seconds(item.attempts))
        item.save(update_fields=["attempts", "status", "message", "processed_at", "due_at"])


def cancel_request(job: BulkCancelJob, order_platform_id: str) -> CancelRequest:
    # Deterministic for the job and order: a retry must describe the same effect, or the ledger refuses it.
    return CancelRequest(
        order_platform_id,
        reason=CancelReason(job.reason),
        refund=RefundMethod(job.refund_method),
        restock=job.restock,
        notify_customer=job.notify_customer,
        staff_note=job.staff_note or f"Amend bulk cancellation #{job.pk}",
    )


def _call(run: DrainRun, work: Work) -> Accepted | None:
    """Ask the platform to cancel (outside any transaction), at the rate the limiter allows."""
    store, item_id, request_id = run.store, work.item_id, work.request_id
    platform_id = work.platform_id
    if not platform_id:
        # A retry, or a request an earlier run recorded: count the attempt under the row lock first.
        with transaction.atomic():
            request = access_request(store=store, request_id=request_id, lock=True)
            if request.status != S.EXECUTING:
                settle_from_request(run, item_id, request)
                return None
            if request.platform_job_id:
                return None  # sent already; the confirmation step finishes it
            request.attempts += 1
            request.save(update_fields=["attempts", "updated_at"])
            platform_id = request.order.platform_id
    run.limiter.acquire(run.cost)
    try:
        result = run.adapter.cancel(
            cancel_request(run.job, platform_id), idempotency_key=platform_key(run.job.pk, work.order_id)
        )
    except TransientPlatformError as error:
        after_transient(run, item_id, request_id, error)
        return None
    except PlatformError as error:
        after_permanent(run, item_id, request_id, error)
        return None
    if result.status == EffectStatus.COMPLETED:
        complete(run, item_id, request_id, result)
        return None
    # Accepted, finishing in the background.
    return Accepted(item_id, request_id, result.job_id)


def settle_from_request(run: DrainRun, item_id: int, request: OrderRequest) -> None:
    """The request got to an end without this drain (an earlier run, a retry by staff): mirror it."""
    now = timezone.now()
    items = BulkCancelItem.objects.for_store(run.store).filter(pk=item_id, status=I.PENDING)
    if request.status == S.COMPLETED:
        items.update(status=I.DONE, message="", processed_at=now)
    elif request.status in (S.FAILED, S.REJECTED, S.DENIED, S.WITHDRAWN):
        items.update(
            status=I.FAILED, message=request.last_error or request.get_status_display(), processed_at=now
        )


def after_transient(run: DrainRun, item_id: int, request_id: int, error: TransientPlatformError) -> None:
    last_try = access_request(store=run.store, request_id=request_id).attempts >= int(
        settings.REQUEST_MAX_ATTEMPTS
    )
    if last_try and run.platform_cancelled(item_id):
        return
    now = timezone.now()
    with transaction.atomic():
        request = access_request(store=run.store, request_id=request_id, lock=True)
        if request.status != S.EXECUTING:
            return
        request.last_error, request.last_error_code = error.message[:2000], error.code
        request.save(update_fields=["last_error", "last_error_code", "updated_at"])
        if request.attempts >= int(settings.REQUEST_MAX_ATTEMPTS):
            message = _(
                "The platform could not be reached after %(n)s attempts. The last answer was: %(error)s"
            ) % {
                "n": request.attempts,
                "error": error.message,
            }
            _fail(run, item_id, request, code=error.code, message=message, now=now)
            return
        delay = backoff_seconds(request.attempts, error.retry_after)
        record_event(
            request,
            run.executor,
            "attempt_failed",
            S.EXECUTING,
            S.EXECUTING,
            now=now,
            data={"code": error.code, "message": error.message[:500], "retry_in": round(delay, 2)},
        )
        BulkCancelItem.objects.for_store(run.store).filter(pk=item_id).update(
            due_at=now + timedelta(seconds=delay), attempts=request.attempts
        )


def after_permanent(run: DrainRun, item_id: int, request_id: int, error: PlatformError) -> None:
    if run.platform_cancelled(item_id):
        return
    with transaction.atomic():
        request = access_request(store=run.store, request_id=request_id, lock=True)
        if request.status == S.EXECUTING:
            _fail(run, item_id, request, code=error.code, message=error.message, now=timezone.now())


def _fail(
    run: DrainRun, item_id: int, request: OrderRequest, *, code: ErrorCode, message: str, now: datetime
) -> None:
    """Mark a locked, executing request failed (staff can retry it from the queue) and its item too."""
    transition(
        request,
        S.FAILED,
        actor=run.executor,
        action="failed",
        now=now,
        data={"code": code, "message": message[:2000], "bulk_job": run.job.pk},
        last_error=message[:2000],
        last_error_code=code[:60],
        next_attempt_at=None,
        platform_job_id="",
    )
    BulkCancelItem.objects.for_store(run.store).filter(pk=item_id, status=I.PENDING).update(
        status=I.FAILED, message=message[:2000], processed_at=now, attempts=request.attempts
    )


def complete(run: DrainRun, item_id: int, request_id: int, result: CancelResult) -> None:
    now = timezone.now()
    with transaction.atomic():
        if result.order is not None:
            # The order as the platform described it after cancelling (the adapter leaves the mirror).
            upsert_order(store=run.store, snapshot=result.order)
        request = access_request(store=run.store, request_id=request_id, lock=True)
        if request.status != S.EXECUTING:
            settle_from_request(run, item_id, request)
            return
        transition(
            request,
            S.COMPLETED,
            actor=run.executor,
            action="completed",
            now=now,
            data={"replayed": result.replayed, "attempts": request.attempts, "bulk_job": run.job.pk},
            completed_at=now,
            result=to_json(result),
            next_attempt_at=None,
            last_error="",
            last_error_code="",
        )
        BulkCancelItem.objects.for_store(run.store).filter(pk=item_id, status=I.PENDING).update(
            status=I.DONE, message="", refund=result.refunded, processed_at=now, attempts=request.attempts
        )
