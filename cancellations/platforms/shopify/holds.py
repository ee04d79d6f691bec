"""Holding and releasing an order's fulfilment on Shopify, by Amend's own handle.

A hold goes on each of the order's fulfilment orders that Shopify says can be held (`supportedActions`
has HOLD), with reason OTHER, a note for the merchant and Amend's handle, without notifying the
merchant (Amend's held-orders page says when each is released). Shopify refuses a second hold with
the same handle on a fulfilment order, so a repeated hold finds Amend's hold and keeps it instead.
A release names the hold ids (releasing without them would release every app's holds, Shopify warns)
and releases only the holds of Amend's handle still on the order: a repeated release finds none left
and does nothing. Read Shopify's pages:
https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/fulfillmentOrderHold
https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/fulfillmentOrderReleaseHold
https://shopify.dev/docs/api/admin-graphql/2026-07/input-objects/FulfillmentOrderHoldInput
"""

from __future__ import annotations

from typing import Any

from cancellations.models import HOLD_HANDLE
from cancellations.platforms.base import PermanentPlatformError
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.holds import FulfilmentHolds, PlacedHold
from cancellations.platforms.shopify import documents
from cancellations.platforms.shopify.adapter import ShopifyAdapter

# Shopify's limit on a hold's notes is not published; what Amend writes stays short anyway.
NOTES_MAX = 255


def _ours(fulfillment_order: dict[str, Any]) -> list[str]:
    """The ids of Amend's holds on a fulfilment order."""
    return [
        hold["id"]
        for hold in fulfillment_order.get("fulfillmentHolds") or []
        if hold.get("handle") == HOLD_HANDLE and hold.get("heldByRequestingApp", True)
    ]


def _actions(fulfillment_order: dict[str, Any]) -> set[str]:
    return {action.get("action", "") for action in fulfillment_order.get("supportedActions") or []}


def _refused(errors: list[dict[str, Any]], default: str) -> PermanentPlatformError:
    return PermanentPlatformError(
        "; ".join(str(error.get("message", "")) for error in errors) or default,
        code=PlatformErrorCode.HOLD_REFUSED,
    )


class ShopifyHolds(FulfilmentHolds):
    def __init__(self, store: Any, *, adapter: ShopifyAdapter | None = None) -> None:
        super().__init__(store)
        self.adapter = adapter or ShopifyAdapter(store)

    def fulfillment_orders(self, order_platform_id: str) -> list[dict[str, Any]]:
        data = self.adapter.client.execute(documents.FULFILLMENT_ORDERS, {"id": order_platform_id})
        order = data.get("order")
        if order is None:
            raise PermanentPlatformError(
                "Shopify does not know this order.", code=PlatformErrorCode.ORDER_NOT_FOUND
            )
        return list((order.get("fulfillmentOrders") or {}).get("nodes") or [])

    def hold(self, order_platform_id: str, *, notes: str) -> list[PlacedHold]:
        placed: list[PlacedHold] = []
        for fulfillment_order in self.fulfillment_orders(order_platform_id):
            mine = _ours(fulfillment_order)
            if mine:
                placed.extend(PlacedHold(fulfillment_order["id"], hold) for hold in mine)
                continue
            if "HOLD" not in _actions(fulfillment_order):
                continue  # closed, in progress at a fulfilment service, ...: nothing to hold
            variables = {
                "id": fulfillment_order["id"],
                "hold": {
                    "reason": "OTHER",
                    "reasonNotes": notes[:NOTES_MAX],
                    "handle": HOLD_HANDLE,
                    "notifyMerchant": False,
                },
            }
            payload = self.adapter.client.execute(documents.FULFILLMENT_ORDER_HOLD, variables)
            result = payload.get("fulfillmentOrderHold") or {}
            errors = list(result.get("userErrors") or [])
            if any(error.get("code") == "DUPLICATE_FULFILLMENT_HOLD_HANDLE" for error in errors):
                # An earlier attempt placed it and its answer was lost: look it up.
                again = next(
                    (fo for fo in self.fulfillment_orders(order_platform_id) if fo["id"] == variables["id"]),
                    {},
                )
                placed.extend(PlacedHold(variables["id"], hold) for hold in _ours(again))
                continue
            if errors or not result.get("fulfillmentHold"):
                raise _refused(errors, "Shopify did not hold the fulfilment order.")
            placed.append(PlacedHold(variables["id"], result["fulfillmentHold"]["id"]))
        return placed

    def release(self, order_platform_id: str) -> int:
        released = 0
        for fulfillment_order in self.fulfillment_orders(order_platform_id):
            mine = _ours(fulfillment_order)
            if not mine:
                continue
            payload = self.adapter.client.execute(
                documents.FULFILLMENT_ORDER_RELEASE_HOLD, {"id": fulfillment_order["id"], "holdIds": mine}
            )
            errors = list((payload.get("fulfillmentOrderReleaseHold") or {}).get("userErrors") or [])
            if errors:
                raise _refused(errors, "Shopify did not release the hold.")
            released += len(mine)
        return released
