"""Confirming the cancels a platform finishes in the background (Shopify's cancel jobs), many at once.

Looking at each job and re-reading each order would cost about as much of Shopify's bucket again as
the cancels; where the adapter has a batch status read (`status_batch_size`, `cancel_statuses`: on
Shopify one query reads `cancelledAt` of 25 orders), the orders it shows cancelled are completed in one
transaction: their ledger rows, the order mirror, the requests and the items. Elsewhere each job is
polled.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from cancellations.bulk.items import (
    DrainRun,
    after_permanent,
    after_transient,
    complete,
    due_items,
    platform_key,
    setting_seconds,
    settle_from_request,
)
from cancellations.models import (
    BulkCancelItem,
    BulkItemStatus,
    Order,
    OrderRequest,
    PlatformEffect,
    RequestStatus,
)
from cancellations.platforms.base import (
    CancelResult,
    CancelStatus,
    EffectStatus,
    PlatformError,
    TransientPlatformError,
    to_json,
)
from cancellations.requests.access import access_request
from cancellations.requests.lifecycle import transition_many

logger = logging.getLogger(__name__)

S = RequestStatus
I = BulkItemStatus  # noqa: E741 - the item statuses, as S is the request's
# The longest a due confirmation waits for others to join its status query.
CONFIRM_MAX_WAIT = 2.0


# --- confirming cancels the platform finishes in the background -----------------------------------


def confirm_due(run: DrainRun, *, flush: bool) -> int:
    """Look whether the platform finished the cancels it accepted; complete those it did.

    While calls are going, looks are gathered until a status query's worth (25 on Shopify) is due, or
    the oldest has waited CONFIRM_MAX_WAIT; with nothing else going (`flush`), everything due is looked
    at now.
    """
    slots = run.adapter.status_batch_size or 25
    items = list(
        due_items(run)
        .exclude(request__platform_job_id="")
        .filter(request__isnull=False)
        .select_related("request", "order")
        .order_by("due_at", "id")[: 4 * slots]
    )
    if not items:
        return 0
    oldest = min((item.due_at for item in items if item.due_at), default=None)
    waited = (timezone.now() - oldest).total_seconds() if oldest else CONFIRM_MAX_WAIT
    if not flush and len(items) < slots and waited < CONFIRM_MAX_WAIT:
        return 0
    if run.adapter.status_batch_size:
        return _confirm_in_batches(run, items)
    confirmed = 0
    for item in items:
        request = item.request
        assert request is not None
        try:
            result = run.adapter.poll_job(
                request.platform_job_id, idempotency_key=platform_key(run.job.pk, item.order_id)
            )
        except TransientPlatformError as error:
            after_transient(run, item.pk, request.pk, error)
            continue
        except PlatformError as error:
            after_permanent(run, item.pk, request.pk, error)
            continue
        if result.status == EffectStatus.COMPLETED:
            complete(run, item.pk, request.pk, result)
            confirmed += 1
        else:
            _look_again(run, [item.pk])
    return confirmed


def _look_again(run: DrainRun, item_ids: Sequence[int]) -> None:
    later = timezone.now() + timedelta(seconds=setting_seconds("BULK_CANCEL_CONFIRM_DELAY_SECONDS"))
    BulkCancelItem.objects.for_store(run.store).filter(pk__in=item_ids).update(due_at=later)


def _confirm_in_batches(run: DrainRun, items: list[BulkCancelItem]) -> int:
    adapter, slots = run.adapter, run.adapter.status_batch_size
    confirmed = 0
    for start in range(0, len(items), slots):
        chunk = items[start : start + slots]
        run.limiter.acquire(adapter.status_query_cost(len(chunk)))
        try:
            statuses = adapter.cancel_statuses([item.order.platform_id for item in chunk])
        except TransientPlatformError:
            _look_again(run, [item.pk for item in chunk])
            continue
        except PlatformError as error:
            logger.warning(
                "bulk job %s: the platform refused the status query: %s", run.job.pk, error.message
            )
            _look_again(run, [item.pk for item in chunk])
            continue
        done: list[tuple[BulkCancelItem, CancelStatus]] = []
        not_yet: list[BulkCancelItem] = []
        for item in chunk:
            status = statuses.get(item.order.platform_id)
            if status is not None and status.cancelled_at is not None:
                done.append((item, status))
            else:
                not_yet.append(item)
        if done:
            _confirmed_on_platform(run, done)
            confirmed += len(done)
        _overdue_or_later(run, not_yet)
    return confirmed


def cancelled_after_all(run: DrainRun, item_id: int) -> bool:
    """Before an item is reported failed: if the platform shows its order cancelled (the cancel went
    through but its answer was lost, or a worker died), complete it instead; whether it did.

    One cheap status read of the order (Shopify: `cancelledAt`), never the whole order; a platform
    without a batch status read, or one that cannot answer now, leaves the failure as it is.
    """
    if not run.adapter.status_batch_size:
        return False
    item = (
        BulkCancelItem.objects.for_store(run.store)
        .select_related("order", "request")
        .filter(pk=item_id, status=I.PENDING, request__isnull=False)
        .first()
    )
    if item is None:
        return False
    run.limiter.acquire(run.adapter.status_query_cost(1))
    try:
        status = run.adapter.cancel_statuses([item.order.platform_id]).get(item.order.platform_id)
    except PlatformError:
        return False
    if status is None or status.cancelled_at is None:
        return False
    _confirmed_on_platform(run, [(item, status)])
    return True


def _overdue_or_later(run: DrainRun, items: list[BulkCancelItem]) -> None:
    """Not cancelled yet: look again later, or, after long enough, ask about the job itself."""
    timeout = timedelta(seconds=setting_seconds("BULK_CANCEL_CONFIRM_TIMEOUT_SECONDS"))
    now = timezone.now()
    later: list[int] = []
    for item in items:
        request = item.request
        assert request is not None
        if request.executed_at and now - request.executed_at > timeout:
            # The adapter asks about the job and fails the request if Shopify finished without cancelling.
            try:
                result = run.adapter.poll_job(
                    request.platform_job_id, idempotency_key=platform_key(run.job.pk, item.order_id)
                )
            except TransientPlatformError as error:
                after_transient(run, item.pk, request.pk, error)
                continue
            except PlatformError as error:
                after_permanent(run, item.pk, request.pk, error)
                continue
            if result.status == EffectStatus.COMPLETED:
                complete(run, item.pk, request.pk, result)
                continue
        later.append(item.pk)
    if later:
        _look_again(run, later)


def _confirmed_on_platform(run: DrainRun, confirmed: list[tuple[BulkCancelItem, CancelStatus]]) -> None:
    """The platform shows these orders cancelled: record the effects done, update the mirror, complete them.

    One transaction for the lot, taking the locks one at a time would (requests, then ledger rows, then
    orders, each in id order) and acting only on requests still executing. The ledger rows are written
    as `record_outcome` writes one.
    """
    store, job, now = run.store, run.job, timezone.now()
    statuses = {item.order_id: status for item, status in confirmed}
    items = {item.request_id: item for item, _status in confirmed}
    results = {
        item.order_id: CancelResult(
            status=EffectStatus.COMPLETED,
            job_id=item.request.platform_job_id if item.request else "",
            refunded=item.refund,
        )
        for item, _status in confirmed
    }
    with transaction.atomic():
        requests = list(
            OrderRequest.objects.for_store(store)
            .select_for_update()
            .filter(pk__in=list(items), status=S.EXECUTING)
            .order_by("pk")
        )
        keys = {platform_key(job.pk, order_id): order_id for order_id in statuses}
        effects = list(
            PlatformEffect.objects.for_store(store)
            .select_for_update()
            .filter(idempotency_key__in=list(keys))
            .exclude(status=PlatformEffect.Status.COMPLETED)
            .order_by("pk")
        )
        for effect in effects:
            effect.status = PlatformEffect.Status.COMPLETED
            effect.result = to_json(results[keys[effect.idempotency_key]])
            effect.completed_at = now
        PlatformEffect.objects.for_store(store).update_each(effects, ["status", "result", "completed_at"])
        # The orders/updated webhook brings the rest (refunds, stock) with its own timestamp.
        orders = list(
            Order.objects.for_store(store)
            .select_for_update()
            .filter(pk__in=list(statuses), cancelled_at__isnull=True)
            .order_by("pk")
        )
        for order in orders:
            status = statuses[order.pk]
            order.cancelled_at = status.cancelled_at
            order.cancel_reason = (status.cancel_reason or job.reason)[:40]
            order.financial_status = status.financial_status or order.financial_status
            # The platform's own clock moves with the answer, so an older orders/updated (sent before
            # the cancel, delivered after) is recognised as older and cannot re-open the order.
            moved = status.updated_at or status.cancelled_at
            if moved and (order.platform_updated_at is None or moved > order.platform_updated_at):
                order.platform_updated_at = moved
            order.version += 1
            order.updated_at = now
        Order.objects.for_store(store).update_each(
            orders,
            [
                "cancelled_at",
                "cancel_reason",
                "financial_status",
                "platform_updated_at",
                "version",
                "updated_at",
            ],
        )
        _complete_many(
            run, [(items[request.pk], request, results[request.order_id]) for request in requests], now
        )
    for request_id, item in items.items():
        if request_id not in {request.pk for request in requests}:
            # Finished some other way meanwhile (staff retried it from the queue, say): mirror that.
            settle_from_request(run, item.pk, access_request(store=store, request_id=item.request_id or 0))


def _complete_many(
    run: DrainRun, done: list[tuple[BulkCancelItem, OrderRequest, CancelResult]], now: datetime
) -> None:
    """Complete locked, executing requests (the lifecycle's many-rows move) and their items."""
    results = {request.pk: result for _item, request, result in done}
    transition_many(
        [request for _item, request, _result in done],
        S.COMPLETED,
        actor=run.executor,
        action="completed",
        now=now,
        data=lambda request: {
            "replayed": results[request.pk].replayed,
            "attempts": request.attempts,
            "bulk_job": run.job.pk,
        },
        fields=lambda request: {
            "completed_at": now,
            "result": to_json(results[request.pk]),
            "next_attempt_at": None,
            "last_error": "",
            "last_error_code": "",
        },
    )
    for item, request, result in done:
        item.status, item.message, item.refund, item.processed_at = I.DONE, "", result.refunded, now
        item.attempts = request.attempts
    BulkCancelItem.objects.for_store(run.store).update_each(
        [item for item, _, _ in done], ["status", "message", "refund", "processed_at", "attempts"]
    )
