"""Fulfilment orders and their holds on the fake Shopify, as Shopify documents them.

- Shopify creates the fulfilment orders of an order itself; here each new order gets one, OPEN, at the
  shop's location (`add_order(..., fulfillment_orders=n)` for more).
  https://shopify.dev/docs/api/admin-graphql/2026-07/objects/FulfillmentOrder
- `Order.fulfillmentOrders` leaves out closed and cancelled ones unless `includeClosed`; each lists its
  `supportedActions` (an OPEN one may be held, an ON_HOLD one held again and released) and its
  `fulfillmentHolds`.
- `fulfillmentOrderHold` places a hold with a reason, notes and a `handle`: an app's second hold with
  the same handle on one fulfilment order is refused (DUPLICATE_FULFILLMENT_HOLD_HANDLE), an app has
  at most 10 holds on one (FULFILLMENT_ORDER_HOLD_LIMIT_REACHED), the handle is at most 64
  characters, line items cannot be named on one already held (FULFILLMENT_ORDER_NOT_SPLITTABLE), an
  unknown id is FULFILLMENT_ORDER_NOT_FOUND. A held fulfilment order is ON_HOLD.
  https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/fulfillmentOrderHold
  https://shopify.dev/docs/api/admin-graphql/2026-07/input-objects/FulfillmentOrderHoldInput
  https://shopify.dev/docs/api/admin-graphql/2026-07/enums/FulfillmentOrderHoldUserErrorCode
- `fulfillmentOrderReleaseHold` releases the holds named by `holdIds` (all of them without it); holds
  are released only if they belong to the fulfilment order, so a hold id that is not (or no longer)
  on it is refused and nothing is released. With no hold left the order is OPEN again.
  https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/fulfillmentOrderReleaseHold
- Both need write_merchant_managed_fulfillment_orders or write_third_party_fulfillment_orders (a
  shop given `scopes` without either answers ACCESS_DENIED).
  https://shopify.dev/changelog/fulfillment-hold-release-access-update
"""

from __future__ import annotations

import itertools
from typing import Any

from graphql import GraphQLError

_ids = itertools.count(6_000_000)

HOLD_LIMIT = 10
HANDLE_MAX = 64
WRITE_SCOPES = ("write_merchant_managed_fulfillment_orders", "write_third_party_fulfillment_orders")
_ACTIONS = {
    "OPEN": ["CREATE_FULFILLMENT", "HOLD", "MOVE"],
    "ON_HOLD": ["RELEASE_HOLD", "HOLD"],
    "IN_PROGRESS": ["CREATE_FULFILLMENT"],
    "CLOSED": [],
    "CANCELLED": [],
}


def new_fulfillment_order(order_id: str) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/FulfillmentOrder/{next(_ids)}",
        "orderId": order_id,
        "status": "OPEN",
        "holds": [],
    }


def view(fulfillment_order: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": fulfillment_order["id"],
        "status": fulfillment_order["status"],
        "supportedActions": [{"action": action} for action in _ACTIONS[fulfillment_order["status"]]],
        "fulfillmentHolds": [dict(hold) for hold in fulfillment_order["holds"]],
    }


def connection(fulfillment_orders: list[dict[str, Any]], page: Any) -> Any:
    def resolve(info: Any, first: int | None = None, after: str | None = None, includeClosed=False, **_):
        shown = [
            view(fo)
            for fo in fulfillment_orders
            if includeClosed or fo["status"] not in ("CLOSED", "CANCELLED")
        ]
        return page(shown, first, after)

    return resolve


def _find(shop: Any, fulfillment_order_id: str) -> dict[str, Any] | None:
    for order in shop.orders.values():
        for fulfillment_order in order.get("fulfillmentOrders") or []:
            if fulfillment_order["id"] == fulfillment_order_id:
                return fulfillment_order
    return None


def _check_scopes(shop: Any) -> None:
    if shop.scopes is not None and not any(scope in shop.scopes for scope in WRITE_SCOPES):
        raise GraphQLError(
            "Access denied for fulfillmentOrderHold field.", extensions={"code": "ACCESS_DENIED"}
        )


def _error(code: str | None, message: str, *field: str) -> dict[str, Any]:
    return {"field": list(field) or None, "message": message, "code": code}


