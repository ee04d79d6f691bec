"""Order intake hands events to the rules: which upserts are which events, and webhooks end to end."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from cancellations.models import Order, OrderRequest, RuleMatch, WebhookDelivery
from cancellations.orders.services import SyncOutcome
from cancellations.rules.intake import order_events, rules_after_sync
from cancellations.webhooks.inbox import process_webhook_delivery, record_webhook
from tests.cancellations.samples import rest_order
from tests.factories import make_order
from tests.rules.helpers import make_rule

pytestmark = pytest.mark.django_db

STAMP = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
US_ORDERS = {"type": "shipping_country", "values": ["US"]}


def _outcome(store, **flags) -> SyncOutcome:
    return SyncOutcome(order=make_order(store, platform_updated_at=STAMP), **flags)


def test_a_created_order_is_order_created_keyed_by_the_platforms_version(store_a):
    assert order_events(outcome=_outcome(store_a, created=True, changed=True), webhook_id="w1") == [
        ("order_created", "order_created:2026-03-01T12:00:00+00:00")
    ]


def test_a_changed_order_is_order_updated_and_an_unchanged_or_stale_one_is_nothing(store_a):
    assert order_events(outcome=_outcome(store_a, changed=True)) == [
        ("order_updated", "order_updated:2026-03-01T12:00:00+00:00")
    ]
    assert order_events(outcome=_outcome(store_a)) == []
    assert order_events(outcome=_outcome(store_a, stale=True), webhook_id="w2", risk_assessed=True) == []


def test_a_risk_assessment_is_keyed_by_its_webhook(store_a):
    assert order_events(outcome=_outcome(store_a), webhook_id="w-9", risk_assessed=True) == [
        ("risk_assessed", "risk_assessed:w-9")
    ]


def test_an_order_without_a_platform_version_is_keyed_by_the_webhook(store_a):
    outcome = SyncOutcome(order=make_order(store_a), created=True, changed=True)
    assert order_events(outcome=outcome, webhook_id="w-3") == [("order_created", "order_created:webhook-w-3")]


def test_nothing_is_sent_to_the_rules_of_a_store_without_rules_for_the_trigger(store_a):
    make_rule(store_a, triggers=["order_updated"])
    assert rules_after_sync(store=store_a, outcome=_outcome(store_a, created=True, changed=True)) == []


def _deliver(store, topic: str, payload: dict, webhook_id: str) -> WebhookDelivery:
    delivery = record_webhook(
        store_id=store.pk,
        webhook_id=webhook_id,
        topic=topic,
        shop_domain="alpha.myshopify.com",
        body=json.dumps(payload).encode(),
    )
    assert delivery is not None
    return process_webhook_delivery(store=store, delivery_id=delivery.pk)


def test_webhooks_run_the_rules_after_the_order_is_recorded(store_a, django_capture_on_commit_callbacks):
    make_rule(
        store_a,
        triggers=["order_created", "order_updated"],
        conditions=[US_ORDERS],
        actions=[{"type": "hold"}],
    )
    payload = rest_order()

    with django_capture_on_commit_callbacks(execute=True):
        created = _deliver(store_a, "orders/create", payload, "w-1")
        _deliver(store_a, "orders/updated", payload, "w-2")  # the same version: no new event
        newer = copy.deepcopy(payload)
        newer["updated_at"] = "2008-01-11T11:00:00-05:00"
        newer["note"] = "changed"
        newer["tags"] = "changed"
        _deliver(store_a, "orders/updated", newer, "w-3")

    assert created.status == "processed"
    order = Order.objects.for_store(store_a).get()
    matches = RuleMatch.objects.for_store(store_a).order_by("id")
    assert [(m.trigger, m.event_key) for m in matches] == [
        ("order_created", "order_created:2008-01-10T16:00:00+00:00"),
        ("order_updated", "order_updated:2008-01-11T16:00:00+00:00"),
    ]
    assert {m.order_id for m in matches} == {order.pk}
    request = OrderRequest.objects.for_store(store_a).get()
    assert (request.status, request.requester_kind) == ("pending_review", "rule")


def test_a_risk_assessment_webhook_runs_the_risk_rules_once(
    shopify_store, fake_shopify, django_capture_on_commit_callbacks
):
    make_rule(shopify_store, triggers=["risk_assessed"], actions=[{"type": "hold"}])
    remote = fake_shopify.add_order(
        shopify_store.platform_domain,
        risk={"recommendation": "CANCEL", "assessments": [{"riskLevel": "HIGH"}]},
    )
    payload = {"order_id": int(remote["id"].rsplit("/", 1)[-1]), "risk_level": "high"}

    with django_capture_on_commit_callbacks(execute=True):
        _deliver(shopify_store, "orders/risk_assessment_changed", payload, "w-risk")
        # A replay of the same delivery (after a failure, say) is the same event.
        delivery = WebhookDelivery.objects.for_store(shopify_store).get()
        WebhookDelivery.objects.for_store(shopify_store).update(status="received")
        process_webhook_delivery(store=shopify_store, delivery_id=delivery.pk)

    match = RuleMatch.objects.for_store(shopify_store).get()
    assert (match.trigger, match.event_key) == ("risk_assessed", "risk_assessed:w-risk")
    assert match.conditions[0]["detail"] == "high"
    assert OrderRequest.objects.for_store(shopify_store).get().status == "pending_review"
