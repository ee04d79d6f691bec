"""Draining a bulk cancellation: every order through the request lifecycle, once, at the platform's rate.

For each item the drain records an `OrderRequest` (kind cancel, requested and approved by the staff
member the job runs as, with the job's reason and refund method), moves it to executing, reserves the
call's cost from the store's rate limiter (`cancellations.bulk.rate`) and asks the platform to cancel
with the job's settings under a key derived from the job and the order (`cancellations.bulk.items`).
Shopify finishes cancels in the background; the drain confirms them 25 at a time and completes each
request, its ledger row and the order mirror (`cancellations.bulk.confirm`). This module runs the job:
its lease, the pipeline that keeps platform calls going, its end, and the sweep.

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
request the policy does not allow ends denied). The drain writes the same rows, moving them only as
the transition table allows and logging each move as `record_event` does, and records the policy's
decision for the audit trail, but staff decide. Its requests carry no `next_attempt_at`, so the
generic sweep leaves them to the drain.

A drain works for a slice of time (BULK_CANCEL_SLICE_SECONDS), then hands the job to a new task.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count, Exists, Min, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from cancellations.bulk.confirm import cancelled_after_all, confirm_due
from cancellations.bulk.items import (
    Accepted,
    DrainRun,
    Work,
    due_items,
    note_accepted,
    pending_items,
    process,
    setting_seconds,
    start_batch,
)
from cancellations.bulk.rate import limiter_for
from cancellations.core.queueing import send_task
from cancellations.models import (
    BulkCancelItem,
    BulkCancelJob,
    BulkItemStatus,
    BulkJobStatus,
)
from cancellations.models.bulk import DRAINABLE_STATUSES
from cancellations.policy.services import current_policy
from cancellations.requests.actors import Actor
from tenants.access import staff_access
from tenants.models import Store
from tenants.roles import Scope

logger = logging.getLogger(__name__)

J = BulkJobStatus
I = BulkItemStatus  # noqa: E741 - the item statuses
ZERO = Decimal("0.00")
# pg_advisory_xact_lock(class, store id): drains claiming a store's jobs take turns.
_LOCK_CLASS = 0x42554C4B
# How often a drain renews its lease while it works.
RENEW_EVERY = 5.0
# What a drain run came to.
DONE, MORE, PAUSED, BUSY, WAITING, LOST = "done", "more", "paused", "busy", "waiting", "lost"


# --- enqueueing ----------------------------------------------------------------------------------


def _send(store_id: int, job_id: int, countdown: float | None) -> None:
    # The job row says work is owed; the sweep sends it once the broker is back.
    send_task("bulk.drain", (store_id, job_id), countdown=countdown)


def enqueue_drain(*, store_id: int, job_id: int, countdown: float | None = None) -> None:
    """Send the job to a worker once the current transaction commits."""
    transaction.on_commit(lambda: _send(store_id, job_id, countdown))


# --- the lease -----------------------------------------------------------------------------------


def _lease_seconds() -> timedelta:
    return timedelta(seconds=setting_seconds("BULK_CANCEL_LEASE_SECONDS"))


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


def _actor(store: Store, job: BulkCancelJob) -> Actor | None:
    """The staff member the job runs as, if they may still cancel orders in this store (re-checked)."""
    if job.run_as is None or not job.run_as.is_active:
        return None
    access = staff_access(user=job.run_as, store=store)
    if access is None or not access.has(Scope.REQUESTS_DECIDE):
        return None
    return Actor.staff(access)


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
    adapter = import_string(settings.REQUEST_ADAPTER_FACTORY)(store)
    limiter, cost = limiter_for(adapter)
    policy, version = current_policy(store=store)
    run = DrainRun(
        store=store,
        job=job,
        token=token,
        adapter=adapter,
        limiter=limiter,
        cost=cost,
        actor=actor,
        executor=replace(Actor.system(), label=f"Amend bulk cancellation #{job.pk}"),
        policy=policy,
        policy_version=version,
        cancelled_after_all=cancelled_after_all,
    )
    slice_ends = clock() + setting_seconds("BULK_CANCEL_SLICE_SECONDS")
    threads = _Threads(int(settings.BULK_CANCEL_CONCURRENCY))
    try:
        return _pipeline(run, threads, slice_ends, clock=clock, sleep=sleep)
    finally:
        threads.close()


def _pipeline(
    run: DrainRun,
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
        confirmed = confirm_due(run, flush=not in_flight)
        found = 0
        if lease_ok and clock() < slice_ends and len(in_flight) <= batch // 2:
            work = _due_work(run, busy=set(in_flight.values()))
            found = len(work)
            new = [item for item in work if item.request_id is None]
            calls = [
                Work(item.pk, item.request_id, item.order_id) for item in work if item.request_id is not None
            ]
            if new:
                calls += start_batch(run, new)
            for call in calls:
                in_flight[threads.submit(process, run, call)] = call.item_id
        if in_flight:
            # Room for the next batch once half of this one is through; or any news, when none is due.
            # What the platform accepted is noted before the next look for due work.
            note_accepted(
                run, _wait_for_room(in_flight, batch // 2 if found else len(in_flight) - 1, timeout=0.5)
            )
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


def _wait_for_room(in_flight: dict[Future[Any], int], target: int, *, timeout: float) -> list[Accepted]:
    """Wait until at most `target` calls are left in flight, or `timeout` seconds have passed; return
    the cancels the platform accepted among the calls that returned."""
    deadline = time.monotonic() + timeout
    accepted: list[Accepted] = []
    while len(in_flight) > max(target, 0):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        done, _running = wait(list(in_flight), timeout=remaining, return_when=FIRST_COMPLETED)
        for future in done:
            del in_flight[future]
            if (outcome := future.result()) is not None:
                accepted.append(outcome)
    return accepted


def _idle_seconds(run: DrainRun, remaining: float) -> float:
    """Nothing is due: wait until the next item is (a retry, or a cancel to confirm), briefly."""
    due = pending_items(run).aggregate(next=Min("due_at"))["next"]
    seconds = (due - timezone.now()).total_seconds() if due else 0.2
    return max(0.05, min(seconds, remaining, 1.0))


def _due_work(run: DrainRun, *, busy: set[int]) -> list[BulkCancelItem]:
    """Items whose platform call is owed (new ones while running, retries of started ones), not in hand."""
    items = (
        due_items(run).filter(Q(request__isnull=True) | Q(request__platform_job_id="")).exclude(pk__in=busy)
    )
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
    by_status: dict[str, Mapping[str, Any]] = {row["status"]: row for row in rows}

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


def _finish(run: DrainRun) -> None:
    """End the job: skip what a stop left unstarted, stamp it finished, let the store's next job drain."""
    store, now = run.store, timezone.now()
    with transaction.atomic():
        job = BulkCancelJob.objects.for_store(store).select_for_update().get(pk=run.job.pk)
        if job.status == J.CANCELLED:
            pending_items(run).filter(request__isnull=True).update(
                status=I.SKIPPED,
                message=_("Not cancelled: the job was stopped before it reached this order."),
                processed_at=now,
            )
        if pending_items(run).exists():
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
