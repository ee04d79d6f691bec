"""A Shopify store's order history comes in through one bulk operation, not thousands of paged queries."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from cancellations.models import LineItem, Order, OrderImport, OrderImportStatus
from cancellations.orders import imports
from cancellations.orders.imports import check_import, continue_import, run_import, start_import
from cancellations.orders.services import upsert_order
from cancellations.platforms.shopify.payloads import order_from_graphql
from cancellations.webhooks.inbox import HANDLERS
from tenants.roles import Role
from tests.factories import make_member
from tests.fakeshopify.fixtures import make_shopify_store

pytestmark = pytest.mark.django_db


def _orders(fake, store, count: int, *, lines: int = 1) -> list[dict]:
    variants = [(f"gid://shopify/ProductVariant/{n}", 1, "3.00") for n in range(1, lines + 1)]
    return [fake.add_order(store.platform_domain, lines=variants) for _ in range(count)]


def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def queued(monkeypatch) -> list[tuple]:
    """The tasks the imports queue, kept instead of run (the test suite runs tasks at once)."""
    sent: list[tuple] = []
    monkeypatch.setattr(
        "cancellations.orders.imports.send_task", lambda name, args, **kw: sent.append((name, args)) or True
    )
    return sent


def test_the_whole_history_is_mirrored_with_every_line_in_one_export(fake_shopify, shopify_store):
    small = _orders(fake_shopify, shopify_store, 130)
    large = _orders(fake_shopify, shopify_store, 2, lines=260)  # more lines than any one query may read

    found = run_import(store=shopify_store, sleep=_no_sleep)

    assert found is not None and found.status == OrderImportStatus.DONE
    assert (found.orders_read, found.orders_created, found.exported_orders) == (132, 132, 132)
    assert found.exported_objects == 130 + 2 * 260 + 132
    mirrored = set(Order.objects.for_store(shopify_store).values_list("platform_id", flat=True))
    assert mirrored == {order["id"] for order in [*small, *large]}
    big = Order.objects.for_store(shopify_store).get(platform_id=large[0]["id"])
    assert LineItem.objects.for_store(shopify_store).filter(order=big).count() == 260
    calls = fake_shopify.shops[shopify_store.platform_domain].calls
    assert "AmendOrdersPage" not in calls and "AmendOrderLines" not in calls
    assert calls[0] == "AmendBulkOrders" and set(calls[1:]) == {"AmendBulkOperation"}


def test_the_merchant_sees_the_export_progress_then_the_result(client, fake_shopify, shopify_store, queued):
    _orders(fake_shopify, shopify_store, 40)
    fake_shopify.bulk_polls = 4
    client.force_login(make_member(shopify_store, Role.AGENT))
    overview = reverse("merchant:dashboard", kwargs={"store_slug": shopify_store.slug})

    started = start_import(store=shopify_store)
    assert started is not None
    check_import(store=shopify_store, import_id=started.pk)
    page = client.get(overview).content.decode()
    assert 'data-order-import="exporting"' in page
    assert "10 orders so far" in page

    for _ in range(3):
        check_import(store=shopify_store, import_id=started.pk)
    page = client.get(overview).content.decode()
    assert 'data-order-import="done"' in page and "Imported 40 orders" in page
    assert Order.objects.for_store(shopify_store).count() == 40


def test_a_failed_export_is_reported_and_mirrors_nothing(client, fake_shopify, shopify_store, queued):
    _orders(fake_shopify, shopify_store, 5)
    fake_shopify.bulk_polls = 3
    started = start_import(store=shopify_store)
    assert started is not None
    fake_shopify.fail_bulk(shopify_store.platform_domain, started.operation_id, "TIMEOUT")

    found = check_import(store=shopify_store, import_id=started.pk)

    assert found is not None and found.status == OrderImportStatus.FAILED
    assert "timeout" in found.error
    assert Order.objects.for_store(shopify_store).count() == 0
    client.force_login(make_member(shopify_store, Role.AGENT))
    page = client.get(
        reverse("merchant:dashboard", kwargs={"store_slug": shopify_store.slug})
    ).content.decode()
    assert "The import of the store's order history failed." in page and "timeout" in page


def test_a_reader_that_stops_half_way_is_continued_without_doubles(
    fake_shopify, shopify_store, settings, queued
):
    _orders(fake_shopify, shopify_store, 1200)
    settings.ORDER_IMPORT_READ_SECONDS = 0  # hand on after every batch
    started = start_import(store=shopify_store)
    assert started is not None
    assert queued == [("orders.import_check", (shopify_store.pk, started.pk))]

    found = check_import(store=shopify_store, import_id=started.pk)
    assert found is not None and found.status == OrderImportStatus.READING
    assert found.orders_read == imports.IMPORT_BATCH
    assert queued[-1] == ("orders.import_read", (shopify_store.pk, started.pk))
    # The next reader goes on from there.
    while found is not None and found.status == OrderImportStatus.READING:
        found = continue_import(store=shopify_store, import_id=started.pk)

    assert found is not None and found.status == OrderImportStatus.DONE
    assert (found.orders_read, found.orders_created) == (1200, 1200)
    assert Order.objects.for_store(shopify_store).count() == 1200


def test_orders_already_mirrored_are_updated_not_counted_new(fake_shopify, shopify_store):
    known = _orders(fake_shopify, shopify_store, 3)
    upsert_order(store=shopify_store, snapshot=order_from_graphql(known[0]))
    fake_shopify.order(shopify_store.platform_domain, known[0]["id"])["tags"] = ["vip"]
    fake_shopify.order(shopify_store.platform_domain, known[0]["id"])["updatedAt"] = "2026-11-21T10:00:00Z"

    found = run_import(store=shopify_store, sleep=_no_sleep)

    assert found is not None and (found.orders_read, found.orders_created) == (3, 2)
    assert Order.objects.for_store(shopify_store).get(platform_id=known[0]["id"]).tags == ["vip"]


def test_one_import_at_a_time_per_store(fake_shopify, shopify_store, queued):
    fake_shopify.bulk_polls = 5
    first = start_import(store=shopify_store)
    second = start_import(store=shopify_store)
    assert first is not None and second is not None and first.pk == second.pk
    assert fake_shopify.shops[shopify_store.platform_domain].calls.count("AmendBulkOrders") == 1


def test_another_stores_import_is_not_found(fake_shopify, shopify_store, queued):
    other = make_shopify_store(fake_shopify)
    _orders(fake_shopify, other, 2)
    theirs = start_import(store=other)
    assert theirs is not None

    assert check_import(store=shopify_store, import_id=theirs.pk) is None
    assert continue_import(store=shopify_store, import_id=theirs.pk) is None
    assert OrderImport.objects.for_store(other).get(pk=theirs.pk).status == OrderImportStatus.EXPORTING
    assert Order.objects.for_store(shopify_store).count() == 0


def test_shopifys_finish_webhook_checks_the_import_at_once(fake_shopify, shopify_store, monkeypatch, queued):
    started = start_import(store=shopify_store)
    assert started is not None
    sent: list[tuple] = []
    monkeypatch.setattr(
        "cancellations.webhooks.inbox.send_task", lambda name, args, **kw: sent.append((name, args))
    )
    payload = {
        "admin_graphql_api_id": started.operation_id,
        "completed_at": "2026-12-03T10:00:00-05:00",
        "created_at": "2026-12-03T09:59:00-05:00",
        "error_code": None,
        "status": "completed",
        "type": "query",
    }

    HANDLERS["bulk_operations/finish"](shopify_store, payload, None)
    HANDLERS["bulk_operations/finish"](
        shopify_store, {**payload, "admin_graphql_api_id": "gid://shopify/BulkOperation/1"}, None
    )

    assert sent == [("orders.import_check", (shopify_store.pk, started.pk))]


def test_the_resync_command_imports_the_whole_history(fake_shopify, shopify_store, capsys, settings):
    settings.ORDER_IMPORT_POLL_SECONDS = 0
    _orders(fake_shopify, shopify_store, 7, lines=2)
    call_command("resync_store", store=shopify_store.slug, all=True)
    out = capsys.readouterr().out
    assert f"{shopify_store.slug}: 7 orders read, 7 new (21 objects exported)." in out


def test_a_built_in_store_has_no_export(store_a):
    assert start_import(store=store_a) is None
