"""Keeping a restocking fee on Shopify: cancel without a refund, then refund the rest less the fee.

`orderCancel` refunds everything or nothing (`refundMethod`), so a cancel that keeps a fee is two
effects, each carried out once under its own key in the effect ledger:

- `<key>:cancel`: `orderCancel` with `refundMethod` null, restocking as the policy says. Shopify
  cancels the order and leaves its money alone (the order stays paid).
  https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/orderCancel
  https://shopify.dev/docs/api/admin-graphql/2026-07/input-objects/OrderCancelRefundMethodInput
- `<key>:refund`, once the cancel job is done: the order's suggested refund for every line and the
  shipping (`suggestedRefund`), its transactions cut down so they add up to the refundable amount
  less the fee (each keeping its gateway and parent transaction), then `refundCreate` with them.
  https://shopify.dev/docs/api/admin-graphql/2026-07/objects/SuggestedRefund
  https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/refundCreate

A refund must not happen twice. `refundCreate` carries Shopify's own idempotency key (`@idempotent`,
required from 2026-04), derived from the ledger key, so a resend answers the first refund
(https://shopify.dev/docs/api/usage/idempotent-requests). And before resending after an attempt of
unknown outcome, the adapter compares the order's `totalRefundedSet` with what it was before the
first attempt: more refunded means the first attempt got through.

Amounts are the shop's currency (`shopMoney`), as everywhere in the mirror. A withdrawal never comes
here: it is refunded in full by `orderCancel` (the request carries no fee).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction

from cancellations.models import PlatformEffect, RefundMethod
from cancellations.platforms.base import (
    CancelRequest,
    CancelResult,
    EffectStatus,
    PermanentPlatformError,
    from_json,
    to_json,
)
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.ledger import exclusive_key, record_outcome
from cancellations.platforms.shopify import documents

if TYPE_CHECKING:
    from cancellations.platforms.shopify.adapter import ShopifyAdapter

ZERO = Decimal("0.00")
# Where the cancel effect's ledger row keeps the refund still owed after it.
THEN_REFUND = "then_refund"
# A namespace for Shopify idempotency keys: a UUID per (store, ledger key), as Shopify recommends.
_NAMESPACE = uuid.UUID("5f0c3d2e-8a61-4c47-9b1e-2a7d6c0e4f13")


def keeps_fee(request: CancelRequest) -> bool:
    """Whether this cancel refunds less a fee, and so runs as a cancel and then a refund of its own."""
    return request.fee > 0 and request.refund != RefundMethod.NONE


def cancel_key(key: str) -> str:
    return f"{key}:cancel"


def refund_key(key: str) -> str:
    return f"{key}:refund"


@dataclass(frozen=True)
class FeeRefund:
    """The refund owed after the cancel: of which order, the fee kept, where the money goes."""

    order_platform_id: str
    fee: Decimal
    method: RefundMethod = RefundMethod.ORIGINAL
    note: str = ""

    @classmethod
    def of(cls, request: CancelRequest) -> FeeRefund:
        return cls(request.order_platform_id, fee=request.fee, method=request.refund, note=request.staff_note)

    def carried(self) -> dict[str, Any]:
        """What the cancel effect's ledger row keeps, so a later look at the job knows what is owed."""
        return {THEN_REFUND: to_json(self)}

    @classmethod
    def owed_after(cls, result: dict[str, Any]) -> FeeRefund | None:
        """The refund a cancel effect's stored result owes (None: a plain cancel)."""
        data = (result or {}).get(THEN_REFUND)
        if not data:
            return None
        return cls(
            str(data["order_platform_id"]),
            fee=Decimal(str(data["fee"])),
            method=RefundMethod(data.get("method") or RefundMethod.ORIGINAL),
            note=str(data.get("note") or ""),
        )


@dataclass(frozen=True)
class Suggestion:
    """What Shopify says is left to refund on the order, and how it would pay it back."""

    refundable: Decimal
    currency: str
    total_refunded: Decimal
    financial_status: str
    # (gateway, kind, parent transaction id, most it can refund), in Shopify's order.
    transactions: tuple[tuple[str, str, str, Decimal], ...] = ()
    store_credit: Decimal = ZERO


def _amount(money_bag: Any) -> Decimal:
    value = ((money_bag or {}).get("shopMoney") or {}).get("amount")
    return Decimal(str(value)) if value is not None else ZERO


def read_suggestion(data: dict[str, Any]) -> Suggestion:
    """The answer to AmendSuggestedRefund, in our terms."""
    order = data.get("order")
    if not order:
        raise PermanentPlatformError("Shopify has no such order.", code=PlatformErrorCode.ORDER_NOT_FOUND)
    suggested = order.get("suggestedRefund") or {}
    transactions = []
    for item in suggested.get("suggestedTransactions") or []:
        most = _amount(item.get("maximumRefundableSet")) or _amount(item.get("amountSet"))
        parent = (item.get("parentTransaction") or {}).get("id") or ""
        transactions.append((str(item.get("gateway") or ""), str(item.get("kind") or ""), parent, most))
    methods = suggested.get("suggestedRefundMethods") or []
    maximum = suggested.get("maximumRefundableSet") or {}
    return Suggestion(
        refundable=_amount(maximum),
        currency=str((maximum.get("shopMoney") or {}).get("currencyCode") or ""),
        total_refunded=_amount(order.get("totalRefundedSet")),
        financial_status=str(order.get("displayFinancialStatus") or "").lower(),
        transactions=tuple(transactions),
        store_credit=sum((_amount(m.get("maximumRefundable")) for m in methods), ZERO),
    )


