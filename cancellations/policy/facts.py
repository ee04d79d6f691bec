"""What the decision needs to know about an order: a plain snapshot, read from the database once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from cancellations.models.orders import FulfillmentStatus

if TYPE_CHECKING:
    from cancellations.models import Order


@dataclass(frozen=True, slots=True)
class LineFacts:
    id: int
    quantity: int
    fulfilled_quantity: int = 0
    sku: str = ""
    product_type: str = ""
    product_tags: tuple[str, ...] = ()

    @property
    def fully_fulfilled(self) -> bool:
        return self.quantity > 0 and self.fulfilled_quantity >= self.quantity

    @property
    def partly_fulfilled(self) -> bool:
        return self.fulfilled_quantity > 0


@dataclass(frozen=True, slots=True)
class OrderFacts:
    placed_at: datetime
    total: Decimal
    financial_status: str
    fulfillment_status: str = FulfillmentStatus.UNFULFILLED.value
    timezone: str = "UTC"  # the store's time zone, for daily cut-offs and withdrawal deadlines
    cancelled_at: datetime | None = None
    risk_level: str = ""
    tags: tuple[str, ...] = ()
    discount_codes: tuple[str, ...] = ()
    lines: tuple[LineFacts, ...] = ()
    # When the customer received the goods (the last delivery, when there were several); None if unknown.
    delivered_at: datetime | None = None

    @property
    def shipping_started(self) -> bool:
        """Whether any item has shipped (which closes every "until fulfilment" window)."""
        return self.fulfillment_status in (
            FulfillmentStatus.PARTIAL,
            FulfillmentStatus.FULFILLED,
        ) or any(line.fulfilled_quantity > 0 for line in self.lines)

    @property
    def fully_shipped(self) -> bool:
        if self.fulfillment_status == FulfillmentStatus.FULFILLED:
            return True
        # Lines edited down to nothing do not count either way.
        live = [line for line in self.lines if line.quantity > 0]
        return bool(live) and all(line.fully_fulfilled for line in live)


def order_facts(order: Order, *, delivered_at: datetime | None = None) -> OrderFacts:
    """Snapshot an order and its line items (one query for the lines unless they were prefetched).

    The order mirror does not record when goods were delivered; a caller that knows (from the platform's
    fulfilment events) passes `delivered_at`, which starts the withdrawal period.
    """
    lines = tuple(
        LineFacts(
            id=line.pk,
            quantity=line.quantity,
            fulfilled_quantity=line.fulfilled_quantity,
            sku=line.sku,
            product_type=line.product_type,
            product_tags=tuple(line.product_tags or ()),
        )
        for line in order.line_items.all()
    )
    return OrderFacts(
        placed_at=order.placed_at,
        total=order.total,
        financial_status=order.financial_status,
        fulfillment_status=order.fulfillment_status,
        timezone=order.store.timezone,
        cancelled_at=order.cancelled_at,
        risk_level=order.risk_level or "",
        tags=tuple(order.tags or ()),
        discount_codes=tuple(order.discount_codes or ()),
        lines=lines,
        delivered_at=delivered_at or order.delivered_at,
    )
