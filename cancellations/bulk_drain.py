"""Draining a bulk cancellation: every order through the request lifecycle, once, at the platform's rate.

For each item the drain records an `OrderRequest` (kind cancel, requested and approved by the staff
member the job runs as, with the job's reason and refund method), moves it to executing, reserves the
call's cost from the store's rate limiter (`cancellations.bulk_rate`) and asks the platform to cancel
with the job's settings under a key derived from the job and the order. Shopify finishes cancels in the
background; the drain confirms them 25 at a time (`platforms.shopify.bulk_status`) and completes each
request, its ledger row and the order mirror.

Exactly once, whatever happens to the worker:
- The request's idempotency key is `bulk-<job>-<order>` (unique per store), so a repeat finds the request
  it made before; the platform key `amend-bulk-<job>-<order>` goes through the effect ledger, so a repeat
  call replays the first outcome instead of cancelling again (decision 0010).
- One drain at a time works on a store's bulk jobs: it holds a lease on the job, renewed between batches.
  A duplicated task finds the lease taken and stops; a killed worker's lease runs out and the sweep
  sends the job to a worker again, which resumes from the rows: nothing is kept only in memory.
- Each step re-reads its rows under a lock and acts only from the state it expects.

Why the drain does not call `submit_request` / `approve_request`: those start the generic executor on
commit (which would race the drain's rate-limited call and knows nothing of the job's restock, notify
and note settings), queue customer emails for each order, and bind staff to the customer policy (a
request the policy does not allow ends denied). The drain writes the same rows through the same
transition table (`transition_request`) and records the policy's decision for the audit trail, but
staff decide. Its requests carry no `next_attempt_at`, so the generic sweep leaves them to the drain.

A drain works for a slice of time (BULK_CANCEL_SLICE_SECONDS), then hands the job to a new task.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count, Exists, Min, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from cancellations.actors import Actor
from cancellations.bulk import UNDER_WAY_STATUSES, order_ineligibility, refundable
from cancellations.bulk_rate import RateLimiter, limiter_for
from cancellations.execution import backoff_seconds
from cancellations.models import (
    BulkCancelItem,
    BulkCancelJob,
    BulkItemStatus,
    BulkJobStatus,
    Order,
    OrderRequest,
    PlatformConnection,
    PlatformEffect,
    RefundMethod,
    RequestEvent,
    RequestKind,
    RequestStatus,
    Resolution,
)
from cancellations.models.bulk import DRAINABLE_STATUSES
from cancellations.models.requests import can_transition
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
from cancellations.platforms.shopify.adapter import ShopifyAdapter
from cancellations.platforms.shopify.bulk_status import CancelStatus, cancel_statuses, status_query_cost
from cancellations.platforms.shopify.documents import BULK_CANCEL_STATUS_SLOTS
from cancellations.policy import Action, decide, order_facts
from cancellations.policy_services import current_policy
from cancellations.request_access import access_request
from cancellations.request_services import record_event, transition_request
from tenants.access import staff_access
from tenants.models import Platform, Store
from tenants.roles import Scope

logger = logging.getLogger(__name__)

S = RequestStatus
J = BulkJobStatus
I = BulkItemStatus  # noqa: E741 - the item statuses, as S is the request's
ZERO = Decimal("0.00")
# pg_advisory_xact_lock(class, store id): drains claiming a store's jobs take turns.
_LOCK_CLASS = 0x42554C4B

# Cancels confirmed per status query, and the longest a due confirmation waits for others to join it.
STATUS_SLOTS = BULK_CANCEL_STATUS_SLOTS
CONFIRM_MAX_WAIT = 2.0
# How often a drain renews its lease while it works.
RENEW_EVERY = 5.0
# What a drain run came to.
DONE, MORE, PAUSED, BUSY, WAITING, LOST = "done", "more", "paused", "busy", "waiting", "lost"


def _seconds(name: str) -> float:
    return float(getattr(settings, name))


def request_key(job_id: int, order_id: int) -> str:
    """The request's idempotency key: one request per order per job, however often the drain runs."""
    return f"bulk-{job_id}-{order_id}"


