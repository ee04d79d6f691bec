"""The rate limiter's arithmetic, on a fake clock: a leaky bucket shared by reservations."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from cancellations.bulk.rate import Bucket, RateLimiter, Report, limiter_for
from cancellations.platforms.builtin import BuiltinAdapter
from cancellations.platforms.shopify.adapter import SHOPIFY_CANCEL_COST, ShopifyAdapter
from cancellations.platforms.shopify.client import ShopifyClient, bucket_key, bucket_report
from tests.factories import make_store


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_a_bucket_refills_at_its_rate_up_to_its_capacity():
    bucket = Bucket(capacity=100, rate=10, available=0, at=0)
    assert bucket.level(2.5) == 25
    assert bucket.level(60) == 100
    assert bucket.wait_for(10, 0) == 1.0
    assert bucket.wait_for(10, 1.0) == 0
    assert bucket.wait_for(500, 0) == 10.0  # never more than the bucket can hold
    bucket.take(30, 5)  # 50 then, 20 left
    assert bucket.level(5) == 20 and bucket.at == 5


def test_a_full_bucket_lets_its_capacity_through_then_paces_calls_at_the_rate():
    clock = FakeClock()
    limiter = RateLimiter(capacity=100, rate=100, clock=clock, sleep=clock.sleep)

    waits = [limiter.acquire(10) for _ in range(15)]

    assert waits[:10] == [0] * 10  # the 100 points in the bucket
    assert waits[10:] == pytest.approx([0.1] * 5)  # then 10 points every 0.1 s
    assert clock.now == pytest.approx(1000.5)
    assert limiter.waited == pytest.approx(0.5)


def test_reservations_made_together_queue_up_behind_each_other():
    clock = FakeClock()
    limiter = RateLimiter(capacity=10, rate=10, available=0, clock=clock, sleep=clock.sleep)

    # three threads reserve at the same instant: each waits for its own turn
    assert [limiter.reserve(10) for _ in range(3)] == pytest.approx([1.0, 2.0, 3.0])


def test_the_theoretical_rate_is_reached_over_a_long_run():
    clock = FakeClock()
    limiter = RateLimiter(capacity=1000, rate=100, clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        limiter.acquire(SHOPIFY_CANCEL_COST)
    # 1,000 cancels: 1,000 points from the full bucket, the rest restored at 100 a second
    assert clock.now - 1000.0 == pytest.approx((1000 * SHOPIFY_CANCEL_COST - 1000) / 100)


def test_the_first_report_replaces_the_guess_and_later_ones_lower_the_count_only_when_clearly_fewer():
    clock = FakeClock()
    reports: list[Report | None] = [None]
    limiter = RateLimiter(
        capacity=1000, rate=50, tolerance=10, clock=clock, sleep=clock.sleep, report=lambda: reports[-1]
    )
    assert limiter.reserve(10) == 0  # no report yet: the guess (a full standard bucket)

    # Shopify says the bucket is nearly empty and restores 100 a second: believed at once
    reports.append(Report(capacity=2000, rate=100, available=5, at=clock.now))
    assert limiter.reserve(10) == pytest.approx(0.05)
    assert (limiter.bucket.capacity, limiter.bucket.rate) == (2000, 100)

    # an older report than one already taken in changes nothing
    reports.append(Report(capacity=2000, rate=100, available=2000, at=clock.now - 5))
    assert limiter.reserve(10) == pytest.approx(0.15)

    # a report of more points than we counted does not undo our own reservations
    clock.now += 0.15
    reports.append(Report(capacity=2000, rate=100, available=2000, at=clock.now))
    assert limiter.reserve(10) == pytest.approx(0.1)

    # a report a few points short (stamped late) is not followed; one clearly short (someone else
    # spent from the bucket) is
    clock.now += 0.3  # our count: 20 points
    reports.append(Report(capacity=2000, rate=100, available=12, at=clock.now))
    assert limiter.reserve(10) == 0  # 10 left by our count
    reports.append(Report(capacity=2000, rate=100, available=-40, at=clock.now + 0.001))
    assert limiter.reserve(10) == pytest.approx(0.5)


def test_the_shopify_report_is_read_from_what_the_client_cached(db):
    cache.set(
        bucket_key("shop.myshopify.com"), {"maximum": 1000.0, "available": 40.0, "rate": 100.0, "at": 123.0}
    )
    assert bucket_report("shop.myshopify.com") == Report(capacity=1000, rate=100, available=40, at=123)
    assert bucket_report("other.myshopify.com") is None


def test_a_client_reads_the_shared_report_every_so_often_and_takes_its_own_answers_at_once(db):
    # given a client that has read the shop's report from the shared cache
    key = bucket_key("memo.myshopify.com")
    cache.set(key, {"maximum": 1000.0, "available": 40.0, "rate": 100.0, "at": 1.0})
    client = ShopifyClient(shop="memo.myshopify.com", access_token="shpat_test")
    assert client.bucket_report() == Report(capacity=1000, rate=100, available=40, at=1)

    # another process's report shows only once the client reads again
    cache.set(key, {"maximum": 1000.0, "available": 5.0, "rate": 100.0, "at": 2.0})
    assert client.bucket_report() == Report(capacity=1000, rate=100, available=40, at=1)
    time.sleep(client.report_read_every)
    assert client.bucket_report() == Report(capacity=1000, rate=100, available=5, at=2)

    # an answer of its own replaces the report at once, and goes to the shared cache for the others
    throttle = {"maximumAvailable": 2000.0, "currentlyAvailable": 1500.0, "restoreRate": 200.0}
    client._note_cost("query { shop { id } }", {"throttleStatus": throttle})
    report = client.bucket_report()
    assert report is not None and (report.capacity, report.available, report.rate) == (2000, 1500, 200)
    assert bucket_report("memo.myshopify.com") == report


def test_each_platform_gets_its_own_limiter_from_its_adapter(db, settings):
    settings.BULK_CANCEL_BUILTIN_RATE = 7
    builtin, cost = limiter_for(BuiltinAdapter(make_store()))
    assert (builtin.bucket.rate, builtin.bucket.capacity, cost, builtin._report) == (7, 7, 1.0, None)

    client = ShopifyClient(shop="s.myshopify.com", access_token="shpat_test")
    shopify, cost = limiter_for(ShopifyAdapter(make_store(platform="shopify"), client=client))
    assert cost == SHOPIFY_CANCEL_COST and shopify._tolerance == SHOPIFY_CANCEL_COST
    cache.set(bucket_key("s.myshopify.com"), {"maximum": 2000.0, "available": 5.0, "rate": 200.0, "at": 9.0})
    assert shopify._report is not None
    assert shopify._report() == Report(capacity=2000, rate=200, available=5, at=9)


def test_a_shopify_store_without_a_connection_drains_without_reports(db):
    limiter, cost = limiter_for(ShopifyAdapter(make_store(platform="shopify")))
    assert (limiter._report, cost) == (None, SHOPIFY_CANCEL_COST)
