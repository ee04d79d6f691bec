"""Tasks of the insights rollups."""

from __future__ import annotations

from celery import shared_task

from cancellations.core.queueing import send_task
from cancellations.core.workers import store_or_none
from cancellations.insights.rollups import refresh_rollups, stores_due_for_refresh


@shared_task(name="insights.refresh")
def refresh_insights_task(store_id: int, full: bool = False) -> None:
    """Bring a store's Insights rollups up to yesterday; safe to repeat (days are recomputed, not added)."""
    store = store_or_none(store_id)
    if store is None:
        return
    refresh_rollups(store=store, full=full)


@shared_task(name="insights.refresh_due")
def refresh_due_insights_task() -> int:
    """Send each store whose Insights rollups are due for a refresh to a worker (run by beat)."""
    store_ids = stores_due_for_refresh()
    for store_id in store_ids:
        send_task("insights.refresh", (store_id,))
    return len(store_ids)
