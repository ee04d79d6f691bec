"""A rule's "add a tag" reaches the store's platform: Shopify's tagsAdd, once, kept until confirmed."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.models import Order
from cancellations.orders import tags as order_tags
from cancellations.orders.services import upsert_order
from cancellations.orders.tags import add_order_tag, push_order_tags, sweep_waiting_tags
from cancellations.platforms.base import TransientPlatformError
from cancellations.platforms.shopify.payloads import order_from_graphql
from tests.factories import make_order
from tests.rules.helpers import make_rule

pytestmark = pytest.mark.django_db


def _mirrored(fake, store) -> tuple[dict, Order]:
    remote = fake.add_order(store.platform_domain, tags=["vip"])
    return remote, upsert_order(store=store, snapshot=order_from_graphql(remote)).order


def _calls(fake, store) -> Counter:
    return Counter(fake.shops[store.platform_domain].calls)


def test_a_tag_rule_tags_the_order_on_shopify_once(
    fake_shopify, shopify_store, django_capture_on_commit_callbacks
):
    remote, order = _mirrored(fake_shopify, shopify_store)
    make_rule(shopify_store, triggers=["order_created"], actions=[{"type": "tag", "tag": "Risky"}])

    with django_capture_on_commit_callbacks(execute=True):
        assert add_order_tag(store=shopify_store, order_id=order.pk, tag="Risky")
    with django_capture_on_commit_callbacks(execute=True):
        assert not add_order_tag(store=shopify_store, order_id=order.pk, tag="risky")

    assert fake_shopify.order(shopify_store.platform_domain, remote["id"])["tags"] == ["vip", "Risky"]
    assert _calls(fake_shopify, shopify_store)["AmendTagsAdd"] == 1
    order.refresh_from_db()
    assert order.tags == ["vip", "Risky"] and order.tags_to_push == []
    assert push_order_tags(store=shopify_store, order_id=order.pk) == []  # nothing waiting: no call
    assert _calls(fake_shopify, shopify_store)["AmendTagsAdd"] == 1


def test_a_tag_waits_through_an_outage_and_a_sync_until_shopify_has_it(fake_shopify, shopify_store):
    remote, order = _mirrored(fake_shopify, shopify_store)
    add_order_tag(store=shopify_store, order_id=order.pk, tag="Forwarder")  # its task is not run here
    fake_shopify.fail_next(shopify_store.platform_domain, *([503] * 10))

    with pytest.raises(TransientPlatformError):
        push_order_tags(store=shopify_store, order_id=order.pk)
    # Shopify describes the order meanwhile, without the tag: the mirror keeps it, still waiting.
    remote["updatedAt"] = "2026-11-21T10:00:00Z"
    upsert_order(store=shopify_store, snapshot=order_from_graphql(remote))
    order.refresh_from_db()
    assert order.tags == ["vip", "Forwarder"] and order.tags_to_push == ["Forwarder"]

    fake_shopify.shops[shopify_store.platform_domain].failures.clear()
    assert push_order_tags(store=shopify_store, order_id=order.pk) == ["Forwarder"]
    order.refresh_from_db()
    assert order.tags_to_push == []
    assert fake_shopify.order(shopify_store.platform_domain, remote["id"])["tags"] == ["vip", "Forwarder"]


def test_a_sync_that_shows_the_tag_confirms_it(fake_shopify, shopify_store):
    remote, order = _mirrored(fake_shopify, shopify_store)
    add_order_tag(store=shopify_store, order_id=order.pk, tag="Risky")
    remote["tags"] = ["vip", "risky"]
    remote["updatedAt"] = "2026-11-21T10:00:00Z"

    upsert_order(store=shopify_store, snapshot=order_from_graphql(remote))

    order.refresh_from_db()
    assert order.tags == ["vip", "risky"] and order.tags_to_push == []


def test_the_sweep_sends_tags_that_waited_too_long_again(fake_shopify, shopify_store, monkeypatch):
    _remote, order = _mirrored(fake_shopify, shopify_store)
    _other_remote, fresh = _mirrored(fake_shopify, shopify_store)
    add_order_tag(store=shopify_store, order_id=order.pk, tag="Risky")
    add_order_tag(store=shopify_store, order_id=fresh.pk, tag="Risky")
    Order.objects.for_store(shopify_store).filter(pk=order.pk).update(
        updated_at=timezone.now() - timedelta(minutes=10)
    )
    sent: list[tuple] = []
    monkeypatch.setattr(order_tags, "send_task", lambda name, args: sent.append((name, tuple(args))))

    assert sweep_waiting_tags() == 1
    assert sent == [("orders.push_tags", (shopify_store.pk, order.pk))]


def test_on_the_builtin_store_the_mirror_is_the_record(store_a):
    order = make_order(store_a)

    assert add_order_tag(store=store_a, order_id=order.pk, tag="Risky")

    order.refresh_from_db()
    assert "Risky" in order.tags and order.tags_to_push == []
