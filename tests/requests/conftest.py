"""Fixtures for the request tests: quick retry timings, and the fake Shopify."""

from __future__ import annotations

import pytest

from tests.fakeshopify.fixtures import fake_shopify, fake_shopify_server, shopify_store  # noqa: F401


@pytest.fixture(autouse=True)
def _quick_retries(settings):
    settings.REQUEST_RETRY_BASE_SECONDS = 0.01
    settings.REQUEST_RETRY_MAX_SECONDS = 0.05
    settings.REQUEST_JOB_POLL_SECONDS = 0.01
    settings.REQUEST_JOB_FIRST_POLL_MS = 10
