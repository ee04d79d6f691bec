"""A bulk cancellation tells the store's own endpoints about every request, as one by one would.

Bulk requests are recorded and completed many rows at a time; the lifecycle's many-rows moves owe the
same webhooks as its single-row ones, on either platform (Shopify's cancels are confirmed in batches).
"""

from __future__ import annotations

from collections import Counter

import pytest

from cancellations.models import OrderRequest, OutgoingWebhook
from cancellations.notifications import webhooks as outgoing
from cancellations.orders.services import upsert_order
from cancellations.platforms.shopify.payloads import order_from_graphql
from tests.bulk.helpers import drain_to_end, orders, staff, start

pytestmark = pytest.mark.django_db

EVENTS = ["request.created", "request.decided", "request.completed", "request.failed"]


def _owed(store) -> Counter[tuple[str, int]]:
    """(event, request id) of every webhook owed to the store's endpoint."""
    return Counter(
        (row.event, row.payload["data"]["request"]["id"])
        for row in OutgoingWebhook.objects.for_store(store).all()
    )


def _assert_each_request_announced(store, count: int) -> None:
    requests = list(OrderRequest.objects.for_store(store).values_list("pk", "status"))
    assert len(requests) == count and {status for _pk, status in requests} == {"completed"}
    owed = _owed(store)
    for request_id, _status in requests:
        assert owed[("request.created", request_id)] == 1
        assert owed[("request.decided", request_id)] == 1
        assert owed[("request.completed", request_id)] == 1
    assert sum(owed.values()) == 3 * count


def test_a_bulk_cancel_on_the_built_in_store_announces_every_request(store_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    outgoing.create_endpoint(store=store_a, actor=None, url="http://127.0.0.1:9/hooks", events=EVENTS)
    orders(store_a, 12, financial_status="paid")
    job = start(store_a, staff(store_a))

    assert drain_to_end(store_a, job)[-1] == "done"

    _assert_each_request_announced(store_a, 12)


def test_a_bulk_cancel_on_shopify_announces_every_request(fake_shopify, shopify_store, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    outgoing.create_endpoint(store=shopify_store, actor=None, url="http://127.0.0.1:9/hooks", events=EVENTS)
    for _ in range(30):
        remote = fake_shopify.add_order(shopify_store.platform_domain)
        upsert_order(store=shopify_store, snapshot=order_from_graphql(remote))
    job = start(shopify_store, staff(shopify_store))

    assert drain_to_end(shopify_store, job)[-1] == "done"

    # confirmed 25 at a time by a status query, not one by one
    assert Counter(fake_shopify.shops[shopify_store.platform_domain].calls)["AmendBulkCancelStatus"] >= 2
    _assert_each_request_announced(shopify_store, 30)
