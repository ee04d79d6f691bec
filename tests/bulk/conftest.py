"""Fixtures for the bulk cancellation tests: staff of store A, orders, quick timings, the fake Shopify."""

from __future__ import annotations

import pytest

from tests.fakeshopify.fixtures import fake_shopify, fake_shopify_server, shopify_store  # noqa: F401


@pytest.fixture(autouse=True)
def _quick_bulk(settings):
    # One thread unless a test asks for more: the test's own transaction is invisible to other threads.
    settings.BULK_CANCEL_CONCURRENCY = 1
    settings.BULK_CANCEL_BUILTIN_RATE = 1000
    settings.BULK_CANCEL_BATCH_SIZE = 10
    settings.BULK_CANCEL_CONFIRM_DELAY_SECONDS = 0
    settings.REQUEST_RETRY_BASE_SECONDS = 0.01
    settings.REQUEST_RETRY_MAX_SECONDS = 0.05
