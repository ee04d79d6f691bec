"""Scoped ways in to a store's orders: by staff, by a signed-in customer, by a guest's signed link."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core import signing
from django.db.models import QuerySet

from cancellations.models import Order
from tenants.errors import NotFound
from tenants.models import Store

ORDER_LINK_SALT = "amend.order-link"


def access_order(*, store: Store, order_id: int, lock: bool = False) -> Order:
    """The store's order with this id (for staff whose access to the store was already checked)."""
    orders = Order.objects.for_store(store)
    if lock:
        orders = orders.select_for_update()
    order = orders.filter(pk=order_id).first()
    if order is None:
        raise NotFound("No such order.")
    return order


def access_order_for_customer(*, store: Store, emails: Iterable[str], order_id: int) -> Order:
    """The order, only if it was placed at this store with one of the customer's verified emails."""
    order = (
        Order.objects.for_store(store)
        .filter(pk=order_id, email__in=[email.lower() for email in emails])
        .first()
    )
    if order is None:
        raise NotFound("No such order.")
    return order


def access_order_for_platform_customer(*, store: Store, customer_id: str, platform_id: str) -> Order:
    """The order with this platform id, only if the platform says this customer placed it at this store.

    `customer_id` is the platform's own customer id (Shopify: `gid://shopify/Customer/<n>`), as a
    session token Shopify signed names it; a guest order (no customer id) matches no customer.
    """
    if not customer_id or not platform_id:
        raise NotFound("No such order.")
    order = Order.objects.for_store(store).filter(platform_id=platform_id, customer_id=customer_id).first()
    if order is None:
        raise NotFound("No such order.")
    return order


def orders_for_customer(*, store: Store, emails: Iterable[str]) -> QuerySet[Order]:
    """A customer's orders at one store, newest first."""
    return Order.objects.for_store(store).filter(email__in=[email.lower() for email in emails])


def orders_for_platform_customer(*, store: Store, customer_id: str) -> QuerySet[Order]:
    """The orders a platform's signed-in customer placed at this store (`gid://shopify/Customer/<n>`),
    newest first; none for a blank id (guests' orders keep no customer id)."""
    if not customer_id:
        return Order.objects.for_store(store).none()
    return Order.objects.for_store(store).filter(customer_id=customer_id)


def access_platform_customer_order(*, store: Store, customer_id: str, order_id: int) -> Order:
    """The order with this (Amend) id, only if the platform's signed-in customer placed it at this store."""
    order = orders_for_platform_customer(store=store, customer_id=customer_id).filter(pk=order_id).first()
    if order is None:
        raise NotFound("No such order.")
    return order


def make_order_link_token(order: Order) -> str:
    """A signed token naming the store and order, for a link that opens the order without signing in."""
    return signing.dumps({"s": order.store_id, "o": order.pk}, salt=ORDER_LINK_SALT, compress=True)


def access_order_by_link(*, store: Store, token: str, max_age_seconds: int) -> Order:
    """The order a signed link names, if the signature holds, it has not expired and it is this store's."""
    try:
        payload = signing.loads(token, salt=ORDER_LINK_SALT, max_age=max_age_seconds)
    except signing.BadSignature:
        raise NotFound("This link is not valid or has expired.") from None
    if not isinstance(payload, dict) or payload.get("s") != store.pk:
        raise NotFound("This link is not valid or has expired.")
    return access_order(store=store, order_id=int(payload.get("o", 0)))


def find_order_by_id(*, store: Store, order_id: Any, email: str) -> Order | None:
    """The order with this id and email at this store, if any (an id a signed proof named)."""
    if not isinstance(order_id, int):
        return None
    return Order.objects.for_store(store).filter(pk=order_id, email=email.strip().lower()).first()


def find_order_by_number(*, store: Store, number: str, email: str) -> Order | None:
    """The order with this number (with or without '#') and email at this store, if any."""
    number = number.strip().lstrip("#")
    if not number:
        return None
    candidates = Order.objects.for_store(store).filter(email=email.strip().lower())
    return candidates.filter(name__in=[number, f"#{number}"]).first()
