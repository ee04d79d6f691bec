"""The built-in store's fulfilment: shipping an order's items, never while its fulfilment is held.

A hold (cancellations/holds/) is a `FulfilmentHold` row in an active status; fulfilment locks the order
and checks for one in the same transaction, and placing a hold locks the same order first, so the
two never pass each other.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from cancellations.models import ACTIVE_HOLD_STATUSES, FulfillmentStatus, FulfilmentHold, LineItem, Order
from cancellations.platforms.base import PermanentPlatformError
from cancellations.platforms.errors import PlatformErrorCode
from tenants.models import Platform, Store


def fulfil_builtin_order(*, store: Store, order_id: int) -> Order:
    """Ship every item of a built-in store's order not shipped yet; refused while the order is held."""
    if store.platform != Platform.BUILTIN:
        raise PermanentPlatformError(
            "Orders of this store are fulfilled on its platform.", code=PlatformErrorCode.PLATFORM_REFUSED
        )
    with transaction.atomic():
        order = Order.objects.for_store(store).select_for_update().filter(pk=order_id).first()
        if order is None:
            raise PermanentPlatformError("No such order.", code=PlatformErrorCode.ORDER_NOT_FOUND)
        if order.cancelled_at is not None:
            raise PermanentPlatformError(
                "This order is cancelled.", code=PlatformErrorCode.ORDER_ALREADY_CANCELLED
            )
        held = (
            FulfilmentHold.objects.for_store(store)
            .filter(order=order, status__in=ACTIVE_HOLD_STATUSES)
            .exists()
        )
        if held:
            raise PermanentPlatformError(
                "This order's fulfilment is held while the customer may still change it.",
                code=PlatformErrorCode.ORDER_ON_HOLD,
            )
        LineItem.objects.for_store(store).filter(order=order).update(fulfilled_quantity=F("quantity"))
        order.fulfillment_status = FulfillmentStatus.FULFILLED
        order.version += 1
        order.save(update_fields=["fulfillment_status", "version", "updated_at"])
    return order
