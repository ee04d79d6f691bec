"""Builders for orders whose lines point at the store's catalogue (what the built-in store sells)."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cancellations.models import LineItem, Order, Product, Variant
from cancellations.platforms.builtin import order_platform_id
from tenants.models import Store

_seq = itertools.count(5000)


def catalogue_variant(
    store: Store, *, price: str = "25.00", stock: int | None = 10, title: str = "M"
) -> Variant:
    n = next(_seq)
    product = Product.objects.create(
        store=store, platform_id=f"gid://amend/Product/{n}", title=f"Shirt {n}", product_type="Shirt"
    )
    return Variant.objects.create(
        store=store,
        product=product,
        platform_id=f"gid://amend/ProductVariant/{n}",
        title=title,
        sku=f"SKU-{n}",
        price=Decimal(price),
        inventory_quantity=stock,
    )


def builtin_order(
    store: Store,
    *lines: tuple[Variant, int],
    financial_status: str = "paid",
    shipping: str = "5.00",
    tax: str = "0.00",
    **fields: Any,
) -> Order:
    """A built-in store order for these (variant, quantity) lines, with totals that add up."""
    number = next(_seq)
    order = Order.objects.create(
        store=store,
        platform_id=order_platform_id(number),
        name=f"#{number}",
        number=number,
        email=fields.pop("email", "ann@example.com"),
        placed_at=timezone.now(),
        currency=store.currency,
        financial_status=financial_status,
        shipping=Decimal(shipping),
        tax=Decimal(tax),
        shipping_address={
            "name": "Ann Buyer",
            "address1": "Main St 1",
            "city": "Stockholm",
            "country_code": "SE",
        },
        **fields,
    )
    subtotal = Decimal("0.00")
    for position, (variant, quantity) in enumerate(lines):
        LineItem.objects.create(
            store=store,
            order=order,
            platform_id=f"gid://amend/LineItem/{number}-{position}",
            product_id=variant.product.platform_id,
            variant_id=variant.platform_id,
            title=variant.product.title,
            variant_title=variant.title,
            sku=variant.sku,
            quantity=quantity,
            unit_price=variant.price,
            position=position,
        )
        subtotal += variant.price * quantity
    order.subtotal = subtotal
    order.total = subtotal + order.shipping + order.tax
    order.save(update_fields=["subtotal", "total"])
    return order
