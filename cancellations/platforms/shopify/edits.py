"""Editing an order's lines on Shopify, and what an edit checks before it changes anything: what the
order shows already (a retry after a lost answer does not repeat it), and what can no longer change
(shipped items).

Every line change of a request goes into one edit session: `orderEditBegin`, then
`orderEditSetQuantity` / `orderEditAddVariant` for each change, then one `orderEditCommit`.
https://shopify.dev/docs/apps/build/orders-fulfillment/order-management-apps/edit-orders
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cancellations.platforms.base import (
    AddVariant,
    ChangeAddress,
    EditChange,
    EditRequest,
    OrderSnapshot,
    PermanentPlatformError,
    RemoveLine,
    SetQuantity,
    SwapVariant,
)
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.shopify import documents

if TYPE_CHECKING:
    from cancellations.platforms.shopify.client import ShopifyClient


@dataclass(frozen=True)
class Committed:
    """What an order is after an edit: its total, what is left to pay, and where it is paid."""

    total: Decimal
    outstanding: Decimal = Decimal("0.00")
    payment_url: str = ""


def _numeric_id(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


def _shop_amount(money_bag: dict[str, Any] | None) -> Decimal | None:
    amount = ((money_bag or {}).get("shopMoney") or {}).get("amount")
    return None if amount is None else Decimal(str(amount))


def _step(client: ShopifyClient, document: str, field: str, variables: dict[str, Any]) -> dict[str, Any]:
    payload = client.execute(document, variables)[field] or {}
    errors = list(payload.get("userErrors") or [])
    if errors:
        raise PermanentPlatformError(
            "; ".join(e["message"] for e in errors), code=PlatformErrorCode.EDIT_REFUSED
        )
    return payload


def edit_lines(
    client: ShopifyClient, order: OrderSnapshot, changes: Sequence[EditChange], request: EditRequest
) -> Committed:
    """Make every line change in one edit session and commit it once."""
    begin = client.execute(documents.ORDER_EDIT_BEGIN, {"id": order.platform_id})["orderEditBegin"] or {}
    errors = list(begin.get("userErrors") or [])
    if errors or not begin.get("calculatedOrder"):
        raise PermanentPlatformError(
            "; ".join(e["message"] for e in errors) or "Shopify will not edit this order.",
            code=PlatformErrorCode.ORDER_NOT_EDITABLE,
        )
    calculated = begin["calculatedOrder"]
    # A calculated line item carries the number of the order line it stands for.
    calculated_lines = {
        _numeric_id(node["id"]): node["id"] for node in (calculated.get("lineItems") or {}).get("nodes") or []
    }
    lines = {line.platform_id: line for line in order.lines}
    for change in changes:
        if isinstance(change, ChangeAddress):
            continue
        if isinstance(change, AddVariant | SwapVariant):
            quantity = (
                change.quantity
                if isinstance(change, AddVariant)
                else change.quantity or lines[change.line_platform_id].quantity
            )
            _step(
                client,
                documents.ORDER_EDIT_ADD_VARIANT,
                "orderEditAddVariant",
                {"id": calculated["id"], "variantId": change.variant_platform_id, "quantity": quantity},
            )
            if isinstance(change, AddVariant):
                continue
        quantity = change.quantity if isinstance(change, SetQuantity) else 0
        calculated_id = calculated_lines.get(_numeric_id(change.line_platform_id))
        if calculated_id is None:
            raise PermanentPlatformError(
                "This item is not on the order.", code=PlatformErrorCode.LINE_NOT_FOUND
            )
        _step(
            client,
            documents.ORDER_EDIT_SET_QUANTITY,
            "orderEditSetQuantity",
            {"id": calculated["id"], "lineItemId": calculated_id, "quantity": quantity, "restock": True},
        )
    commit = _step(
        client,
        documents.ORDER_EDIT_COMMIT,
        "orderEditCommit",
        {
            "id": calculated["id"],
            # Shopify's own email of the edit carries the invoice for a balance left to pay.
            "notifyCustomer": request.notify_customer or request.send_invoice,
            "staffNote": request.staff_note or None,
        },
    )
    edited = commit.get("order") or {}
    total = _shop_amount(edited.get("currentTotalPriceSet"))
    collection = edited.get("paymentCollectionDetails") or {}
    return Committed(
        total=order.total if total is None else total,
        outstanding=_shop_amount(edited.get("totalOutstandingSet")) or Decimal("0.00"),
        payment_url=str(collection.get("additionalPaymentCollectionUrl") or ""),
    )


def already_applied(change: EditChange, order: OrderSnapshot) -> bool:
    lines = {line.platform_id: line for line in order.lines}
    if isinstance(change, ChangeAddress):
        wanted = {k: v for k, v in change.address.as_mirror().items() if k != "name"}
        return all(order.shipping_address.get(key) == value for key, value in wanted.items())
    if isinstance(change, AddVariant):
        # Amend adds only a variant the order does not carry, so carrying it means it was added.
        return any(line.variant_id == change.variant_platform_id for line in order.lines)
    if isinstance(change, SetQuantity):
        line = lines.get(change.line_platform_id)
        return (line is None and change.quantity == 0) or (
            line is not None and line.quantity == change.quantity
        )
    if isinstance(change, RemoveLine):
        return change.line_platform_id not in lines
    return change.line_platform_id not in lines and any(
        line.variant_id == change.variant_platform_id for line in order.lines
    )


def check_editable(changes: list[EditChange], order: OrderSnapshot) -> None:
    lines = {line.platform_id: line for line in order.lines}
    for change in changes:
        if isinstance(change, AddVariant):
            continue
        if isinstance(change, ChangeAddress):
            if any(line.fulfilled_quantity for line in order.lines):
                raise PermanentPlatformError(
                    "Items have already shipped to the old address.", code=PlatformErrorCode.ORDER_FULFILLED
                )
            continue
        line = lines.get(change.line_platform_id)
        if line is None:
            raise PermanentPlatformError(
                "This item is not on the order.", code=PlatformErrorCode.LINE_NOT_FOUND
            )
        keep = change.quantity if isinstance(change, SetQuantity) else 0
        if line.fulfilled_quantity > keep:
            raise PermanentPlatformError(
                "This item has already shipped.", code=PlatformErrorCode.LINE_FULFILLED
            )
    remaining = {line.platform_id for line in order.lines} - {
        c.line_platform_id
        for c in changes
        if isinstance(c, RemoveLine) or (isinstance(c, SetQuantity) and c.quantity == 0)
    }
    if not remaining and not any(isinstance(c, SwapVariant | AddVariant) for c in changes):
        raise PermanentPlatformError(
            "This would remove every item; cancel the order instead.",
            code=PlatformErrorCode.ORDER_WOULD_BE_EMPTY,
        )