def platform_key(job_id: int, order_id: int) -> str:
    """The key the platform call carries through the effect ledger."""
    return f"amend-bulk-{job_id}-{order_id}"


# --- enqueueing ----------------------------------------------------------------------------------


def _send(store_id: int, job_id: int, countdown: float | None) -> None:
    from cancellations.tasks import drain_bulk_cancel_job_task

    try:
        drain_bulk_cancel_job_task.apply_async((store_id, job_id), countdown=countdown)
    except Exception:
        # The job row says work is owed; the sweep sends it once the broker is back.
        logger.warning("could not enqueue the drain of bulk job %s; the sweep will", job_id, exc_info=True)


def enqueue_drain(*, store_id: int, job_id: int, countdown: float | None = None) -> None:
    """Send the job to a worker once the current transaction commits."""
    transaction.on_commit(lambda: _send(store_id, job_id, countdown))


# --- the lease -----------------------------------------------------------------------------------


def _lease_seconds() -> timedelta:
    return timedelta(seconds=_seconds("BULK_CANCEL_LEASE_SECONDS"))


def _claim(store: Store, job_id: int, now: datetime) -> tuple[str, str]:
    """(outcome, token): take the job's lease if it is free and no other job of the store is draining."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, store.pk])
        job = BulkCancelJob.objects.for_store(store).filter(pk=job_id).first()
        if job is None or job.finished_at is not None or job.status not in DRAINABLE_STATUSES:
            return DONE, ""
        if job.lease_token and job.lease_until is not None and job.lease_until > now:
            return BUSY, ""
        draining = (
            BulkCancelJob.objects.for_store(store)
            .exclude(pk=job_id)
            .filter(lease_until__gt=now)
            .exclude(lease_token="")
            .exists()
        )
        if draining:
            # Another job of this store holds the rate limit; it hands over when it finishes, and the
            # sweep looks again once this deadline passes.
            if not job.lease_token:
                BulkCancelJob.objects.for_store(store).filter(pk=job_id, lease_token="").update(
                    lease_until=now + _lease_seconds()
                )
            return WAITING, ""
        BulkCancelJob.objects.for_store(store).filter(pk=job_id).update(
            lease_token=token, lease_until=now + _lease_seconds()
        )
    return "claimed", token


def _renew(store: Store, job_id: int, token: str) -> bool:
    return bool(
        BulkCancelJob.objects.for_store(store)
        .filter(pk=job_id, lease_token=token)
        .update(lease_until=timezone.now() + _lease_seconds())
    )


def _release(store: Store, job_id: int, token: str, *, pickup_by: datetime | None) -> None:
    """Give the lease up; `pickup_by` is when the sweep should send the job again if nobody took it."""
    BulkCancelJob.objects.for_store(store).filter(pk=job_id, lease_token=token).update(
        lease_token="", lease_until=pickup_by
    )


# --- one run ---------------------------------------------------------------------------------------


@dataclass
class _Run:
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


def _actor(store: Store, job: BulkCancelJob) -> Actor | None:
    """The staff member the job runs as, if they may still cancel orders in this store (re-checked)."""
    if job.run_as is None or not job.run_as.is_active:
        return None
    access = staff_access(user=job.run_as, store=store)
    if access is None or not access.has(Scope.REQUESTS_DECIDE):
        return None
    return Actor.staff(access)


def _limiter(store: Store) -> tuple[RateLimiter, float]:
    shop = ""
    if store.platform == Platform.SHOPIFY:
        shop = (
            PlatformConnection.objects.for_store(store)
            .filter(platform=Platform.SHOPIFY)
            .values_list("shop_domain", flat=True)
            .first()
            or ""
        )
    return limiter_for(store, shop=shop)


def drain_bulk_job(
    *,
    store: Store,
    job_id: int,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Work on a job for one slice of time; hand it to a new task if work remains. Safe to repeat."""
    outcome, token = _claim(store, job_id, timezone.now())
    if outcome != "claimed":
        return outcome
    try:
        outcome = _drain(store, job_id, token, clock=clock, sleep=sleep)
    except BaseException:
        # Let the sweep send the job again soon rather than after the whole lease.
        _release(store, job_id, token, pickup_by=timezone.now())
        raise
    if outcome == MORE:
        with transaction.atomic():
            _release(store, job_id, token, pickup_by=timezone.now() + _lease_seconds())
            enqueue_drain(store_id=store.pk, job_id=job_id)
    return outcome


