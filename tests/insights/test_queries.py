"""Each insight on the hand-built store (tests/insights/conftest.py), with the exact figures expected.

Every test runs three times: computed from the source tables, from the rollups, and from both (the
rollups through the 11th, the rest live); the figures must not change.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from cancellations.insights import queries
from cancellations.insights.queries import Compared
from cancellations.policy import StorePolicy
from cancellations.policy.services import save_policy
from tests.insights.conftest import END, START, STOCKHOLM

pytestmark = pytest.mark.django_db


def args(dataset, start: date = START, end: date = END, tz=STOCKHOLM) -> dict:
    return {"store": dataset.store, "start": start, "end": end, "tz": tz}


def test_cancellation_rate_counts_orders_placed_in_the_period_and_cancelled_since(dataset, rollups):
    rate = queries.cancellation_rate(**args(dataset))

    assert rate.placed == Compared(4, 2)
    assert rate.cancelled == Compared(3, 1)
    assert rate.rate == Compared(0.75, 0.5)
    assert rate.placed_value == Compared(Decimal("430.00"), Decimal("50.00"))
    assert rate.cancelled_value == Compared(Decimal("380.00"), Decimal("20.00"))
    assert rate.rate.change == pytest.approx(0.25)
    # One point a day; a day without orders has no rate rather than a rate of zero.
    assert [(p.first.day, p.placed, p.cancelled) for p in rate.points] == [
        (8, 1, 1), (9, 0, 0), (10, 1, 0), (11, 0, 0), (12, 1, 1), (13, 0, 0), (14, 1, 1),
    ]  # fmt: skip
    assert [p.rate for p in rate.points] == [1.0, None, 0.0, None, 1.0, None, 1.0]
    assert [(p.first.day, p.placed) for p in rate.previous_points if p.placed] == [(3, 1), (7, 1)]


def test_days_are_cut_at_midnight_in_the_time_zone_asked_for(dataset, rollups):
    # In UTC, O1 (00:30 on the 8th in Stockholm) was placed on the 7th, and O4 (00:10 on the 15th)
    # on the 14th; the rollups are cut in Stockholm time, so this is computed from the orders.
    rate = queries.cancellation_rate(**args(dataset, tz="UTC"))

    assert rate.placed == Compared(4, 3)
    assert rate.cancelled == Compared(3, 2)


def test_an_empty_period_has_zero_counts_and_no_rates(dataset, rollups):
    start, end = date(2025, 3, 1), date(2025, 3, 31)

    rate = queries.cancellation_rate(**args(dataset, start, end))
    decisions = queries.time_to_decision(**args(dataset, start, end))
    automation = queries.automation_share(**args(dataset, start, end))
    kept = queries.retention(**args(dataset, start, end))
    reasons = queries.top_reasons(**args(dataset, start, end))

    assert rate.placed == Compared(0, 0)
    assert rate.rate == Compared(None, None)
    assert rate.rate.change is None
    assert all(point.rate is None for point in rate.points)
    assert decisions.median == Compared(None, None)
    assert decisions.p90 == Compared(None, None)
    assert automation.share == Compared(None, None)
    assert kept.acceptance == Compared(None, None)
    assert reasons.rows == []
    assert reasons.trend == []
    assert queries.requests_by_outcome(**args(dataset, start, end)).rows == []
    assert queries.cancellations_by_product(**args(dataset, start, end)).rows == []
    money = queries.refunds_and_fees(**args(dataset, start, end))
    assert (money.completed, money.refunds, money.fees) == (
        Compared(0, 0),
        Compared(Decimal("0.00"), Decimal("0.00")),
        Compared(Decimal("0.00"), Decimal("0.00")),
    )


def test_the_previous_period_is_as_long_and_ends_the_day_before(dataset):
    rate = queries.cancellation_rate(**args(dataset, date(2026, 11, 8), date(2026, 11, 9)))

    assert (rate.period.previous().start, rate.period.previous().end) == (
        date(2026, 11, 6),
        date(2026, 11, 7),
    )
    # The 6th and 7th hold only P2 (not cancelled).
    assert rate.placed == Compared(1, 1)
    assert rate.cancelled == Compared(1, 0)
    assert rate.rate == Compared(1.0, 0.0)


def test_requests_by_kind_and_outcome(dataset, rollups):
    outcomes = queries.requests_by_outcome(**args(dataset))

    assert [(r.kind, r.outcome, r.count.current, r.count.previous) for r in outcomes.rows] == [
        ("cancel", "auto_approved", 1, 1),
        ("cancel", "approved", 2, 0),
        ("cancel", "rejected", 1, 1),
        ("edit", "open", 1, 0),
        ("withdrawal", "withdrawn", 1, 0),
    ]
    assert outcomes.total == Compared(6, 2)


def test_top_reasons_with_their_share_labels_and_trend(dataset, rollups):
    reasons = queries.top_reasons(**args(dataset), language="sv")

    assert [(r.code, r.label, r.count.current, r.count.previous) for r in reasons.rows] == [
        ("changed_mind", "Jag har ångrat mig", 2, 1),
        ("found_cheaper", "Jag hittade det billigare", 1, 1),
        ("", "", 1, 0),
    ]
    assert reasons.total == Compared(4, 2)
    assert [reasons.share(r) for r in reasons.rows] == [
        Compared(0.5, 0.5),
        Compared(0.25, 0.5),
        Compared(0.25, 0.0),
    ]
    assert [(t.code, t.counts) for t in reasons.trend] == [
        ("changed_mind", [1, 0, 1, 0, 0, 0, 0]),
        ("found_cheaper", [0, 0, 0, 0, 0, 0, 1]),
        ("", [0, 0, 0, 0, 1, 0, 0]),
    ]


def test_reason_labels_come_from_the_stores_own_policy(dataset):
    policy = StorePolicy.from_dict(
        {"reasons": {"choices": [{"code": "changed_mind", "labels": {"en": "Regret", "sv": "Ånger"}}]}}
    )
    save_policy(store=dataset.store, actor=None, policy=policy)

    reasons = queries.top_reasons(**args(dataset), language="en")

    # A code the policy no longer lists shows as itself.
    assert [(r.code, r.label) for r in reasons.rows] == [
        ("changed_mind", "Regret"),
        ("found_cheaper", "found_cheaper"),
        ("", ""),
    ]


def test_cancellations_by_product(dataset, rollups):
    products = queries.cancellations_by_product(**args(dataset))

    assert [
        (
            r.key,
            r.cancelled.current,
            r.cancelled.previous,
            r.cancelled_value.current,
            r.cancelled_value.previous,
        )
        for r in products.rows
    ] == [
        ("Tee", 2, 0, Decimal("260.00"), Decimal("0.00")),
        ("Mug", 1, 1, Decimal("40.00"), Decimal("20.00")),
    ]


def test_cancellation_rate_by_product_type(dataset, rollups):
    types = queries.cancellations_by_product_type(**args(dataset))

    # "Lamp" has no type and was never cancelled: left out.
    assert [(r.key, r.orders, r.cancelled, r.rate) for r in types.rows] == [
        ("Apparel", Compared(2, 0), Compared(2, 0), Compared(1.0, None)),
        ("Kitchen", Compared(2, 1), Compared(1, 1), Compared(0.5, 1.0)),
    ]


def test_time_from_order_to_cancellation(dataset, rollups):
    delays = queries.time_to_cancel(**args(dataset))

    assert [(r.key, r.cancelled.current, r.cancelled.previous) for r in delays.rows] == [
        ("under_1h", 1, 0),
        ("1h_6h", 0, 1),
        ("6h_24h", 0, 0),
        ("1d_3d", 1, 0),
        ("3d_7d", 0, 0),
        ("7d_30d", 1, 0),
        ("over_30d", 0, 0),
    ]
    assert delays.cancelled == Compared(3, 1)
    assert delays.share(delays.rows[0]) == Compared(pytest.approx(1 / 3), 0.0)


def test_share_decided_automatically(dataset, rollups):
    automation = queries.automation_share(**args(dataset))

    # Policy: R1; a rule: R4; staff: R2 and R3. R5 is open and R6 withdrawn: neither counts.
    assert automation.by_policy == Compared(1, 1)
    assert automation.without_person == Compared(1, 0)
    assert automation.by_staff == Compared(2, 1)
    assert automation.decided == Compared(4, 2)
    assert automation.share == Compared(0.5, 0.5)


def test_time_to_decision_median_and_90th_percentile(dataset, rollups):
    decisions = queries.time_to_decision(**args(dataset))

    # Reviewed in this period: 1 h, 2 h and 4 h. percentile_cont interpolates: the 90th percentile
    # lies 0.8 of the way from 2 h to 4 h.
    assert decisions.reviewed == Compared(3, 1)
    assert decisions.median == Compared(timedelta(hours=2), timedelta(hours=10))
    assert decisions.p90 == Compared(timedelta(hours=3, minutes=36), timedelta(hours=10))


def test_percentiles_over_an_even_number_of_waits(dataset):
    staff = dataset.staff
    from tests.insights.conftest import add_order, add_request, local

    order = add_order(dataset.store, local(9), "10.00")
    for minutes in (10, 20, 30, 40):
        add_request(
            dataset.store,
            order,
            local(9, 12, minutes),
            kind="reorder",
            status="rejected",
            resolution="rejected",
            decided_after=timedelta(minutes=minutes),
            decided_by=staff,
        )

    decisions = queries.time_to_decision(**args(dataset, date(2026, 11, 9), date(2026, 11, 9)))

    assert decisions.reviewed.current == 4
    assert decisions.median.current == timedelta(minutes=25)
    assert decisions.p90.current == timedelta(minutes=37)


def test_orders_kept_by_retention_offers(dataset, rollups):
    kept = queries.retention(**args(dataset))

    # O2 was kept; O5 too, but it was cancelled since. Offers declined: R2 and R3 (Q2 before).
    assert kept.kept == Compared(1, 1)
    assert kept.kept_value == Compared(Decimal("50.00"), Decimal("30.00"))
    assert kept.declined == Compared(2, 1)
    assert kept.acceptance == Compared(pytest.approx(1 / 3), 0.5)


def test_refunds_and_fees_of_completed_cancellations(dataset, rollups):
    money = queries.refunds_and_fees(**args(dataset))

    assert money.completed == Compared(3, 1)
    assert money.refunds == Compared(Decimal("370.00"), Decimal("20.00"))
    assert money.fees == Compared(Decimal("10.00"), Decimal("0.00"))


def test_another_stores_figures_are_its_own(dataset, rollups):
    other = {"store": dataset.other, "start": START, "end": END, "tz": STOCKHOLM}

    assert queries.cancellation_rate(**other).placed == Compared(2, 0)
    assert queries.cancellation_rate(**other).cancelled == Compared(1, 0)
    assert queries.refunds_and_fees(**other).refunds.current == Decimal("5000.00")
    assert queries.retention(**other).kept == Compared(1, 0)
    assert [r.key for r in queries.cancellations_by_product(**other).rows] == ["Mug"]
    assert queries.time_to_decision(**other).median.current == timedelta(days=3)
