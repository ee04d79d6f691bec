"""A hold survives a killed worker: placed by a real Celery worker, the worker SIGKILLed, and released
exactly once at the window's end by the sweep once a worker runs again.

The worker is a real process on the real broker, talking to the fake Shopify in this process; the test
process plays beat (it runs the sweep).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.holds.services import sweep_holds
from cancellations.models import FulfilmentHold, HoldStatus, ReleaseReason
from tests.fakeshopify.fixtures import API_KEY, API_SECRET, make_shopify_store
from tests.holds.helpers import hold_policy, order_created
from tests.worker import Worker, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _status(hold_id: int, store) -> str:
    return FulfilmentHold.objects.for_store(store).get(pk=hold_id).status


def test_a_hold_placed_before_a_worker_was_killed_is_released_once_after_it_restarts(fake_shopify):
    store = make_shopify_store(fake_shopify)
    hold_policy(store, cancel_minutes=1)
    domain = store.platform_domain
    fake_order = fake_shopify.add_order(domain, fulfillment_orders=2)
    env = {
        "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": API_SECRET,
        "SHOPIFY_API_ORIGIN": fake_shopify.origin,
    }
    with Worker(env=env) as worker:
        worker.start()
        # The order came in 40 seconds ago: its one-minute window closes 20 seconds from now.
        order = order_created(store, fake_order, placed_at=timezone.now() - timedelta(seconds=40))
        hold = FulfilmentHold.objects.for_store(store).get(order=order)
        assert wait_until(lambda: _status(hold.pk, store) == HoldStatus.HELD, timeout=90)
        assert [
            fo["status"] for fo in fake_shopify.order(domain, order.platform_id)["fulfillmentOrders"]
        ] == [
            "ON_HOLD",
            "ON_HOLD",
        ]

        worker.kill()
        # Beat goes on while no worker runs: the release is due and started, its task waits.
        while timezone.now() < hold.release_at:
            time.sleep(0.5)
        assert sweep_holds() == 1
        assert _status(hold.pk, store) == HoldStatus.RELEASING

        worker.start()
        assert wait_until(lambda: _status(hold.pk, store) == HoldStatus.RELEASED, timeout=90)
        # Later sweeps find nothing left to do.
        assert sweep_holds(now=timezone.now() + timedelta(minutes=5)) == 0
        time.sleep(1)

    released = FulfilmentHold.objects.for_store(store).get(pk=hold.pk)
    assert released.release_reason == ReleaseReason.WINDOW_CLOSED
    assert hold.release_at <= released.released_at < hold.release_at + timedelta(seconds=90)
    log = fake_shopify.shops[domain].hold_log
    assert [kind for kind, *_ in log] == ["hold", "hold", "release", "release"]
    assert worker.kills == 1 and worker.starts == 2
    fake_shopify.fulfil(domain, order.platform_id)
