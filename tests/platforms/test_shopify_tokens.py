"""Expiring Shopify offline tokens: refreshed before expiry and once on a 401, once across workers."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from cancellations.core.crypto import encrypt_secret
from cancellations.models import PlatformConnection
from cancellations.platforms import get_adapter
from cancellations.platforms.base import PermanentPlatformError
from cancellations.platforms.shopify import tokens
from tests.fakeshopify.fixtures import make_shopify_store
from tests.fakeshopify.server import NON_EXPIRING_CUTOFF


def _connection(store) -> PlatformConnection:
    return PlatformConnection.objects.for_store(store).get()


@pytest.fixture
def clock(monkeypatch, fake_shopify):
    """Amend's and the fake's clocks, moved together."""
    offset = [timedelta(0)]
    monkeypatch.setattr(tokens, "now", lambda: timezone.now() + offset[0])

    def advance(seconds: float) -> None:
        offset[0] += timedelta(seconds=seconds)
        fake_shopify.advance(seconds)

    return advance


@pytest.mark.django_db
def test_a_call_after_expiry_refreshes_once_and_stores_the_new_pair_encrypted(fake_shopify, clock):
    store = make_shopify_store(fake_shopify, expiring=True)
    shop = fake_shopify.shops[store.platform_domain]
    order = fake_shopify.add_order(store.platform_domain)
    first_refresh = shop.refresh_token

    clock(3600 - 120)  # two minutes before expiry: inside the five-minute margin
    get_adapter(store).fetch_order(order["id"], idempotency_key="a")
    get_adapter(store).fetch_order(order["id"], idempotency_key="b")

    assert shop.refreshes == 1
    connection = _connection(store)
    assert connection.access_token == shop.token
    assert connection.refresh_token == shop.refresh_token != first_refresh
    assert shop.refresh_token not in connection.refresh_token_encrypted
    assert connection.access_token_expires_at > tokens.now() + timedelta(minutes=55)


@pytest.mark.django_db
def test_a_401_triggers_one_refresh_and_a_retry(fake_shopify):
    store = make_shopify_store(fake_shopify, expiring=True)
    shop = fake_shopify.shops[store.platform_domain]
    order = fake_shopify.add_order(store.platform_domain)
    fake_shopify.expire_access_token(store.platform_domain)  # Shopify says expired; our clock does not

    fetched = get_adapter(store).fetch_order(order["id"], idempotency_key="a")

    assert fetched.platform_id == order["id"]
    assert shop.refreshes == 1
    assert _connection(store).access_token == shop.token


@pytest.mark.django_db
def test_a_401_right_after_a_refresh_is_not_refreshed_again(fake_shopify, monkeypatch):
    store = make_shopify_store(fake_shopify, expiring=True)
    shop = fake_shopify.shops[store.platform_domain]
    order = fake_shopify.add_order(store.platform_domain)
    # the refresh works, but Shopify refuses every access token, the new one too
    monkeypatch.setattr(fake_shopify, "accepts", lambda shop, token: False)

    with pytest.raises(PermanentPlatformError) as error:
        get_adapter(store).fetch_order(order["id"], idempotency_key="a")

    assert error.value.code == "platform_unauthorized"
    assert shop.refreshes == 1


@pytest.mark.django_db
def test_a_refused_refresh_asks_the_merchant_to_reconnect(fake_shopify, clock):
    store = make_shopify_store(fake_shopify, expiring=True)
    shop = fake_shopify.shops[store.platform_domain]
    order = fake_shopify.add_order(store.platform_domain)
    shop.refresh_token = shop.previous_refresh_token = ""  # revoked on Shopify's side

    clock(3600)
    with pytest.raises(PermanentPlatformError) as error:
        get_adapter(store).fetch_order(order["id"], idempotency_key="a")

    assert error.value.code == "platform_reconnect_needed"
    assert "reconnect the store" in error.value.message
    connection = _connection(store)
    assert connection.status == PlatformConnection.Status.RECONNECT
    assert connection.get_status_display() == "Needs reconnecting"
    assert "Shopify admin" in connection.status_message
    with pytest.raises(PermanentPlatformError) as again:
        get_adapter(store).fetch_order(order["id"], idempotency_key="b")
    assert again.value.code == "platform_not_connected"


@pytest.mark.django_db
def test_the_fake_refuses_a_refresh_token_once_its_replacement_was_used(fake_shopify, clock):
    store = make_shopify_store(fake_shopify, expiring=True)
    shop = fake_shopify.shops[store.platform_domain]
    first = shop.refresh_token
    order = fake_shopify.add_order(store.platform_domain)
    for hour in range(2):  # two refreshes: the second spends the replacement of `first`
        clock(3600)
        get_adapter(store).fetch_order(order["id"], idempotency_key=f"h{hour}")
    assert shop.refreshes == 2

    PlatformConnection.objects.for_store(store).update(
        refresh_token_encrypted=encrypt_secret(first),
        access_token_expires_at=tokens.now() - timedelta(minutes=1),
    )
    with pytest.raises(PermanentPlatformError) as error:
        get_adapter(store).fetch_order(order["id"], idempotency_key="old")
    assert error.value.code == "platform_reconnect_needed"


@pytest.mark.django_db
def test_a_legacy_store_keeps_working_and_is_migrated_by_the_command(fake_shopify, clock):
    legacy = make_shopify_store(fake_shopify)  # installed with a non-expiring token
    other = make_shopify_store(fake_shopify, expiring=True)
    shop = fake_shopify.shops[legacy.platform_domain]
    old_token = shop.token
    order = fake_shopify.add_order(legacy.platform_domain)
    assert _connection(legacy).access_token_expires_at is None
    get_adapter(legacy).fetch_order(order["id"], idempotency_key="before")  # works as it did

    call_command("migrate_shopify_tokens")
    call_command("migrate_shopify_tokens")  # again: nothing left to do

    connection = _connection(legacy)
    assert connection.access_token == shop.token != old_token
    assert connection.refresh_token == shop.refresh_token
    assert connection.access_token_expires_at is not None
    assert not fake_shopify.accepts(shop, old_token)  # Shopify invalidates the legacy token
    assert _connection(other).access_token == fake_shopify.shops[other.platform_domain].token
    # and the migrated store goes on through the deadline and past expiries
    fake_shopify.enforce_expiring_tokens = True
    clock(max(NON_EXPIRING_CUTOFF - datetime.now().timestamp(), 0) + 3600)
    assert get_adapter(legacy).fetch_order(order["id"], idempotency_key="after").platform_id == order["id"]
    assert shop.refreshes == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_run_a_stores_work_across_several_expiries_without_a_failed_call(fake_shopify, clock):
    store = make_shopify_store(fake_shopify, expiring=True)
    shop = fake_shopify.shops[store.platform_domain]
    order = fake_shopify.add_order(store.platform_domain)
    failures: list[Exception] = []
    expiries = 4

    def worker(barrier: threading.Barrier) -> None:
        try:
            adapter = get_adapter(store)  # one adapter (one client) per worker, kept across expiries
            for hour in range(expiries):
                barrier.wait()  # both workers call at the same moment, just past the refresh point
                for call in range(3):
                    adapter.fetch_order(order["id"], idempotency_key=f"{hour}-{call}")
                barrier.wait()
        except Exception as error:
            failures.append(error)
        finally:
            connections.close_all()

    barrier = threading.Barrier(3, timeout=30)
    threads = [threading.Thread(target=worker, args=(barrier,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for _ in range(expiries):
        clock(3600 - 60)  # a minute before the token expires: both must renew it
        barrier.wait()
        barrier.wait()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert shop.refreshes == expiries  # once per expiry, not once per worker
    assert len(shop.calls) == 2 * 3 * expiries  # every call answered
    assert _connection(store).refresh_token == shop.refresh_token
