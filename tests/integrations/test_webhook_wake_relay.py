"""The relay thread that wakes the webhook inbox in production (WEBHOOK_INBOX_WAKE_RELAY).

The rest of the suite wakes inline (tests/conftest.py), so tasks run inside each test's transaction;
here the thread runs for real, against committed rows and the configured cache.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import cache

from cancellations.models import WebhookDelivery
from cancellations.webhooks import inbox
from cancellations.webhooks.tasks import drain_inbox_task
from tests.cancellations.samples import orders_create_body
from tests.integrations.webhook_client import deliver
from tests.worker import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _relay(settings):
    settings.WEBHOOK_INBOX_WAKE_RELAY = True
    cache.delete(inbox.WAKE_KEY)
    yield
    time.sleep(inbox.WAKE_COALESCE_SECONDS * 4)  # let a last wake finish before the key is cleared
    cache.delete(inbox.WAKE_KEY)


@pytest.fixture
def published(monkeypatch):
    """The drains published, and from which thread (not run: as if no worker had taken them yet)."""
    sent: list[str] = []
    monkeypatch.setattr(
        drain_inbox_task, "apply_async", lambda *a, **kw: sent.append(threading.current_thread().name)
    )
    return sent


def _soon(condition) -> bool:
    return wait_until(condition, timeout=5.0, interval=0.005)


def _deliver(client, store):
    response = deliver(client, store.platform_domain, "orders/create", orders_create_body())
    assert response.status_code == 200


def test_a_burst_is_answered_and_woken_once_from_the_relay_thread(client, shopify_store, published):
    for _ in range(10):
        _deliver(client, shopify_store)

    assert WebhookDelivery.objects.for_store(shopify_store).count() == 10  # committed before each 200
    assert _soon(lambda: published)
    time.sleep(0.1)
    assert published == ["amend-inbox-wake"]  # one drain for the burst, sent off the request's thread


def test_a_delivery_after_the_drain_started_wakes_another(client, shopify_store, published):
    _deliver(client, shopify_store)
    assert _soon(lambda: len(published) == 1)

    cache.delete(inbox.WAKE_KEY)  # what the drain does as it starts
    _deliver(client, shopify_store)

    assert _soon(lambda: len(published) == 2)


def test_a_broker_outage_leaves_the_relay_running_for_the_next_delivery(
    client, shopify_store, published, monkeypatch
):
    real = drain_inbox_task.apply_async
    down = {"on": True}

    def flaky(*args, **kwargs):
        if down["on"]:
            raise ConnectionError("broker down")
        return real(*args, **kwargs)

    monkeypatch.setattr(drain_inbox_task, "apply_async", flaky)
    _deliver(client, shopify_store)
    time.sleep(0.1)
    assert cache.get(inbox.WAKE_KEY) is None  # the failed wake let go of the key
    assert published == []

    down["on"] = False
    _deliver(client, shopify_store)

    assert _soon(lambda: published == ["amend-inbox-wake"])
