"""The built-in store's payment links: what it asks a customer to pay after an edit raised the total.

An edit of a paid order that costs more leaves the order partly paid and makes one `BuiltinPayment`
with a secret token; its link opens the store's pay page, and paying it marks the order paid again
once nothing else is owed. (The built-in store is Amend's own reference store: it records the payment
and takes no card.)
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cancellations.models import BuiltinPayment, FinancialStatus, Order, PlatformEffect
from tenants.errors import NotFound
from tenants.models import Store

ZERO = Decimal("0.00")


def payment_url(store: Store, payment: BuiltinPayment) -> str:
    """The absolute link of the pay page for this payment."""
    try:
        path = reverse("customer:pay", kwargs={"store_slug": store.slug, "token": payment.token})
    except NoReverseMatch:
        path = f"/s/{store.slug}/pay/{payment.token}/"
    return f"{settings.SITE_URL}{path}"


def ask_for_payment(
    *, store: Store, order: Order, amount: Decimal, effect: PlatformEffect | None
) -> BuiltinPayment:
    """Record what the customer owes on this order (inside the edit's transaction)."""
    return BuiltinPayment.objects.create(
        store=store,
        order=order,
        effect=effect,
        token=secrets.token_urlsafe(24),
        amount=amount,
        currency=order.currency,
    )


def outstanding(*, store: Store, order: Order) -> Decimal:
    """What the customer still has to pay on the order."""
    owed = (
        BuiltinPayment.objects.for_store(store)
        .filter(order=order, paid_at__isnull=True)
        .aggregate(total=Sum("amount"))["total"]
    )
    return owed or ZERO


def payment_by_token(*, store: Store, token: str) -> BuiltinPayment:
    """The store's payment with this link; another store's token is not found."""
    payment = (
        BuiltinPayment.objects.for_store(store).select_related("order").filter(token=token).first()
        if token
        else None
    )
    if payment is None:
        raise NotFound("No such payment.")
    return payment


def pay(*, store: Store, token: str, now: datetime | None = None) -> BuiltinPayment:
    """Mark the payment paid (once: paying twice changes nothing) and the order paid when nothing is owed."""
    now = now or timezone.now()
    with transaction.atomic():
        payment = payment_by_token(store=store, token=token)
        # The order first, then the payment: the edit that asks for payments locks in the same order.
        order = Order.objects.for_store(store).select_for_update().get(pk=payment.order_id)
        payment = BuiltinPayment.objects.for_store(store).select_for_update().get(pk=payment.pk)
        if payment.paid_at is not None:
            return payment
        payment.paid_at = now
        payment.save(update_fields=["paid_at"])
        if order.financial_status == FinancialStatus.PARTIALLY_PAID and not outstanding(
            store=store, order=order
        ):
            order.financial_status = FinancialStatus.PAID
            order.version += 1
            order.platform_updated_at = now
            order.save(update_fields=["financial_status", "version", "platform_updated_at", "updated_at"])
    return payment
