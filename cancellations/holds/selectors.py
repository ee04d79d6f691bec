"""Reads of fulfilment holds: a store's held orders, one hold by id, an order's hold."""

from __future__ import annotations

from django.db.models import QuerySet

from cancellations.models import ACTIVE_HOLD_STATUSES, FulfilmentHold, Order, PlatformConnection
from cancellations.policy.services import current_policy
from tenants.errors import NotFound
from tenants.models import Platform, Store


def held_orders(*, store: Store) -> QuerySet[FulfilmentHold]:
    """The store's holds that still keep (or may keep) an order from being fulfilled, soonest first."""
    return (
        FulfilmentHold.objects.for_store(store)
        .filter(status__in=ACTIVE_HOLD_STATUSES)
        .select_related("order")
        .order_by("release_at", "id")
    )


def recent_holds(*, store: Store, limit: int = 50) -> QuerySet[FulfilmentHold]:
    """The store's holds released or refused lately, newest first."""
    return (
        FulfilmentHold.objects.for_store(store)
        .exclude(status__in=ACTIVE_HOLD_STATUSES)
        .select_related("order", "released_by")
        .order_by("-updated_at", "-id")[:limit]
    )


def access_hold(*, store: Store, hold_id: int) -> FulfilmentHold:
    """The store's hold with this id (another store's is not found)."""
    hold = FulfilmentHold.objects.for_store(store).select_related("order").filter(pk=hold_id).first()
    if hold is None:
        raise NotFound("No such hold.")
    return hold


def hold_of_order(*, store: Store, order: Order) -> FulfilmentHold | None:
    return FulfilmentHold.objects.for_store(store).filter(order=order).first()


# Either lets Amend hold and release fulfilment orders on Shopify (merchant locations, fulfilment
# services): https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/fulfillmentOrderHold
HOLD_SCOPES = ("write_merchant_managed_fulfillment_orders", "write_third_party_fulfillment_orders")


def hold_scopes_missing(*, store: Store) -> bool:
    """Whether the store holds fulfilment but its Shopify connection was granted neither hold scope."""
    if store.platform != Platform.SHOPIFY:
        return False
    policy, _version = current_policy(store=store)
    if not policy.fulfilment_hold.enabled:
        return False
    connection = PlatformConnection.objects.for_store(store).filter(platform=Platform.SHOPIFY).first()
    if connection is None or not connection.is_active:
        return False
    return not any(scope in (connection.scopes or ()) for scope in HOLD_SCOPES)
