"""Hold a new order's fulfilment until its change window closes, then release it exactly once.

The only writer of `FulfilmentHold.status`. Every move is a conditional update from the status it
expects, so two workers (or a worker and a member of staff) never both make it:

    pending --place--> held --window closes / customer / staff--> releasing --release--> released
    pending --platform refused--> failed        pending --released early--> releasing

A platform call happens outside a transaction, under a session lock on the hold, and may be repeated
after a crash: placing finds Amend's hold by its handle, releasing releases only Amend's holds still
there. The sweep (every minute) starts the releases that are due and sends again what a killed worker
or a lost task left pending or releasing, so a release is late by at most one sweep.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cancellations.core.queueing import enqueue, send_task
from cancellations.holds.errors import HoldErrorCode
from cancellations.holds.selectors import access_hold
from cancellations.models import FulfillmentStatus, FulfilmentHold, HoldStatus, Order, ReleaseReason
from cancellations.platforms import get_fulfilment_holds
from cancellations.platforms.base import PermanentPlatformError, TransientPlatformError
from cancellations.platforms.ledger import exclusive_key
from cancellations.policy import hold_until, order_facts
from cancellations.policy.services import current_policy
from tenants.errors import Conflict
from tenants.models import Store

logger = logging.getLogger(__name__)

# A hold still being placed or released this long after its last step is sent to a worker again.
RETRY_AFTER = timedelta(seconds=60)
HOLD_NOTES = "Held by Amend while the customer may still cancel or change the order."


def _key(hold_id: int) -> str:
    return f"fulfilment-hold:{hold_id}"


def hold_new_order(*, store: Store, order: Order, now: datetime | None = None) -> FulfilmentHold | None:
    """Hold a new order's fulfilment until its change window closes (once per order; policy allowing)."""
    if order.cancelled_at is not None or order.fulfillment_status != FulfillmentStatus.UNFULFILLED:
        return None
    policy, _version = current_policy(store=store)
    release_at = hold_until(policy=policy, order=order_facts(order))
    if release_at is None or release_at <= (now or timezone.now()):
        return None
    with transaction.atomic():
        # The order's lock keeps the built-in fulfilment from shipping it while the hold is recorded.
        Order.objects.for_store(store).select_for_update().filter(pk=order.pk).first()
        hold, created = FulfilmentHold.objects.for_store(store).get_or_create(
            store=store, order=order, defaults={"release_at": release_at}
        )
        if created:
            enqueue("holds.place", (store.pk, hold.pk))
    return hold


def _hold(store: Store, hold_id: int) -> FulfilmentHold | None:
    return FulfilmentHold.objects.for_store(store).select_related("order").filter(pk=hold_id).first()


def _move(store: Store, hold_id: int, frm: tuple[str, ...], to: str, **values: object) -> bool:
    moved = (
        FulfilmentHold.objects.for_store(store)
        .filter(pk=hold_id, status__in=frm)
        .update(status=to, updated_at=timezone.now(), **values)
    )
    return moved == 1


def place_hold(*, store: Store, hold_id: int) -> FulfilmentHold | None:
    """Place a recorded hold on the platform; a hold placed already, or released meanwhile, is left."""
    with exclusive_key(store, _key(hold_id)):
        hold = _hold(store, hold_id)
        if hold is None or hold.status != HoldStatus.PENDING:
            return hold
        try:
            placed = get_fulfilment_holds(store).hold(hold.order.platform_id, notes=HOLD_NOTES)
        except TransientPlatformError as error:
            _note_error(store, hold_id, error)
            raise
        except PermanentPlatformError as error:
            logger.warning("store %s hold %s: the platform refused the hold: %s", store.pk, hold_id, error)
            _move(
                store,
                hold_id,
                (HoldStatus.PENDING,),
                HoldStatus.FAILED,
                last_error=str(error)[:1000],
                attempts=F("attempts") + 1,
            )
            return _hold(store, hold_id)
        _move(
            store,
            hold_id,
            (HoldStatus.PENDING,),
            HoldStatus.HELD,
            platform_holds=[item.to_dict() for item in placed],
            last_error="",
        )
    return _hold(store, hold_id)


