"""Tasks of the cancellations app: thin, idempotent, by id; each re-resolves its store."""

from __future__ import annotations

import logging
import random

from celery import shared_task

from cancellations.platforms.base import TransientPlatformError
from tenants.models import Store

logger = logging.getLogger(__name__)

MAX_RETRIES = 6


def _countdown(retries: int, retry_after: float | None) -> float:
    # Exponential backoff with full jitter; never sooner than the platform asked.
    return max(retry_after or 0.0, random.uniform(0, min(600.0, 5.0 * 2**retries)))


def _store(store_id: int) -> Store | None:
    store = Store.objects.filter(pk=store_id).first()
    if store is None:
        logger.info("store %s no longer exists; nothing to do", store_id)
    return store


@shared_task(bind=True, max_retries=MAX_RETRIES)
def process_webhook_delivery_task(self, store_id: int, delivery_id: int) -> None:
    """Process one stored webhook; a no-op when it was processed already."""
    from cancellations.webhooks import process_webhook_delivery

    store = _store(store_id)
    if store is None:
        return
    try:
        process_webhook_delivery(store=store, delivery_id=delivery_id)
    except TransientPlatformError as error:
        raise self.retry(countdown=_countdown(self.request.retries, error.retry_after)) from error


@shared_task
def sweep_webhook_inbox_task() -> int:
    """Send webhooks that have waited too long to be processed again (run by beat)."""
    from cancellations.webhooks import sweep_webhook_inbox

    return sweep_webhook_inbox()


@shared_task(bind=True, max_retries=MAX_RETRIES)
def register_shopify_webhooks_task(self, store_id: int) -> None:
    """Subscribe a newly connected shop to the webhooks Amend processes (safe to repeat)."""
    from cancellations.platforms.connections import register_shopify_webhooks

    store = _store(store_id)
    if store is None:
        return
    try:
        register_shopify_webhooks(store=store)
    except TransientPlatformError as error:
        raise self.retry(countdown=_countdown(self.request.retries, error.retry_after)) from error


@shared_task(bind=True, max_retries=MAX_RETRIES)
def backfill_orders_task(self, store_id: int, created_since: str, after: str | None) -> None:
    """Mirror one page of a newly connected store's recent orders, then queue the next page."""
    from datetime import datetime

    from cancellations.order_sync import backfill_page

    store = _store(store_id)
    if store is None:
        return
    try:
        page = backfill_page(store=store, created_since=datetime.fromisoformat(created_since), after=after)
    except TransientPlatformError as error:
        raise self.retry(countdown=_countdown(self.request.retries, error.retry_after)) from error
    if page.next_cursor:
        backfill_orders_task.delay(store_id, created_since, page.next_cursor)


@shared_task(bind=True, max_retries=MAX_RETRIES)
def sync_order_task(self, store_id: int, order_platform_id: str) -> None:
    """Fetch one order from the store's platform and record it in the mirror."""
    from cancellations.order_sync import sync_order_from_platform

    store = _store(store_id)
    if store is None:
        return
    try:
        sync_order_from_platform(store=store, order_platform_id=order_platform_id)
    except TransientPlatformError as error:
        raise self.retry(countdown=_countdown(self.request.retries, error.retry_after)) from error


# --- order requests: execution, its sweep, and notifications -------------------------------------


@shared_task
def execute_request_task(store_id: int, request_id: int) -> str:
    """Carry an approved request out on the platform; a no-op once it is done (or not this store's)."""
    from cancellations.execution import SKIPPED, execute_request
    from tenants.errors import NotFound

    store = _store(store_id)
    if store is None:
        return SKIPPED
    try:
        return execute_request(store=store, request_id=request_id)
    except NotFound:
        logger.info("request %s is not in store %s; nothing to do", request_id, store_id)
        return SKIPPED


