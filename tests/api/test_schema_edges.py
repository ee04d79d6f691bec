"""Where the schema and the API meet: what the schema allows, the API takes; what it refuses, it says why."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from portal.api.schema import decimal_pattern
from portal.api.serializers.common import ApproveSerializer
from tests.factories import make_order
from tests.requests.helpers import pending_request

pytestmark = pytest.mark.django_db


def _cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    ("listing", "position"),
    [
        ("orders/", "garbage"),
        ("orders/", "2026-13-45"),
        ("requests/", "yesterday"),
        ("rules/", "1.5"),
        ("rules/", "first"),
        ("", "Alpha\x00"),  # the store list is ordered by name: any text but a NUL is a position
    ],
)
def test_a_cursor_that_decodes_to_a_position_of_the_wrong_kind_is_a_400(api_a, store_a, listing, position):
    # given: a cursor a client made up, in the cursor's own encoding
    path = "/api/v1/stores/" if not listing else f"/api/v1/stores/{store_a.slug}/{listing}"

    # when
    response = api_a.get(path, {"cursor": _cursor(f"o=0&r=0&p={position}")})

    # then: the client is told the cursor is bad, not a server error
    assert response.status_code == 400, response.content
    assert response.json()["attr"] == "cursor"


def test_a_cursor_with_a_well_formed_position_still_pages(api_a, store_a):
    make_order(store_a, name="#1")
    first = api_a.get(f"/api/v1/stores/{store_a.slug}/orders/", {"page_size": 1}).json()

    response = api_a.get(
        f"/api/v1/stores/{store_a.slug}/orders/", {"cursor": _cursor("o=0&p=2000-01-01T00:00:00%2B00:00")}
    )

    assert [order["name"] for order in first["results"]] == ["#1"]
    assert response.status_code == 200
    assert response.json()["results"] == []  # nothing was placed before 2000


def _schema(client: Any) -> dict[str, Any]:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def _query_parameter(schema: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    parameters = schema["paths"][path]["get"]["parameters"]
    return next(p["schema"] for p in parameters if p["name"] == name)


def test_the_schema_says_fees_and_refunds_are_not_negative_and_have_a_digit(client):
    approve = _schema(client)["components"]["schemas"]["ApproveRequest"]["properties"]

    for name in ("fee", "refund_amount"):
        pattern = re.compile(approve[name]["pattern"])
        assert [v for v in ("0", "12.5", "12.50", ".5", "999999999999.99") if not pattern.match(v)] == []
        assert [v for v in ("-1", "-0.01", "", ".", "1.234", "1234567890123") if pattern.match(v)] == []


@given(value=st.from_regex(decimal_pattern(ApproveSerializer().fields["fee"]), fullmatch=True))
@hypothesis_settings(max_examples=200, derandomize=True, database=None, deadline=None)
def test_every_fee_the_schema_allows_the_api_takes(value):
    serializer = ApproveSerializer(data={"fee": value, "refund_amount": value})

    assert serializer.is_valid(), (value, serializer.errors)


def test_a_negative_fee_is_still_refused_with_its_field_named(api_a, store_a):
    request = pending_request(store_a)

    response = api_a.post_json(f"/api/v1/stores/{store_a.slug}/requests/{request.pk}/approve/", {"fee": "-1"})

    assert response.status_code == 400
    assert response.json()["attr"] == "fee"


def test_the_schema_says_the_insights_years_the_api_takes(client, api_a, store_a):
    path = "/api/v1/stores/{store_slug}/insights/"
    schema = _schema(client)

    for name in ("start", "end"):
        day = _query_parameter(schema, path, name)
        assert day["format"] == "date"
        pattern = re.compile(day["pattern"])
        assert [d for d in ("1999-12-31", "2101-01-01", "0365-11-10") if pattern.match(d)] == []
        assert [d for d in ("2000-01-01", "2100-12-31") if not pattern.match(d)] == []
    insights = f"/api/v1/stores/{store_a.slug}/insights/"
    assert api_a.get(insights, {"start": "2000-01-01", "end": "2000-01-31"}).status_code == 200
    assert api_a.get(insights, {"start": "1999-12-31"}).status_code == 400


def test_the_schema_describes_the_cursors_the_api_hands_out(client, api_a, store_a):
    for n in range(3):
        make_order(store_a, name=f"#{n}")
    cursor = _query_parameter(_schema(client), "/api/v1/stores/{store_slug}/orders/", "cursor")

    page = api_a.get(f"/api/v1/stores/{store_a.slug}/orders/", {"page_size": 1}).json()
    handed_out = []
    while page["next"]:
        handed_out.append(parse_qs(urlsplit(page["next"]).query)["cursor"][0])
        page = api_a.get(page["next"]).json()

    assert len(handed_out) == 2
    assert all(re.match(cursor["pattern"], c) and len(c) <= cursor["maxLength"] for c in handed_out)
