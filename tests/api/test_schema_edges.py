"""Where the schema and the API meet: what the schema allows, the API takes; what it refuses, it says why."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from tests.factories import make_order

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

    response = api_a.get(f"/api/v1/stores/{store_a.slug}/orders/", {"cursor": _cursor("o=0&p=2000-01-01T00:00:00%2B00:00")})

    assert [order["name"] for order in first["results"]] == ["#1"]
    assert response.status_code == 200
    assert response.json()["results"] == []  # nothing was placed before 2000
