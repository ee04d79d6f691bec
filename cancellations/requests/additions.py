"""Items a customer adds to an open order: which may be added (the policy's tag, in stock, not on
the order already), how many, and what each costs (its own price: the order's discount codes do not
extend to added items, as Shopify's order editing does not apply them)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from cancellations.models import LineItem, RequestChange, Variant
from cancellations.policy import StorePolicy
from cancellations.requests.errors import InvalidRequest, RequestErrorCode
from tenants.models import Store

MAX_QUANTITY = 99


def build_addition(
    *,
    store: Store,
    policy: StorePolicy,
    row: RequestChange,
    variant_id: str,
    quantity: int | None,
    lines: Sequence[LineItem],
) -> RequestChange:
    """The change that adds `quantity` of a variant, priced; refused if the store does not allow it."""
    tag = policy.additions.tag
    variant = (
        Variant.objects.for_store(store).select_related("product").filter(platform_id=variant_id).first()
        if variant_id and tag
        else None
    )
    if (
        variant is None
        or not variant.product.active
        or tag not in variant.product.tags
        or not variant.in_stock
    ):
        raise InvalidRequest(
            _("That item cannot be added to this order."),
            code=RequestErrorCode.ITEM_NOT_ADDABLE,
            field="changes",
        )
    if any(line.variant_id == variant.platform_id for line in lines):
        raise InvalidRequest(
            _("That item is on the order already: change its quantity instead."),
            code=RequestErrorCode.ITEM_NOT_ADDABLE,
            field="changes",
        )
    quantity = quantity or 1
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidRequest(
            _("Add from 1 to 99 of an item."), code=RequestErrorCode.TOO_MANY_ADDED, field="changes"
        )
    row.variant_platform_id, row.quantity = variant.platform_id, quantity
    row.price_difference = variant.price * quantity
    return row


def check_additions(policy: StorePolicy, changes: Sequence[RequestChange]) -> None:
    """Refuse more added items than the policy allows (one item per unit of quantity)."""
    added = sum(change.quantity or 0 for change in changes if change.kind == RequestChange.Kind.ADD)
    if added > policy.additions.max_items:
        raise InvalidRequest(
            _("Add at most %(count)d items to this order.") % {"count": policy.additions.max_items},
            code=RequestErrorCode.TOO_MANY_ADDED,
            field="changes",
        )
