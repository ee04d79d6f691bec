"""The demo data: a catalogue and orders in every state, seeded in bulk, and the same again on a re-run."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cancellations.models import LineItem, Order, Refund, Variant
from cancellations.platforms import get_adapter
from cancellations.platforms.base import CancelRequest
from portal.dev.demo_orders import STATES, seed_demo_catalogue_and_orders

pytestmark = pytest.mark.django_db


def _inserts_into(queries, table: str) -> int:
    return sum(query["sql"].startswith(f'INSERT INTO "{table}"') for query in queries.captured_queries)


def test_a_few_hundred_orders_in_every_state_seed_in_a_dozen_statements_and_only_once(
    store_a, store_b, django_assert_max_num_queries
):
    # What keeps `make demo` quick is bulk inserts, not the machine: the statements do not grow with the
    # orders (savepoint, catalogue, one INSERT per table, the count), and a re-run inserts no order.
    with django_assert_max_num_queries(12) as seeding:
        first = seed_demo_catalogue_and_orders(store_a, orders=300)
    with django_assert_max_num_queries(8) as reseeding:
        again = seed_demo_catalogue_and_orders(store_a, orders=300)

    tables = ("cancellations_order", "cancellations_lineitem", "cancellations_refund")
    assert [_inserts_into(seeding, table) for table in tables] == [1, 1, 1]
    assert [_inserts_into(reseeding, table) for table in tables] == [0, 0, 0]
    assert (first["orders_created"], first["orders"]) == (300, 300)
    assert (again["orders_created"], again["orders"]) == (0, 300)
    orders = Order.objects.for_store(store_a)
    states = set(orders.values_list("financial_status", "fulfillment_status", "risk_level"))
    assert {(f, ff, r) for _, f, ff, _, r in STATES} <= states
    assert orders.filter(cancelled_at__isnull=False).exists()
    assert orders.filter(tags__contains=["forwarder"]).exists()
    assert LineItem.objects.for_store(store_a).filter(fulfilled_quantity__gt=0).exists()
    assert Refund.objects.for_store(store_a).count() == orders.filter(refunded__gt=0).count()
    assert Variant.objects.for_store(store_a).filter(inventory_quantity=0).exists()
    assert Order.objects.for_store(store_b).count() == 0
    assert first["customer_emails"][0] in set(orders.values_list("email", flat=True))


def test_totals_add_up_and_seeded_orders_work_with_the_builtin_store(store_a):
    seed_demo_catalogue_and_orders(store_a, orders=40)
    for order in Order.objects.for_store(store_a).prefetch_related("line_items"):
        lines = sum((line.line_total for line in order.line_items.all()), Decimal("0.00"))
        assert order.subtotal == lines
        assert order.total == order.subtotal + order.shipping + order.tax

    open_order = (
        Order.objects.for_store(store_a).filter(cancelled_at=None, fulfillment_status="unfulfilled").first()
    )
    result = get_adapter(store_a).cancel(CancelRequest(open_order.platform_id), idempotency_key="demo")
    assert result.status == "completed"