def start_release(*, store: Store, hold_id: int, reason: ReleaseReason, user_id: int | None = None) -> bool:
    """Release the hold now (the window closed, the customer or staff said so); False if it is not held."""
    with transaction.atomic():
        moved = _move(
            store,
            hold_id,
            (HoldStatus.PENDING, HoldStatus.HELD),
            HoldStatus.RELEASING,
            release_reason=reason,
            released_by_id=user_id,
        )
        if moved:
            enqueue("holds.release", (store.pk, hold_id))
    return moved


def release_hold(*, store: Store, hold_id: int) -> FulfilmentHold | None:
    """Carry out a release on the platform and record it, once; a hold not being released is left."""
    with exclusive_key(store, _key(hold_id)):
        hold = _hold(store, hold_id)
        if hold is None or hold.status != HoldStatus.RELEASING:
            return hold
        try:
            released = get_fulfilment_holds(store).release(hold.order.platform_id)
        except (TransientPlatformError, PermanentPlatformError) as error:
            # Kept releasing: the sweep tries again (a permission granted again, Shopify back).
            _note_error(store, hold_id, error)
            raise
        _move(
            store,
            hold_id,
            (HoldStatus.RELEASING,),
            HoldStatus.RELEASED,
            released_at=timezone.now(),
            last_error="",
        )
        logger.info("store %s hold %s released (%s platform holds)", store.pk, hold_id, released)
    return _hold(store, hold_id)


def _note_error(store: Store, hold_id: int, error: Exception) -> None:
    FulfilmentHold.objects.for_store(store).filter(pk=hold_id).update(
        last_error=str(error)[:1000], attempts=F("attempts") + 1, updated_at=timezone.now()
    )


def release_for_customer(*, store: Store, order: Order) -> FulfilmentHold:
    """The customer has nothing to change: release the order's hold now (the order is theirs, checked)."""
    hold = FulfilmentHold.objects.for_store(store).filter(order=order).first()
    if hold is None or not start_release(store=store, hold_id=hold.pk, reason=ReleaseReason.CUSTOMER):
        raise Conflict("This order is not being held (any more).", code=HoldErrorCode.HOLD_NOT_ACTIVE)
    return hold


def release_by_staff(*, store: Store, hold_id: int, user_id: int) -> FulfilmentHold:
    """Staff release a hold now, before the window closes; another store's hold is not found."""
    hold = access_hold(store=store, hold_id=hold_id)
    if not start_release(store=store, hold_id=hold.pk, reason=ReleaseReason.STAFF, user_id=user_id):
        raise Conflict("This order is not being held (any more).", code=HoldErrorCode.HOLD_NOT_ACTIVE)
    return hold


def sweep_holds(*, now: datetime | None = None, limit: int = 500) -> int:
    """Start the releases that are due and send again the work a lost task left; how many were sent."""
    now = now or timezone.now()
    stale = now - RETRY_AFTER
    # A system sweep over every store's holds; each is re-read under its own store by the task.
    holds = FulfilmentHold.objects.dangerously_unscoped()
    # What a lost task left is read first, so the releases this sweep starts are not sent twice.
    waiting = list(
        holds.filter(status__in=(HoldStatus.PENDING, HoldStatus.RELEASING), updated_at__lt=stale)
        .values_list("store_id", "pk", "status")
        .order_by("updated_at")[:limit]
    )
    due = list(
        holds.filter(status=HoldStatus.HELD, release_at__lte=now).values_list("store_id", "pk")[:limit]
    )
    sent = 0
    for store_id, pk in due:
        store = Store.objects.filter(pk=store_id).first()
        if store is not None and start_release(store=store, hold_id=pk, reason=ReleaseReason.WINDOW_CLOSED):
            sent += 1
    for store_id, pk, status in waiting:
        task = "holds.place" if status == HoldStatus.PENDING else "holds.release"
        sent += send_task(task, (store_id, pk))
    return sent
