"""Refunds on the fake Shopify: `Order.suggestedRefund` and `refundCreate`, as Shopify documents them.

- An order is paid by one sale on its gateway, for its total when it was placed; what is left to
  refund is that sale less what was refunded (`totalRefundedSet`).
- `suggestedRefund` with `suggestFullRefund` suggests every refundable line and, with
  `refundShipping`, the shipping: all that is left. `maximumRefundableSet` is what the payments have
  left; `suggestedTransactions` one per payment (kind SUGGESTED_REFUND, the sale its parent, its own
  `maximumRefundableSet`); with the STORE_CREDIT allocation, one SuggestedStoreCreditRefund in
  `suggestedRefundMethods`.
  https://shopify.dev/docs/api/admin-graphql/2026-07/objects/SuggestedRefund
  https://shopify.dev/docs/api/admin-graphql/2026-07/objects/SuggestedOrderTransaction
- `refundCreate` refuses (userErrors) a refund of more than is refundable (unless
  `allowOverRefunding`), a transaction on a payment that is not the order's, a store-credit refund
  for an order without a customer; a refund lowers what is left, raises `totalRefundedSet` and moves
  `displayFinancialStatus` to PARTIALLY_REFUNDED or REFUNDED. From 2026-04 it requires an
  idempotency key (`@idempotent(key:)`); a repeat with the same key answers the first refund, the
  same key with other input is refused.
  https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/refundCreate
  https://shopify.dev/docs/api/usage/idempotent-requests
  https://shopify.dev/docs/api/usage/implementing-idempotency
- `orderCancel` with `refundMethod` null leaves the money alone: the order stays PAID.
  https://shopify.dev/docs/api/admin-graphql/2026-07/input-objects/OrderCancelRefundMethodInput
"""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

from graphql import GraphQLError
from graphql.execution.values import get_directive_values

from tests.fakeshopify import store_credit

_ids = itertools.count(7_000_000)
ZERO = Decimal("0.00")


def _money(amount: Decimal) -> dict[str, Any]:
    value = str(Decimal(amount).quantize(Decimal("0.01")))
    return {"shopMoney": {"amount": value, "currencyCode": "USD"}}


def _amount(money_bag: dict[str, Any] | None) -> Decimal:
    return Decimal(str(((money_bag or {}).get("shopMoney") or {}).get("amount") or "0"))


def payments(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's payments (one sale for its total when placed), made on first look."""
    if "payments" not in order:
        paid = (
            _amount(order["currentTotalPriceSet"]) if order["displayFinancialStatus"] != "PENDING" else ZERO
        )
        gateway = (order.get("paymentGatewayNames") or ["manual"])[0]
        order["payments"] = [
            {"id": f"gid://shopify/OrderTransaction/{next(_ids)}", "gateway": gateway, "amount": paid}
        ]
    return order["payments"]


def refundable(order: dict[str, Any]) -> Decimal:
    paid = sum((payment["amount"] for payment in payments(order)), ZERO)
    return max(paid - _amount(order["totalRefundedSet"]), ZERO)


def _left_on(order: dict[str, Any], payment: dict[str, Any]) -> Decimal:
    """What one payment has left to refund."""
    refunded = sum((r["amount"] for r in order.get("refunds", []) if r["parent"] == payment["id"]), ZERO)
    return max(payment["amount"] - refunded, ZERO)


def suggested_refund(order: dict[str, Any]):
    """The `suggestedRefund` field of an order (a resolver taking the field's arguments)."""

    def resolve(info, refundMethodAllocation="ORIGINAL_PAYMENT_METHODS", **_):
        left = refundable(order)
        transactions, methods = [], []
        if refundMethodAllocation == "STORE_CREDIT":
            methods.append(
                {
                    "__typename": "SuggestedStoreCreditRefund",
                    "amount": _money(left),
                    "maximumRefundable": _money(left),
                    "expiresAt": None,
                }
            )
        else:
            for payment in payments(order):
                most = min(_left_on(order, payment), left)
                if most <= 0:
                    continue
                transactions.append(
                    {
                        "gateway": payment["gateway"],
                        "formattedGateway": payment["gateway"],
                        "kind": "SUGGESTED_REFUND",
                        "amountSet": _money(most),
                        "maximumRefundableSet": _money(most),
                        "parentTransaction": {"id": payment["id"]},
                    }
                )
        return {
            "amountSet": _money(left),
            "maximumRefundableSet": _money(left),
            "suggestedTransactions": transactions,
            "suggestedRefundMethods": methods,
        }

    return resolve


def idempotency_key(info) -> str | None:
    """The key of `@idempotent(key:)` on the mutation's field, if any."""
    directive = info.schema.get_directive("idempotent")
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values) if directive else None
    return (values or {}).get("key")


