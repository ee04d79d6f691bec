"""Tagging orders (the rules' "add a tag" action; staff tools may use it too).

The platform interface has no tag call yet, so a tag is written to Amend's order mirror: for a store on
the built-in platform the mirror is the store's own record, so that is the whole effect. For a Shopify
store the tag lives in Amend only, and Shopify's next description of the order (a webhook) replaces
the mirror's tags with its own. Once the adapter can add tags on the platform, this is where to call it
(decision 0040).
"""

from __future__ import annotations

from django.db import transaction

from cancellations.models import Order
from tenants.models import Store


def add_order_tag(*, store: Store, order_id: int, tag: str) -> bool:
    """Add a tag to an order unless it has it already (capitals do not matter); whether it was added."""
    tag = tag.strip()
    if not tag:
        return False
    with transaction.atomic():
        order = Order.objects.for_store(store).select_for_update().filter(pk=order_id).first()
        if order is None or tag.casefold() in {existing.casefold() for existing in order.tags}:
            return False
        order.tags = [*order.tags, tag]
        order.version += 1
        order.save(update_fields=["tags", "version", "updated_at"])
    return True
