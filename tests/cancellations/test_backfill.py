"""A newly connected Shopify store's recent orders are brought in, a page at a time; resync repeats it."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cancellations.models import Order
from cancellations.orders.services import backfill_orders, start_backfill

pytestmark = pytest.mark.django_db


def _stamp(days_ago: float) -> str:
    return (timezone.now() - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def shop_orders(fake_shopify, shopify_store):
    # A page of orders requests 992 points and uses about a third of them: at a standard plan's 100
    # points a second each page would wait seconds for the bucket. A Plus store's rate keeps this quick.
    fake_shopify.set_bucket(
        shopify_store.platform_domain, maximum=10_000, available=10_000, restore_rate=1000
    )
    recent = [
        fake_shopify.add_order(
            shopify_store.platform_domain, createdAt=_stamp(i / 3), processedAt=_stamp(i / 3)
        )
        for i in range(117)
    ]
    for days in (61, 90, 400):
        fake_shopify.add_order(
            shopify_store.platform_domain, createdAt=_stamp(days), processedAt=_stamp(days)
        )
    return recent


def test_the_backfill_mirrors_every_recent_order_once_across_pages(shopify_store, shop_orders):
    result = backfill_orders(store=shopify_store, days=60)
    assert (result.orders, result.created, result.next_cursor) == (117, 117, None)
    mirrored = set(Order.objects.for_store(shopify_store).values_list("platform_id", flat=True))
    assert mirrored == {order["id"] for order in shop_orders}
    again = backfill_orders(store=shopify_store, days=60)
    assert (again.orders, again.created, again.updated) == (117, 0, 0)


def test_the_backfill_after_install_runs_page_by_page_in_tasks(shopify_store, shop_orders):
    start_backfill(store_id=shopify_store.pk, days=60)
    assert Order.objects.for_store(shopify_store).count() == 117


def test_the_backfill_leaves_other_stores_alone(shopify_store, shop_orders, store_b):
    backfill_orders(store=shopify_store, days=60)
    assert Order.objects.for_store(store_b).count() == 0


def test_a_built_in_store_has_nothing_to_bring_in(store_a):
    assert backfill_orders(store=store_a).orders == 0


def test_the_resync_command_reports_what_it_did(shopify_store, shop_orders, capsys):
    call_command("resync_store", store=shopify_store.slug, days=60)
    assert f"{shopify_store.slug}: 117 orders read, 117 new, 0 updated." in capsys.readouterr().out


def test_the_resync_command_refuses_an_unknown_store_or_bad_days(db):
    with pytest.raises(CommandError, match="No store has the address name 'nope'"):
        call_command("resync_store", store="nope")


def test_the_resync_command_refuses_a_disconnected_store(fake_shopify, db):
    from tests.fakeshopify.fixtures import make_shopify_store

    store = make_shopify_store(fake_shopify, connected=False)
    with pytest.raises(CommandError, match="not connected"):
        call_command("resync_store", store=store.slug)
