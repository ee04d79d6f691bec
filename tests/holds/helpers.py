"""Building held orders the way they arrive: a policy with the hold on, a new order's webhook."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from django.utils import timezone

from cancellations.models import FulfilmentHold, Order
from cancellations.policy import DEFAULT_POLICY, FulfilmentHoldSettings, Window, WindowKind
from cancellations.policy.services import save_policy
from cancellations.webhooks.inbox import process_webhook_delivery, record_webhook
from tenants.models import Store


def hold_policy(store: Store, *, max_minutes: int = 120, cancel_minutes: int | None = None) -> None:
    """Turn the hold on; with `cancel_minutes`, every change the store offers closes that long after."""
    policy = replace(DEFAULT_POLICY, fulfilment_hold=FulfilmentHoldSettings(True, max_minutes))
    if cancel_minutes is not None:
        timed = Window(WindowKind.MINUTES, minutes=cancel_minutes)
        policy = replace(
            policy,
            cancel=replace(policy.cancel, window=timed),
            edit_address=replace(policy.edit_address, window=timed),
        )
    save_policy(store=store, actor=None, policy=policy)


def order_created(store: Store, fake_order: dict, *, placed_at: datetime | None = None) -> Order:
    """Deliver Shopify's orders/create webhook for an order of the fake shop; the mirrored order."""
    placed = (placed_at or timezone.now()).isoformat()
    number = fake_order["id"].rsplit("/", 1)[-1]
    payload = {
        "id": int(number),
        "admin_graphql_api_id": fake_order["id"],
        "name": fake_order["name"],
        "order_number": fake_order["number"],
        "email": "ann@example.com",
        "created_at": placed,
        "updated_at": placed,
        "currency": "USD",
        "financial_status": "paid",
        "fulfillment_status": None,
        "total_price": "25.00",
        "line_items": [
            {"id": 1, "title": "Mug", "quantity": 2, "price": "10.00", "total_discount": "0.00"},
        ],
    }
    delivery = record_webhook(
        store_id=store.pk,
        webhook_id=f"w-{number}",
        topic="orders/create",
        shop_domain=store.platform_domain,
        body=json.dumps(payload).encode(),
    )
    assert delivery is not None
    processed = process_webhook_delivery(store=store, delivery_id=delivery.pk)
    assert processed is not None and processed.status == "processed", processed and processed.error
    return Order.objects.for_store(store).get(platform_id=fake_order["id"])


def hold_of(order: Order) -> FulfilmentHold:
    return FulfilmentHold.objects.for_store(order.store_id).get(order=order)
