"""What an item change costs: the order's new total and the difference, before it is submitted.

The estimate follows the built-in store's own arithmetic (tax scales with the goods; shipping stays),
which is also how Shopify recalculates an edited order in the common case of one tax rate; once the
change is carried out, what the platform says is owed replaces the estimate on the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from cancellations.models import PAID_STATES, Order, RequestChange

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class EditEstimate:
    currency: str
    total: Decimal
    new_total: Decimal
    # new_total - total: positive costs the customer more, negative gives money back.
    difference: Decimal
    # For a paid order, what will be refunded or owed; for an unpaid one both are 0 (the new total is due).
    refund: Decimal
    owed: Decimal
    paid: bool
    # How many items are added (the order's discount codes do not reach them).
    added: int = 0


def estimate_edit(order: Order, changes: Sequence[RequestChange]) -> EditEstimate:
    """The order's new total if these changes are made, and what that means for the customer."""
    goods = sum((change.price_difference for change in changes), ZERO)
    tax = (order.tax * goods / order.subtotal).quantize(CENT) if order.subtotal else ZERO
    difference = goods + tax
    paid = order.financial_status in PAID_STATES
    return EditEstimate(
        currency=order.currency,
        total=order.total,
        new_total=order.total + difference,
        difference=difference,
        refund=-difference if paid and difference < 0 else ZERO,
        owed=difference if paid and difference > 0 else ZERO,
        paid=paid,
        added=sum(1 for change in changes if change.kind == RequestChange.Kind.ADD),
    )
