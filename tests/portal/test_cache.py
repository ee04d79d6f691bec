"""The shared cache: Redis when CACHE_URL names it (one client per pool), sessions read from it."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.core.cache import cache

pytestmark = pytest.mark.skipif(
    not settings.CACHE_URL, reason="CACHE_URL is unset: the cache is PostgreSQL's (set a Redis URL to test)"
)


def test_the_cache_answers_and_each_pool_keeps_one_client():
    assert cache.add("amend-test:add", 1, timeout=5)
    assert not cache.add("amend-test:add", 2, timeout=5)
    assert cache.get("amend-test:add") == 1
    cache.delete("amend-test:add")
    client = cache._cache  # type: ignore[attr-defined]  # the backend's client, private in Django
    assert client.get_client(write=True) is client.get_client(write=True)


def test_threads_share_the_client_safely():
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                cache.set(f"amend-test:{n}:{i}", i, timeout=5)
                assert cache.get(f"amend-test:{n}:{i}") == i
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []


@pytest.mark.django_db
def test_a_signed_in_session_is_in_the_cache_and_in_postgresql(client):
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX
    from django.contrib.sessions.models import Session

    from tests.factories import make_user

    client.force_login(make_user("cached@example.com"))
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    assert cache.get(KEY_PREFIX + key) is not None  # what a page reads
    assert Session.objects.filter(session_key=key).exists()  # what survives a flushed cache
    cache.delete(KEY_PREFIX + key)
    assert client.get("/s/nowhere/").status_code == 404  # still answers, reading PostgreSQL
    assert cache.get(KEY_PREFIX + key) is not None  # and the cache has it again
