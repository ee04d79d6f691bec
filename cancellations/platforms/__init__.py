"""Commerce platforms behind one interface: `get_adapter(store)` picks the store's adapter,
`get_fulfilment_holds(store)` its way of holding fulfilment (holds.py)."""

from __future__ import annotations

from cancellations.platforms.base import PlatformAdapter
from cancellations.platforms.holds import BuiltinHolds, FulfilmentHolds
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


def get_fulfilment_holds(store: Store) -> FulfilmentHolds:
    """The store's platform's way of holding an order's fulfilment."""
    if store.platform == Platform.SHOPIFY:
        from cancellations.platforms.shopify.holds import ShopifyHolds

        return ShopifyHolds(store)
    return BuiltinHolds(store)
