"""GET /shopify/install and /shopify/callback: only Shopify, for the right shop, once, gets a token stored."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from cancellations.models import OAuthState, PlatformConnection
from cancellations.platforms.shopify.connections import SHOPIFY_WEBHOOK_TOPICS
from cancellations.platforms.shopify.signing import query_signature
from tests.factories import make_member
from tests.fakeshopify.fixtures import API_KEY, API_SECRET, make_shopify_store

pytestmark = pytest.mark.django_db


def signed(params: dict[str, str], secret: str = API_SECRET) -> dict[str, str]:
    """Query parameters as Shopify signs them (hex HMAC of the sorted others)."""
    return {**params, "hmac": query_signature(params, secret)}


@pytest.fixture
def new_store(db, fake_shopify):
    """A store on Shopify whose shop has not installed the app yet."""
    return make_shopify_store(fake_shopify, connected=False)


def _install(client, store) -> str:
    """Start an install as Shopify does (a signed request); return the state nonce issued."""
    params = signed({"shop": store.platform_domain, "timestamp": str(int(time.time()))})
    response = client.get("/shopify/install", params)
    assert response.status_code == 302, response.content
    return parse_qs(urlsplit(response["Location"]).query)["state"][0]


def _callback(client, store, state: str, *, code: str | None = None, fake=None, secret: str = API_SECRET):
    params = {
        "code": code or fake.issue_code(store.platform_domain),
        "shop": store.platform_domain,
        "state": state,
        "timestamp": str(int(time.time())),
    }
    return client.get("/shopify/callback", signed(params, secret))


def test_install_sends_the_merchant_to_shopify_to_approve_the_apps_scopes(client, fake_shopify, new_store):
    params = signed({"shop": new_store.platform_domain, "timestamp": str(int(time.time()))})

    response = client.get("/shopify/install", params)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{fake_shopify.url}/shops/{new_store.platform_domain}/admin/oauth/authorize"
    )
    query = parse_qs(location.query)
    assert query["client_id"] == [API_KEY]
    assert query["scope"] == [
        "read_orders,write_orders,write_order_edits,read_products,write_draft_orders,"
        "write_merchant_managed_fulfillment_orders,write_third_party_fulfillment_orders,write_app_proxy,"
        "read_store_credit_accounts,write_store_credit_account_transactions"
    ]
    assert query["redirect_uri"] == ["https://amend.example.com/shopify/callback"]
    # the nonce is stored only as a hash
    state = query["state"][0]
    assert len(state) > 30
    stored = OAuthState.objects.for_store(new_store).get()
    assert stored.nonce_hash != state and stored.used_at is None


def test_the_callback_stores_the_token_encrypted_subscribes_webhooks_and_shows_no_secret(
    client, fake_shopify, new_store, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    state = _install(client, new_store)

    with django_capture_on_commit_callbacks(execute=True):
        response = _callback(client, new_store, state, fake=fake_shopify)
    shop = fake_shopify.shops[new_store.platform_domain]
    token, refresh_token = shop.token, shop.refresh_token

    assert response.status_code == 302
    assert response["Location"] == f"/app/{new_store.slug}/"
    connection = PlatformConnection.objects.for_store(new_store).get()
    assert connection.is_active and connection.shop_domain == new_store.platform_domain
    assert connection.access_token == token
    assert token not in connection.access_token_encrypted
    # an expiring token (about an hour) with its refresh token, stored encrypted the same way
    assert refresh_token.startswith("shprt_") and connection.refresh_token == refresh_token
    assert refresh_token not in connection.refresh_token_encrypted
    assert connection.access_token_expires_at is not None
    assert timedelta(minutes=55) < connection.access_token_expires_at - timezone.now() <= timedelta(hours=1)
    assert connection.refresh_token_expires_at - timezone.now() > timedelta(days=89)
    assert "write_orders" in connection.scopes
    assert connection.api_version == "2026-07"
    subscribed = {topic for topic, _ in fake_shopify.shops[new_store.platform_domain].subscriptions}
    assert subscribed == set(SHOPIFY_WEBHOOK_TOPICS)
    assert token not in response.content.decode() and token not in str(response.headers)
    assert all(token not in record.getMessage() for record in caplog.records)
    assert all(refresh_token not in record.getMessage() for record in caplog.records)


def test_a_callback_with_a_forged_hmac_is_refused_and_stores_nothing(client, fake_shopify, new_store):
    state = _install(client, new_store)

    response = _callback(client, new_store, state, fake=fake_shopify, secret="someone-elses-secret")

    assert response.status_code == 400
    assert PlatformConnection.objects.for_store(new_store).count() == 0


def test_a_replayed_state_is_refused(client, fake_shopify, new_store):
    state = _install(client, new_store)
    assert _callback(client, new_store, state, fake=fake_shopify).status_code == 302
    PlatformConnection.objects.for_store(new_store).delete()

    replay = _callback(client, new_store, state, fake=fake_shopify)

    assert replay.status_code == 400
    assert b"not valid" in replay.content
    assert PlatformConnection.objects.for_store(new_store).count() == 0


def test_a_state_issued_for_one_shop_cannot_connect_another(client, fake_shopify, new_store):
    # given an install started for a victim's shop, and an attacker's own (also signed) callback
    state = _install(client, new_store)
    attacker = make_shopify_store(fake_shopify, connected=False)

    response = _callback(client, attacker, state, fake=fake_shopify)

    assert response.status_code == 400
    assert PlatformConnection.objects.for_store(attacker).count() == 0
    assert PlatformConnection.objects.for_store(new_store).count() == 0


def test_a_state_from_another_browser_is_refused(client, fake_shopify, new_store, django_user_model):
    state = _install(client, new_store)
    client.cookies.clear()  # a different browser: no session holding this nonce

    response = _callback(client, new_store, state, fake=fake_shopify)

    assert response.status_code == 400
    assert PlatformConnection.objects.for_store(new_store).count() == 0


def test_an_expired_state_is_refused(client, fake_shopify, new_store):
    state = _install(client, new_store)
    OAuthState.objects.for_store(new_store).update(created_at=timezone.now() - timedelta(minutes=11))

    assert _callback(client, new_store, state, fake=fake_shopify).status_code == 400


def test_a_code_shopify_does_not_accept_is_refused(client, fake_shopify, new_store):
    state = _install(client, new_store)

    response = _callback(client, new_store, state, code="made-up-code", fake=fake_shopify)

    assert response.status_code == 400
    assert PlatformConnection.objects.for_store(new_store).count() == 0


def test_too_few_granted_scopes_are_refused(client, fake_shopify, new_store, settings):
    settings.SHOPIFY_SCOPES = [*settings.SHOPIFY_SCOPES, "read_customers"]
    state = _install(client, new_store)

    response = _callback(client, new_store, state, fake=fake_shopify)

    assert response.status_code == 400
    assert b"read_customers" in response.content
    assert PlatformConnection.objects.for_store(new_store).count() == 0


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"shop": "not a shop"}, 400),
        ({"shop": "evil.example.com"}, 400),
        ({"shop": "nobody-here.myshopify.com"}, 404),
    ],
)
def test_install_refuses_what_is_not_a_known_shopify_shop(client, fake_shopify, params, status):
    assert client.get("/shopify/install", signed(params)).status_code == status


def test_install_with_a_forged_hmac_is_refused(client, fake_shopify, new_store):
    params = signed({"shop": new_store.platform_domain, "timestamp": "1"}, secret="forged")
    assert client.get("/shopify/install", params).status_code == 400
    assert OAuthState.objects.for_store(new_store).count() == 0


def test_install_not_from_shopify_needs_an_administrator_of_the_store(
    client, fake_shopify, new_store, store_b
):
    plain = {"shop": new_store.platform_domain}
    assert client.get("/shopify/install", plain).status_code == 403

    agent = make_member(new_store, "agent")
    client.force_login(agent)
    assert client.get("/shopify/install", plain).status_code == 403

    outsider = make_member(store_b, "owner")
    client.force_login(outsider)
    assert client.get("/shopify/install", plain).status_code == 403

    owner = make_member(new_store, "owner")
    client.force_login(owner)
    assert client.get("/shopify/install", plain).status_code == 302


def test_without_shopify_credentials_install_says_it_is_not_configured(
    client, fake_shopify, new_store, settings
):
    settings.SHOPIFY_API_SECRET = ""
    response = client.get("/shopify/install", {"shop": new_store.platform_domain})
    assert response.status_code == 503
