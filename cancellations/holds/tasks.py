"""Tasks of fulfilment holds: place one hold, release one, and the sweep (every minute)."""

from __future__ import annotations

import logging

from celery import shared_task

from cancellations.core.workers import MAX_RETRIES, retry_countdown, store_or_none
from cancellations.holds.services import place_hold, release_hold, sweep_holds
from cancellations.platforms.base import PermanentPlatformError, TransientPlatformError

logger = logging.getLogger(__name__)


@shared_task(name="holds.place", bind=True, max_retries=MAX_RETRIES)
def place_hold_task(self, store_id: int, hold_id: int) -> None:
    """Place a new order's fulfilment hold on the store's platform."""
    store = store_or_none(store_id)
    if store is None:
        return
    try:
        place_hold(store=store, hold_id=hold_id)
    except TransientPlatformError as error:
        raise self.retry(countdown=retry_countdown(self.request.retries, error.retry_after)) from error


@shared_task(name="holds.release", bind=True, max_retries=MAX_RETRIES)
def release_hold_task(self, store_id: int, hold_id: int) -> None:
    """Release an order's fulfilment hold on the store's platform."""
    store = store_or_none(store_id)
    if store is None:
        return
    try:
        release_hold(store=store, hold_id=hold_id)
    except TransientPlatformError as error:
        raise self.retry(countdown=retry_countdown(self.request.retries, error.retry_after)) from error
    except PermanentPlatformError:
        # Kept releasing, with the error shown to staff; the sweep tries again.
        logger.warning("store %s hold %s: the platform refused the release", store_id, hold_id, exc_info=True)


@shared_task(name="holds.sweep")
def sweep_holds_task() -> int:
    """Release the holds that are due; send again what a killed worker left."""
    return sweep_holds()
