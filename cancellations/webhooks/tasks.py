"""Tasks of the webhook inbox: a stored delivery processed, the inbox swept."""

from __future__ import annotations

from celery import shared_task

from cancellations.core.workers import MAX_RETRIES, retry_countdown, store_or_none
from cancellations.platforms.base import TransientPlatformError
from cancellations.webhooks.inbox import drain_inbox, process_webhook_delivery, sweep_webhook_inbox


@shared_task(name="webhooks.process_delivery", bind=True, max_retries=MAX_RETRIES)
def process_webhook_delivery_task(self, store_id: int, delivery_id: int) -> None:
    """Process one stored webhook; a no-op when it was processed already."""
    store = store_or_none(store_id)
    if store is None:
        return
    try:
        process_webhook_delivery(store=store, delivery_id=delivery_id)
    except TransientPlatformError as error:
        raise self.retry(countdown=retry_countdown(self.request.retries, error.retry_after)) from error


@shared_task(name="webhooks.sweep_inbox")
def sweep_webhook_inbox_task() -> int:
    """Send webhooks that have waited too long to be processed again (run by beat)."""
    return sweep_webhook_inbox()


@shared_task(name="webhooks.drain_inbox")
def drain_inbox_task() -> int:
    """Process the deliveries waiting in the inbox, oldest first, until none is left."""
    return drain_inbox()