def _start_running(store: Store, job_id: int, actor: Actor | None) -> BulkCancelJob:
    now = timezone.now()
    with transaction.atomic():
        job = BulkCancelJob.objects.for_store(store).select_for_update(of=("self",)).get(pk=job_id)
        fields: list[str] = []
        if job.status == J.QUEUED:
            job.status = J.RUNNING
            job.started_at = job.started_at or now
            fields += ["status", "started_at"]
        if job.status == J.RUNNING and actor is None:
            # The person it runs as may no longer cancel orders here: stop starting new ones.
            job.status = J.PAUSED
            job.last_error = _(
                "Paused: the person this job runs as can no longer cancel orders in this store. "
                "Someone who can may resume it."
            )
            job.history = [*job.history, {"at": now.isoformat(), "action": "paused", "by": "Amend"}]
            fields += ["status", "last_error", "history"]
        if fields:
            job.save(update_fields=[*fields, "updated_at"])
    return job


def _drain(
    store: Store, job_id: int, token: str, *, clock: Callable[[], float], sleep: Callable[[float], None]
) -> str:
    job = BulkCancelJob.objects.for_store(store).select_related("run_as").get(pk=job_id)
    actor = _actor(store, job)
    job = _start_running(store, job_id, actor)
    limiter, cost = _limiter(store)
    policy, version = current_policy(store=store)
    factory = import_string(settings.REQUEST_ADAPTER_FACTORY)
    run = _Run(
        store=store,
        job=job,
        token=token,
        adapter=factory(store),
        limiter=limiter,
        cost=cost,
        actor=actor,
        executor=replace(Actor.system(), label=f"Amend bulk cancellation #{job.pk}"),
        policy=policy,
        policy_version=version,
    )
    slice_ends = clock() + _seconds("BULK_CANCEL_SLICE_SECONDS")
    threads = _Threads(int(settings.BULK_CANCEL_CONCURRENCY))
    try:
        return _pipeline(run, threads, slice_ends, clock=clock, sleep=sleep)
    finally:
        threads.close()


