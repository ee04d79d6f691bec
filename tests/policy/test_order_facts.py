"""order_facts(): the snapshot decide() reads, taken from an order and its lines in one go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cancellations.models import LineItem, Order
from cancellations.policy import Action, Outcome, StorePolicy, decide, order_facts
from cancellations.policy.services import decide_for_order, save_policy
from tenants.errors import NotFound
from tests.factories import make_order
from tests.policy.builders import with_rule

pytestmark = pytest.mark.django_db


def test_order_facts_reads_the_order_and_its_lines(store_b, django_assert_num_queries) -> None:
    placed = datetime(2026, 3, 28, 14, 0, tzinfo=UTC)
    order = make_order(
        store_b,
        placed_at=placed,
        risk_level="medium",
        tags=["vip"],
        discount_codes=["SUMMER10"],
        fulfillment_status="partial",
    )
    first = order.line_items.first()
    first.fulfilled_quantity = 1
    first.product_type = "Shirt"
    first.product_tags = ["cotton"]
    first.save()
    order = (
        Order.objects.for_store(store_b)
        .select_related("store")
        .prefetch_related("line_items")
        .get(pk=order.pk)
    )

    with django_assert_num_queries(0):
        facts = order_facts(order, delivered_at=placed + timedelta(days=3))

    assert facts.placed_at == placed
    assert facts.timezone == "Europe/Stockholm"
    assert facts.total == order.total == Decimal("40.80")
    assert (facts.financial_status, facts.fulfillment_status) == ("paid", "partial")
    assert (facts.risk_level, facts.tags, facts.discount_codes) == ("medium", ("vip",), ("SUMMER10",))
    assert facts.delivered_at == placed + timedelta(days=3)
    assert [line.id for line in facts.lines] == [item.pk for item in order.line_items.all()]
    assert facts.lines[0].fulfilled_quantity == 1
    assert facts.lines[0].product_tags == ("cotton",)
    assert facts.shipping_started and not facts.fully_shipped


def test_order_facts_without_prefetching_costs_one_query_per_relation(
    store_a, django_assert_num_queries
) -> None:
    order_id = make_order(store_a, lines=3).pk
    order = Order.objects.for_store(store_a).get(pk=order_id)

    with django_assert_num_queries(2):  # the lines, and the store for its time zone
        facts = order_facts(order)

    assert len(facts.lines) == 3


def test_decide_for_order_uses_the_current_policy_and_names_its_version(store_a) -> None:
    order = make_order(store_a, placed_at=timezone.now() - timedelta(minutes=90))
    save_policy(
        store=store_a,
        actor=None,
        policy=with_rule(StorePolicy(), "cancel", window={"kind": "minutes", "minutes": 60}),
    )

    decision, version = decide_for_order(store=store_a, order=order, action=Action.CANCEL)

    assert version == 1
    assert decision.outcome == Outcome.NOT_ALLOWED
    assert decision.codes == ("window_closed",)
    assert decision.window_closes_at == order.placed_at + timedelta(minutes=60)


def test_decide_for_order_refuses_another_stores_order(store_a, store_b) -> None:
    order = make_order(store_b)

    with pytest.raises(NotFound):
        decide_for_order(store=store_a, order=order, action="cancel")


def test_a_line_edited_to_nothing_does_not_count_as_shipped(store_a) -> None:
    order = make_order(store_a, lines=2)
    LineItem.objects.for_store(store_a).filter(order=order, position=0).update(quantity=0)
    order = Order.objects.for_store(store_a).get(pk=order.pk)

    facts = order_facts(order)
    decision = decide(policy=StorePolicy(), order=facts, action="cancel", now=timezone.now())

    assert not facts.fully_shipped and not facts.shipping_started
    assert decision.allowed
