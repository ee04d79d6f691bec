"""Keep the order and catalogue mirror in step with what the platform says.

Webhooks arrive at least once and in any order, so an upsert never lets an older description
(`updated_at`) overwrite a newer one, changes nothing when nothing changed, and raises the order's
`version` only when it records a change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from cancellations.core.queueing import send_task
from cancellations.models import LineItem, Order, Product, Variant
from cancellations.platforms import get_adapter
from cancellations.platforms.base import CancelStatus, LineSnapshot, OrderSnapshot, ProductSnapshot
from tenants.models import Store

logger = logging.getLogger(__name__)

ORDER_FIELDS = (
    "name",
    "number",
    "email",
    "customer_name",
    "customer_locale",
    "customer_id",
    "placed_at",
    "currency",
    "subtotal",
    "shipping",
    "tax",
    "discount",
    "total",
    "refunded",
    "financial_status",
    "fulfillment_status",
    "cancelled_at",
    "cancel_reason",
    "tags",
    "discount_codes",
    "payment_gateways",
    "shipping_address",
    "billing_address",
)
LINE_FIELDS = (
    "title",
    "quantity",
    "unit_price",
    "fulfilled_quantity",
    "total_discount",
    "variant_title",
    "sku",
    "product_id",
    "variant_id",
    "product_type",
    "product_tags",
)


@dataclass(frozen=True)
class SyncOutcome:
    order: Order
    created: bool = False
    changed: bool = False
    # The snapshot was older than what the mirror holds, and was left unapplied.
    stale: bool = False


def _order_values(snapshot: OrderSnapshot) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(snapshot, name) for name in ORDER_FIELDS}
    for name in ("tags", "discount_codes", "payment_gateways"):
        values[name] = list(values[name])
    if snapshot.risk_level is not None:
        values["risk_level"] = snapshot.risk_level
    if snapshot.risk_recommendation is not None:
        values["risk_recommendation"] = snapshot.risk_recommendation
    values["platform_updated_at"] = snapshot.updated_at
    return values


def _line_values(line: LineSnapshot, position: int) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(line, name) for name in LINE_FIELDS}
    values["product_tags"] = list(line.product_tags)
    values["position"] = position
    return values


def upsert_order(*, store: Store, snapshot: OrderSnapshot) -> SyncOutcome:
    """Record the platform's description of an order, unless the mirror already has a newer one."""
    with transaction.atomic():
        order = (
            Order.objects.for_store(store)
            .select_for_update()
            .filter(platform_id=snapshot.platform_id)
            .first()
        )
        if order is None:
            try:
                with transaction.atomic():
                    order = Order.objects.create(
                        store=store, platform_id=snapshot.platform_id, **_order_values(snapshot)
                    )
                    LineItem.objects.bulk_create(
                        LineItem(
                            store=store, order=order, platform_id=line.platform_id, **_line_values(line, i)
                        )
                        for i, line in enumerate(snapshot.lines)
                    )
                return SyncOutcome(order=order, created=True, changed=True)
            except IntegrityError:
                # Another worker created it a moment ago: update theirs instead.
                order = (
                    Order.objects.for_store(store).select_for_update().get(platform_id=snapshot.platform_id)
                )
        if (
            snapshot.updated_at is not None
            and order.platform_updated_at is not None
            and snapshot.updated_at < order.platform_updated_at
        ):
            return SyncOutcome(order=order, stale=True)
        values = _order_values(snapshot)
        if order.tags_to_push:
            # Tags Amend added that the platform has not confirmed yet stay; those it shows are done.
            shown = {tag.casefold() for tag in values["tags"]}
            values["tags_to_push"] = [tag for tag in order.tags_to_push if tag.casefold() not in shown]
            values["tags"] = [*values["tags"], *values["tags_to_push"]]
        changed = [name for name, value in values.items() if getattr(order, name) != value]
        for name in changed:
            setattr(order, name, values[name])
        lines_changed = _sync_lines(store, order, snapshot.lines)
        if changed or lines_changed:
            order.version += 1
            order.save(update_fields=[*changed, "version", "updated_at"])
        return SyncOutcome(order=order, changed=bool(changed or lines_changed))


