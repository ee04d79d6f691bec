"""A tenant table cannot be read or changed without saying which store: the query fails instead."""

import pytest

from cancellations.models import LineItem, Order
from tenants.scoping import UnscopedQueryError
from tests.factories import make_order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    [
        lambda: list(Order.objects.all()),
        lambda: Order.objects.filter(email="buyer@example.com").first(),
        lambda: Order.objects.get(name="#1"),
        lambda: Order.objects.count(),
        lambda: Order.objects.exists(),
        lambda: Order.objects.update(tags=["x"]),
        lambda: Order.objects.delete(),
        lambda: list(Order.objects.values_list("id", flat=True)),
        lambda: list(Order.objects.iterator()),
        lambda: Order.objects.aggregate(n=__import__("django.db.models", fromlist=["Count"]).Count("id")),
        lambda: list(LineItem.objects.filter(quantity=1)),
    ],
    ids=[
        "all",
        "filter-first",
        "get",
        "count",
        "exists",
        "update",
        "delete",
        "values",
        "iterator",
        "aggregate",
        "lines",
    ],
)
def test_an_unscoped_query_on_a_tenant_table_raises(store_a, query):
    make_order(store_a)
    with pytest.raises(UnscopedQueryError, match="without a store"):
        query()


def test_a_scoped_query_sees_only_its_store(store_a, store_b):
    mine = make_order(store_a)
    make_order(store_b)
    assert list(Order.objects.for_store(store_a)) == [mine]
    assert Order.objects.for_store(store_a).count() == 1


def test_a_related_manager_is_scoped_by_its_parent(store_a):
    order = make_order(store_a, lines=3)
    assert order.line_items.count() == 3
    assert [line.order_id for line in order.line_items.all()] == [order.pk] * 3


def test_prefetching_through_a_scoped_query_works(store_a, django_assert_num_queries):
    make_order(store_a, lines=2)
    make_order(store_a, lines=1)
    with django_assert_num_queries(2):
        orders = list(Order.objects.for_store(store_a).prefetch_related("line_items"))
        assert sorted(len(order.line_items.all()) for order in orders) == [1, 2]


def test_the_escape_hatch_is_explicit(store_a, store_b):
    make_order(store_a)
    make_order(store_b)
    assert Order.objects.dangerously_unscoped().count() == 2


def test_deleting_a_store_cascades_to_its_rows(store_a, store_b):
    make_order(store_a)
    kept = make_order(store_b)
    store_a.delete()
    assert list(Order.objects.dangerously_unscoped()) == [kept]


def test_update_each_writes_each_rows_own_values_in_its_store_only(
    store_a, store_b, django_assert_num_queries
):
    # given orders in two stores, changed in memory
    from datetime import UTC, datetime

    first, second = make_order(store_a), make_order(store_a)
    other = make_order(store_b)
    when = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
    first.cancel_reason, first.cancelled_at, first.tags = "customer", when, ["a", "b"]
    second.cancel_reason, second.cancelled_at, second.tags = "inventory", None, []
    first.shipping_address, second.version = {"city": "Malmö"}, 7
    other.cancel_reason = "fraud"
    fields = ["cancel_reason", "cancelled_at", "tags", "shipping_address", "version"]
    # when they are written in one statement, the other store's row among them
    with django_assert_num_queries(1):
        written = Order.objects.for_store(store_a).update_each([first, second, other], fields)
    # then each row of the store has its own values, and the other store's row is untouched
    assert written == 2
    first.refresh_from_db()
    second.refresh_from_db()
    other.refresh_from_db()
    assert (first.cancel_reason, first.cancelled_at, first.tags) == ("customer", when, ["a", "b"])
    assert first.shipping_address == {"city": "Malmö"}
    assert (second.cancel_reason, second.cancelled_at, second.tags, second.version) == (
        "inventory",
        None,
        [],
        7,
    )
    assert other.cancel_reason == ""


def test_update_each_needs_a_store_and_refuses_a_value_too_long_for_its_column(store_a):
    from django.db import DataError, transaction

    order = make_order(store_a)
    with pytest.raises(UnscopedQueryError):
        Order.objects.update_each([order], ["cancel_reason"])
    order.cancel_reason = "x" * 41
    with pytest.raises(DataError), transaction.atomic():
        Order.objects.for_store(store_a).update_each([order], ["cancel_reason"])
