"""Shopify's order payloads (the published samples) become the mirror's orders, field by field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cancellations.orders.services import upsert_order
from cancellations.platforms.shopify.payloads import UnprocessablePayload, order_from_rest, product_from_rest
from tests.cancellations.samples import orders_create_body, rest_order

pytestmark = pytest.mark.django_db


def test_the_orders_create_sample_ingests_with_its_totals_lines_and_cancellation(store_a):
    snapshot = order_from_rest(json.loads(orders_create_body()))

    order = upsert_order(store=store_a, snapshot=snapshot).order

    order.refresh_from_db()
    assert order.platform_id == "gid://shopify/Order/820982911946154508"
    assert (order.name, order.number, order.email) == ("#9999", 1234, "jon@doe.ca")
    assert (order.subtotal, order.total, order.discount, order.shipping) == (
        Decimal("47.98"),
        Decimal("57.98"),
        Decimal("5.00"),
        Decimal("10.00"),
    )
    assert order.financial_status == "voided"
    assert order.fulfillment_status == "unfulfilled"
    assert order.cancelled_at == datetime(2017, 7, 17, 17, 44, 9, tzinfo=UTC)
    assert order.cancel_reason == "customer"
    assert order.customer_name == "Steve Shipper"
    assert order.shipping_address["city"] == "Shippington"
    assert order.payment_gateways == ["visa", "bogus"]
    lines = list(order.line_items.all())
    assert [(line.title, line.quantity, line.unit_price) for line in lines] == [
        ("Real Madrid Dad Hat", 1, Decimal("24.99")),
        ("Sporting Clube de Portugal Trucker Hat", 1, Decimal("27.99")),
    ]
    assert lines[0].platform_id == "gid://shopify/LineItem/866550311766439020"
    assert lines[0].product_id == "gid://shopify/Product/11033547284"


def test_the_rest_order_sample_ingests_refunds_fulfilments_and_current_quantities(store_a):
    payload = rest_order()

    order = upsert_order(store=store_a, snapshot=order_from_rest(payload)).order

    assert order.platform_id == payload["admin_graphql_api_id"]
    assert order.name == "#1001"
    assert order.financial_status == "partially_refunded"
    # the current figures, after the refund, not the original ones
    assert order.total == Decimal(payload["current_total_price"])
    assert order.discount_codes == ["TENOFF"]
    assert order.refunded > 0
    # lines whose current quantity fell to zero are no longer part of the order
    live = [item for item in payload["line_items"] if item.get("current_quantity", item["quantity"]) > 0]
    assert order.line_items.count() == len(live)
    assert order.platform_updated_at == datetime(2008, 1, 10, 16, 0, tzinfo=UTC)


def test_an_order_without_an_id_or_currency_is_unprocessable():
    with pytest.raises(UnprocessablePayload):
        order_from_rest({"name": "#1"})
    with pytest.raises(UnprocessablePayload) as missing:
        order_from_rest({"id": 1, "created_at": "2026-01-01T00:00:00Z"})
    assert "currency" in missing.value.message
    with pytest.raises(UnprocessablePayload):
        order_from_rest({"id": 1, "currency": "USD", "created_at": "yesterday"})
    with pytest.raises(UnprocessablePayload):
        order_from_rest(
            {"id": 1, "currency": "USD", "created_at": "2026-01-01T00:00:00Z", "total_price": "lots"}
        )


def test_a_product_payload_keeps_tracked_stock_and_untracked_variants_apart():
    snapshot = product_from_rest(
        {
            "id": 632910392,
            "title": "IPod Nano",
            "status": "active",
            "tags": "Emotive, Flash Memory",
            "updated_at": "2026-01-01T00:00:00Z",
            "variants": [
                {
                    "id": 1,
                    "title": "Pink",
                    "price": "199.00",
                    "inventory_management": "shopify",
                    "inventory_quantity": 0,
                },
                {
                    "id": 2,
                    "title": "Red",
                    "price": "199.00",
                    "inventory_management": None,
                    "inventory_quantity": 0,
                },
            ],
        }
    )
    assert snapshot.tags == ("Emotive", "Flash Memory")
    assert [(v.inventory_quantity, v.available) for v in snapshot.variants] == [(0, False), (None, True)]
