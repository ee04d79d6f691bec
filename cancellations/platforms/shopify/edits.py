"""What an order edit checks on Shopify before it changes anything: what the order shows already
(a retry after a lost answer does not repeat it), and what can no longer change (shipped items)."""

from __future__ import annotations

from cancellations.platforms.base import (
    ChangeAddress,
    EditChange,
    OrderSnapshot,
    PermanentPlatformError,
    RemoveLine,
    SetQuantity,
    SwapVariant,
)
from cancellations.platforms.errors import PlatformErrorCode


def already_applied(change: EditChange, order: OrderSnapshot) -> bool:
    lines = {line.platform_id: line for line in order.lines}
    if isinstance(change, ChangeAddress):
        wanted = {k: v for k, v in change.address.as_mirror().items() if k != "name"}
        return all(order.shipping_address.get(key) == value for key, value in wanted.items())
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
    if not remaining and not any(isinstance(c, SwapVariant) for c in changes):
        raise PermanentPlatformError(
            "This would remove every item; cancel the order instead.",
            code=PlatformErrorCode.ORDER_WOULD_BE_EMPTY,
        )
