"""The insights summary through the API: the Insights page's figures for a period and the one before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_order

pytestmark = pytest.mark.django_db


def test_the_insights_summary_compares_with_the_period_before(api_a, store_a):
    today = timezone.localdate()
    make_order(store_a, placed_at=timezone.now() - timedelta(hours=1))

    response = api_a.get(
        f"/api/v1/stores/{store_a.slug}/insights/",
        {"start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat()},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {"start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat()}
    assert body["previous_period"]["end"] == (today - timedelta(days=7)).isoformat()
    assert body["cancellation_rate"]["placed"]["current"] == 1
    assert body["currency"] == store_a.currency


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"start": "2026-02-01", "end": "2026-01-01"}, "end"),
        ({"start": "1066-10-14"}, "start"),
        ({"end": "soon"}, "end"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "start"),
    ],
)
def test_a_bad_insights_period_is_a_400(api_a, store_a, params, attr):
    response = api_a.get(f"/api/v1/stores/{store_a.slug}/insights/", params)

    assert response.status_code == 400
    assert response.json()["attr"] == attr


def test_another_stores_insights_are_a_404(api_a, store_b):
    assert api_a.get(f"/api/v1/stores/{store_b.slug}/insights/").status_code == 404
