"""Commerce platforms behind one interface: `get_adapter(store)` picks the store's adapter."""

from __future__ import annotations

from cancellations.platforms.base import PlatformAdapter
from tenants.models import Platform, Store


def get_adapter(store: Store) -> PlatformAdapter:
    """The adapter for the store's platform (built-in or Shopify)."""
    from cancellations.platforms.builtin import BuiltinAdapter
    from cancellations.platforms.shopify.adapter import ShopifyAdapter

    adapters: dict[str, type[PlatformAdapter]] = {
        Platform.BUILTIN: BuiltinAdapter,
        Platform.SHOPIFY: ShopifyAdapter,
    }
    return adapters[store.platform](store)
