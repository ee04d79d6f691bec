"""Tasks of the request lifecycle: carrying a request out, polling its platform job, the sweep."""

from __future__ import annotations

import logging

from celery import shared_task

from cancellations.core.workers import store_or_none
from cancellations.notifications.services import sweep_notifications
from cancellations.requests.execution import SKIPPED, execute_request, poll_platform_job, sweep_stuck_requests
from tenants.errors import NotFound

logger = logging.getLogger(__name__)


@shared_task(name="requests.execute")
def execute_request_task(store_id: int, request_id: int) -> str:
    """Carry an approved request out on the platform; a no-op once it is done (or not this store's)."""
    store = store_or_none(store_id)
    if store is None:
        return SKIPPED
    try:
        return execute_request(store=store, request_id=request_id)
    except NotFound:
        logger.info("request %s is not in store %s; nothing to do", request_id, store_id)
        return SKIPPED


@shared_task(name="requests.poll_platform_job")
def poll_platform_job_task(store_id: int, request_id: int) -> str:
    """Look whether the platform finished a request's asynchronous job (Shopify's cancel)."""
    store = store_or_none(store_id)
    if store is None:
        return SKIPPED
    try:
        return poll_platform_job(store=store, request_id=request_id)
    except NotFound:
        logger.info("request %s is not in store %s; nothing to do", request_id, store_id)
        return SKIPPED


@shared_task(name="requests.sweep_stuck")
def sweep_stuck_requests_task() -> int:
    """Send overdue request work and unsent notifications to workers again (run by beat)."""
    return sweep_stuck_requests() + sweep_notifications()