def cut_transactions(
    order_id: str, transactions: tuple[tuple[str, str, str, Decimal], ...], amount: Decimal
) -> list[dict[str, Any]]:
    """Shopify's suggested transactions cut down to add up to `amount`: taken in Shopify's order,
    each for no more than its gateway can refund, every one a REFUND of its parent transaction."""
    remaining, cut = amount, []
    for gateway, _kind, parent, most in transactions:
        if remaining <= 0:
            break
        take = min(remaining, most)
        if take <= 0:
            continue
        entry: dict[str, Any] = {
            "orderId": order_id,
            "gateway": gateway,
            "kind": "REFUND",
            "amount": str(take),
        }
        if parent:
            entry["parentId"] = parent
        cut.append(entry)
        remaining -= take
    return cut


def shopify_key(store_id: int, ledger_key: str) -> str:
    """The `@idempotent` key for a refund: the same for every try of one ledger key."""
    return str(uuid.uuid5(_NAMESPACE, f"{store_id}:{ledger_key}"))


def refund_once(adapter: ShopifyAdapter, plan: FeeRefund, key: str, cancelled: CancelResult) -> CancelResult:
    """Refund the cancelled order's refundable amount less the fee, once for this key."""
    ledger_key = refund_key(key)
    with exclusive_key(adapter.store, ledger_key):
        effect, created = adapter.claim(PlatformEffect.Operation.REFUND, plan, ledger_key)
        if effect.status == PlatformEffect.Status.COMPLETED:
            return _with_cancel(cancelled, from_json(CancelResult, effect.result), replayed=True)
        with adapter.forgotten_on_refusal(effect):
            allocation = (
                "STORE_CREDIT" if plan.method == RefundMethod.STORE_CREDIT else "ORIGINAL_PAYMENT_METHODS"
            )
            variables = {"id": plan.order_platform_id, "allocation": allocation}
            now = read_suggestion(adapter.client.execute(documents.SUGGESTED_REFUND, variables))
            before = (effect.result or {}).get("refunded_before")
            if not created and before is not None and now.total_refunded > Decimal(before):
                # The earlier attempt got through before its answer was lost (or its worker stopped).
                refunded = now.total_refunded - Decimal(before)
                return _complete(effect, cancelled, plan, refunded, now, replayed=True)
            if before is None:
                # Committed before Shopify is asked: a later look compares the order's refunds with this.
                with transaction.atomic():
                    effect.result = {"refunded_before": str(now.total_refunded)}
                    effect.save(update_fields=["result"])
            most = now.store_credit if plan.method == RefundMethod.STORE_CREDIT else now.refundable
            amount = max(min(now.refundable, most) - plan.fee, ZERO)
            if amount <= 0:
                return _complete(effect, cancelled, plan, ZERO, now, replayed=False)
            refund_input = _refund_input(plan, now, amount)
            payload = (
                adapter.client.execute(
                    documents.REFUND_CREATE,
                    {"input": refund_input, "idempotencyKey": shopify_key(adapter.store.pk, ledger_key)},
                )["refundCreate"]
                or {}
            )
            errors = list(payload.get("userErrors") or [])
            if errors or not payload.get("refund"):
                message = "; ".join(str(e.get("message")) for e in errors) or "Shopify made no refund."
                raise PermanentPlatformError(
                    f"The order is cancelled, but Shopify refused the refund: {message}",
                    code=PlatformErrorCode.REFUND_REFUSED,
                )
            refunded = _amount((payload.get("refund") or {}).get("totalRefundedSet")) or amount
            order = payload.get("order") or {}
            after = replace(
                now,
                total_refunded=_amount(order.get("totalRefundedSet")) or now.total_refunded + refunded,
                financial_status=str(order.get("displayFinancialStatus") or now.financial_status).lower(),
            )
            return _complete(effect, cancelled, plan, refunded, after, replayed=False)


def _refund_input(plan: FeeRefund, now: Suggestion, amount: Decimal) -> dict[str, Any]:
    refund_input: dict[str, Any] = {
        "orderId": plan.order_platform_id,
        "notify": False,  # Amend tells the customer itself
        "note": (plan.note or "Refund less the restocking fee")[:255],
    }
    if plan.method == RefundMethod.STORE_CREDIT:
        refund_input["refundMethods"] = [
            {"storeCreditRefund": {"amount": {"amount": str(amount), "currencyCode": now.currency}}}
        ]
    else:
        refund_input["transactions"] = cut_transactions(plan.order_platform_id, now.transactions, amount)
    return refund_input


def _complete(
    effect: PlatformEffect,
    cancelled: CancelResult,
    plan: FeeRefund,
    refunded: Decimal,
    now: Suggestion,
    *,
    replayed: bool,
) -> CancelResult:
    result = CancelResult(
        status=EffectStatus.COMPLETED, job_id=cancelled.job_id, refunded=refunded, fee=plan.fee
    )
    with transaction.atomic():
        record_outcome(effect, status=PlatformEffect.Status.COMPLETED, result=to_json(result))
    order = cancelled.order
    if order is not None:
        order = replace(order, refunded=now.total_refunded, financial_status=now.financial_status)
    return replace(result, replayed=replayed, order=order)


def _with_cancel(cancelled: CancelResult, refunded: CancelResult, *, replayed: bool) -> CancelResult:
    return replace(refunded, job_id=cancelled.job_id, replayed=replayed, order=None)
