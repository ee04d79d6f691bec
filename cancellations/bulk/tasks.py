"""Tasks of bulk cancellation."""

from __future__ import annotations

from celery import shared_task

from cancellations.bulk.drain import DONE, drain_bulk_job, sweep_bulk_jobs
from cancellations.core.workers import store_or_none


@shared_task(name="bulk.drain")
def drain_bulk_cancel_job_task(store_id: int, job_id: int) -> str:
    """Work on a bulk cancellation for a while; it sends itself again until the job is done."""
    store = store_or_none(store_id)
    if store is None:
        return DONE
    return drain_bulk_job(store=store, job_id=job_id)


@shared_task(name="bulk.sweep")
def sweep_bulk_cancel_jobs_task() -> int:
    """Send bulk cancellations whose drain was lost to a worker again (run by beat)."""
    return sweep_bulk_jobs()
