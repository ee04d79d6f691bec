"""Fixtures for the merchant pages: the fake Shopify, for pages about a Shopify connection."""

from tests.fakeshopify.fixtures import fake_shopify, fake_shopify_server, shopify_store  # noqa: F401
