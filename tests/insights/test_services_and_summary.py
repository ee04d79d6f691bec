"""Recording kept orders, and the summary the REST API serves."""

from __future__ import annotations

import json
from datetime import date

import pytest

from cancellations.insights import InvalidPeriod, insights_summary, queries, record_retention_kept
from cancellations.models import RetentionOutcome
from tenants.errors import NotFound
from tests.insights.conftest import END, START, STOCKHOLM, add_order, local

pytestmark = pytest.mark.django_db


def test_a_kept_order_is_recorded_once_with_its_total(dataset):
    order = add_order(dataset.store, local(9), "42.50")

    first = record_retention_kept(
        store=dataset.store, order=order, offer_kind="discount_code", discount_code="KEEP10"
    )
    again = record_retention_kept(
        store=dataset.store, order=order, offer_kind="suggest_edit", discount_code=""
    )

    assert again.pk == first.pk
    assert (first.offer_kind, first.discount_code, str(first.order_total), first.currency) == (
        "discount_code",
        "KEEP10",
        "42.50",
        "USD",
    )
    assert RetentionOutcome.objects.for_store(dataset.store).filter(order=order).count() == 1


def test_a_kept_order_counts_on_the_day_it_was_kept(dataset):
    order = add_order(dataset.store, local(9), "42.50")
    outcome = record_retention_kept(store=dataset.store, order=order, offer_kind="discount_code")
    today = outcome.accepted_at.astimezone(STOCKHOLM).date()

    kept = queries.retention(store=dataset.store, start=today, end=today, tz=STOCKHOLM)

    assert kept.kept.current == 1
    assert str(kept.kept_value.current) == "42.50"


def test_another_stores_order_cannot_be_recorded(dataset):
    order = add_order(dataset.other, local(9), "10.00")

    with pytest.raises(NotFound):
        record_retention_kept(store=dataset.store, order=order, offer_kind="discount_code")
    assert not RetentionOutcome.objects.for_store(dataset.store).filter(order=order).exists()


def test_the_summary_has_every_figure_as_plain_data(dataset):
    summary = insights_summary(store=dataset.store, start=START, end=END)

    assert json.loads(json.dumps(summary)) == summary
    assert summary["period"] == {"start": "2026-11-08", "end": "2026-11-14"}
    assert summary["previous_period"] == {"start": "2026-11-01", "end": "2026-11-07"}
    assert (summary["timezone"], summary["currency"]) == ("Europe/Stockholm", "USD")
    assert summary["cancellation_rate"]["rate"] == {"current": 0.75, "previous": 0.5}
    assert summary["cancellation_rate"]["cancelled_value"] == {"current": "380.00", "previous": "20.00"}
    assert summary["requests"]["total"] == {"current": 6, "previous": 2}
    assert summary["reasons"][0] == {
        "code": "changed_mind",
        "label": "I changed my mind",
        "current": 2,
        "previous": 1,
        "share": {"current": 0.5, "previous": 0.5},
    }
    assert summary["products"][0] == {
        "title": "Tee",
        "cancelled": {"current": 2, "previous": 0},
        "value": {"current": "260.00", "previous": "0.00"},
    }
    assert summary["product_types"][1]["rate"] == {"current": 0.5, "previous": 1.0}
    assert summary["time_to_cancel"][0] == {
        "bucket": "under_1h",
        "label": "Within an hour",
        "current": 1,
        "previous": 0,
    }
    assert summary["decisions"]["automatic_share"] == {"current": 0.5, "previous": 0.5}
    assert summary["time_to_decision"] == {
        "reviewed": {"current": 3, "previous": 1},
        "median_seconds": {"current": 7200.0, "previous": 36000.0},
        "p90_seconds": {"current": 12960.0, "previous": 36000.0},
    }
    assert summary["retention"]["kept"] == {"current": 1, "previous": 1}
    assert summary["refunds_and_fees"]["refunds"] == {"current": "370.00", "previous": "20.00"}


def test_the_summary_of_an_empty_period_divides_by_nothing(dataset):
    summary = insights_summary(store=dataset.store, start=date(2025, 1, 1), end=date(2025, 1, 31))

    assert summary["cancellation_rate"]["rate"] == {"current": None, "previous": None}
    assert summary["time_to_decision"]["median_seconds"] == {"current": None, "previous": None}
    assert summary["reasons"] == []


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [(date(2026, 11, 14), date(2026, 11, 8), "end"), (date(2024, 1, 1), date(2026, 1, 1), "start")],
)
def test_the_summary_refuses_a_period_that_makes_no_sense(dataset, start, end, field):
    with pytest.raises(InvalidPeriod) as error:
        insights_summary(store=dataset.store, start=start, end=end)

    assert (error.value.code, error.value.field) == ("invalid_period", field)