def upsert_orders(*, store: Store, snapshots: list[OrderSnapshot]) -> int:
    """Record many orders at once (an import): the new ones in two statements, the known ones one by one
    as `upsert_order` does. The number created."""
    by_id = {snapshot.platform_id: snapshot for snapshot in snapshots}
    known = set(
        Order.objects.for_store(store)
        .filter(platform_id__in=list(by_id))
        .values_list("platform_id", flat=True)
    )
    new = [snapshot for platform_id, snapshot in by_id.items() if platform_id not in known]
    one_by_one = [by_id[platform_id] for platform_id in known]
    created = 0
    if new:
        try:
            with transaction.atomic():
                orders = Order.objects.bulk_create(
                    [Order(store=store, platform_id=s.platform_id, **_order_values(s)) for s in new]
                )
                LineItem.objects.bulk_create(
                    LineItem(store=store, order=order, platform_id=line.platform_id, **_line_values(line, i))
                    for order, snapshot in zip(orders, new, strict=True)
                    for i, line in enumerate(snapshot.lines)
                )
            created = len(new)
        except IntegrityError:
            # A webhook created one of them meanwhile: take the whole batch one order at a time.
            one_by_one = list(by_id.values())
    for snapshot in one_by_one:
        created += upsert_order(store=store, snapshot=snapshot).created
    return created


def _sync_lines(store: Store, order: Order, lines: tuple[LineSnapshot, ...]) -> bool:
    existing = {line.platform_id: line for line in order.line_items.all()}
    wanted = {line.platform_id for line in lines}
    gone = [line.pk for platform_id, line in existing.items() if platform_id not in wanted]
    changed = bool(gone)
    if gone:
        LineItem.objects.for_store(store).filter(pk__in=gone).delete()
    for position, snapshot in enumerate(lines):
        values = _line_values(snapshot, position)
        line = existing.get(snapshot.platform_id)
        if line is None:
            LineItem.objects.create(store=store, order=order, platform_id=snapshot.platform_id, **values)
            changed = True
            continue
        different = [name for name, value in values.items() if getattr(line, name) != value]
        if different:
            for name in different:
                setattr(line, name, values[name])
            line.save(update_fields=different)
            changed = True
    return changed


def upsert_product(*, store: Store, snapshot: ProductSnapshot) -> tuple[Product, bool]:
    """Record the platform's description of a product and its variants; (product, applied)."""
    values = {
        "title": snapshot.title,
        "handle": snapshot.handle,
        "product_type": snapshot.product_type,
        "tags": list(snapshot.tags),
        "active": snapshot.active,
        "platform_updated_at": snapshot.updated_at,
    }
    if snapshot.image_url is not None:  # the product search does not ask for images: keep the webhook's
        values["image_url"] = snapshot.image_url
    with transaction.atomic():
        product = (
            Product.objects.for_store(store)
            .select_for_update()
            .filter(platform_id=snapshot.platform_id)
            .first()
        )
        if product is None:
            try:
                with transaction.atomic():
                    product = Product.objects.create(store=store, platform_id=snapshot.platform_id, **values)
            except IntegrityError:
                product = (
                    Product.objects.for_store(store).select_for_update().get(platform_id=snapshot.platform_id)
                )
        elif (
            snapshot.updated_at is not None
            and product.platform_updated_at is not None
            and snapshot.updated_at < product.platform_updated_at
        ):
            return product, False
        else:
            for name, value in values.items():
                setattr(product, name, value)
            product.save(update_fields=list(values))
        existing = {variant.platform_id: variant for variant in product.variants.all()}
        for variant in snapshot.variants:
            fields = {
                "title": variant.title,
                "sku": variant.sku,
                "price": variant.price,
                "inventory_quantity": variant.inventory_quantity,
                "available": variant.available,
                "position": variant.position,
            }
            if variant.image_url is not None:
                fields["image_url"] = variant.image_url
            current = existing.pop(variant.platform_id, None)
            if current is None:
                Variant.objects.create(
                    store=store, product=product, platform_id=variant.platform_id, **fields
                )
            else:
                for name, value in fields.items():
                    setattr(current, name, value)
                current.save(update_fields=list(fields))
        # Variants the platform no longer lists stay (old order lines name them) but cannot be chosen.
        if existing:
            Variant.objects.for_store(store).filter(pk__in=[v.pk for v in existing.values()]).update(
                available=False
            )
        return product, True