def _pipeline(
    run: _Run,
    threads: _Threads,
    slice_ends: float,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> str:
    """Keep platform calls going while the next batch is recorded and earlier cancels are confirmed.

    Calls run in the threads and wait there for the rate limiter; this thread tops them up a batch at
    a time (whenever fewer than half a batch are left), confirms what the platform finished, and ends
    the slice only once every call it started has returned.
    """
    store, job_id = run.store, run.job.pk
    batch = int(settings.BULK_CANCEL_BATCH_SIZE)
    in_flight: dict[Future[Any], int] = {}
    lease_ok, renewed_at, counted_at = True, clock(), clock()
    while True:
        if clock() - renewed_at >= RENEW_EVERY:
            lease_ok, renewed_at = _renew(store, job_id, run.token), clock()
        run.job = BulkCancelJob.objects.for_store(store).get(pk=job_id)
        confirmed = _confirm_due(run, flush=not in_flight)
        found = 0
        if lease_ok and clock() < slice_ends and len(in_flight) <= batch // 2:
            work = _due_work(run, busy=set(in_flight.values()))
            found = len(work)
            new = [item for item in work if item.request_id is None]
            calls = [
                _Work(item.pk, item.request_id, item.order_id) for item in work if item.request_id is not None
            ]
            if new:
                calls += _start_batch(run, new)
            for call in calls:
                in_flight[threads.submit(_process, run, call)] = call.item_id
        if in_flight:
            # Room for the next batch once half of this one is through; or any news, when none is due.
            _wait_for_room(in_flight, batch // 2 if found else len(in_flight) - 1, timeout=0.5)
            if in_flight:
                if clock() - counted_at >= 1.0:
                    _refresh_counts(store, job_id)
                    counted_at = clock()
                continue
        pending = _refresh_counts(store, job_id)
        counted_at = clock()
        if not pending["pending"]:
            _finish(run)
            return DONE
        if run.job.status == J.CANCELLED and not pending["in_flight"]:
            _finish(run)
            return DONE
        if run.job.status == J.PAUSED and not pending["in_flight"]:
            _release(store, job_id, run.token, pickup_by=None)
            return PAUSED
        if not lease_ok:
            logger.warning("bulk job %s: lease lost; another drain carries on", job_id)
            return LOST
        if clock() >= slice_ends:
            return MORE
        if not found and not confirmed:
            sleep(_idle_seconds(run, slice_ends - clock()))


def _wait_for_room(in_flight: dict[Future[Any], int], target: int, *, timeout: float) -> None:
    """Wait until at most `target` calls are left in flight, or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while len(in_flight) > max(target, 0):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        done, _running = wait(list(in_flight), timeout=remaining, return_when=FIRST_COMPLETED)
        for future in done:
            del in_flight[future]
            future.result()


def _idle_seconds(run: _Run, remaining: float) -> float:
    """Nothing is due: wait until the next item is (a retry, or a cancel to confirm), briefly."""
    due = _pending(run).aggregate(next=Min("due_at"))["next"]
    seconds = (due - timezone.now()).total_seconds() if due else 0.2
    return max(0.05, min(seconds, remaining, 1.0))


def _pending(run: _Run) -> Any:
    return BulkCancelItem.objects.for_store(run.store).filter(job_id=run.job.pk, status=I.PENDING)


def _due(run: _Run) -> Any:
    return _pending(run).filter(Q(due_at__isnull=True) | Q(due_at__lte=timezone.now()))


def _due_work(run: _Run, *, busy: set[int]) -> list[BulkCancelItem]:
    """Items whose platform call is owed (new ones while running, retries of started ones), not in hand."""
    items = _due(run).filter(Q(request__isnull=True) | Q(request__platform_job_id="")).exclude(pk__in=busy)
    if run.job.status != J.RUNNING or run.actor is None:
        items = items.filter(request__isnull=False)
    return list(items.order_by("id")[: int(settings.BULK_CANCEL_BATCH_SIZE)])


def _refresh_counts(store: Store, job_id: int) -> dict[str, int]:
    """Write the job's counts from its items; return how many are pending and how many of those started."""
    rows = (
        BulkCancelItem.objects.for_store(store)
        .filter(job_id=job_id)
        .values("status")
        .annotate(n=Count("id"), refunded=Sum("refund"), started=Count("request_id"))
    )
    by_status = {row["status"]: row for row in rows}

    def count(status: str, key: str = "n") -> int:
        return int((by_status.get(status) or {}).get(key) or 0)

    BulkCancelJob.objects.for_store(store).filter(pk=job_id).update(
        done_count=count(I.DONE),
        skipped_count=count(I.SKIPPED),
        failed_count=count(I.FAILED),
        refunded_total=(by_status.get(I.DONE) or {}).get("refunded") or ZERO,
        updated_at=timezone.now(),
    )
    return {"pending": count(I.PENDING), "in_flight": count(I.PENDING, "started")}


def _finish(run: _Run) -> None:
    """End the job: skip what a stop left unstarted, stamp it finished, let the store's next job drain."""
    store, now = run.store, timezone.now()
    with transaction.atomic():
        job = BulkCancelJob.objects.for_store(store).select_for_update().get(pk=run.job.pk)
        if job.status == J.CANCELLED:
            _pending(run).filter(request__isnull=True).update(
                status=I.SKIPPED,
                message=_("Not cancelled: the job was stopped before it reached this order."),
                processed_at=now,
            )
        if _pending(run).exists():
            return
        if job.status in (J.QUEUED, J.RUNNING):
            job.status = J.COMPLETED
        job.finished_at = now
        job.lease_token, job.lease_until = "", None
        job.save(update_fields=["status", "finished_at", "lease_token", "lease_until", "updated_at"])
        _refresh_counts(store, job.pk)
        waiting = (
            BulkCancelJob.objects.for_store(store)
            .filter(status__in=(J.QUEUED, J.RUNNING), finished_at__isnull=True)
            .exclude(pk=job.pk)
            .values_list("pk", flat=True)
        )
        for other in waiting:
            enqueue_drain(store_id=store.pk, job_id=other)


# --- starting a batch: each order's request, recorded together ------------------------------------


@dataclass(frozen=True)
class _Work:
    """An item whose platform call is owed; `platform_id` is set when its request was just recorded."""

    item_id: int
    request_id: int
    order_id: int
    platform_id: str = ""


# The moves a bulk request makes as it is recorded: asked by staff, put before them, approved, started.
_RECORDED_PATH = (
    ("submitted", "", S.SUBMITTED),
    ("bulk_selected", S.SUBMITTED, S.PENDING_REVIEW),
    ("approved", S.PENDING_REVIEW, S.APPROVED),
    ("execution_started", S.APPROVED, S.EXECUTING),
)
assert all(can_transition(before, after) for _, before, after in _RECORDED_PATH[1:])


def _start_batch(run: _Run, items: Sequence[BulkCancelItem]) -> list[_Work]:
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
                order.has_shipped_lines = any(line.fulfilled_quantity for line in facts.lines)  # type: ignore[attr-defined]
                why = order_ineligibility(order, open_request=under_way.get(order.pk))
                if why is not None:
                    item.status, item.message, item.processed_at = I.SKIPPED, why[1], now
                else:
                    fresh.append((item, _request_row(run, order, facts, now), order))
            changed.append(item)
        # The partial unique index (one open cancel per order) still guards against a writer that
        # skipped the order lock: the batch then rolls back and the next run skips that order.
        created = OrderRequest.objects.bulk_create([entry[1] for entry in fresh])
        RequestEvent.objects.bulk_create(
            [event for request in created for event in _recorded_events(run, request, now)]
        )
        for entry, request in zip(fresh, created, strict=True):
            entry[0].request_id = request.pk
        BulkCancelItem.objects.for_store(store).bulk_update(
            changed, ["request", "status", "message", "processed_at"]
        )
    ready = [
        _Work(entry[0].pk, request.pk, entry[2].pk, entry[2].platform_id)
        for entry, request in zip(fresh, created, strict=True)
    ]
    resumed = [_Work(item.pk, item.request_id, item.order_id) for item in locked if item.order_id in mine]
    return [*ready, *resumed]


def _request_row(run: _Run, order: Order, facts: Any, now: datetime) -> OrderRequest:
    """A cancel request as staff make and approve one, already executing (attempt 1 is about to go)."""
    job, actor = run.job, run.actor
    assert actor is not None
    # The customer policy's view, kept for the audit trail; the staff member's approval decides.
    decision = decide(policy=run.policy, order=facts, action=Action.CANCEL, now=now)
    return OrderRequest(
        store=run.store,
        order=order,
        kind=RequestKind.CANCEL,
        status=S.EXECUTING,
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
        resolution=Resolution.APPROVED,
        decided_by=actor.user,
        decided_by_label=actor.label[:200],
        decided_at=now,
        decision_note=job.staff_note,
        executed_at=now,
        attempts=1,
        idempotency_key=request_key(job.pk, order.pk),
    )


def _recorded_events(run: _Run, request: OrderRequest, now: datetime) -> list[RequestEvent]:
    """The log of the moves `_request_row` made at once, as `record_event` writes them one by one."""
    assert run.actor is not None
    bulk = {"bulk_job": run.job.pk}
    events = []
    for action, before, after in _RECORDED_PATH:
        actor = run.executor if action == "execution_started" else run.actor
        data = {**bulk, "outcome": request.decision.get("outcome", "")} if action == "submitted" else bulk
        events.append(
            RequestEvent(
                store_id=request.store_id,
                request=request,
                at=now,
                actor_kind=actor.kind,
                actor=actor.user,
                actor_label=actor.label[:200],
                action=action,
                from_status=before,
                to_status=after,
                data=data,
            )
        )
    return events


# --- one item's platform call ----------------------------------------------------------------------


def _process(run: _Run, work: _Work) -> None:
    """Ask the platform to cancel one order; an unexpected failure is retried like a transient one."""
    try:
        _call(run, work)
    except Exception as error:
        # A bug, or the database going away: the item is looked at again after a backoff.
        logger.exception("bulk job %s: item %s failed unexpectedly", run.job.pk, work.item_id)
        _item_trouble(run, work.item_id, str(error)[:500])


def _item_trouble(run: _Run, item_id: int, message: str) -> None:
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


def _cancel_request(job: BulkCancelJob, order_platform_id: str) -> CancelRequest:
    # Deterministic for the job and order: a retry must describe the same effect, or the ledger refuses it.
    return CancelRequest(
        order_platform_id,
        reason=CancelReason(job.reason),
        refund=RefundMethod(job.refund_method),
        restock=job.restock,
        notify_customer=job.notify_customer,
        staff_note=job.staff_note or f"Amend bulk cancellation #{job.pk}",
    )


def _call(run: _Run, work: _Work) -> None:
    """Ask the platform to cancel (outside any transaction), at the rate the limiter allows."""
    store, item_id, request_id = run.store, work.item_id, work.request_id
    platform_id = work.platform_id
    if not platform_id:
        # A retry, or a request an earlier run recorded: count the attempt under the row lock first.
        with transaction.atomic():
            request = access_request(store=store, request_id=request_id, lock=True)
            if request.status != S.EXECUTING:
                _settle_from_request(run, item_id, request)
                return
            if request.platform_job_id:
                return  # sent already; the confirmation step finishes it
            request.attempts += 1
            request.save(update_fields=["attempts", "updated_at"])
            platform_id = request.order.platform_id
    run.limiter.acquire(run.cost)
    try:
        result = run.adapter.cancel(
            _cancel_request(run.job, platform_id), idempotency_key=platform_key(run.job.pk, work.order_id)
        )
    except TransientPlatformError as error:
        _after_transient(run, item_id, request_id, error)
        return
    except PlatformError as error:
        _after_permanent(run, item_id, request_id, error)
        return
    if result.status == EffectStatus.COMPLETED:
        _complete(run, item_id, request_id, result)
        return
    now = timezone.now()
    with transaction.atomic():
        # Accepted, finishing in the background: note the job (only while the request still executes)
        # and look at the order after the confirmation delay.
        noted = (
            OrderRequest.objects.for_store(store)
            .filter(pk=request_id, status=S.EXECUTING)
            .update(platform_job_id=result.job_id, updated_at=now)
        )
        if noted:
            BulkCancelItem.objects.for_store(store).filter(pk=item_id).update(
                due_at=now + timedelta(seconds=_seconds("BULK_CANCEL_CONFIRM_DELAY_SECONDS"))
            )


def _settle_from_request(run: _Run, item_id: int, request: OrderRequest) -> None:
    """The request got to an end without this drain (an earlier run, a retry by staff): mirror it."""
    now = timezone.now()
    items = BulkCancelItem.objects.for_store(run.store).filter(pk=item_id, status=I.PENDING)
    if request.status == S.COMPLETED:
        items.update(status=I.DONE, message="", processed_at=now)
    elif request.status in (S.FAILED, S.REJECTED, S.DENIED, S.WITHDRAWN):
        items.update(
            status=I.FAILED, message=request.last_error or request.get_status_display(), processed_at=now
        )


def _after_transient(run: _Run, item_id: int, request_id: int, error: TransientPlatformError) -> None:
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


def _after_permanent(run: _Run, item_id: int, request_id: int, error: PlatformError) -> None:
    with transaction.atomic():
        request = access_request(store=run.store, request_id=request_id, lock=True)
        if request.status == S.EXECUTING:
            _fail(run, item_id, request, code=error.code, message=error.message, now=timezone.now())


def _fail(run: _Run, item_id: int, request: OrderRequest, *, code: str, message: str, now: datetime) -> None:
    """Mark a locked, executing request failed (staff can retry it from the queue) and its item too."""
    transition_request(
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


def _complete(run: _Run, item_id: int, request_id: int, result: CancelResult) -> None:
    now = timezone.now()
    with transaction.atomic():
        request = access_request(store=run.store, request_id=request_id, lock=True)
        if request.status != S.EXECUTING:
            _settle_from_request(run, item_id, request)
            return
        transition_request(
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


# --- confirming cancels the platform finishes in the background -----------------------------------


def _confirm_due(run: _Run, *, flush: bool) -> int:
    """Look whether the platform finished the cancels it accepted; complete those it did.

    While calls are going, looks are gathered until a status query's worth (25) is due, or the oldest
    has waited CONFIRM_MAX_WAIT; with nothing else going (`flush`), everything due is looked at now.
    """
    items = list(
        _due(run)
        .exclude(request__platform_job_id="")
        .filter(request__isnull=False)
        .select_related("request", "order")
        .order_by("due_at", "id")[: 4 * STATUS_SLOTS]
    )
    if not items:
        return 0
    oldest = min((item.due_at for item in items if item.due_at), default=None)
    waited = (timezone.now() - oldest).total_seconds() if oldest else CONFIRM_MAX_WAIT
    if not flush and len(items) < STATUS_SLOTS and waited < CONFIRM_MAX_WAIT:
        return 0
    if isinstance(run.adapter, ShopifyAdapter):
        return _confirm_on_shopify(run, run.adapter, items)
    confirmed = 0
    for item in items:
        request = item.request
        assert request is not None
        try:
            result = run.adapter.poll_job(
                request.platform_job_id, idempotency_key=platform_key(run.job.pk, item.order_id)
            )
        except TransientPlatformError as error:
            _after_transient(run, item.pk, request.pk, error)
            continue
        except PlatformError as error:
            _after_permanent(run, item.pk, request.pk, error)
            continue
        if result.status == EffectStatus.COMPLETED:
            _complete(run, item.pk, request.pk, result)
            confirmed += 1
        else:
            _look_again(run, [item.pk])
    return confirmed


def _look_again(run: _Run, item_ids: Sequence[int]) -> None:
    later = timezone.now() + timedelta(seconds=_seconds("BULK_CANCEL_CONFIRM_DELAY_SECONDS"))
    BulkCancelItem.objects.for_store(run.store).filter(pk__in=item_ids).update(due_at=later)


def _confirm_on_shopify(run: _Run, adapter: ShopifyAdapter, items: list[BulkCancelItem]) -> int:
    confirmed = 0
    for start in range(0, len(items), STATUS_SLOTS):
        chunk = items[start : start + STATUS_SLOTS]
        run.limiter.acquire(status_query_cost(len(chunk)))
        try:
            statuses = cancel_statuses(adapter.client, [item.order.platform_id for item in chunk])
        except TransientPlatformError:
            _look_again(run, [item.pk for item in chunk])
            continue
        except PlatformError as error:
            logger.warning("bulk job %s: Shopify refused the status query: %s", run.job.pk, error.message)
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
            _confirmed_on_shopify(run, done)
            confirmed += len(done)
        _overdue_or_later(run, not_yet)
    return confirmed


def _overdue_or_later(run: _Run, items: list[BulkCancelItem]) -> None:
    """Not cancelled yet: look again later, or, after long enough, ask about the job itself."""
    timeout = timedelta(seconds=_seconds("BULK_CANCEL_CONFIRM_TIMEOUT_SECONDS"))
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
                _after_transient(run, item.pk, request.pk, error)
                continue
            except PlatformError as error:
                _after_permanent(run, item.pk, request.pk, error)
                continue
            if result.status == EffectStatus.COMPLETED:
                _complete(run, item.pk, request.pk, result)
                continue
        later.append(item.pk)
    if later:
        _look_again(run, later)


def _confirmed_on_shopify(run: _Run, confirmed: list[tuple[BulkCancelItem, CancelStatus]]) -> None:
    """Shopify shows these orders cancelled: record the effects done, update the mirror, complete them.

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
        PlatformEffect.objects.for_store(store).bulk_update(effects, ["status", "result", "completed_at"])
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
            order.version += 1
            order.updated_at = now
        Order.objects.for_store(store).bulk_update(
            orders, ["cancelled_at", "cancel_reason", "financial_status", "version", "updated_at"]
        )
        _complete_many(
            run, [(items[request.pk], request, results[request.order_id]) for request in requests], now
        )
    for request_id, item in items.items():
        if request_id not in {request.pk for request in requests}:
            # Finished some other way meanwhile (staff retried it from the queue, say): mirror that.
            _settle_from_request(run, item.pk, access_request(store=store, request_id=item.request_id or 0))


def _complete_many(
    run: _Run, done: list[tuple[BulkCancelItem, OrderRequest, CancelResult]], now: datetime
) -> None:
    """Complete locked, executing requests and their items, as `transition_request` does one by one."""
    assert can_transition(S.EXECUTING, S.COMPLETED)
    events = []
    for item, request, result in done:
        request.status, request.completed_at, request.result = S.COMPLETED, now, to_json(result)
        request.next_attempt_at, request.last_error, request.last_error_code = None, "", ""
        request.updated_at = now
        events.append(
            RequestEvent(
                store_id=request.store_id,
                request=request,
                at=now,
                actor_kind=run.executor.kind,
                actor=None,
                actor_label=run.executor.label[:200],
                action="completed",
                from_status=S.EXECUTING,
                to_status=S.COMPLETED,
                data={"replayed": result.replayed, "attempts": request.attempts, "bulk_job": run.job.pk},
            )
        )
        item.status, item.message, item.refund, item.processed_at = I.DONE, "", result.refunded, now
        item.attempts = request.attempts
    OrderRequest.objects.for_store(run.store).bulk_update(
        [request for _, request, _ in done],
        [
            "status",
            "completed_at",
            "result",
            "next_attempt_at",
            "last_error",
            "last_error_code",
            "updated_at",
        ],
    )
    RequestEvent.objects.bulk_create(events)
    BulkCancelItem.objects.for_store(run.store).bulk_update(
        [item for item, _, _ in done], ["status", "message", "refund", "processed_at", "attempts"]
    )


# --- the sweep -----------------------------------------------------------------------------------


def sweep_bulk_jobs(*, now: datetime | None = None, limit: int = 200) -> int:
    """Send jobs whose drain was lost (a killed worker, a broker outage) to a worker again."""
    now = now or timezone.now()
    lease = now + _lease_seconds()
    started = BulkCancelItem.objects.filter(
        store_id=OuterRef("store_id"), job_id=OuterRef("pk"), status=I.PENDING, request__isnull=False
    )
    # A system sweep across stores: each job is then handled under its own store by the task. A paused
    # job is sent only while orders it sent to the platform are still unconfirmed.
    rows = list(
        BulkCancelJob.objects.dangerously_unscoped()
        .annotate(has_started_items=Exists(started))
        .filter(finished_at__isnull=True, lease_until__lt=now)
        .filter(Q(status__in=(J.QUEUED, J.RUNNING, J.CANCELLED)) | Q(status=J.PAUSED, has_started_items=True))
        .order_by("lease_until")
        .values_list("store_id", "pk", "lease_until")[:limit]
    )
    sent = 0
    for store_id, job_id, due in rows:
        claimed = (
            BulkCancelJob.objects.for_store(store_id)
            .filter(pk=job_id, lease_until=due)
            .update(lease_token="", lease_until=lease)
        )
        if claimed:
            _send(store_id, job_id, None)
            sent += 1
    if sent:
        logger.info("sweep sent %s bulk cancellation jobs to workers again", sent)
    return sent


# --- threads ---------------------------------------------------------------------------------------


class _Threads:
    """A few threads for one drain slice, so platform calls overlap their network wait.

    With one thread, work runs in the caller's thread. Each thread has its own database connection,
    closed when the slice ends.
    """

    def __init__(self, size: int) -> None:
        self._queue: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...], Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self._threads = (
            [threading.Thread(target=self._loop, name=f"bulk-drain-{n}", daemon=True) for n in range(size)]
            if size > 1
            else []
        )
        for thread in self._threads:
            thread.start()

    def _loop(self) -> None:
        try:
            while (task := self._queue.get()) is not None:
                fn, args, future = task
                try:
                    future.set_result(fn(*args))
                except BaseException as error:  # handed to the caller through the future
                    future.set_exception(error)
        finally:
            connections.close_all()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run `fn(*args)` in a thread (in this one when there are none); its outcome is the future's."""
        future: Future[Any] = Future()
        if not self._threads:
            try:
                future.set_result(fn(*args))
            except Exception as error:
                future.set_exception(error)
            return future
        self._queue.put((fn, args, future))
        return future

    def close(self) -> None:
        for _thread in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
