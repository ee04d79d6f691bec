"""The preview: which of the last 30 days' orders a rule's conditions match, without acting on any."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cancellations.models import OrderRequest, RuleMatch
from cancellations.rules.conditions import clean_conditions
from cancellations.rules.engine import preview_rule
from cancellations.rules.services import add_forwarder
from tests.factories import make_order

pytestmark = pytest.mark.django_db

HIGH = clean_conditions([{"type": "risk_level", "values": ["high"]}])


def test_the_preview_counts_and_lists_the_matching_orders_of_the_last_30_days(store_a, store_b):
    now = timezone.now()
    newest = make_order(store_a, risk_level="high", placed_at=now - timedelta(hours=1))
    older = make_order(store_a, risk_level="high", placed_at=now - timedelta(days=29))
    make_order(store_a, risk_level="high", placed_at=now - timedelta(days=31))  # too old
    make_order(store_a, risk_level="high", placed_at=now - timedelta(days=2), cancelled_at=now)  # cancelled
    make_order(store_a, risk_level="low", placed_at=now - timedelta(days=2))
    make_order(store_b, risk_level="high", placed_at=now - timedelta(days=2))  # another store's

    preview = preview_rule(store=store_a, match="all", conditions=HIGH, now=now)

    assert (preview.scanned, preview.matched) == (3, 2)
    assert [row.order for row in preview.rows] == [newest, older]
    assert preview.rows[0].evaluation.results[0].detail == "high"
    assert not preview.truncated
    assert not RuleMatch.objects.for_store(store_a).exists()
    assert not OrderRequest.objects.for_store(store_a).exists()


def test_the_list_is_capped_but_the_count_is_not(store_a):
    for _ in range(5):
        make_order(store_a, risk_level="high")
    preview = preview_rule(store=store_a, match="all", conditions=HIGH, limit=2)
    assert preview.matched == 5 and len(preview.rows) == 2 and preview.truncated


def test_the_preview_counts_a_customers_orders_before_each_order(store_a):
    now = timezone.now()
    for days in (40, 10, 5, 1):  # the one 40 days ago is before the window but still counts for later orders
        make_order(store_a, email="sam@example.com", placed_at=now - timedelta(days=days))
    conditions = clean_conditions([{"type": "customer_orders", "days": 45, "at_least": 3}])

    preview = preview_rule(store=store_a, match="all", conditions=conditions, now=now)

    assert preview.matched == 2  # the orders 5 days and 1 day ago (3rd and 4th in 45 days)
    assert [r.evaluation.results[0].detail for r in preview.rows] == ["4", "3"]


def test_the_preview_reads_the_forwarder_list(store_a):
    add_forwarder(
        store=store_a, actor=None, values={"address1": "Storgatan 12", "zip": "111 22", "country_code": "SE"}
    )
    make_order(
        store_a, shipping_address={"address1": "STORGATAN 12 lgh 1101", "zip": "11122", "country_code": "SE"}
    )
    make_order(store_a)
    conditions = clean_conditions([{"type": "freight_forwarder"}])
    assert preview_rule(store=store_a, match="all", conditions=conditions).matched == 1


def test_the_preview_costs_the_same_queries_for_few_or_many_orders(store_a):
    conditions = clean_conditions(
        [{"type": "freight_forwarder"}, {"type": "customer_orders", "days": 7, "at_least": 2}]
    )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            preview_rule(store=store_a, match="any", conditions=conditions)
        return len(captured)

    make_order(store_a)
    few = queries()
    for _ in range(12):
        make_order(store_a)
    assert queries() == few
