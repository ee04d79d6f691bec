"""Small builders for test data. Each returns a saved object; every argument has a sensible default."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cancellations.models import LineItem, Order, Product, Variant
from tenants.models import Agency, AgencyGrant, AgencyMembership, Membership, Store, StoreCustomer, User

PASSWORD = "correct-horse-battery-9"
_seq = itertools.count(1)


def make_user(email: str | None = None, *, password: str | None = PASSWORD, **fields: Any) -> User:
    return User.objects.create_user(email or f"person{next(_seq)}@example.com", password, **fields)


def make_store(slug: str | None = None, **fields: Any) -> Store:
    n = next(_seq)
    fields.setdefault("name", f"Store {n}")
    return Store.objects.create(slug=slug or f"store-{n}", **fields)


def make_member(store: Store, role: str, *, email: str | None = None, **user_fields: Any) -> User:
    user = make_user(email, **user_fields)
    Membership.objects.create(store=store, user=user, role=role)
    return user


def make_agency(slug: str | None = None, **fields: Any) -> Agency:
    n = next(_seq)
    fields.setdefault("name", f"Agency {n}")
    return Agency.objects.create(slug=slug or f"agency-{n}", **fields)


def make_agency_member(agency: Agency, *, role: str = "member", email: str | None = None) -> User:
    user = make_user(email)
    AgencyMembership.objects.create(agency=agency, user=user, role=role)
    return user


def grant(store: Store, agency: Agency, role: str = "agent", *, revoked: bool = False) -> AgencyGrant:
    return AgencyGrant.objects.create(
        store=store, agency=agency, role=role, revoked_at=timezone.now() if revoked else None
    )


def make_customer(store: Store, email: str | None = None) -> StoreCustomer:
    return StoreCustomer.objects.create(store=store, email=email or f"buyer{next(_seq)}@example.com")


def make_order(
    store: Store,
    *,
    email: str = "buyer@example.com",
    placed_at: datetime | None = None,
    lines: int = 2,
    **fields: Any,
) -> Order:
    n = next(_seq)
    fields.setdefault("name", f"#{1000 + n}")
    fields.setdefault("number", 1000 + n)
    fields.setdefault("currency", store.currency)
    fields.setdefault("financial_status", "paid")
    fields.setdefault(
        "shipping_address",
        {
            "name": "Ann Buyer",
            "address1": "Main St 1",
            "city": "Stockholm",
            "zip": "111 22",
            "country_code": "SE",
        },
    )
    order = Order.objects.create(
        store=store,
        platform_id=f"gid://amend/Order/{n}",
        email=email.lower(),
        placed_at=placed_at or timezone.now() - timedelta(minutes=5),
        **fields,
    )
    subtotal = Decimal("0.00")
    for i in range(lines):
        price = Decimal("19.90") + i
        LineItem.objects.create(
            store=store,
            order=order,
            platform_id=f"{n}-{i}",
            title=f"Product {i}",
            quantity=1,
            unit_price=price,
            position=i,
            sku=f"SKU-{n}-{i}",
        )
        subtotal += price
    order.subtotal = order.total = subtotal
    order.save(update_fields=["subtotal", "total"])
    return order


def make_product(store: Store, *, variants: int = 2, **fields: Any) -> Product:
    n = next(_seq)
    fields.setdefault("title", f"Product {n}")
    product = Product.objects.create(store=store, platform_id=f"gid://amend/Product/{n}", **fields)
    for i in range(variants):
        Variant.objects.create(
            store=store,
            product=product,
            platform_id=f"gid://amend/ProductVariant/{n}-{i}",
            title=f"Size {i}",
            sku=f"V-{n}-{i}",
            price=Decimal("25.00") + i,
            inventory_quantity=10,
            position=i,
        )
    return product
