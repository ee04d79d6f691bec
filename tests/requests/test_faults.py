"""Fault tests with a real worker and broker: kills, a failing platform, duplicated deliveries.

200 approved requests (cancellations, reorders, address changes) on the built-in store are carried out
by a worker that is SIGKILLed and restarted, or in front of a platform failing for a while, or with
every task delivered several times. Afterwards every request is completed and the effect ledger and the
store's own records show each effect applied exactly once. The test process plays beat: it runs the
sweeps every second, which is all a lost task needs, on Redis and on the filesystem broker alike.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from cancellations.models import (
    InventoryAdjustment,
    Notification,
    Order,
    OrderRequest,
    PlatformEffect,
    Refund,
    RequestEvent,
    Variant,
)
from cancellations.notifications.services import sweep_notifications
from cancellations.requests.actors import Actor
from cancellations.requests.execution import sweep_stuck_requests
from cancellations.requests.services import approve_request
from cancellations.requests.submission import submit_request
from cancellations.requests.tasks import execute_request_task
from tenants.models import Store
from tests.factories import make_order, make_product
from tests.requests.helpers import key, review_everything
from tests.worker import Worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

TOTAL = 200
# The development (filesystem) broker is polled and far slower; on Redis a run takes about 20 s.
DEADLINE = 100.0 if django_settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else 300.0


@pytest.fixture(autouse=True)
def _sweep_timings(settings):
    # The test process runs the sweeps; the worker has the same timings (fault_settings.py).
    settings.REQUEST_EXECUTION_LEASE_SECONDS = 10
    settings.REQUEST_SWEEP_GRACE_SECONDS = 2


def _worker(**faults: str) -> Worker:
    env = {"DJANGO_SETTINGS_MODULE": "tests.requests.fault_settings", "DATABASE_CONN_MAX_AGE": "60", **faults}
    if django_settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        # Redis hands a killed worker's unacknowledged tasks out again only after this long.
        env["CELERY_VISIBILITY_TIMEOUT"] = "10"
    return Worker(concurrency=2, env=env)


def _approved_requests(store: Store) -> dict[str, list[int]]:
    """TOTAL requests waiting for review, approved by an integration in one transaction."""
    review_everything(store)
    variant = Variant.objects.for_store(store).get(pk=make_product(store, variants=1).variants.get().pk)
    Variant.objects.for_store(store).filter(pk=variant.pk).update(inventory_quantity=10_000)
    decider = Actor.api_token(1, "fault test")
    by_kind: dict[str, list[int]] = {"cancel": [], "reorder": [], "edit": []}
    with transaction.atomic():
        for i in range(TOTAL):
            # One order in ten has an email, so the outbox is tested under the same faults.
            order = make_order(store, lines=2, email=f"buyer{i}@example.com" if i % 10 == 3 else "")
            kind = "reorder" if i % 5 == 0 else "edit" if i % 10 == 1 else "cancel"
            changes = {
                "cancel": [],
                "reorder": [{"variant_id": variant.platform_id, "quantity": 1}],
                "edit": [{"kind": "address", "address": {"address1": f"Ny gata {i}", "country_code": "SE"}}],
            }[kind]
            request = submit_request(
                store=store,
                order=order,
                actor=Actor.customer(order.email),
                kind=kind,
                idempotency_key=key(),
                reason_code="changed_mind" if kind == "cancel" else "",
                changes=changes,
            )
            approve_request(store=store, request_id=request.pk, actor=decider)
            by_kind[kind].append(request.pk)
    return by_kind


@dataclass
class Run:
    seconds: float
    kills: int
    executing_at_kills: list[int]


def _completed(store: Store) -> int:
    return OrderRequest.objects.for_store(store).filter(status="completed").count()


def _drive(worker: Worker, store: Store, *, kills: int, faults_for: float = 0.0) -> Run:
    """Run the worker until every request is done and every email sent, killing it `kills` times.

    With `faults_for`, the platform misbehaves for that many seconds from the worker's first start.
    """
    worker.env["AMEND_FAULTS_UNTIL"] = str(time.time() + faults_for if faults_for else 0)
    started = time.monotonic()
    worker.start()
    executing_at_kills: list[int] = []
    last_sweep = 0.0
    while time.monotonic() - started < DEADLINE:
        done = _completed(store)
        unsent = Notification.objects.for_store(store).filter(status="pending").count()
        if done == TOTAL and unsent == 0:
            break
        # Kill at even steps of progress, so each kill lands while requests are being carried out.
        if worker.kills < kills and done >= (worker.kills + 1) * TOTAL // (kills + 2):
            executing_at_kills.append(
                OrderRequest.objects.for_store(store).filter(status="executing").count()
            )
            worker.kill()
            worker.start()
        if time.monotonic() - last_sweep >= 1.0:
            sweep_stuck_requests()
            sweep_notifications()
            last_sweep = time.monotonic()
        time.sleep(0.05)
    return Run(seconds=time.monotonic() - started, kills=worker.kills, executing_at_kills=executing_at_kills)


def _assert_each_effect_exactly_once(store: Store, by_kind: dict[str, list[int]]) -> None:
    requests = {r.pk: r for r in OrderRequest.objects.for_store(store).select_related("order")}
    statuses = Counter(r.status for r in requests.values())
    assert statuses == {"completed": TOTAL}, statuses
    # one completion each, in the log as on the row
    completions = Counter(
        RequestEvent.objects.for_store(store).filter(action="completed").values_list("request_id", flat=True)
    )
    assert set(completions.values()) == {1} and len(completions) == TOTAL
    # the ledger: one effect per request key, each finished
    effects = PlatformEffect.objects.for_store(store)
    assert effects.count() == TOTAL
    assert set(effects.values_list("idempotency_key", flat=True)) == {
        r.platform_key for r in requests.values()
    }
    assert set(effects.values_list("status", flat=True)) == {"completed"}
    # the built-in store's own records: every order changed once (its version counts changes)
    cancelled = [requests[pk].order for pk in by_kind["cancel"]]
    refunds = Counter(Refund.objects.for_store(store).values_list("order_id", flat=True))
    assert {order.pk: refunds[order.pk] for order in cancelled} == {order.pk: 1 for order in cancelled}
    for pk in by_kind["cancel"] + by_kind["edit"]:
        order = Order.objects.for_store(store).get(pk=requests[pk].order_id)
        assert order.version == 2, (requests[pk].kind, order.version)
    assert all(
        Order.objects.for_store(store).get(pk=requests[pk].order_id).is_cancelled for pk in by_kind["cancel"]
    )
    new_orders = Order.objects.for_store(store).filter(tags__contains=["reorder"])
    assert new_orders.count() == len(by_kind["reorder"])
    assert {requests[pk].result["platform_id"] for pk in by_kind["reorder"]} == set(
        new_orders.values_list("platform_id", flat=True)
    )
    taken = InventoryAdjustment.objects.for_store(store).filter(reason="reorder")
    assert taken.count() == len(by_kind["reorder"])
    # and every email owed was sent
    assert not Notification.objects.for_store(store).exclude(status="sent").exists()


def _report(name: str, run: Run, store: Store) -> None:
    attempts = sum(OrderRequest.objects.for_store(store).values_list("attempts", flat=True))
    print(
        f"\n{name}: {TOTAL} requests in {run.seconds:.1f}s, {run.kills} kills "
        f"(executing at each: {run.executing_at_kills}), {attempts} attempts, "
        f"{PlatformEffect.objects.for_store(store).count()} effects"
    )


def test_a_worker_killed_again_and_again_leaves_every_request_done_once(store_a):
    with _worker(AMEND_FAULTS_LATENCY="0.05") as worker:
        by_kind = _approved_requests(store_a)
        run = _drive(worker, store_a, kills=5)

    _report("SIGKILL x5", run, store_a)
    assert run.kills == 5
    _assert_each_effect_exactly_once(store_a, by_kind)


def test_a_platform_failing_for_a_while_is_retried_until_every_request_is_done_once(store_a):
    with _worker(AMEND_FAULTS_LATENCY="0.02") as worker:
        by_kind = _approved_requests(store_a)
        run = _drive(worker, store_a, kills=2, faults_for=12)

    _report("platform failing + SIGKILL x2", run, store_a)
    retried = RequestEvent.objects.for_store(store_a).filter(action="attempt_failed")
    assert {"platform_unavailable", "platform_timeout"} <= set(retried.values_list("data__code", flat=True))
    _assert_each_effect_exactly_once(store_a, by_kind)


def test_every_task_delivered_three_times_still_acts_once(store_a):
    with _worker(AMEND_FAULTS_LATENCY="0.02") as worker:
        by_kind = _approved_requests(store_a)
        for request_id in [pk for pks in by_kind.values() for pk in pks]:
            for _ in range(2):
                execute_request_task.delay(store_a.pk, request_id)
        run = _drive(worker, store_a, kills=0)

    _report("every task three times", run, store_a)
    _assert_each_effect_exactly_once(store_a, by_kind)
