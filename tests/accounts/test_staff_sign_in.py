"""Staff sign in with a password (and TOTP where enabled); failures are limited and logged."""

import time

import pytest
from allauth.mfa.models import Authenticator

from tenants.models import SecurityEvent
from tenants.roles import Role
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db


def _sign_in(client, email, password, ip="203.0.113.9"):
    return client.post("/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=ip)


def test_staff_sign_in_with_a_password_and_land_in_their_store(client, store_a):
    make_member(store_a, Role.AGENT, email="agent@alpha.example")
    response = _sign_in(client, "agent@alpha.example", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/app/alpha-shop/"
    assert SecurityEvent.objects.filter(kind="signed_in", email="agent@alpha.example").exists()


def test_a_wrong_password_is_refused_and_logged(client, store_a):
    make_member(store_a, Role.AGENT, email="agent@alpha.example")
    response = _sign_in(client, "agent@alpha.example", "not-the-password")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    event = SecurityEvent.objects.get(kind="sign_in_failed")
    assert (event.email, event.ip) == ("agent@alpha.example", "203.0.113.9")


def test_failures_from_one_address_over_its_generous_limit_are_refused_there_only(client, store_a, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed_ip": "10/m/ip"}
    make_member(store_a, Role.AGENT, email="agent@alpha.example")
    for attempt in range(10):
        response = _sign_in(client, f"guess{attempt}@example.com", "wrong-password")
        assert "Too many failed login attempts" not in response.content.decode()
    response = _sign_in(client, "agent@alpha.example", PASSWORD)
    assert response.status_code in (200, 429)
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # another address is not affected
    assert _sign_in(client, "agent@alpha.example", PASSWORD, ip="198.51.100.7").status_code == 302


def test_the_default_limit_per_address_is_generous(client, store_a):
    make_member(store_a, Role.AGENT, email="agent@alpha.example")
    for attempt in range(30):
        _sign_in(client, f"colleague{attempt}@example.com", "mistyped")
    assert _sign_in(client, "agent@alpha.example", PASSWORD).status_code == 302


def test_a_store_that_requires_mfa_sends_staff_without_it_to_set_it_up(client, store_a):
    store_a.require_staff_mfa = True
    store_a.save()
    agent = make_member(store_a, Role.AGENT)
    client.force_login(agent)
    response = client.get("/app/alpha-shop/orders/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate/")
    Authenticator.objects.create(user=agent, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.get("/app/alpha-shop/orders/").status_code == 200


def test_an_idle_staff_session_expires(client, store_a, settings, monkeypatch):
    make_member(store_a, Role.AGENT, email="agent@alpha.example")
    _sign_in(client, "agent@alpha.example", PASSWORD)
    assert client.get("/app/alpha-shop/orders/").status_code == 200
    later = time.time() + settings.STAFF_SESSION_IDLE_SECONDS + 60
    monkeypatch.setattr("portal.accounts.middleware.time.time", lambda: later)
    response = client.get("/app/alpha-shop/orders/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert SecurityEvent.objects.filter(kind="session_expired").exists()


def test_an_active_staff_session_stays(client, store_a, settings, monkeypatch):
    make_member(store_a, Role.AGENT, email="agent@alpha.example")
    _sign_in(client, "agent@alpha.example", PASSWORD)
    start = time.time()
    for step in range(1, 4):
        now = start + step * (settings.STAFF_SESSION_IDLE_SECONDS - 60)
        monkeypatch.setattr("portal.accounts.middleware.time.time", lambda now=now: now)
        assert client.get("/app/alpha-shop/orders/").status_code == 200
