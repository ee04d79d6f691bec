"""Stores and orders through the API: lists, filters, cursor pagination, details, the error shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenants.roles import Role
from tests.api.conftest import TokenClient, agency_token
from tests.factories import grant, make_agency, make_order, make_store

pytestmark = pytest.mark.django_db


def _orders(store) -> str:
    return f"/api/v1/stores/{store.slug}/orders/"


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [order["name"] for order in response.json()["results"]]


def test_the_store_list_shows_the_token_store_with_its_scopes(api_a, store_a, store_b):
    body = api_a.get("/api/v1/stores/").json()

    assert [store["slug"] for store in body["results"]] == [store_a.slug]
    assert body["results"][0]["scopes"] == [
        "orders:read",
        "policy:write",
        "requests:decide",
        "requests:read",
        "rules:write",
    ]


def test_an_order_is_read_in_full(api_a, store_a):
    order = make_order(store_a, name="#1001", email="ann@example.com")

    body = api_a.get(f"{_orders(store_a)}{order.pk}/").json()

    assert body["name"] == "#1001"
    assert body["email"] == "ann@example.com"
    assert [line["title"] for line in body["line_items"]] == ["Product 0", "Product 1"]
    assert body["total"] == "40.80"


def test_another_stores_order_is_a_404_even_by_its_id(api_a, store_a, store_b):
    order_b = make_order(store_b)

    response = api_a.get(f"{_orders(store_a)}{order_b.pk}/")

    assert response.status_code == 404
    assert set(response.json()) == {"type", "code", "detail", "attr"}


def test_orders_filter_by_status_email_name_and_time(api_a, store_a):
    now = timezone.now()
    make_order(store_a, name="#1", email="ann@example.com", placed_at=now - timedelta(days=3))
    make_order(store_a, name="#2", email="bob@example.com", placed_at=now - timedelta(days=2))
    make_order(
        store_a, name="#3", email="ann@example.com", placed_at=now - timedelta(days=1), cancelled_at=now
    )

    assert _names(api_a.get(_orders(store_a))) == ["#3", "#2", "#1"]
    assert _names(api_a.get(_orders(store_a), {"status": "cancelled"})) == ["#3"]
    assert _names(api_a.get(_orders(store_a), {"status": "open"})) == ["#2", "#1"]
    assert _names(api_a.get(_orders(store_a), {"email": "ANN@example.com"})) == ["#3", "#1"]
    assert _names(api_a.get(_orders(store_a), {"name": "#2"})) == ["#2"]
    between = {
        "placed_after": (now - timedelta(days=2, hours=1)).isoformat(),
        "placed_before": (now - timedelta(hours=25)).isoformat(),
    }
    assert _names(api_a.get(_orders(store_a), between)) == ["#2"]
    assert _names(api_a.get(_orders(store_a), {"financial_status": "refunded"})) == []


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"status": "lost"}, "status"),
        ({"placed_after": "yesterday"}, "placed_after"),
        ({"email": "not-an-email"}, "email"),
        ({"page_size": "1000"}, "page_size"),
        ({"cursor": "forged"}, "cursor"),
        (
            {"placed_after": "2026-02-01T00:00:00Z", "placed_before": "2026-01-01T00:00:00Z"},
            "placed_before",
        ),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api_a, store_a, params, attr):
    response = api_a.get(_orders(store_a), params)

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert body["attr"] == attr


def test_the_cursor_walks_every_order_once_while_new_ones_arrive(api_a, store_a):
    start = timezone.now() - timedelta(days=1)
    for n in range(7):
        make_order(store_a, name=f"#{n}", placed_at=start + timedelta(minutes=n))
    seen: list[str] = []

    page = api_a.get(_orders(store_a), {"page_size": 3}).json()
    seen += [order["name"] for order in page["results"]]
    make_order(store_a, name="#new")  # placed now: it belongs before the first page, not in the walk
    while page["next"]:
        page = api_a.get(page["next"]).json()
        seen += [order["name"] for order in page["results"]]

    assert seen == ["#6", "#5", "#4", "#3", "#2", "#1", "#0"]
    assert page["previous"] is not None


def test_the_order_list_takes_the_same_number_of_queries_for_more_orders(api_a, store_a):
    make_order(store_a)
    api_a.get(_orders(store_a))  # warm: the token's last_used_at is written at most once a minute
    with CaptureQueriesContext(connection) as few:
        api_a.get(_orders(store_a))
    for _ in range(5):
        make_order(store_a)
    with CaptureQueriesContext(connection) as more:
        api_a.get(_orders(store_a))

    assert len(more) == len(few)


def test_an_agency_walks_its_stores_page_by_page(store_a, store_b):
    agency = make_agency()
    stores = [store_a, store_b, make_store("charlie-shop", name="Charlie")]
    for store in stores:
        grant(store, agency, Role.VIEWER)
    make_store("delta-shop", name="Delta")  # not granted
    api = TokenClient(agency_token(agency))

    first = api.get("/api/v1/stores/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()

    names = [store["name"] for store in first["results"] + second["results"]]
    assert names == ["Alpha Shop", "Bravo Butik", "Charlie"]
    assert second["next"] is None
    assert {store["role"] for store in first["results"]} == {"viewer"}


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_an_unknown_api_path_is_a_json_404_for_every_method(api_a, method):
    response = getattr(api_a, method)("/api/v1/no-such-thing/", content_type="application/json")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"
