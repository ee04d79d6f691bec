"""The same order event handled twice at once (two webhook deliveries, a retried task): the rule acts once."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from cancellations.models import Order, OrderRequest, RequestEvent, RuleMatch, WebhookDelivery
from cancellations.rules.engine import run_rules
from cancellations.webhooks import inbox as webhooks
from cancellations.webhooks.inbox import process_webhook_delivery, record_webhook
from tenants.models import StoreAuditEvent
from tests.cancellations.samples import rest_order
from tests.rules.helpers import make_rule, risky_order

pytestmark = pytest.mark.django_db(transaction=True)


def _race(workers: list[Callable[[], Any]]) -> list[Any]:
    """Run every worker in its own thread, released together; return each result or exception."""
    barrier = threading.Barrier(len(workers))
    results: list[Any] = [None] * len(workers)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = workers[index]()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_four_handlers_of_one_event_at_once_make_one_match_and_one_request(store_a):
    make_rule(store_a, actions=[{"type": "tag", "tag": "held"}, {"type": "hold", "note": "Look"}])
    order = risky_order(store_a)
    key = "order_created:2026-03-01T12:00:00+00:00"

    results = _race(
        [
            lambda: run_rules(store=store_a, order=order, trigger="order_created", event_key=key)
            for _ in range(4)
        ]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r[0].pk for r in results}) == 1  # every handler reports the one match
    assert RuleMatch.objects.for_store(store_a).count() == 1
    request = OrderRequest.objects.for_store(store_a).get()
    assert RequestEvent.objects.for_store(store_a).filter(request=request, action="submitted").count() == 1
    order.refresh_from_db()
    assert order.tags == ["held"]
    assert StoreAuditEvent.objects.for_store(store_a).filter(action="rule.matched").count() == 1


def test_two_webhook_deliveries_of_one_order_event_arriving_together_make_the_rule_act_once(
    store_a, monkeypatch
):
    make_rule(
        store_a,
        triggers=["order_created", "order_updated"],
        conditions=[{"type": "shipping_country", "values": ["US"]}],
        actions=[{"type": "hold"}],
    )
    # Store both deliveries first; the race is in processing them, as two workers would.
    monkeypatch.setattr(webhooks, "wake_inbox", lambda: True)
    body = json.dumps(rest_order()).encode()
    deliveries = [
        record_webhook(
            store_id=store_a.pk, webhook_id=webhook_id, topic=topic, shop_domain="a.example", body=body
        )
        for webhook_id, topic in (("w-create", "orders/create"), ("w-update", "orders/updated"))
    ]

    results = _race(
        [
            lambda d=delivery: process_webhook_delivery(store=store_a, delivery_id=d.pk)
            for delivery in deliveries
        ]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = set(WebhookDelivery.objects.for_store(store_a).values_list("status", flat=True))
    assert statuses == {"processed"}
    assert Order.objects.for_store(store_a).count() == 1
    match = RuleMatch.objects.for_store(store_a).get()
    assert match.trigger == "order_created"
    request = OrderRequest.objects.for_store(store_a).get()
    assert match.request == request and request.status == "pending_review"
