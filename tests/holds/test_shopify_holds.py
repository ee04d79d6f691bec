"""A new Shopify order is held on every fulfilment order while its change window is open, and released
exactly once: when the window closes (the sweep), early by staff or the customer, after lost answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.holds.services import place_hold, release_hold, start_release, sweep_holds
from cancellations.models import HOLD_HANDLE, FulfilmentHold, HoldStatus, ReleaseReason
from cancellations.platforms.base import TransientPlatformError
from cancellations.platforms.shopify import documents
from cancellations.platforms.shopify.adapter import ShopifyAdapter
from tests.fakeshopify.fixtures import make_shopify_store
from tests.holds.helpers import hold_of, hold_policy, order_created

pytestmark = pytest.mark.django_db


def _fos(fake, store, order):
    return fake.order(store.platform_domain, order.platform_id)["fulfillmentOrders"]


def _log(fake, store, kind):
    return [entry for entry in fake.shops[store.platform_domain].hold_log if entry[0] == kind]


def test_a_new_order_is_held_on_creation_and_the_warehouse_cannot_fulfil_it(
    fake_shopify, shopify_store, django_capture_on_commit_callbacks
):
    hold_policy(shopify_store)
    fake_order = fake_shopify.add_order(shopify_store.platform_domain, fulfillment_orders=2)

    with django_capture_on_commit_callbacks(execute=True):
        order = order_created(shopify_store, fake_order)

    hold = hold_of(order)
    assert hold.status == HoldStatus.HELD
    fos = _fos(fake_shopify, shopify_store, order)
    assert [fo["status"] for fo in fos] == ["ON_HOLD", "ON_HOLD"]
    placed = [fo["holds"][0] for fo in fos]
    assert {(h["handle"], h["reason"]) for h in placed} == {(HOLD_HANDLE, "OTHER")}
    assert "Amend" in placed[0]["reasonNotes"]
    assert hold.platform_holds == [
        {"fulfillment_order": fo["id"], "hold": fo["holds"][0]["id"]} for fo in fos
    ]
    # Under "until shipped" (the default windows) the hold lasts the policy's maximum.
    assert hold.release_at == order.placed_at + timedelta(minutes=120)
    with pytest.raises(ValueError, match="on hold"):
        fake_shopify.fulfil(shopify_store.platform_domain, order.platform_id)


def test_the_hold_is_released_exactly_once_when_the_window_closes(
    fake_shopify, shopify_store, django_capture_on_commit_callbacks
):
    hold_policy(shopify_store, cancel_minutes=30)
    fake_order = fake_shopify.add_order(shopify_store.platform_domain, fulfillment_orders=2)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_created(shopify_store, fake_order)
    hold = hold_of(order)
    assert hold.release_at == order.placed_at + timedelta(minutes=30)

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_holds(now=hold.release_at - timedelta(seconds=1)) == 0
    assert hold_of(order).status == HoldStatus.HELD

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_holds(now=hold.release_at + timedelta(seconds=1)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_holds(now=hold.release_at + timedelta(minutes=5)) == 0

    hold = hold_of(order)
    assert (hold.status, hold.release_reason) == (HoldStatus.RELEASED, ReleaseReason.WINDOW_CLOSED)
    assert hold.released_at is not None
    assert [fo["status"] for fo in _fos(fake_shopify, shopify_store, order)] == ["OPEN", "OPEN"]
    assert len(_log(fake_shopify, shopify_store, "release")) == 2  # one per fulfilment order, once
    calls = fake_shopify.shops[shopify_store.platform_domain].calls
    assert calls.count("AmendFulfillmentOrderReleaseHold") == 2
    fake_shopify.fulfil(shopify_store.platform_domain, order.platform_id)


def test_a_hold_longer_than_the_maximum_is_cut_to_it_and_no_hold_when_the_store_has_it_off(
    fake_shopify, shopify_store, django_capture_on_commit_callbacks
):
    hold_policy(shopify_store, max_minutes=60, cancel_minutes=600)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_created(shopify_store, fake_shopify.add_order(shopify_store.platform_domain))
    assert hold_of(order).release_at == order.placed_at + timedelta(minutes=60)

    other = make_shopify_store(fake_shopify)  # the default policy: holding is off
    with django_capture_on_commit_callbacks(execute=True):
        unheld = order_created(other, fake_shopify.add_order(other.platform_domain))
    assert not FulfilmentHold.objects.for_store(other).filter(order=unheld).exists()
    assert _fos(fake_shopify, other, unheld)[0]["status"] == "OPEN"


def test_an_order_whose_window_already_closed_is_not_held(
    fake_shopify, shopify_store, django_capture_on_commit_callbacks
):
    hold_policy(shopify_store, cancel_minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_created(
            shopify_store,
            fake_shopify.add_order(shopify_store.platform_domain),
            placed_at=timezone.now() - timedelta(hours=1),
        )
    assert not FulfilmentHold.objects.for_store(shopify_store).filter(order=order).exists()


def test_an_order_is_held_once_however_often_its_webhooks_arrive(
    fake_shopify, shopify_store, django_capture_on_commit_callbacks
):
    hold_policy(shopify_store)
    fake_order = fake_shopify.add_order(shopify_store.platform_domain)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_created(shopify_store, fake_order)
    hold = hold_of(order)
    # A second hold attempt (a redelivered task) finds Amend's hold by its handle.
    FulfilmentHold.objects.for_store(shopify_store).filter(pk=hold.pk).update(status=HoldStatus.PENDING)
    place_hold(store=shopify_store, hold_id=hold.pk)

    assert FulfilmentHold.objects.for_store(shopify_store).filter(order=order).count() == 1
    assert len(_log(fake_shopify, shopify_store, "hold")) == 1
    assert hold_of(order).platform_holds == hold.platform_holds


def test_a_lost_answer_to_the_hold_and_to_the_release_changes_nothing_twice(
    fake_shopify, shopify_store, django_capture_on_commit_callbacks
):
    hold_policy(shopify_store)
    domain = shopify_store.platform_domain
    with django_capture_on_commit_callbacks(execute=False):
        order = order_created(shopify_store, fake_shopify.add_order(domain))
    hold = hold_of(order)

    fake_shopify.lose_next_answer(domain)
    with pytest.raises(TransientPlatformError):
        place_hold(store=shopify_store, hold_id=hold.pk)
    assert hold_of(order).status == HoldStatus.PENDING
    place_hold(store=shopify_store, hold_id=hold.pk)  # Shopify says DUPLICATE: the hold is found
    assert hold_of(order).status == HoldStatus.HELD
    assert len(_log(fake_shopify, shopify_store, "hold")) == 1

    with django_capture_on_commit_callbacks(execute=False):
        assert start_release(store=shopify_store, hold_id=hold.pk, reason=ReleaseReason.STAFF)
    fake_shopify.lose_next_answer(domain)
    with pytest.raises(TransientPlatformError):
        release_hold(store=shopify_store, hold_id=hold.pk)
    assert hold_of(order).status == HoldStatus.RELEASING
    release_hold(store=shopify_store, hold_id=hold.pk)  # nothing of Amend's left: nothing released
    release_hold(store=shopify_store, hold_id=hold.pk)
    assert hold_of(order).status == HoldStatus.RELEASED
    assert len(_log(fake_shopify, shopify_store, "release")) == 1


def test_a_store_without_the_fulfilment_permission_is_not_held_and_says_why(
    fake_shopify, shopify_store, django_capture_on_commit_callbacks
):
    hold_policy(shopify_store)
    fake_shopify.shops[shopify_store.platform_domain].scopes = {"write_orders", "read_products"}
    try:
        with django_capture_on_commit_callbacks(execute=True):
            order = order_created(shopify_store, fake_shopify.add_order(shopify_store.platform_domain))
    finally:
        fake_shopify.shops[shopify_store.platform_domain].scopes = None
    hold = hold_of(order)
    assert hold.status == HoldStatus.FAILED
    assert "permission" in hold.last_error
    assert _fos(fake_shopify, shopify_store, order)[0]["status"] == "OPEN"


def test_shopify_refuses_to_release_a_hold_that_is_not_there(fake_shopify, shopify_store):
    fake_order = fake_shopify.add_order(shopify_store.platform_domain)
    fo = fake_order["fulfillmentOrders"][0]["id"]
    client = ShopifyAdapter(shopify_store).client
    held = client.execute(
        documents.FULFILLMENT_ORDER_HOLD,
        {"id": fo, "hold": {"reason": "OTHER", "handle": HOLD_HANDLE, "notifyMerchant": False}},
    )["fulfillmentOrderHold"]
    hold_id = held["fulfillmentHold"]["id"]
    again = client.execute(
        documents.FULFILLMENT_ORDER_HOLD, {"id": fo, "hold": {"reason": "OTHER", "handle": HOLD_HANDLE}}
    )["fulfillmentOrderHold"]
    assert [e["code"] for e in again["userErrors"]] == ["DUPLICATE_FULFILLMENT_HOLD_HANDLE"]

    release = documents.FULFILLMENT_ORDER_RELEASE_HOLD
    first = client.execute(release, {"id": fo, "holdIds": [hold_id]})["fulfillmentOrderReleaseHold"]
    assert first["userErrors"] == [] and first["fulfillmentOrder"]["status"] == "OPEN"
    second = client.execute(release, {"id": fo, "holdIds": [hold_id]})["fulfillmentOrderReleaseHold"]
    assert second["userErrors"] and second["userErrors"][0]["field"] == ["holdIds"]
    unknown = client.execute(release, {"id": "gid://shopify/FulfillmentOrder/1", "holdIds": [hold_id]})
    assert unknown["fulfillmentOrderReleaseHold"]["userErrors"][0]["code"] == "FULFILLMENT_ORDER_NOT_FOUND"
