"""Bulk cancellation on a real worker and broker: killed mid-job, and its task delivered several times.

Afterwards every order was cancelled exactly once: one request, one effect in the ledger and one refund
per order. The test process plays beat: it runs the sweep every half second.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings as django_settings

from cancellations.bulk.drain import sweep_bulk_jobs
from cancellations.bulk.tasks import drain_bulk_cancel_job_task
from cancellations.models import BulkCancelItem, BulkCancelJob, Order, OrderRequest, PlatformEffect, Refund
from tenants.models import Store
from tests.bulk.helpers import staff, start
from tests.factories import make_order
from tests.worker import Worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture(autouse=True)
def _worker_timings(settings):
    # The test process runs the sweep with the worker's lease (worker_settings.py).
    settings.BULK_CANCEL_LEASE_SECONDS = 3


def _worker(concurrency: int = 1) -> Worker:
    env = {"DJANGO_SETTINGS_MODULE": "tests.bulk.worker_settings", "DATABASE_CONN_MAX_AGE": "60"}
    if django_settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        # Redis hands a killed worker's unacknowledged tasks out again only after this long.
        env["CELERY_VISIBILITY_TIMEOUT"] = "10"
    return Worker(concurrency=concurrency, env=env)


def _job(job: BulkCancelJob) -> BulkCancelJob:
    return BulkCancelJob.objects.for_store(job.store_id).get(pk=job.pk)


def _finish_playing_beat(job: BulkCancelJob, deadline: float) -> BulkCancelJob:
    while time.monotonic() < deadline:
        current = _job(job)
        if current.finished_at is not None:
            return current
        sweep_bulk_jobs()
        time.sleep(0.5)
    return _job(job)


def _assert_each_order_cancelled_once(store: Store, job: BulkCancelJob, count: int) -> None:
    assert (job.status, job.done_count, job.failed_count, job.skipped_count) == ("completed", count, 0, 0)
    assert Order.objects.for_store(store).filter(cancelled_at__isnull=False).count() == count
    assert PlatformEffect.objects.for_store(store).count() == count
    assert Refund.objects.for_store(store).count() == count
    assert OrderRequest.objects.for_store(store).count() == count
    assert set(OrderRequest.objects.for_store(store).values_list("status", flat=True)) == {"completed"}
    assert not BulkCancelItem.objects.for_store(store).filter(job=job).exclude(status="done").exists()


def test_a_worker_killed_mid_job_is_replaced_and_every_order_is_cancelled_once(store_a):
    count = 200
    for _ in range(count):
        make_order(store_a, lines=1)
    actor = staff(store_a)
    with _worker() as worker:
        worker.start()
        job = start(store_a, actor)  # sent to the worker when the start commits
        deadline = time.monotonic() + 30
        while _job(job).done_count < 30 and time.monotonic() < deadline:
            time.sleep(0.1)
        worker.kill()
        killed_at = _job(job).done_count
        assert 0 < killed_at < count, "the worker should die mid-job"
        worker.start()
        job = _finish_playing_beat(job, time.monotonic() + 40)
    assert worker.kills == 1
    _assert_each_order_cancelled_once(store_a, job, count)


def test_a_drain_task_delivered_several_times_cancels_each_order_once(store_a):
    count = 120
    for _ in range(count):
        make_order(store_a, lines=1)
    with _worker(concurrency=2) as worker:
        worker.start()
        job = start(store_a, staff(store_a))
        for _ in range(3):
            drain_bulk_cancel_job_task.delay(store_a.pk, job.pk)
        job = _finish_playing_beat(job, time.monotonic() + 30)
    _assert_each_order_cancelled_once(store_a, job, count)
