"""Fixtures for the fulfilment hold tests: the fake Shopify and stores connected to it."""

from tests.fakeshopify.fixtures import fake_shopify, fake_shopify_server, shopify_store  # noqa: F401
