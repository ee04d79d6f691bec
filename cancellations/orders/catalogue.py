"""The items a customer may add to an open order: the store's products with the policy's tag.

The built-in store's catalogue is the mirror itself. A platform with a search (Shopify's `products`
query, one page within the cost limit) is asked first and what it answers is written to the mirror,
so the price and stock the customer sees are the platform's of a moment ago, and a submitted addition
is checked against that same mirror.
"""

from __future__ import annotations

import logging

from cancellations.models import Variant
from cancellations.orders.services import upsert_product
from cancellations.platforms import get_adapter
from cancellations.platforms.base import PlatformError
from tenants.models import Store

logger = logging.getLogger(__name__)

SEARCH_PAGE = 20
MAX_OFFERED = 60


def addable_variants(*, store: Store, tag: str, refresh: bool = True) -> list[Variant]:
    """In-stock variants of the store's active products tagged `tag`, by product title."""
    if not tag:
        return []
    if refresh:
        try:
            found = get_adapter(store).search_products(tag=tag, first=SEARCH_PAGE)
        except PlatformError as error:
            # The mirror still answers (as it was at the last search or product webhook).
            logger.warning("product search failed for store %s: %s", store.pk, error.message)
            found = None
        for snapshot in found or ():
            upsert_product(store=store, snapshot=snapshot)
    variants = (
        Variant.objects.for_store(store)
        .select_related("product")
        .filter(product__active=True, product__tags__contains=[tag], available=True)
        .order_by("product__title", "position", "id")[:MAX_OFFERED]
    )
    return [variant for variant in variants if variant.in_stock]