def _refused(message: str, field: list[str] | None = None) -> dict[str, Any]:
    return {"refund": None, "order": None, "userErrors": [{"field": field, "message": message}]}


def refund_create(shop, info, input, *, view) -> dict[str, Any]:
    """The `refundCreate` mutation on the shop (`view` answers an order as the API shows it)."""
    key = idempotency_key(info)
    if not key or not key.strip():
        raise GraphQLError("The @idempotent directive with a key is required for this mutation.")
    fingerprint = json.dumps(input, sort_keys=True, default=str)
    if key in shop.refund_keys:
        first_fingerprint, refund = shop.refund_keys[key]
        if first_fingerprint != fingerprint:
            return _refused("The idempotency key was already used with different parameters.")
        return {"refund": _refund_view(refund), "order": view(shop.orders[refund["order"]]), "userErrors": []}
    order = shop.orders.get(input.get("orderId"))
    if order is None:
        return _refused("Order does not exist", ["orderId"])
    if shop.declined_refunds:
        return _refused(shop.declined_refunds.pop(0))
    own = {payment["id"]: payment for payment in payments(order)}
    pieces: list[tuple[str | None, Decimal]] = []
    for transaction in input.get("transactions") or []:
        if transaction.get("kind") != "REFUND":
            return _refused("A refund transaction must be of kind REFUND.", ["transactions", "kind"])
        parent = transaction.get("parentId")
        if parent not in own:
            return _refused(
                "The parent transaction is not a payment of this order.", ["transactions", "parentId"]
            )
        amount = Decimal(str(transaction["amount"]))
        if amount <= 0 or amount > _left_on(order, own[parent]):
            return _refused("Refund amount exceeds what the payment can refund.", ["transactions", "amount"])
        pieces.append((parent, amount))
    for method in input.get("refundMethods") or []:
        credit = method.get("storeCreditRefund")
        if credit is None:
            continue
        if not order.get("customer"):
            return _refused("Store credit can only be issued to a customer.", ["refundMethods"])
        pieces.append((None, Decimal(str(credit["amount"]["amount"]))))
    total = sum((amount for _, amount in pieces), ZERO)
    if total <= 0:
        return _refused("A refund needs an amount.", ["transactions"])
    if total > refundable(order) and not input.get("allowOverRefunding"):
        return _refused("Refund amount exceeds the refundable amount of the order.", ["transactions"])
    refund = {
        "id": f"gid://shopify/Refund/{next(_ids)}",
        "order": order["id"],
        "amount": total,
        "note": input.get("note"),
    }
    order.setdefault("refunds", [])
    for parent, amount in pieces:
        order["refunds"].append({"id": refund["id"], "parent": parent, "amount": amount})
    order["totalRefundedSet"] = _money(_amount(order["totalRefundedSet"]) + total)
    credited = sum((amount for parent, amount in pieces if parent is None), ZERO)
    if credited > 0:
        store_credit.refund_to_credit(shop, order, credited)
    order["displayFinancialStatus"] = "PARTIALLY_REFUNDED" if refundable(order) > 0 else "REFUNDED"
    shop.refunds.append({**refund, "key": key, "input": input})
    shop.refund_keys[key] = (fingerprint, refund)
    return {"refund": _refund_view(refund), "order": view(order), "userErrors": []}


def _refund_view(refund: dict[str, Any]) -> dict[str, Any]:
    return {"id": refund["id"], "note": refund["note"], "totalRefundedSet": _money(refund["amount"])}