def hold(shop: Any, id: str, fulfillmentHold: dict[str, Any]) -> dict[str, Any]:
    _check_scopes(shop)
    answer: dict[str, Any] = {
        "fulfillmentHold": None,
        "fulfillmentOrder": None,
        "remainingFulfillmentOrder": None,
    }
    fulfillment_order = _find(shop, id)
    if fulfillment_order is None:
        return {
            **answer,
            "userErrors": [_error("FULFILLMENT_ORDER_NOT_FOUND", "Fulfillment order not found.", "id")],
        }
    handle = fulfillmentHold.get("handle") or ""
    holds = fulfillment_order["holds"]
    refusal = None
    if "HOLD" not in _ACTIONS[fulfillment_order["status"]]:
        refusal = _error(None, "The fulfillment order cannot be placed on hold.", "id")
    elif len(handle) > HANDLE_MAX:
        refusal = _error(None, "Handle is too long (maximum is 64 characters).", "fulfillmentHold", "handle")
    elif any(existing["handle"] == handle for existing in holds):
        refusal = _error(
            "DUPLICATE_FULFILLMENT_HOLD_HANDLE",
            "The handle provided for the fulfillment hold is already in use by this app for another hold "
            "on this fulfillment order.",
            "fulfillmentHold",
            "handle",
        )
    elif len(holds) >= HOLD_LIMIT:
        refusal = _error(
            "FULFILLMENT_ORDER_HOLD_LIMIT_REACHED",
            "The maximum number of fulfillment holds for this fulfillment order has been reached "
            "for this app.",
        )
    elif holds and fulfillmentHold.get("fulfillmentOrderLineItems"):
        refusal = _error(
            "FULFILLMENT_ORDER_NOT_SPLITTABLE",
            "The fulfillment order is not in a splittable state.",
            "fulfillmentHold",
        )
    if refusal is not None:
        return {**answer, "userErrors": [refusal]}
    placed = {
        "id": f"gid://shopify/FulfillmentHold/{next(_ids)}",
        "handle": handle,
        "reason": fulfillmentHold["reason"],
        "reasonNotes": fulfillmentHold.get("reasonNotes"),
        "displayReason": "Other",
        "heldByRequestingApp": True,
        "heldByApp": None,
    }
    holds.append(placed)
    fulfillment_order["status"] = "ON_HOLD"
    shop.hold_log.append(("hold", id, placed["id"]))
    return {
        **answer,
        "fulfillmentHold": dict(placed),
        "fulfillmentOrder": view(fulfillment_order),
        "userErrors": [],
    }


def release(
    shop: Any, id: str, holdIds: list[str] | None = None, externalId: str | None = None
) -> dict[str, Any]:
    _check_scopes(shop)
    fulfillment_order = _find(shop, id)
    if fulfillment_order is None:
        return {
            "fulfillmentOrder": None,
            "userErrors": [
                _error("FULFILLMENT_ORDER_NOT_FOUND", "The fulfillment order wasn't found.", "id")
            ],
        }
    holds = fulfillment_order["holds"]
    wanted = [hold["id"] for hold in holds] if holdIds is None else list(holdIds)
    unknown = [hold_id for hold_id in wanted if hold_id not in {hold["id"] for hold in holds}]
    if unknown:
        return {
            "fulfillmentOrder": view(fulfillment_order),
            "userErrors": [_error(None, f"Fulfillment hold not found: {', '.join(unknown)}.", "holdIds")],
        }
    fulfillment_order["holds"] = [hold for hold in holds if hold["id"] not in wanted]
    for hold_id in wanted:
        shop.hold_log.append(("release", id, hold_id))
    if not fulfillment_order["holds"] and fulfillment_order["status"] == "ON_HOLD":
        fulfillment_order["status"] = "OPEN"
    return {"fulfillmentOrder": view(fulfillment_order), "userErrors": []}


def fulfil(order: dict[str, Any]) -> None:
    """What a warehouse does: fulfil the order's open fulfilment orders; refused while one is held."""
    fulfillment_orders = order.get("fulfillmentOrders") or []
    if any(fo["status"] == "ON_HOLD" for fo in fulfillment_orders):
        raise ValueError("A fulfillment order of this order is on hold.")
    for fulfillment_order in fulfillment_orders:
        if fulfillment_order["status"] == "OPEN":
            fulfillment_order["status"] = "CLOSED"
    order["displayFulfillmentStatus"] = "FULFILLED"
