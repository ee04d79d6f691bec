"""Reads of the order mirror that pages show."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from cancellations.models import (
    IMPORT_OPEN_STATUSES,
    LineItem,
    OrderImport,
    Product,
    StoreCreditEntry,
    Variant,
)
from tenants.models import Store

# A finished import stays on the overview this long.
IMPORT_SHOWN_FOR = timedelta(days=7)


def import_to_show(store: Store) -> OrderImport | None:
    """The store's order import under way, else the last one if it ended in the past week."""
    recent = timezone.now() - IMPORT_SHOWN_FOR
    return (
        OrderImport.objects.for_store(store)
        .filter(Q(status__in=IMPORT_OPEN_STATUSES) | Q(finished_at__gte=recent))
        .order_by("-started_at")
        .first()
    )


def store_credit_balances(*, store: Store, emails: Iterable[str]) -> list[tuple[str, Decimal]]:
    """What the built-in store holds for a customer in store credit: (currency, balance), none empty."""
    wanted = sorted({email.strip().lower() for email in emails if email})
    if not wanted:
        return []
    rows = (
        StoreCreditEntry.objects.for_store(store)
        .filter(email__in=wanted)
        .values("currency")
        .annotate(balance=Sum("amount"))
        .order_by("currency")
    )
    return [(row["currency"], row["balance"]) for row in rows if row["balance"]]


def line_images(*, store: Store, lines: Iterable[LineItem]) -> dict[int, str]:
    """Each line (by pk) with a picture: its variant's own image, else its product's; this store's only."""
    lines = list(lines)
    product_ids = {line.product_id for line in lines if line.product_id}
    if not product_ids:
        return {}
    products = dict(
        Product.objects.for_store(store)
        .filter(platform_id__in=product_ids)
        .exclude(image_url="")
        .values_list("platform_id", "image_url")
    )
    variants = dict(
        Variant.objects.for_store(store)
        .filter(platform_id__in={line.variant_id for line in lines if line.variant_id})
        .exclude(image_url="")
        .values_list("platform_id", "image_url")
    )
    found = {line.pk: variants.get(line.variant_id) or products.get(line.product_id, "") for line in lines}
    return {pk: url for pk, url in found.items() if url}