def retire_product(*, store: Store, platform_id: str) -> bool:
    """A product the platform deleted: keep it for old orders, but offer it no more."""
    with transaction.atomic():
        updated = Product.objects.for_store(store).filter(platform_id=platform_id).update(active=False)
        Variant.objects.for_store(store).filter(product__platform_id=platform_id).update(available=False)
    return bool(updated)


def sync_order_from_platform(*, store: Store, order_platform_id: str) -> SyncOutcome:
    """Fetch an order from the store's platform and record it (with what webhooks lack, such as risk)."""
    snapshot = get_adapter(store).fetch_order(order_platform_id, idempotency_key=f"sync:{order_platform_id}")
    return upsert_order(store=store, snapshot=snapshot)


# --- backfill: the recent orders of a newly connected shop, a page at a time ----------------------

BACKFILL_DAYS = 60
BACKFILL_PAGE_SIZE = 50


@dataclass(frozen=True)
class BackfillPage:
    orders: int
    created: int
    updated: int
    next_cursor: str | None


def backfill_page(
    *, store: Store, created_since: datetime, after: str | None = None, page_size: int = BACKFILL_PAGE_SIZE
) -> BackfillPage:
    """Mirror one page of the store's orders created since a moment; safe to repeat (upserts by id)."""
    adapter = get_adapter(store)
    page = getattr(adapter, "orders_page", None)
    if page is None:
        # The built-in store is its own system of record: there is nothing to bring in.
        return BackfillPage(orders=0, created=0, updated=0, next_cursor=None)
    snapshots, next_cursor = page(created_since=created_since, after=after, page_size=page_size)
    created = updated = 0
    for snapshot in snapshots:
        outcome = upsert_order(store=store, snapshot=snapshot)
        created += outcome.created
        updated += outcome.changed and not outcome.created
    return BackfillPage(orders=len(snapshots), created=created, updated=updated, next_cursor=next_cursor)


def backfill_orders(*, store: Store, days: int = BACKFILL_DAYS, max_pages: int | None = None) -> BackfillPage:
    """Mirror every order of the last `days` days, page after page; the totals of the run."""
    since = timezone.now() - timedelta(days=days)
    orders = created = updated = pages = 0
    cursor: str | None = None
    while True:
        page = backfill_page(store=store, created_since=since, after=cursor)
        orders, created, updated, pages = (
            orders + page.orders,
            created + page.created,
            updated + page.updated,
            pages + 1,
        )
        cursor = page.next_cursor
        if cursor is None or (max_pages is not None and pages >= max_pages):
            return BackfillPage(orders=orders, created=created, updated=updated, next_cursor=cursor)


def start_backfill(*, store_id: int, days: int = BACKFILL_DAYS) -> None:
    """Queue the backfill of a store's recent orders (one task a page, each queuing the next)."""
    since = timezone.now() - timedelta(days=days)
    send_task("orders.backfill", (store_id, since.isoformat(), None))


def record_cancelled(*, store: Store, order_id: int, status: CancelStatus) -> None:
    """The platform shows the order cancelled (a cheap status read): put that in the mirror, moving the
    platform timestamp with it so an older update delivered later cannot re-open the order."""
    with transaction.atomic():
        order = Order.objects.for_store(store).select_for_update().filter(pk=order_id).first()
        if order is None or order.cancelled_at is not None:
            return
        order.cancelled_at = status.cancelled_at
        order.cancel_reason = status.cancel_reason or order.cancel_reason
        order.financial_status = status.financial_status or order.financial_status
        moved = status.updated_at or status.cancelled_at
        if moved and (order.platform_updated_at is None or moved > order.platform_updated_at):
            order.platform_updated_at = moved
        order.version += 1
        order.save(
            update_fields=[
                "cancelled_at",
                "cancel_reason",
                "financial_status",
                "platform_updated_at",
                "version",
                "updated_at",
            ]
        )
