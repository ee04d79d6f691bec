"""The store-credit bonus of a cancellation, carried out after the cancel itself, once.

The cancel refunds to store credit (the platform's own refund); the bonus the policy adds is a
second effect under its own ledger key (`<key>:bonus`), granted once the cancel is done: a retry
after a lost answer replays the cancel from the ledger and grants the bonus at most once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cancellations.models import OrderRequest, PlatformEffect, RefundMethod, RequestKind
from cancellations.platforms.base import EffectStatus, PlatformAdapter
from cancellations.platforms.credit import StoreCreditGrant, bonus_key
from tenants.models import Store


def owes_bonus(request: OrderRequest) -> bool:
    """Whether carrying this request out includes a store-credit bonus."""
    return (
        request.kind == RequestKind.CANCEL
        and request.refund_method == RefundMethod.STORE_CREDIT
        and request.store_credit_bonus > 0
    )


def bonus_granted(store: Store, request: OrderRequest) -> bool:
    return (
        PlatformEffect.objects.for_store(store)
        .filter(idempotency_key=bonus_key(request.platform_key), status=PlatformEffect.Status.COMPLETED)
        .exists()
    )


def with_bonus(adapter: PlatformAdapter, request: OrderRequest, result: dict[str, Any]) -> dict[str, Any]:
    """The cancel's result, with the bonus granted once the cancel is complete (outside a transaction)."""
    if result.get("status") != EffectStatus.COMPLETED or not owes_bonus(request):
        return result
    order = request.order
    granted = adapter.grant_store_credit(
        StoreCreditGrant(
            order.platform_id,
            customer_id=order.customer_id,
            email=order.email,
            amount=request.store_credit_bonus,
            currency=request.currency or order.currency,
            note=f"Amend request {request.pk}: store-credit bonus",
        ),
        idempotency_key=bonus_key(request.platform_key),
    )
    return {**result, "store_credit_bonus": str(Decimal(granted.amount))}
