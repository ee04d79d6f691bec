"""Tasks of the order mirror: one order fetched, one page of a new store's history."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task

from cancellations.core.queueing import send_task
from cancellations.core.workers import MAX_RETRIES, retry_countdown, store_or_none
from cancellations.orders.services import backfill_page, sync_order_from_platform
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
