"""Password guessing is slowed per account and address; the owner is never locked out.

allauth's default locks an account after five failures, the right password too; Amend instead makes
the guessing address wait longer after each failure (portal/accounts/throttle.py).
"""

import pytest
from django.test import RequestFactory

from portal.client_ip import client_ip
from tenants.roles import Role
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
TOO_MANY = "Too many failed login attempts"


class Clock:
    def __init__(self, monkeypatch, start: float = 1_900_000_000.0) -> None:
        self.now = start
        monkeypatch.setattr("portal.accounts.throttle.time.time", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _sign_in(client, email, password, ip):
    return client.post("/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=ip)


@pytest.fixture
def agent(store_a):
    return make_member(store_a, Role.AGENT, email="agent@alpha.example")


def _guess_50_times(client, clock) -> None:
    """Fifty real guesses: the attacker waits out each delay, so every one reaches the password check."""
    for attempt in range(50):
        response = _sign_in(client, "agent@alpha.example", f"guess-{attempt}", ATTACKER)
        assert response.status_code == 200
        assert "not correct" in response.content.decode(), attempt
        clock.advance(15 * 60 + 1)


def test_after_50_guesses_the_owner_signs_in_at_once_from_their_own_address(client, agent, monkeypatch):
    """A different address: the attacker's failures do not slow it at all."""
    clock = Clock(monkeypatch)
    _guess_50_times(client, clock)
    assert _sign_in(client, "agent@alpha.example", "guess-51", ATTACKER).status_code == 200
    owner = client.__class__()
    response = _sign_in(owner, "agent@alpha.example", PASSWORD, OWNER)
    assert response.status_code == 302
    assert response["Location"] == "/app/alpha-shop/"


def test_after_50_guesses_the_right_password_works_from_that_address_after_the_wait(
    client, agent, monkeypatch
):
    """The same address as the attacker (a shared network): the right password works once the wait is over."""
    clock = Clock(monkeypatch)
    _guess_50_times(client, clock)
    _sign_in(client, "agent@alpha.example", "guess-51", ATTACKER)
    refused = _sign_in(client, "agent@alpha.example", PASSWORD, ATTACKER)
    assert TOO_MANY in refused.content.decode()
    clock.advance(15 * 60 + 1)
    assert _sign_in(client, "agent@alpha.example", PASSWORD, ATTACKER).status_code == 302


def test_guessing_is_slowed_down(client, agent, monkeypatch):
    clock = Clock(monkeypatch)
    for attempt in range(5):
        response = _sign_in(client, "agent@alpha.example", f"guess-{attempt}", ATTACKER)
        assert "not correct" in response.content.decode()
    # the sixth failure makes the next try wait a second, the seventh two, ...
    assert "not correct" in _sign_in(client, "agent@alpha.example", "guess-5", ATTACKER).content.decode()
    assert TOO_MANY in _sign_in(client, "agent@alpha.example", "guess-6", ATTACKER).content.decode()
    clock.advance(1.5)
    assert "not correct" in _sign_in(client, "agent@alpha.example", "guess-6", ATTACKER).content.decode()
    clock.advance(1.5)
    assert TOO_MANY in _sign_in(client, "agent@alpha.example", "guess-7", ATTACKER).content.decode()
    # a refused try never reaches the password check: even the right password waits
    assert TOO_MANY in _sign_in(client, "agent@alpha.example", PASSWORD, ATTACKER).content.decode()
    assert "_auth_user_id" not in client.session


def test_the_51st_guess_right_after_the_50th_is_refused(client, agent, monkeypatch):
    clock = Clock(monkeypatch)
    _guess_50_times(client, clock)
    clock.advance(-(15 * 60 + 1))  # back to just after the 50th failure
    assert TOO_MANY in _sign_in(client, "agent@alpha.example", "guess-51", ATTACKER).content.decode()


def test_a_password_reset_clears_the_wait(client, agent, monkeypatch):
    from allauth.account.adapter import get_adapter

    clock = Clock(monkeypatch)
    for attempt in range(8):
        _sign_in(client, "agent@alpha.example", f"guess-{attempt}", ATTACKER)
    assert TOO_MANY in _sign_in(client, "agent@alpha.example", PASSWORD, ATTACKER).content.decode()
    request = RequestFactory().post("/accounts/password/reset/key/", REMOTE_ADDR=ATTACKER)
    get_adapter(request)._delete_login_attempts_cached_email(request, email="agent@alpha.example")
    clock.advance(0)
    assert _sign_in(client, "agent@alpha.example", PASSWORD, ATTACKER).status_code == 302


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "10.0.0.5"),  # no trusted proxy: the header is anyone's to send
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's own entry is not believed
        (2, "6.6.6.6, 198.51.100.1, 172.16.0.9", "198.51.100.1"),
        (2, "198.51.100.1", "198.51.100.1"),  # fewer hops than proxies: all were added by ours
        (1, "not-an-address", "10.0.0.5"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
    ],
)
def test_the_client_address_honours_the_trusted_proxy_count(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_behind_one_proxy_the_throttle_counts_each_client_apart(client, agent, settings, monkeypatch):
    settings.TRUSTED_PROXY_COUNT = 1
    Clock(monkeypatch)
    for attempt in range(8):
        client.post(
            "/accounts/login/",
            {"login": "agent@alpha.example", "password": f"guess-{attempt}"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=ATTACKER,
        )
    response = client.post(
        "/accounts/login/",
        {"login": "agent@alpha.example", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=f"{ATTACKER}, {OWNER}",  # a forged first entry, then the proxy's own
    )
    assert response.status_code == 302
