"""A realistic catalogue and orders in every state for a built-in demo store (idempotent, bulk-created)."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.templatetags.static import static
from django.utils import timezone

from cancellations.models import (
    FinancialStatus,
    FulfillmentStatus,
    LineItem,
    Order,
    Product,
    Refund,
    RefundMethod,
    RiskLevel,
    Variant,
)
from cancellations.models.orders import RiskRecommendation
from cancellations.platforms.builtin import order_platform_id
from tenants.models import Store

CATALOGUE: list[tuple[str, str, str, list[str], list[str]]] = [
    # title, product type, price, tags, variant titles
    ("Merino Crew Sweater", "Knitwear", "89.00", ["wool", "bestseller"], ["S", "M", "L", "XL"]),
    ("Linen Shirt", "Shirts", "59.00", ["summer"], ["S", "M", "L"]),
    ("Rain Jacket", "Outerwear", "149.00", ["waterproof"], ["M", "L", "XL"]),
    ("Wool Beanie", "Accessories", "24.00", ["wool"], ["Charcoal", "Rust", "Navy"]),
    ("Canvas Tote", "Bags", "29.00", [], ["Natural", "Black"]),
    ("Leather Wallet", "Accessories", "45.00", ["gift"], ["Brown", "Black"]),
    ("Running Socks 3-pack", "Socks", "15.00", [], ["36-39", "40-43", "44-47"]),
    ("Ceramic Mug", "Home", "18.00", ["gift", "final-sale"], ["White", "Sage"]),
    ("Gift Card", "Gift cards", "50.00", ["gift-card"], ["50", "100"]),
]
FIRST_NAMES = [
    "Ann",
    "Björn",
    "Carla",
    "David",
    "Emma",
    "Farah",
    "Gustav",
    "Hana",
    "Ivan",
    "Julia",
    "Karin",
    "Leo",
]
LAST_NAMES = ["Berg", "Lind", "Rossi", "Smith", "Nowak", "Haddad", "Ek", "Tanaka", "Petrov", "Holm"]
CITIES = [
    ("Stockholm", "111 22", "SE"),
    ("Göteborg", "411 03", "SE"),
    ("Oslo", "0150", "NO"),
    ("Berlin", "10115", "DE"),
]
RECOMMENDATIONS: dict[str, str] = {
    RiskLevel.HIGH: RiskRecommendation.CANCEL,
    RiskLevel.MEDIUM: RiskRecommendation.INVESTIGATE,
    RiskLevel.LOW: RiskRecommendation.ACCEPT,
}
FORWARDER = {
    "address1": "Unit 5, 1 Forwarding Way",
    "city": "Wilmington",
    "zip": "19801",
    "country_code": "US",
}

# (share of orders, financial status, fulfilment, cancelled, risk): every state the portal must show.
STATES: list[tuple[int, str, str, bool, str]] = [
    (34, FinancialStatus.PAID, FulfillmentStatus.UNFULFILLED, False, RiskLevel.LOW),
    (8, FinancialStatus.AUTHORIZED, FulfillmentStatus.UNFULFILLED, False, RiskLevel.LOW),
    (4, FinancialStatus.PENDING, FulfillmentStatus.UNFULFILLED, False, RiskLevel.NONE),
    (8, FinancialStatus.PAID, FulfillmentStatus.PARTIAL, False, RiskLevel.LOW),
    (24, FinancialStatus.PAID, FulfillmentStatus.FULFILLED, False, RiskLevel.LOW),
    (5, FinancialStatus.PARTIALLY_REFUNDED, FulfillmentStatus.FULFILLED, False, RiskLevel.LOW),
    (6, FinancialStatus.REFUNDED, FulfillmentStatus.UNFULFILLED, True, RiskLevel.LOW),
    (3, FinancialStatus.VOIDED, FulfillmentStatus.UNFULFILLED, True, RiskLevel.MEDIUM),
    (4, FinancialStatus.PAID, FulfillmentStatus.UNFULFILLED, False, RiskLevel.HIGH),
    (4, FinancialStatus.PAID, FulfillmentStatus.UNFULFILLED, False, RiskLevel.MEDIUM),
]
CENT = Decimal("0.01")


def demo_customer_email(store: Store, n: int) -> str:
    return f"customer{n}@{store.slug}.example.com"


def _catalogue(store: Store) -> list[Variant]:
    products = [
        Product(
            store=store,
            platform_id=f"gid://amend/Product/{index + 1}",
            title=title,
            handle=title.lower().replace(" ", "-"),
            product_type=product_type,
            tags=tags,
            # A picture drawn for the demo and served from Amend's own static files.
            image_url=static(f"portal/demo/{title.lower().replace(' ', '-')}.svg"),
            platform_updated_at=timezone.now(),
        )
        for index, (title, product_type, _, tags, _) in enumerate(CATALOGUE)
    ]
    Product.objects.bulk_create(products, ignore_conflicts=True)
    by_id = {
        p.platform_id: p
        for p in Product.objects.for_store(store).filter(platform_id__startswith="gid://amend/Product/")
    }
    variants = []
    for index, (title, _, price, _, variant_titles) in enumerate(CATALOGUE):
        product = by_id[f"gid://amend/Product/{index + 1}"]
        for position, variant_title in enumerate(variant_titles):
            gift_card = "Gift" in title
            variants.append(
                Variant(
                    store=store,
                    product=product,
                    platform_id=f"gid://amend/ProductVariant/{index + 1}-{position + 1}",
                    title=variant_title,
                    sku=f"{title[:3].upper()}-{variant_title.upper()[:4]}",
                    price=Decimal(variant_title) if gift_card else Decimal(price),
                    # A sold-out size, to show what a swap to it looks like.
                    inventory_quantity=None if gift_card else (0 if (index, position) == (0, 3) else 40),
                    position=position,
                )
            )
    Variant.objects.bulk_create(variants, ignore_conflicts=True)
    return list(Variant.objects.for_store(store).select_related("product").order_by("platform_id"))


def seed_demo_catalogue_and_orders(store: Store, *, orders: int = 300) -> dict[str, Any]:
    """Create the demo catalogue and `orders` orders for a built-in store; existing ones stay as they are."""
    rng = random.Random(f"amend-demo-{store.slug}")  # demo data, not security
    now = timezone.now()
    with transaction.atomic():
        variants = [v for v in _catalogue(store) if v.platform_id.startswith("gid://amend/ProductVariant/")]
        numbers = range(1001, 1001 + orders)
        existing = set(
            Order.objects.for_store(store)
            .filter(platform_id__in=[order_platform_id(n) for n in numbers])
            .values_list("number", flat=True)
        )
        weights = [share for share, *_ in STATES]
        new_orders, lines_by_number = [], {}
        for number in numbers:
            # Draw for every number, so a re-run draws the same orders whatever already exists.
            financial, fulfillment, cancelled, risk = rng.choices(STATES, weights)[0][1:]
            customer = rng.randrange(1, 61)
            first, last = FIRST_NAMES[customer % len(FIRST_NAMES)], LAST_NAMES[customer % len(LAST_NAMES)]
            city, zip_code, country = CITIES[customer % len(CITIES)]
            placed_at = now - timedelta(
                days=rng.uniform(0, 1.5) if number > 1000 + orders - 40 else rng.uniform(0, 60)
            )
            picked = rng.sample(variants, k=rng.choice([1, 1, 2, 2, 3]))
            quantities = [rng.choice([1, 1, 1, 2, 3]) for _ in picked]
            if number in existing:
                continue
            forwarder = risk == RiskLevel.HIGH and rng.random() < 0.5
            address = (
                {"name": f"{first} {last}", **FORWARDER}
                if forwarder
                else {
                    "name": f"{first} {last}",
                    "address1": f"{last}gatan {customer}",
                    "city": city,
                    "zip": zip_code,
                    "country_code": country,
                }
            )
            subtotal = sum((v.price * q for v, q in zip(picked, quantities, strict=True)), Decimal("0.00"))
            shipping = Decimal("0.00") if subtotal >= 100 else Decimal("4.90")
            tax = (subtotal * Decimal("0.20")).quantize(CENT)
            total = subtotal + shipping + tax
            refunded = (
                total
                if financial == FinancialStatus.REFUNDED
                else (
                    (picked[0].price * Decimal("0.5")).quantize(CENT)
                    if financial == FinancialStatus.PARTIALLY_REFUNDED
                    else Decimal("0.00")
                )
            )
            new_orders.append(
                Order(
                    store=store,
                    platform_id=order_platform_id(number),
                    name=f"#{number}",
                    number=number,
                    email=demo_customer_email(store, customer),
                    customer_name=f"{first} {last}",
                    customer_locale=store.locale,
                    placed_at=placed_at,
                    currency=store.currency,
                    subtotal=subtotal,
                    shipping=shipping,
                    tax=tax,
                    total=total,
                    refunded=refunded,
                    financial_status=financial,
                    fulfillment_status=fulfillment,
                    cancelled_at=placed_at + timedelta(hours=2) if cancelled else None,
                    cancel_reason=rng.choice(["customer", "inventory", "fraud"]) if cancelled else "",
                    risk_level=risk,
                    risk_recommendation=RECOMMENDATIONS.get(risk, RiskRecommendation.NONE),
                    tags=["forwarder"] if forwarder else (["vip"] if customer % 13 == 0 else []),
                    discount_codes=["WELCOME10"] if customer % 7 == 0 else [],
                    payment_gateways=["card"],
                    shipping_address=address,
                    billing_address=address,
                    platform_updated_at=placed_at,
                )
            )
            lines_by_number[number] = (picked, quantities, fulfillment)
        Order.objects.bulk_create(new_orders, batch_size=500)
        created = {
            o.number: o for o in Order.objects.for_store(store).filter(number__in=list(lines_by_number))
        }
        new_lines, refunds = [], []
        for number, (picked, quantities, fulfillment) in lines_by_number.items():
            order = created[number]
            for position, (variant, quantity) in enumerate(zip(picked, quantities, strict=True)):
                shipped_by_status: dict[str, int] = {
                    FulfillmentStatus.FULFILLED: quantity,
                    FulfillmentStatus.PARTIAL: quantity if position == 0 else 0,
                }
                shipped = shipped_by_status.get(fulfillment, 0)
                new_lines.append(
                    LineItem(
                        store=store,
                        order=order,
                        platform_id=f"gid://amend/LineItem/{number}-{position + 1}",
                        product_id=variant.product.platform_id,
                        variant_id=variant.platform_id,
                        sku=variant.sku,
                        title=variant.product.title,
                        variant_title=variant.title,
                        product_type=variant.product.product_type,
                        product_tags=list(variant.product.tags),
                        quantity=quantity,
                        fulfilled_quantity=shipped,
                        unit_price=variant.price,
                        position=position,
                    )
                )
            if order.refunded > 0:
                refunds.append(
                    Refund(
                        store=store,
                        order=order,
                        amount=order.refunded,
                        currency=order.currency,
                        method=RefundMethod.ORIGINAL,
                        reason="cancelled" if order.cancelled_at else "damaged item",
                        created_at=order.placed_at + timedelta(hours=3),
                    )
                )
        LineItem.objects.bulk_create(new_lines, batch_size=1000)
        Refund.objects.bulk_create(refunds, batch_size=500)
    return {
        "products": len(CATALOGUE),
        "variants": len(variants),
        "orders_created": len(new_orders),
        "orders": Order.objects.for_store(store).count(),
        "customer_emails": [demo_customer_email(store, n) for n in (1, 2, 3)],
    }
