"""Waking the webhook inbox: one drain task for a burst, never a delivery left unseen, every store's own."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from cancellations.models import Order, WebhookDelivery
from cancellations.platforms.base import TransientPlatformError
from cancellations.webhooks import inbox
from cancellations.webhooks.tasks import drain_inbox_task
from tests.cancellations.samples import rest_order
from tests.fakeshopify.fixtures import make_shopify_store
from tests.integrations.webhook_client import body_of, deliver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_drain_waiting(monkeypatch):
    # The key's expiry stands for a lost drain; a slow machine must not expire it mid-test.
    monkeypatch.setattr(inbox, "WAKE_KEY_SECONDS", 600)
    cache.delete(inbox.WAKE_KEY)
    yield
    cache.delete(inbox.WAKE_KEY)


@pytest.fixture
def published(monkeypatch):
    """The drains the web requests publish (not run: as if the worker had not taken them yet)."""
    sent: list[tuple] = []
    monkeypatch.setattr(drain_inbox_task, "apply_async", lambda *a, **kw: sent.append(a))
    return sent


def _order_body(number: int) -> bytes:
    order_id = 5_000_000 + number
    return body_of(
        dict(
            rest_order(),
            id=order_id,
            admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
            name=f"#{number}",
            order_number=number,
        )
    )


def _send(client, django_capture_on_commit_callbacks, store, number: int):
    with django_capture_on_commit_callbacks(execute=True):
        return deliver(client, store.platform_domain, "orders/create", _order_body(number))


def test_a_burst_publishes_one_drain_and_that_drain_processes_every_delivery(
    client, django_capture_on_commit_callbacks, shopify_store, published
):
    for number in range(1, 6):
        assert _send(client, django_capture_on_commit_callbacks, shopify_store, number).status_code == 200

    assert len(published) == 1  # one task for five deliveries: a drain was waiting to start
    waiting = WebhookDelivery.objects.for_store(shopify_store)
    assert set(waiting.values_list("status", flat=True)) == {"received"}

    assert inbox.drain_inbox() == 5
    assert set(waiting.values_list("status", flat=True)) == {"processed"}
    assert Order.objects.for_store(shopify_store).count() == 5


def test_a_drain_that_finds_a_backlog_wakes_a_companion_to_share_it(
    client, django_capture_on_commit_callbacks, shopify_store, published
):
    for number in range(1, 4):
        _send(client, django_capture_on_commit_callbacks, shopify_store, number)
    assert len(published) == 1

    assert inbox.drain_inbox() == 3
    assert len(published) == 2  # the companion a second worker would take
    assert inbox.drain_inbox() == 0  # it finds the backlog done and wakes nobody
    assert len(published) == 2


def test_a_drain_of_one_delivery_wakes_no_companion(
    client, django_capture_on_commit_callbacks, shopify_store, published
):
    _send(client, django_capture_on_commit_callbacks, shopify_store, 1)

    assert inbox.drain_inbox() == 1
    assert len(published) == 1


def test_once_the_drain_has_started_the_next_delivery_wakes_another(
    client, django_capture_on_commit_callbacks, shopify_store, published
):
    _send(client, django_capture_on_commit_callbacks, shopify_store, 1)
    inbox.drain_inbox()  # the waiting drain starts (and finds the first delivery)
    _send(client, django_capture_on_commit_callbacks, shopify_store, 2)

    assert len(published) == 2
    assert inbox.drain_inbox() == 1


def test_a_lost_drain_delays_the_next_wake_by_seconds_only(
    client, django_capture_on_commit_callbacks, shopify_store, published
):
    _send(client, django_capture_on_commit_callbacks, shopify_store, 1)
    cache.delete(inbox.WAKE_KEY)  # what its expiry does when the published drain never starts
    _send(client, django_capture_on_commit_callbacks, shopify_store, 2)

    assert len(published) == 2
    assert inbox.drain_inbox() == 2


def test_with_the_broker_down_the_next_delivery_tries_to_wake_again(
    client, django_capture_on_commit_callbacks, shopify_store, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(drain_inbox_task, "apply_async", broker_down)
    assert _send(client, django_capture_on_commit_callbacks, shopify_store, 1).status_code == 200
    assert cache.get(inbox.WAKE_KEY) is None  # not left claiming a drain is on its way
    assert WebhookDelivery.objects.for_store(shopify_store).get().status == "received"


def test_a_drain_processes_each_delivery_under_its_own_store(
    client, django_capture_on_commit_callbacks, fake_shopify, shopify_store, published
):
    other = make_shopify_store(fake_shopify)
    _send(client, django_capture_on_commit_callbacks, shopify_store, 1)
    _send(client, django_capture_on_commit_callbacks, other, 1)  # the same order id, another shop

    assert inbox.drain_inbox() == 2
    for store in (shopify_store, other):
        assert Order.objects.for_store(store).count() == 1
        assert WebhookDelivery.objects.for_store(store).get().status == "processed"


def test_a_delivery_that_may_succeed_later_is_handed_to_the_retrying_task(
    client, django_capture_on_commit_callbacks, shopify_store, published, monkeypatch
):
    def platform_down(store, payload, delivery):
        raise TransientPlatformError("Shopify had a problem (503).", retry_after=7.0)

    monkeypatch.setitem(inbox.HANDLERS, "orders/create", platform_down)
    retries: list[tuple] = []
    monkeypatch.setattr(inbox, "send_task", lambda name, args=(), **kw: retries.append((name, args, kw)))
    _send(client, django_capture_on_commit_callbacks, shopify_store, 1)

    assert inbox.drain_inbox() == 1
    delivery = WebhookDelivery.objects.for_store(shopify_store).get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)  # the attempt is kept
    assert [r for r in retries if r[0] != "webhooks.drain_inbox"] == [
        ("webhooks.process_delivery", (shopify_store.pk, delivery.pk), {"countdown": 7.0})
    ]


def test_a_drain_hands_on_when_its_time_is_up(
    client, django_capture_on_commit_callbacks, shopify_store, published
):
    _send(client, django_capture_on_commit_callbacks, shopify_store, 1)
    assert inbox.drain_inbox(seconds=-1) == 0
    assert len(published) == 2  # the web request's, and the one it handed on to
    assert inbox.drain_inbox() == 1
