"""Fixtures for the rule tests: quick request retries, and the fake Shopify for risk webhooks."""

from __future__ import annotations

import pytest

from tests.fakeshopify.fixtures import fake_shopify, fake_shopify_server, shopify_store  # noqa: F401


@pytest.fixture(autouse=True)
def _quick_retries(settings):
    settings.REQUEST_RETRY_BASE_SECONDS = 0.01
    settings.REQUEST_RETRY_MAX_SECONDS = 0.05
    settings.REQUEST_JOB_POLL_SECONDS = 0.01
