"""Shopify's mandatory privacy webhooks, acted on.

- customers/data_request: gather what Amend holds about the customer into a ComplianceRequest
  report, for the store to hand over;
- customers/redact: erase the customer's personal data from the named orders (and their other
  orders here), from stored webhook bodies and from earlier data-request reports;
- shop/redact (48 hours after uninstall): erase the store's order and catalogue mirror, stored
  webhooks and platform connection, unless the shop has installed the app again since.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db.models import Q
from django.utils import timezone

from cancellations.models import (
    ComplianceRequest,
    Order,
    OrderRequest,
    PlatformConnection,
    PlatformEffect,
    Product,
    RequestEvent,
    WebhookDelivery,
)
from cancellations.models.platforms import OAuthState
from cancellations.platforms.shopify.payloads import UnprocessablePayload, gid
from tenants.models import Store, StoreCustomer

logger = logging.getLogger(__name__)


def _customer(payload: Any) -> tuple[str, str]:
    if not isinstance(payload, dict) or not isinstance(payload.get("customer"), dict):
        raise UnprocessablePayload("The request names no customer.")
    customer = payload["customer"]
    return str(customer.get("id") or ""), str(customer.get("email") or "").strip().lower()


def _orders_of(store: Store, order_ids: Any, email: str):
    ids = [gid("Order", value) for value in order_ids or []]
    match = Q(platform_id__in=ids)
    if email:
        match |= Q(email=email)
    return Order.objects.for_store(store).filter(match)


def answer_data_request(store: Store, payload: Any, delivery: WebhookDelivery) -> None:
    customer_id, email = _customer(payload)
    orders = _orders_of(store, payload.get("orders_requested"), email).prefetch_related("line_items")
    report = {
        "customer": {"platform_id": customer_id, "email": email},
        "orders": [
            {
                "name": order.name,
                "placed_at": order.placed_at.isoformat(),
                "email": order.email,
                "customer_name": order.customer_name,
                "shipping_address": order.shipping_address,
                "billing_address": order.billing_address,
                "total": str(order.total),
                "currency": order.currency,
                "items": [f"{line.quantity} x {line.title}" for line in order.line_items.all()],
            }
            for order in orders
        ],
    }
    ComplianceRequest.objects.create(
        store=store,
        kind=ComplianceRequest.Kind.DATA_REQUEST,
        delivery=delivery,
        platform_customer_id=customer_id,
        report=report,
        completed_at=timezone.now(),
    )


def redact_customer(store: Store, payload: Any, delivery: WebhookDelivery) -> None:
    customer_id, email = _customer(payload)
    orders = list(_orders_of(store, payload.get("orders_to_redact"), email).select_for_update())
    for order in orders:
        order.email = ""
        order.customer_name = ""
        order.customer_locale = ""
        order.customer_id = ""
        order.shipping_address = {}
        order.billing_address = {}
        order.version += 1
        order.save(
            update_fields=[
                "email",
                "customer_name",
                "customer_locale",
                "customer_id",
                "shipping_address",
                "billing_address",
                "version",
                "updated_at",
            ]
        )
    # Webhook bodies about these orders hold the same personal data.
    redacted_bodies = 0
    numeric_ids = [order.platform_id.rsplit("/", 1)[-1] for order in orders]
    if numeric_ids:
        mentions = Q()
        for number in numeric_ids:
            mentions |= (
                Q(body__contains=f'"gid://shopify/Order/{number}"')
                | Q(body__contains=f'"id": {number},')
                | Q(body__contains=f'"id":{number},')
            )
        redacted_bodies = (
            WebhookDelivery.objects.for_store(store)
            .filter(topic__startswith="orders/")
            .filter(mentions)
            .update(body=json.dumps({"redacted": True}))
        )
    # The customer's own words on their requests, and the store's record of them as a customer.
    order_ids = [order.pk for order in orders]
    requests_redacted = (
        OrderRequest.objects.for_store(store)
        .filter(order__in=order_ids)
        .update(reason_text="", customer_message="")
    )
    # Where the customer acted, the log named them by email: keep the event, not the name.
    OrderRequest.objects.for_store(store).filter(order__in=order_ids, requester_kind="customer").update(
        requester_label="redacted customer"
    )
    RequestEvent.objects.for_store(store).filter(request__order__in=order_ids, actor_kind="customer").update(
        actor_label="redacted customer"
    )
    customers_removed = 0
    if email:
        customers_removed = StoreCustomer.objects.for_store(store).filter(email__iexact=email).delete()[0]
    # Earlier data-request reports about this customer, and the request itself, name them too.
    ComplianceRequest.objects.for_store(store).filter(
        kind=ComplianceRequest.Kind.DATA_REQUEST, platform_customer_id=customer_id
    ).update(report={"redacted": True})
    WebhookDelivery.objects.for_store(store).filter(pk=delivery.pk).update(
        body=json.dumps({"redacted": True, "customer": {"id": customer_id}})
    )
    ComplianceRequest.objects.create(
        store=store,
        kind=ComplianceRequest.Kind.CUSTOMER_REDACT,
        delivery=delivery,
        platform_customer_id=customer_id,
        report={
            "orders_redacted": len(orders),
            "webhook_bodies_redacted": redacted_bodies,
            "requests_redacted": requests_redacted,
            "store_customers_removed": customers_removed,
        },
        completed_at=timezone.now(),
    )


def redact_shop(store: Store, payload: Any, delivery: WebhookDelivery) -> None:
    connection = PlatformConnection.objects.for_store(store).first()
    if connection is not None and connection.status == PlatformConnection.Status.ACTIVE:
        # The shop installed the app again after uninstalling: its data is in use, keep it.
        ComplianceRequest.objects.create(
            store=store,
            kind=ComplianceRequest.Kind.SHOP_REDACT,
            delivery=delivery,
            report={"skipped": "the app is installed again"},
            completed_at=timezone.now(),
        )
        return
    counts = {
        "orders": Order.objects.for_store(store).delete()[0],
        "products": Product.objects.for_store(store).delete()[0],
        "effects": PlatformEffect.objects.for_store(store).delete()[0],
        "webhooks": WebhookDelivery.objects.for_store(store).exclude(pk=delivery.pk).delete()[0],
        "connections": PlatformConnection.objects.for_store(store).delete()[0],
    }
    OAuthState.objects.for_store(store).delete()
    ComplianceRequest.objects.for_store(store).exclude(kind=ComplianceRequest.Kind.SHOP_REDACT).update(
        report={}
    )
    ComplianceRequest.objects.create(
        store=store,
        kind=ComplianceRequest.Kind.SHOP_REDACT,
        delivery=delivery,
        report={"deleted_rows": counts},
        completed_at=timezone.now(),
    )
    logger.info("store %s: shop data erased on shop/redact", store.pk)
