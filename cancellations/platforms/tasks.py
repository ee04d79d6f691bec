"""Tasks of the platform connections."""

from __future__ import annotations

from celery import shared_task

from cancellations.core.workers import MAX_RETRIES, retry_countdown, store_or_none
from cancellations.platforms.base import TransientPlatformError
from cancellations.platforms.shopify.connections import register_shopify_webhooks


@shared_task(name="platforms.register_shopify_webhooks", bind=True, max_retries=MAX_RETRIES)
def register_shopify_webhooks_task(self, store_id: int) -> None:
    """Subscribe a newly connected shop to the webhooks Amend processes (safe to repeat)."""
    store = store_or_none(store_id)
    if store is None:
        return
    try:
        register_shopify_webhooks(store=store)
    except TransientPlatformError as error:
        raise self.retry(countdown=retry_countdown(self.request.retries, error.retry_after)) from error
