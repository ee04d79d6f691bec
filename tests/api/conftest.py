"""Fixtures for the API tests: stores A and B, tokens, a client that sends a token, a small world."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from cancellations.rules.services import create_rule
from tenants.access import staff_access
from tenants.models import Agency, Store
from tenants.roles import Role
from tenants.tokens import API_SCOPES, create_agency_token, create_store_token
from tests.api.receiver import receiver  # noqa: F401 - a fixture for the webhook tests
from tests.factories import make_member, make_order
from tests.fakeshopify.fixtures import fake_shopify, fake_shopify_server  # noqa: F401 - the extension tests
from tests.requests.helpers import pending_request


class TokenClient(Client):
    """A test client that sends `Authorization: Bearer <token>` and JSON bodies."""

    def __init__(self, token: str | None = None, **defaults: Any) -> None:
        if token is not None:
            defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        super().__init__(**defaults)

    def post_json(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.post(path, data if data is not None else {}, content_type="application/json", **extra)

    def put_json(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.put(path, data if data is not None else {}, content_type="application/json", **extra)


@pytest.fixture
def owner_a(store_a: Store):
    return make_member(store_a, Role.OWNER, email="owner@alpha.example")


@pytest.fixture
def make_token(store_a: Store, owner_a) -> Callable[..., str]:
    """A store token's secret: for store A by default, with every API scope unless told otherwise."""

    def make(
        store: Store | None = None, scopes: Iterable[str] = API_SCOPES, name: str = "Integration"
    ) -> str:
        store = store or store_a
        owner = owner_a if store.pk == store_a.pk else make_member(store, Role.OWNER)
        access = staff_access(user=owner, store=store)
        assert access is not None
        return create_store_token(access=access, name=name, scopes=scopes).secret

    return make


@pytest.fixture
def token_a(make_token) -> str:
    return make_token()


@pytest.fixture
def api_a(token_a: str) -> TokenClient:
    return TokenClient(token_a)


def agency_token(agency: Agency, scopes: Iterable[str] = API_SCOPES) -> str:
    return create_agency_token(agency=agency, name="Agency integration", scopes=scopes).secret


@pytest.fixture
def world(store_a, store_b, token_a) -> dict[str, Any]:
    """A few orders and requests in store A (the token's) and B (never reachable)."""
    orders = [make_order(store_a, email=f"buyer{n}@example.com") for n in range(3)]
    requests = [pending_request(store_a, orders[0]), pending_request(store_a, orders[1], kind="reorder")]
    make_order(store_b)
    rule = create_rule(
        store=store_a,
        actor=None,
        values={
            "name": "Hold risky orders",
            "triggers": ["order_created"],
            "conditions": [{"type": "risk_level", "values": ["high"]}],
            "actions": [{"type": "hold"}],
        },
    )
    return {
        "token": token_a,
        "values": {
            "store_slug": store_a.slug,
            "order_id": orders[2].pk,
            "request_id": requests[0].pk,
            "rule_id": rule.pk,
        },
    }


@pytest.fixture
def _keep_the_test_connection():
    """Run the WSGI app as Django's test client does: without closing the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
