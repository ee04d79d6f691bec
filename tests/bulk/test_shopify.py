"""Bulk cancellation on Shopify: one orderCancel per order, confirmed 25 at a time, within the bucket."""

from __future__ import annotations

import logging
import time
from collections import Counter

import pytest

from cancellations.bulk import drain
from cancellations.bulk.items import platform_key
from cancellations.models import BulkCancelItem, Order, OrderRequest, PlatformEffect
from cancellations.orders.services import upsert_order
from cancellations.platforms.shopify.payloads import order_from_graphql
from tests.bulk.helpers import drain_to_end, staff, start

pytestmark = pytest.mark.django_db


def _mirrored(fake, store, count: int) -> list[Order]:
    """Orders on the fake Shopify, mirrored as a sync would (without spending the bucket on it)."""
    made = []
    for _ in range(count):
        remote = fake.add_order(store.platform_domain)
        made.append(upsert_order(store=store, snapshot=order_from_graphql(remote)).order)
    return made


def test_each_order_is_cancelled_once_and_confirmed_in_batches(fake_shopify, shopify_store):
    orders = _mirrored(fake_shopify, shopify_store, 30)
    job = start(shopify_store, staff(shopify_store), reason="inventory", restock=False, staff_note="recall")
    shop = fake_shopify.shops[shopify_store.platform_domain]
    shop.calls.clear()

    assert drain_to_end(shopify_store, job)[-1] == "done"

    calls = Counter(shop.calls)
    assert calls["AmendOrderCancel"] == 30
    # no per-order job polling or re-reading: a few status queries for all of them
    assert calls["AmendJob"] == 0 and calls["AmendFetchOrder"] == 0
    assert 2 <= calls["AmendBulkCancelStatus"] <= 6
    assert (job.status, job.done_count) == ("completed", 30)
    sent = [job_ for job_ in shop.jobs.values()]
    assert {(j["reason"], j["restock"], j["note"], j["notify"]) for j in sent} == {
        ("INVENTORY", False, "recall", False)
    }
    for order in orders:
        order.refresh_from_db()
        assert order.cancelled_at is not None and order.cancel_reason == "inventory"
        effect = PlatformEffect.objects.for_store(shopify_store).get(
            idempotency_key=platform_key(job.pk, order.pk)
        )
        assert effect.status == "completed" and effect.job_id.startswith("gid://shopify/Job/")
    requests = OrderRequest.objects.for_store(shopify_store)
    assert requests.count() == 30 and set(requests.values_list("status", flat=True)) == {"completed"}


def test_an_answer_lost_after_shopify_cancelled_does_not_cancel_twice(fake_shopify, shopify_store):
    _mirrored(fake_shopify, shopify_store, 3)
    job = start(shopify_store, staff(shopify_store))
    shop = fake_shopify.shops[shopify_store.platform_domain]
    shop.calls.clear()
    fake_shopify.lose_next_answer(shopify_store.platform_domain)

    drain_to_end(shopify_store, job)

    assert job.done_count == 3
    assert Counter(shop.calls)["AmendOrderCancel"] == 3
    replayed = [r.result.get("replayed") for r in OrderRequest.objects.for_store(shopify_store)]
    assert replayed.count(True) == 1
    item = BulkCancelItem.objects.for_store(shopify_store).filter(job=job, attempts__gt=1).get()
    assert item.status == "done"


def test_cancels_shopify_accepted_before_a_drain_stopped_noting_them_are_not_sent_again(
    fake_shopify, shopify_store, monkeypatch
):
    # given a drain that stops (as a killed worker would) after Shopify accepted its first cancels,
    # before it noted them on their requests
    _mirrored(fake_shopify, shopify_store, 5)
    job = start(shopify_store, staff(shopify_store))
    shop = fake_shopify.shops[shopify_store.platform_domain]
    shop.calls.clear()

    class Killed(BaseException):
        pass

    def killed(run, accepted):
        if accepted:
            raise Killed

    monkeypatch.setattr(drain, "note_accepted", killed)
    with pytest.raises(Killed):
        drain.drain_bulk_job(store=shopify_store, job_id=job.pk, sleep=lambda seconds: None)
    assert Counter(shop.calls)["AmendOrderCancel"] >= 1
    monkeypatch.undo()

    # when the next run carries the job on
    assert drain_to_end(shopify_store, job)[-1] == "done"

    # then every order was cancelled on Shopify once: the ledger held the jobs of those sent before
    assert Counter(shop.calls)["AmendOrderCancel"] == 5
    assert len({j["order"] for j in shop.jobs.values()}) == len(shop.jobs) == 5
    assert job.done_count == 5


