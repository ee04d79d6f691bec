"""Tagging orders (the rules' "add a tag" action; staff tools may use it too), on the platform too.

A tag is written to Amend's order mirror at once. For a store on the built-in platform the mirror is
the store's own record, so that is the whole effect. On another platform (Shopify) the tag is also kept
in `tags_to_push` and the task `orders.push_tags` adds it there (Shopify's `tagsAdd`, which does nothing
for a tag the order has already, so a repeat is harmless); the sweep sends any still waiting again, and
an order sync keeps a waiting tag in the mirror until the platform shows it (decision 0040).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from cancellations.core.queueing import enqueue, send_task
from cancellations.models import Order
from cancellations.platforms import get_adapter
from tenants.models import Platform, Store

logger = logging.getLogger(__name__)

PUSH_TASK = "orders.push_tags"
# A tag still waiting this long after its order last changed is sent again by the sweep.
PUSH_GRACE = timedelta(minutes=2)


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
        fields = ["tags", "version", "updated_at"]
        if store.platform != Platform.BUILTIN:
            order.tags_to_push = [*order.tags_to_push, tag]
            fields.append("tags_to_push")
            enqueue(PUSH_TASK, (store.pk, order.pk))
        order.version += 1
        order.save(update_fields=fields)
    return True


def push_order_tags(*, store: Store, order_id: int) -> list[str]:
    """Add the order's waiting tags on the platform; the tags pushed (none if nothing was waiting).

    The platform call is made outside any transaction; a transient error propagates (the task retries).
    """
    order = Order.objects.for_store(store).filter(pk=order_id).first()
    if order is None or not order.tags_to_push:
        return []
    tags = list(order.tags_to_push)
    get_adapter(store).add_tags(order.platform_id, tags, idempotency_key=f"tags:{order.pk}")
    with transaction.atomic():
        locked = Order.objects.for_store(store).select_for_update().get(pk=order_id)
        pushed = {tag.casefold() for tag in tags}
        locked.tags_to_push = [tag for tag in locked.tags_to_push if tag.casefold() not in pushed]
        locked.save(update_fields=["tags_to_push", "updated_at"])
    return tags


def sweep_waiting_tags(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send the push again for orders whose tags have waited past the grace (a lost task, an outage)."""
    now = now or timezone.now()
    # A system sweep across stores: each order is then handled under its own store by the task.
    rows = list(
        Order.objects.dangerously_unscoped()
        .exclude(tags_to_push=[])
        .filter(updated_at__lt=now - PUSH_GRACE)
        .order_by("updated_at")
        .values_list("store_id", "pk")[:limit]
    )
    for store_id, order_id in rows:
        send_task(PUSH_TASK, (store_id, order_id))
    if rows:
        logger.info("sweep sent %s orders' waiting tags to the platform again", len(rows))
    return len(rows)
