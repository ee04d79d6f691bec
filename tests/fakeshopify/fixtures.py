"""Fixtures for tests that talk to the fake Shopify: import them into a conftest."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache

from cancellations.platforms.shopify.client import bucket_key
from cancellations.platforms.shopify.connections import connect_shopify
from cancellations.platforms.shopify.tokens import read_grant
from tenants.models import Store
from tests.factories import make_store
from tests.fakeshopify.server import FakeShopify

API_KEY = "amend-test-key"
API_SECRET = "shpss_amendtest0123456789abcdef0123456789"
SCOPES = [
    "read_products",
    "write_draft_orders",
    "write_order_edits",
    "write_orders",
    "write_merchant_managed_fulfillment_orders",
    "write_third_party_fulfillment_orders",
    "write_app_proxy",
    "read_store_credit_accounts",
    "write_store_credit_account_transactions",
]


@pytest.fixture(scope="session")
def fake_shopify_server():
    server = FakeShopify(api_key=API_KEY, api_secret=API_SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def fake_shopify(settings, fake_shopify_server):
    """The fake Shopify, with this Amend configured as its app."""
    settings.SHOPIFY_API_KEY = API_KEY
    settings.SHOPIFY_API_SECRET = API_SECRET
    settings.SHOPIFY_API_PREVIOUS_SECRET = ""
    settings.SHOPIFY_API_ORIGIN = fake_shopify_server.origin
    settings.SITE_URL = "https://amend.example.com"
    fake_shopify_server.job_ticks = 1
    fake_shopify_server.clock_offset = 0.0
    fake_shopify_server.enforce_expiring_tokens = False
    fake_shopify_server.bulk_polls = 1
    fake_shopify_server.bulk_concurrency = 5
    return fake_shopify_server


def make_shopify_store(
    fake: FakeShopify, *, connected: bool = True, expiring: bool = False, **fields
) -> Store:
    """A store on the fake Shopify; connected with a legacy token, or `expiring` with a refresh token."""
    domain = f"shop-{uuid.uuid4().hex[:10]}.myshopify.com"
    store = make_store(platform="shopify", platform_domain=domain, **fields)
    shop = fake.add_shop(domain)
    cache.delete(bucket_key(domain))
    if connected and expiring:
        connect_shopify(store=store, shop=domain, grant=read_grant(fake.issue_expiring(domain)))
    elif connected:
        connect_shopify(store=store, shop=domain, access_token=shop.token, scopes=SCOPES)
    return store


@pytest.fixture
def shopify_store(db, fake_shopify) -> Store:
    """A store on Shopify, connected to its shop on the fake Shopify."""
    return make_shopify_store(fake_shopify)
