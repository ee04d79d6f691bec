"""Webhooks arrive at least once and in any order; the mirror always ends at the newest description."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cancellations.models import Order
from cancellations.orders.services import upsert_order
from cancellations.platforms.base import LineSnapshot, OrderSnapshot
from tests.factories import make_store

START = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _version(n: int) -> OrderSnapshot:
    """The n-th description of one order: each later one changes its tags, total and a line's quantity."""
    return OrderSnapshot(
        platform_id="gid://shopify/Order/1",
        name="#1001",
        placed_at=START,
        updated_at=START + timedelta(minutes=n),
        currency="USD",
        total=Decimal("10.00") * (n + 1),
        tags=(f"v{n}",),
        lines=(
            LineSnapshot(
                platform_id="gid://shopify/LineItem/1", title="Hat", quantity=n + 1, unit_price=Decimal("10")
            ),
        ),
    )


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order_of_arrival=st.permutations(range(5)), repeats=st.lists(st.integers(0, 4), max_size=4))
def test_any_arrival_order_with_duplicates_ends_at_the_newest_version(order_of_arrival, repeats):
    store = make_store()
    for n in [*order_of_arrival, *repeats]:
        upsert_order(store=store, snapshot=_version(n))

    order = Order.objects.for_store(store).get()
    assert order.tags == ["v4"]
    assert order.total == Decimal("50.00")
    assert [line.quantity for line in order.line_items.all()] == [5]
    assert order.platform_updated_at == START + timedelta(minutes=4)


@pytest.mark.django_db
def test_an_unchanged_description_does_not_raise_the_version(store_a):
    first = upsert_order(store=store_a, snapshot=_version(1))
    same = upsert_order(store=store_a, snapshot=_version(1))
    older = upsert_order(store=store_a, snapshot=_version(0))
    risk = upsert_order(store=store_a, snapshot=replace(_version(1), risk_level="high"))

    assert first.created and not same.changed and older.stale and risk.changed
    order = Order.objects.for_store(store_a).get()
    assert (order.version, order.risk_level) == (2, "high")


@pytest.mark.django_db
def test_a_description_without_risk_keeps_the_risk_we_already_know(store_a):
    upsert_order(
        store=store_a, snapshot=replace(_version(1), risk_level="high", risk_recommendation="cancel")
    )
    upsert_order(store=store_a, snapshot=_version(2))  # a REST webhook: says nothing about risk

    order = Order.objects.for_store(store_a).get()
    assert (order.risk_level, order.risk_recommendation) == ("high", "cancel")


@pytest.mark.django_db
def test_the_same_platform_id_in_two_stores_is_two_orders(store_a, store_b):
    upsert_order(store=store_a, snapshot=_version(1))
    upsert_order(store=store_b, snapshot=_version(3))
    assert Order.objects.for_store(store_a).get().tags == ["v1"]
    assert Order.objects.for_store(store_b).get().tags == ["v3"]