@shared_task
def poll_platform_job_task(store_id: int, request_id: int) -> str:
    """Look whether the platform finished a request's asynchronous job (Shopify's cancel)."""
    from cancellations.execution import SKIPPED, poll_platform_job
    from tenants.errors import NotFound

    store = _store(store_id)
    if store is None:
        return SKIPPED
    try:
        return poll_platform_job(store=store, request_id=request_id)
    except NotFound:
        logger.info("request %s is not in store %s; nothing to do", request_id, store_id)
        return SKIPPED


@shared_task
def sweep_stuck_requests_task() -> int:
    """Send overdue request work and unsent notifications to workers again (run by beat)."""
    from cancellations.execution import sweep_stuck_requests
    from cancellations.notifications import sweep_notifications

    return sweep_stuck_requests() + sweep_notifications()


@shared_task(bind=True, max_retries=MAX_RETRIES)
def send_notification_task(self, store_id: int, notification_id: int) -> None:
    """Send one owed email or Slack message; a no-op once it was sent."""
    from cancellations.notifications import NotificationNotSent, send_notification

    store = _store(store_id)
    if store is None:
        return
    try:
        send_notification(store=store, notification_id=notification_id)
    except NotificationNotSent as error:
        raise self.retry(countdown=_countdown(self.request.retries, None)) from error


@shared_task
def send_staff_digests_task() -> int:
    """Email the staff who asked for a digest what is waiting for them (run by beat)."""
    from cancellations.notifications import send_staff_digests

    return send_staff_digests()


# --- automation rules ----------------------------------------------------------------------------


@shared_task
def run_rules_task(store_id: int, order_id: int, trigger: str, event_key: str) -> int:
    """Run the store's rules on one order event; a rule that already acted on the event does nothing."""
    from cancellations.rules.intake import run_rules_for_order

    store = _store(store_id)
    if store is None:
        return 0
    return run_rules_for_order(store=store, order_id=order_id, trigger=trigger, event_key=event_key)


# --- insights ------------------------------------------------------------------------------------------


@shared_task
def refresh_insights_task(store_id: int, full: bool = False) -> None:
    """Bring a store's Insights rollups up to yesterday; safe to repeat (days are recomputed, not added)."""
    from cancellations.insights.rollups import refresh_rollups

    store = _store(store_id)
    if store is None:
        return
    refresh_rollups(store=store, full=full)


@shared_task
def refresh_due_insights_task() -> int:
    """Send each store whose Insights rollups are due for a refresh to a worker (run by beat)."""
    from cancellations.insights.rollups import stores_due_for_refresh

    store_ids = stores_due_for_refresh()
    for store_id in store_ids:
        refresh_insights_task.delay(store_id)
    return len(store_ids)


# --- outgoing webhooks to a store's own endpoints ------------------------------------------------


@shared_task
def deliver_outgoing_webhook_task(store_id: int, webhook_id: int) -> str:
    """Try to send one owed webhook; retries are scheduled by the service, not by Celery."""
    from cancellations.outgoing_webhooks import SKIPPED, deliver_webhook

    store = _store(store_id)
    if store is None:
        return SKIPPED
    return deliver_webhook(store=store, webhook_id=webhook_id)


@shared_task
def sweep_outgoing_webhooks_task() -> int:
    """Send webhooks whose retry is overdue to a worker again (run by beat)."""
    from cancellations.outgoing_webhooks import sweep_outgoing_webhooks

    return sweep_outgoing_webhooks()


# --- bulk cancellation -----------------------------------------------------------------------------


@shared_task
def drain_bulk_cancel_job_task(store_id: int, job_id: int) -> str:
    """Work on a bulk cancellation for a while; it sends itself again until the job is done."""
    from cancellations.bulk_drain import DONE, drain_bulk_job

    store = _store(store_id)
    if store is None:
        return DONE
    return drain_bulk_job(store=store, job_id=job_id)


@shared_task
def sweep_bulk_cancel_jobs_task() -> int:
    """Send bulk cancellations whose drain was lost to a worker again (run by beat)."""
    from cancellations.bulk_drain import sweep_bulk_jobs

    return sweep_bulk_jobs()
