"""A bulk cancel of 200 Shopify orders through faults: 5xx answers, lost answers and a SIGKILLed worker.

The worker is a real Celery process on the real broker, talking to the fake Shopify in this process,
which enforces the cost limit and the bucket, answers every 13th call with a 5xx without running it,
and loses the answer of every 9th mutation after carrying it out. The bucket is small, so the drain
also waits and is throttled. Few attempts are allowed, so some items run out of them. Afterwards,
what Amend reports agrees with what Shopify did: every order Shopify cancelled is reported done and
cancelled in the mirror, no order was cancelled twice, and an item is failed only if Shopify did not
cancel its order. The test process plays beat (the bulk sweep every half second).
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.conf import settings as django_settings

from cancellations.bulk.drain import sweep_bulk_jobs
from cancellations.models import BulkCancelItem, BulkCancelJob, Order
from cancellations.orders.services import upsert_order
from cancellations.platforms.shopify.payloads import order_from_graphql
from tests.bulk.helpers import staff, start
from tests.fakeshopify.fixtures import API_KEY, API_SECRET, make_shopify_store
from tests.worker import Worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

COUNT = 200


@pytest.fixture(autouse=True)
def _worker_timings(settings):
    settings.BULK_CANCEL_LEASE_SECONDS = 3


def _worker(fake) -> Worker:
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.bulk.worker_settings",
        "DATABASE_CONN_MAX_AGE": "60",
        "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": API_SECRET,
        "SHOPIFY_API_ORIGIN": fake.origin,
        "REQUEST_MAX_ATTEMPTS": "3",
        "REQUEST_RETRY_BASE_SECONDS": "1",
        "REQUEST_RETRY_MAX_SECONDS": "2",
    }
    if django_settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        env["CELERY_VISIBILITY_TIMEOUT"] = "10"
    return Worker(concurrency=2, env=env)


def _job(job: BulkCancelJob) -> BulkCancelJob:
    return BulkCancelJob.objects.for_store(job.store_id).get(pk=job.pk)


def test_what_amend_reports_matches_what_shopify_did(fake_shopify, settings):
    settings.REQUEST_MAX_ATTEMPTS = 3
    store = make_shopify_store(fake_shopify)
    domain = store.platform_domain
    for _ in range(COUNT):
        upsert_order(store=store, snapshot=order_from_graphql(fake_shopify.add_order(domain)))
    shop = fake_shopify.shops[domain]
    fake_shopify.set_bucket(domain, maximum=200, available=200, restore_rate=400)
    shop.fail_every, shop.lose_every = 13, 9

    with _worker(fake_shopify) as worker:
        worker.start()
        job = start(store, staff(store))
        deadline = time.monotonic() + 60
        while _job(job).done_count < 40 and time.monotonic() < deadline:
            time.sleep(0.1)
        worker.kill()
        assert 0 < _job(job).done_count < COUNT, "the worker should die mid-job"
        worker.start()
        deadline = time.monotonic() + 150
        while _job(job).finished_at is None and time.monotonic() < deadline:
            sweep_bulk_jobs()
            time.sleep(0.5)
    job = _job(job)
    assert job.finished_at is not None, f"the job did not finish: {job.status}, {job.done_count} done"
    assert worker.kills == 1

    # Shopify's side: each order cancelled at most once (one finished cancel job), and which ones.
    cancels = Counter(j["order"] for j in shop.jobs.values() if j["done"])
    assert max(cancels.values()) == 1
    cancelled_on_shopify = {oid for oid, order in shop.orders.items() if order["cancelledAt"]}
    # The faults happened.
    assert shop.served >= 13 and shop.mutations_served >= 9

    items = BulkCancelItem.objects.for_store(store).filter(job=job).select_related("order")
    by_order = {item.order.platform_id: item for item in items}
    assert len(by_order) == COUNT
    wrong = [
        (platform_id, item.status, item.message)
        for platform_id, item in by_order.items()
        if (item.status == "done") != (platform_id in cancelled_on_shopify)
    ]
    assert wrong == [], "items whose report disagrees with Shopify"
    assert job.done_count == len(cancelled_on_shopify)
    assert job.done_count + job.failed_count + job.skipped_count == COUNT
    mirror = set(
        Order.objects.for_store(store)
        .filter(cancelled_at__isnull=False)
        .values_list("platform_id", flat=True)
    )
    assert mirror == cancelled_on_shopify
    print(
        f"\nfault run: {job.done_count} done, {job.failed_count} failed, {shop.served} calls, "
        f"{shop.mutations_served} mutations, {len(shop.jobs)} cancel jobs"
    )
    # Faults are transient and retried: most orders get cancelled despite them.
    assert job.done_count >= COUNT * 0.8, (job.done_count, job.failed_count)
