"""Every document Amend sends stays within Shopify's single query cost limit, and the fake enforces it.

The rules are Shopify's: https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits
(a scalar or enum 0, an object 1, a connection 2 plus `first` times one node, a mutation 10; no
single query over 1,000; the bucket refunded the difference to the actual cost).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from graphql import parse

from cancellations.platforms.base import PermanentPlatformError
from cancellations.platforms.shopify import documents
from cancellations.platforms.shopify.adapter import ShopifyAdapter
from cancellations.platforms.shopify.client import ShopifyClient
from tests.fakeshopify.cost import CostError, actual_cost, requested_cost
from tests.fakeshopify.schema import admin_schema

pytestmark = pytest.mark.django_db

# AmendFetchOrder and AmendOrdersPage as they were before line items were paged: by Shopify's rules
# they cost 1,769 and 88,452 points, and Shopify refused both.
OLD_ORDER = documents.ORDER_FIELDS.replace("lineItems(first: $lines)", "lineItems(first: 250)").replace(
    "  customer { id }\n",
    "",  # read since then
)
OLD_FETCH_ORDER = (
    "query Old($id: ID!) { order(id: $id) { ...AmendOrder } }" + OLD_ORDER + documents.LINE_FIELDS
)
OLD_ORDERS_PAGE = (
    "query OldPage { orders(first: 50) { pageInfo { hasNextPage } nodes { ...AmendOrder } } }"
    + OLD_ORDER
    + documents.LINE_FIELDS
)


def _cost(document: str, variables: dict | None = None) -> int:
    return requested_cost(admin_schema(), document, variables).requested


def test_every_document_requests_at_most_1000_points_and_as_much_as_the_client_waits_for(capsys):
    rows = []
    for name, document in sorted(documents.DOCUMENTS.items()):
        cost = _cost(document, documents.LARGEST_VARIABLES.get(name))
        rows.append((name, cost))
        assert cost <= documents.MAX_QUERY_COST, f"{name} requests {cost} points"
        assert documents.COSTS[name] == cost, f"{name}: the client would wait for the wrong number of points"
        assert documents.requested_cost(document) == cost
    with capsys.disabled():
        print("\nRequested cost of each document Amend sends (largest variables):")
        for name, cost in rows:
            print(f"  {name:<34} {cost:>5}")


def test_the_rules_give_the_figures_shopify_documents():
    schema_cost = _cost
    assert schema_cost("{ shop { id name } }") == 1  # an object and its scalars
    assert schema_cost("{ orders(first: 10) { nodes { id } } }") == 2 + 10  # a connection
    assert (
        schema_cost("{ orders(first: 10) { edges { cursor node { id } } pageInfo { hasNextPage } } }") == 12
    )
    assert schema_cost('mutation { tagsAdd(id: "gid://shopify/Order/1", tags: ["a"]) { node { id } } }') == 11
    # The documents as they were before: what Shopify refused.
    assert schema_cost(OLD_FETCH_ORDER) == 1769
    assert schema_cost(OLD_ORDERS_PAGE) == 88452


def test_a_connection_without_first_or_last_cannot_be_costed():
    with pytest.raises(CostError, match="first or last"):
        _cost("{ orders { nodes { id } } }")


def test_a_page_of_orders_is_as_large_as_the_limit_allows():
    size = documents.ORDERS_PAGE_SIZE
    assert _cost(documents.ORDERS_PAGE, {"first": size, "lines": documents.PAGE_LINES}) <= 1000
    assert _cost(documents.ORDERS_PAGE, {"first": size + 1, "lines": documents.PAGE_LINES}) > 1000


def test_the_actual_cost_counts_what_came_back():
    document = documents.ORDER_LINES_PAGE
    variables = {"id": "gid://shopify/Order/1", "first": documents.LINES_PAGE}
    empty = {"order": {"id": "x", "lineItems": {"nodes": [], "pageInfo": {"hasNextPage": False}}}}
    line = {"id": "l", "originalUnitPriceSet": {"shopMoney": {}}, "totalDiscountSet": {"shopMoney": {}}}
    two = {"order": {"id": "x", "lineItems": {"nodes": [line, line], "pageInfo": {"hasNextPage": False}}}}
    assert actual_cost(admin_schema(), document, variables, {"order": None}) == 0
    assert actual_cost(admin_schema(), document, variables, empty) == 1 + 2
    assert actual_cost(admin_schema(), document, variables, two) == 1 + 2 + 2 * (1 + 2 + 2)


# --- the fake holds Amend to the rules ---


def _adapter(fake, store) -> tuple[ShopifyAdapter, list[float]]:
    """An adapter whose client records its waits instead of sleeping, on a bucket that refills at once."""
    waits: list[float] = []
    client = ShopifyClient(shop=store.platform_domain, access_token=fake.shops[store.platform_domain].token)
    client.sleep = waits.append
    fake.set_bucket(store.platform_domain, maximum=1000, available=1000, restore_rate=1_000_000)
    return ShopifyAdapter(store, client=client), waits


def test_the_fake_refuses_a_query_over_1000_points_as_shopify_does(fake_shopify, shopify_store):
    order = fake_shopify.add_order(shopify_store.platform_domain)
    adapter, waits = _adapter(fake_shopify, shopify_store)
    shop = fake_shopify.shops[shopify_store.platform_domain]
    before = shop.available

    with pytest.raises(PermanentPlatformError) as refused:
        adapter.client.execute(OLD_FETCH_ORDER, {"id": order["id"]}, cost=1)

    assert refused.value.code == "platform_query_too_costly"
    assert "1769" in refused.value.message
    assert waits == [] and shop.calls == []  # refused before running, and not sent again
    assert shop.available == pytest.approx(before, abs=1)  # nothing charged


def test_the_fake_charges_the_requested_cost_and_refunds_the_rest(fake_shopify, shopify_store):
    order = fake_shopify.add_order(shopify_store.platform_domain)
    adapter, _ = _adapter(fake_shopify, shopify_store)
    fake_shopify.set_bucket(shopify_store.platform_domain, maximum=1000, available=1000, restore_rate=0)

    adapter.fetch_order(order["id"], idempotency_key="cost")

    shop = fake_shopify.shops[shopify_store.platform_domain]
    assert shop.costs == [("AmendFetchOrder", documents.COSTS["AmendFetchOrder"])]
    # One line item came back of the 50 asked for, and no billing address: the order and its other
    # objects, the connection and that one line.
    spent = 1000 - shop.available
    assert spent == (documents.ORDER_COST - 1) + 2 + documents.LINE_COST
    assert spent < documents.COSTS["AmendFetchOrder"]


def test_the_fake_refuses_a_document_the_schema_does_not_allow(fake_shopify, shopify_store):
    adapter, _ = _adapter(fake_shopify, shopify_store)
    with pytest.raises(PermanentPlatformError) as refused:
        adapter.client.execute("query Bad { order(id: 1) { riskScore } }")
    assert refused.value.code == "platform_query_rejected"
    assert "riskScore" in refused.value.message


def _lines(count: int) -> list[tuple[str, int, str]]:
    return [(f"gid://shopify/ProductVariant/{n}", 1, "1.00") for n in range(1, count + 1)]


def test_an_order_with_more_lines_than_a_page_is_read_whole(fake_shopify, shopify_store):
    order = fake_shopify.add_order(shopify_store.platform_domain, lines=_lines(321))
    adapter, _ = _adapter(fake_shopify, shopify_store)

    snapshot = adapter.fetch_order(order["id"], idempotency_key="big")

    assert len(snapshot.lines) == 321
    assert len({line.platform_id for line in snapshot.lines}) == 321
    calls = fake_shopify.shops[shopify_store.platform_domain].calls
    # 50 with the order, then 100 a page
    assert calls == ["AmendFetchOrder", "AmendOrderLines", "AmendOrderLines", "AmendOrderLines"]
    assert all(cost <= 1000 for _, cost in fake_shopify.shops[shopify_store.platform_domain].costs)


def test_a_page_of_orders_completes_the_orders_with_many_lines(fake_shopify, shopify_store):
    small = [fake_shopify.add_order(shopify_store.platform_domain) for _ in range(3)]
    large = fake_shopify.add_order(shopify_store.platform_domain, lines=_lines(25))
    adapter, _ = _adapter(fake_shopify, shopify_store)

    snapshots, cursor = adapter.orders_page(created_since=datetime(2026, 1, 1, tzinfo=UTC))

    assert cursor is None
    by_id = {snapshot.platform_id: snapshot for snapshot in snapshots}
    assert set(by_id) == {order["id"] for order in [*small, large]}
    assert len(by_id[large["id"]].lines) == 25
    assert fake_shopify.shops[shopify_store.platform_domain].calls == ["AmendOrdersPage", "AmendOrderLines"]


def test_every_document_parses_to_one_named_operation():
    for name, document in documents.DOCUMENTS.items():
        assert documents.operation_name(document) == name
        operations = [d for d in parse(document).definitions if d.kind == "operation_definition"]
        assert len(operations) == 1
