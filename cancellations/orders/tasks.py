"""Tasks of the order mirror: one order fetched, one page of a new store's history, an order import."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.conf import settings

from cancellations.core.queueing import send_task
from cancellations.core.workers import MAX_RETRIES, retry_countdown, store_or_none
from cancellations.models import OrderImportStatus
from cancellations.orders.imports import check_import, continue_import, imports_to_check, start_import
from cancellations.orders.services import backfill_page, start_backfill, sync_order_from_platform
from cancellations.orders.tags import push_order_tags, sweep_waiting_tags
from cancellations.platforms.base import PermanentPlatformError, TransientPlatformError

logger = logging.getLogger(__name__)


@shared_task(name="orders.backfill", bind=True, max_retries=MAX_RETRIES)
def backfill_orders_task(self, store_id: int, created_since: str, after: str | None) -> None:
    """Mirror one page of a newly connected store's recent orders, then queue the next page."""
    store = store_or_none(store_id)
    if store is None:
        return
    try:
        page = backfill_page(store=store, created_since=datetime.fromisoformat(created_since), after=after)
    except TransientPlatformError as error:
        raise self.retry(countdown=retry_countdown(self.request.retries, error.retry_after)) from error
    if page.next_cursor:
        send_task("orders.backfill", (store_id, created_since, page.next_cursor))


@shared_task(name="orders.sync_order", bind=True, max_retries=MAX_RETRIES)
def sync_order_task(self, store_id: int, order_platform_id: str) -> None:
    """Fetch one order from the store's platform and record it in the mirror."""
    store = store_or_none(store_id)
    if store is None:
        return
    try:
        sync_order_from_platform(store=store, order_platform_id=order_platform_id)
    except TransientPlatformError as error:
        raise self.retry(countdown=retry_countdown(self.request.retries, error.retry_after)) from error


@shared_task(name="orders.push_tags", bind=True, max_retries=MAX_RETRIES)
def push_tags_task(self, store_id: int, order_id: int) -> None:
    """Add the tags Amend gave an order (an automation rule) on the store's platform."""
    store = store_or_none(store_id)
    if store is None:
        return
    try:
        push_order_tags(store=store, order_id=order_id)
    except TransientPlatformError as error:
        raise self.retry(countdown=retry_countdown(self.request.retries, error.retry_after)) from error
    except PermanentPlatformError:
        # Kept waiting: the merchant sees the tag in Amend; the sweep tries again later.
        logger.warning("store %s order %s: the platform refused the tags", store_id, order_id, exc_info=True)


@shared_task(name="orders.sweep_tags")
def sweep_tags_task() -> int:
    return sweep_waiting_tags()


@shared_task(name="orders.import_check", bind=True, max_retries=MAX_RETRIES)
def import_check_task(self, store_id: int, import_id: int) -> None:
    """Ask where a store's order export is; mirror it when finished, else ask again a little later."""
    store = store_or_none(store_id)
    if store is None:
        return
    try:
        found = check_import(store=store, import_id=import_id)
    except TransientPlatformError as error:
        raise self.retry(countdown=retry_countdown(self.request.retries, error.retry_after)) from error
    except PermanentPlatformError:
        logger.warning(
            "store %s: the order import %s could not be checked", store_id, import_id, exc_info=True
        )
        return
    if found is not None and found.status == OrderImportStatus.EXPORTING:
        send_task("orders.import_check", (store_id, import_id), countdown=settings.ORDER_IMPORT_POLL_SECONDS)


@shared_task(name="orders.sweep_imports")
def sweep_imports_task() -> None:
    """Check again every import under way that nothing has moved for a while (a lost task, a dead worker)."""
    for store_id, import_id in imports_to_check():
        send_task("orders.import_check", (store_id, import_id))


@shared_task(name="orders.import_read", bind=True, max_retries=MAX_RETRIES)
def import_read_task(self, store_id: int, import_id: int) -> None:
    """Go on mirroring a finished export from where the last reader stopped."""
    store = store_or_none(store_id)
    if store is None:
        return
    try:
        continue_import(store=store, import_id=import_id)
    except TransientPlatformError as error:
        raise self.retry(countdown=retry_countdown(self.request.retries, error.retry_after)) from error


@shared_task(name="orders.import_start", bind=True, max_retries=MAX_RETRIES)
def import_start_task(self, store_id: int) -> None:
    """Bring in a newly connected store's order history: one export where the platform has it, else
    the recent orders page by page."""
    store = store_or_none(store_id)
    if store is None:
        return
    try:
        started = start_import(store=store, days=settings.ORDER_IMPORT_DAYS or None)
    except TransientPlatformError as error:
        raise self.retry(countdown=retry_countdown(self.request.retries, error.retry_after)) from error
    except PermanentPlatformError:
        logger.warning("store %s: no export; reading the recent orders page by page", store_id, exc_info=True)
        started = None
    if started is None:
        start_backfill(store_id=store_id)
