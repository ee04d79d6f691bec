"""Fixtures shared by every test."""

from __future__ import annotations

import pytest

from portal.celery import app as celery_app


@pytest.fixture(autouse=True, scope="session")
def _celery_runs_tasks_inline():
    """Unit tests run tasks in-process; tests marked `worker` use a real worker instead."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _webhook_wake_inline(settings):
    """A delivery wakes the inbox before its answer, so an inline task runs in the test's transaction
    (tests/integrations/test_webhook_wake_relay.py tests the relay thread production uses)."""
    settings.WEBHOOK_INBOX_WAKE_RELAY = False


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """Rate limits and cached look-ups live in the shared cache (Redis in CI): start each test clean.

    The database cache needs no clearing: each test's transaction is rolled back, cache rows with it.
    """
    from django.core.cache import cache

    if "DatabaseCache" not in settings.CACHES["default"]["BACKEND"]:
        cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; a deliberately slow hash would only slow them down."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def store_a(db):
    from tests.factories import make_store

    return make_store("alpha-shop", name="Alpha Shop", locale="en", currency="USD")


@pytest.fixture
def store_b(db):
    """The other store: every test that reads store A's data should make sure none of this leaks."""
    from tests.factories import make_store

    return make_store(
        "bravo-shop", name="Bravo Butik", locale="sv", currency="SEK", timezone="Europe/Stockholm"
    )