def test_a_refusal_fails_the_order_with_shopifys_message(fake_shopify, shopify_store):
    fine, shipped = _mirrored(fake_shopify, shopify_store, 2)
    job = start(shopify_store, staff(shopify_store))
    # Shopify knows better than the mirror: the order shipped meanwhile
    fake_shopify.order(shopify_store.platform_domain, shipped.platform_id)["displayFulfillmentStatus"] = (
        "FULFILLED"
    )

    drain_to_end(shopify_store, job)

    item = BulkCancelItem.objects.for_store(shopify_store).get(job=job, order=shipped)
    assert (item.status, item.message) == ("failed", "Cannot cancel a fulfilled order")
    assert BulkCancelItem.objects.for_store(shopify_store).get(job=job, order=fine).status == "done"
    # a refused call leaves no claim behind: staff may retry it later under the same key
    assert (
        not PlatformEffect.objects.for_store(shopify_store)
        .filter(idempotency_key=platform_key(job.pk, shipped.pk))
        .exists()
    )


def test_the_drain_waits_for_the_bucket_instead_of_being_throttled(fake_shopify, shopify_store, caplog):
    _mirrored(fake_shopify, shopify_store, 10)
    fake_shopify.set_bucket(shopify_store.platform_domain, maximum=20, available=20, restore_rate=100)
    job = start(shopify_store, staff(shopify_store))

    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="cancellations.platforms.shopify.client"):
        drain_to_end(shopify_store, job)
    elapsed = time.monotonic() - started

    assert job.done_count == 10
    # 100 points for the cancels and a few for the status queries, 20 in the bucket, 100 a second
    assert elapsed >= 0.8
    assert not [r for r in caplog.records if "platform_throttled" in r.getMessage()]


def test_a_stale_orders_updated_after_a_bulk_cancel_leaves_the_order_cancelled(fake_shopify, shopify_store):
    remote = fake_shopify.add_order(shopify_store.platform_domain)
    before_cancel = order_from_graphql(remote)  # what an orders/updated sent before the cancel carries
    order = upsert_order(store=shopify_store, snapshot=before_cancel).order
    job = start(shopify_store, staff(shopify_store), reason="inventory")
    assert drain_to_end(shopify_store, job)[-1] == "done"
    order.refresh_from_db()
    assert order.cancelled_at is not None
    assert order.platform_updated_at is not None and order.platform_updated_at > before_cancel.updated_at

    # The delayed webhook arrives now: older than what the mirror knows, so it changes nothing.
    upsert_order(store=shopify_store, snapshot=before_cancel)

    order.refresh_from_db()
    assert order.cancelled_at is not None and order.cancel_reason == "inventory"


def test_an_order_shopify_cancelled_is_never_reported_failed(fake_shopify, shopify_store, settings):
    # The cancel goes through but its answer is lost, and it was the last attempt allowed: before
    # reporting the order failed, Amend asks Shopify (one cheap status read) and finds it cancelled.
    settings.REQUEST_MAX_ATTEMPTS = 1
    [order] = _mirrored(fake_shopify, shopify_store, 1)
    job = start(shopify_store, staff(shopify_store))
    shop = fake_shopify.shops[shopify_store.platform_domain]
    fake_shopify.lose_next_answer(shopify_store.platform_domain)

    drain_to_end(shopify_store, job)

    item = BulkCancelItem.objects.for_store(shopify_store).get(job=job)
    assert (item.status, job.done_count, job.failed_count) == ("done", 1, 0)
    request = OrderRequest.objects.for_store(shopify_store).get(order=order)
    assert request.status == "completed"
    assert Counter(shop.calls)["AmendOrderCancel"] == 1  # asked about, never cancelled twice
    order.refresh_from_db()
    assert order.cancelled_at is not None
    effect = PlatformEffect.objects.for_store(shopify_store).get(
        idempotency_key=platform_key(job.pk, order.pk)
    )
    assert effect.status == "completed"


def test_an_order_shopify_did_not_cancel_is_still_reported_failed(fake_shopify, shopify_store, settings):
    settings.REQUEST_MAX_ATTEMPTS = 1
    [order] = _mirrored(fake_shopify, shopify_store, 1)
    job = start(shopify_store, staff(shopify_store))
    fake_shopify.fail_next(shopify_store.platform_domain, *([503] * 5))

    drain_to_end(shopify_store, job)

    item = BulkCancelItem.objects.for_store(shopify_store).get(job=job)
    assert item.status == "failed"
    order.refresh_from_db()
    assert order.cancelled_at is None
