"""The built-in store's store credit: the only writer of `StoreCreditEntry`.

A refund paid as store credit and the bonus on top are each a row, written in the transaction of the
effect they belong to (the cancel's, or the bonus's own ledger row), so each happens once per key.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from cancellations.models import Order, PlatformEffect, StoreCreditEntry
from cancellations.platforms.base import EffectStatus, PermanentPlatformError, from_json, to_json
from cancellations.platforms.credit import StoreCreditGrant, StoreCreditGranted
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.ledger import claim_effect, record_outcome
from tenants.models import Store


def record_credit(
    *, store: Store, order: Order, effect: PlatformEffect | None, kind: str, amount: Decimal
) -> StoreCreditEntry:
    """Add `amount` to the order's customer's store credit (inside the effect's transaction)."""
    if not order.email:
        raise PermanentPlatformError(
            "Store credit needs the customer's email.", code=PlatformErrorCode.STORE_CREDIT_NO_CUSTOMER
        )
    return StoreCreditEntry.objects.create(
        store=store,
        email=order.email.lower(),
        customer_id=order.customer_id,
        order=order,
        effect=effect,
        kind=kind,
        amount=amount,
        currency=order.currency,
    )


def grant_once(store: Store, grant: StoreCreditGrant, idempotency_key: str) -> StoreCreditGranted:
    """Credit the bonus once for this key; a repeat answers the first credit."""
    with transaction.atomic():
        effect, created = claim_effect(
            store=store,
            operation=PlatformEffect.Operation.CREDIT,
            idempotency_key=idempotency_key,
            request=grant,
            order_platform_id=grant.order_platform_id,
        )
        if not created:
            return from_json(StoreCreditGranted, effect.result, replayed=True)
        order = Order.objects.for_store(store).filter(platform_id=grant.order_platform_id).first()
        if order is None:
            raise PermanentPlatformError(
                "This order does not exist in the store.", code=PlatformErrorCode.ORDER_NOT_FOUND
            )
        if grant.currency != order.currency:
            raise PermanentPlatformError(
                "Store credit must be in the order's currency.", code=PlatformErrorCode.STORE_CREDIT_REFUSED
            )
        entry = record_credit(
            store=store, order=order, effect=effect, kind=StoreCreditEntry.Kind.BONUS, amount=grant.amount
        )
        result = StoreCreditGranted(
            status=EffectStatus.COMPLETED,
            amount=grant.amount,
            currency=grant.currency,
            account_id=entry.email,
            transaction_id=str(entry.pk),
        )
        record_outcome(effect, status=PlatformEffect.Status.COMPLETED, result=to_json(result))
        return result
