"""What every task module shares: the store re-resolved by id, and how long a retried task waits."""

from __future__ import annotations

import logging

from cancellations.core.backoff import backoff_seconds
from tenants.models import Store

logger = logging.getLogger(__name__)

# Celery-level retries of a task whose platform call failed transiently (request execution and
# outgoing webhooks keep their own attempt counts on their rows instead).
MAX_RETRIES = 6


def store_or_none(store_id: int) -> Store | None:
    """The store a task was given, or None (logged) when it was deleted meanwhile."""
    store = Store.objects.filter(pk=store_id).first()
    if store is None:
        logger.info("store %s no longer exists; nothing to do", store_id)
    return store


def retry_countdown(retries: int, retry_after: float | None) -> float:
    """Seconds before Celery runs a task again after `retries` earlier retries."""
    return backoff_seconds(retries + 1, base=5.0, cap=600.0, retry_after=retry_after)
