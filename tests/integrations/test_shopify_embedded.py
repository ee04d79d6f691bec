"""/shopify/admin/: the merchant app inside the Shopify admin, let in by session tokens only.

What a merchant checks: opening Amend from the admin shows the queue without signing in again; the
shop's owner installs it by opening it; a staff member not on the team is told what to do; a decision
sent with the session token is carried out; another shop's request is not found.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cancellations.models import PlatformConnection, RequestStatus
from tenants.models import Membership, Store
from tenants.roles import Role
from tests.factories import make_member, make_order
from tests.fakeshopify.fixtures import API_KEY, make_shopify_store
from tests.requests.helpers import pending_request

pytestmark = pytest.mark.django_db

HOME = "/shopify/admin/"
OTHER_SECRET = "shpss_another-apps-secret-0123456789abcdef"
EXPIRED = {"exp": 1_600_000_000, "nbf": 1_599_999_000}


def open_app(client, fake, shop: str, *, sub: str = "42", token: str | None = None, **extra: str):
    """A page load as Shopify makes it when a staff member opens the app in the admin."""
    params = {
        "embedded": "1",
        "shop": shop,
        "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvZXhhbXBsZQ",
        "id_token": fake.session_token(shop, sub=sub) if token is None else token,
        **extra,
    }
    return client.get(HOME, params)


def decide(client, fake, shop: str, request_id: int, action: str = "approve", *, sub: str = "42", **body):
    token = fake.session_token(shop, sub=sub)
    return client.post(
        f"/shopify/admin/requests/{request_id}/{action}",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def staff_store(fake, role: str = Role.AGENT, *, email: str = "sam@shop.example", sub: str = "42", **kw):
    """A connected store whose Shopify staff member `sub` is on the team with `role`."""
    store = make_shopify_store(fake, **kw)
    fake.add_staff(store.platform_domain, sub, email=email)
    make_member(store, role, email=email)
    return store


# --- tenancy first -----------------------------------------------------------------------------


def test_a_session_token_of_another_shop_cannot_decide_or_see_this_stores_requests(client, fake_shopify):
    store_a = staff_store(fake_shopify, email="ann@alpha.example")
    store_b = staff_store(fake_shopify, Role.OWNER, email="bob@bravo.example")
    request_a = pending_request(store_a, make_order(store_a, name="#A-1"))

    response = decide(client, fake_shopify, store_b.platform_domain, request_a.pk)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    request_a.refresh_from_db()
    assert request_a.status == RequestStatus.PENDING_REVIEW

    page = open_app(client, fake_shopify, store_b.platform_domain)
    assert page.status_code == 200
    assert "#A-1" not in page.content.decode()
    assert f"requests/{request_a.pk}/approve" not in page.content.decode()


def test_the_store_comes_from_the_verified_token_not_from_the_shop_in_the_address(client, fake_shopify):
    store_a = staff_store(fake_shopify, email="ann@alpha.example")
    pending_request(store_a, make_order(store_a, name="#A-7"))
    store_b = staff_store(fake_shopify, email="bob@bravo.example")

    # Store B's staff member edits the address to name shop A: the token still says shop B.
    token = fake_shopify.session_token(store_b.platform_domain, sub="42")
    page = open_app(client, fake_shopify, store_a.platform_domain, token=token)
    assert page.status_code == 200
    assert "#A-7" not in page.content.decode()
    assert store_b.name in page.content.decode()


# --- opening the app ---------------------------------------------------------------------------


def test_staff_on_the_team_see_the_queue_without_signing_in(client, fake_shopify):
    store = staff_store(fake_shopify, email="sam@shop.example")
    request = pending_request(store, make_order(store, name="#1001", email="ann@example.com"))

    response = open_app(client, fake_shopify, store.platform_domain)

    assert response.status_code == 200
    body = response.content.decode()
    assert "1 request waiting for review" in body
    assert f"Cancellation #{request.pk}" in body
    assert "#1001" in body and "ann@example.com" in body
    # App Bridge from Shopify's CDN, with this app's client id; framed by this shop's admin only.
    assert '<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>' in body
    assert f'<meta name="shopify-api-key" content="{API_KEY}">' in body
    csp = response["Content-Security-Policy"]
    assert f"frame-ancestors https://{store.platform_domain} https://admin.shopify.com" in csp
    assert "'none'" not in csp.split("frame-ancestors")[1]
    assert "script-src 'self' https://cdn.shopify.com" in csp
    assert "X-Frame-Options" not in response
    assert "sessionid" not in response.cookies  # nothing rests on a cookie


def test_other_pages_still_refuse_to_be_framed(client, fake_shopify):
    store = staff_store(fake_shopify)
    response = client.get(f"/app/{store.slug}/queue/")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    # Shopify's CDN may serve product pictures everywhere, but App Bridge's script only on embedded pages.
    directives = dict(d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
    assert "cdn.shopify.com" not in directives["script-src"]
    assert "App Bridge" not in response.content.decode() and "app-bridge.js" not in response.content.decode()


def test_the_staff_member_is_asked_of_shopify_once_then_remembered(client, fake_shopify):
    store = staff_store(fake_shopify)
    shop = fake_shopify.shops[store.platform_domain]

    assert open_app(client, fake_shopify, store.platform_domain).status_code == 200
    assert open_app(client, fake_shopify, store.platform_domain).status_code == 200

    assert shop.exchanges == ["urn:shopify:params:oauth:token-type:online-access-token"]


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="missing"),
        pytest.param("not-a-jwt", id="garbage"),
        pytest.param("expired", id="expired"),
        pytest.param("forged", id="forged"),
    ],
)
def test_a_page_load_without_a_valid_session_token_bounces_to_get_one(client, fake_shopify, token):
    store = staff_store(fake_shopify)
    shop = store.platform_domain
    if token == "expired":
        token = fake_shopify.session_token(shop, sub="42", **EXPIRED)
    elif token == "forged":
        token = fake_shopify.session_token(shop, sub="42", secret=OTHER_SECRET)

    response = open_app(client, fake_shopify, shop, token=token, locale="sv")

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/shopify/admin/bounce"
    query = parse_qs(location.query)
    assert query["shop"] == [shop]
    reload = query["shopify-reload"][0]
    assert reload.startswith("/shopify/admin/?") and "id_token" not in reload and "locale=sv" in reload

    bounce = client.get(response["Location"])
    assert bounce.status_code == 200
    assert "https://cdn.shopify.com/shopifycloud/app-bridge.js" in bounce.content.decode()
    assert f"frame-ancestors https://{shop} https://admin.shopify.com" in bounce["Content-Security-Policy"]


def test_the_bounce_page_reloads_only_amends_embedded_pages(client, fake_shopify):
    response = client.get("/shopify/admin/bounce", {"shopify-reload": "https://evil.example/x"})
    assert response.status_code == 200
    assert "evil.example" not in response.content.decode()
    assert response["Content-Security-Policy"].endswith("frame-ancestors https://admin.shopify.com")


def test_a_staff_member_not_on_the_team_is_told_whom_to_ask(client, fake_shopify):
    store = make_shopify_store(fake_shopify, name="Nordic Socks")
    fake_shopify.add_staff(store.platform_domain, "77", email="new@shop.example")

    response = open_app(client, fake_shopify, store.platform_domain, sub="77")

    assert response.status_code == 403
    body = response.content.decode()
    assert "You are not on Nordic Socks&#x27;s team in Amend" in body
    assert "new@shop.example" in body
    assert not Membership.objects.for_store(store).filter(user__email="new@shop.example").exists()


def test_an_unverified_shopify_email_is_not_matched_to_anyone(client, fake_shopify):
    store = staff_store(fake_shopify, Role.OWNER, email="owner@shop.example")
    fake_shopify.add_staff(store.platform_domain, "42", email="owner@shop.example", email_verified=False)

    response = open_app(client, fake_shopify, store.platform_domain)

    assert response.status_code == 403
    assert "email address is not verified" in response.content.decode()


def test_a_store_that_requires_two_factor_lets_in_staff_shopify_signed_in(client, fake_shopify):
    # Shopify's sign-in is the authentication here; a second sign-in inside the admin is not asked.
    store = staff_store(fake_shopify, require_staff_mfa=True)
    response = open_app(client, fake_shopify, store.platform_domain)
    assert response.status_code == 200


# --- managed installation ----------------------------------------------------------------------


def test_the_shop_owner_installs_amend_by_opening_it(
    client, fake_shopify, django_capture_on_commit_callbacks
):
    domain = "nordic-socks.myshopify.com"
    fake_shopify.add_shop(domain)
    fake_shopify.add_staff(domain, "9", email="owner@nordic.example", account_owner=True, first_name="Olle")

    with django_capture_on_commit_callbacks() as callbacks:
        response = open_app(client, fake_shopify, domain, sub="9")

    assert response.status_code == 200
    assert "Nothing is waiting for review." in response.content.decode()
    store = Store.objects.get(platform_domain=domain)
    assert (store.slug, store.name, store.platform) == ("nordic-socks", "Nordic Socks", "shopify")
    owner = Membership.objects.for_store(store).get()
    assert (owner.user.email, owner.role) == ("owner@nordic.example", Role.OWNER)
    assert owner.user.emailaddress_set.get().verified
    connection = PlatformConnection.objects.for_store(store).get()
    assert connection.is_active and connection.refresh_token_encrypted  # an expiring offline token
    assert connection.access_token == fake_shopify.shops[domain].token
    assert connection.access_token_expires_at is not None
    assert len(callbacks) == 1  # webhooks and the order backfill, queued after commit


def test_a_staff_member_cannot_install_for_a_shop_amend_does_not_know(client, fake_shopify):
    domain = "unknown-shop.myshopify.com"
    fake_shopify.add_shop(domain)
    fake_shopify.add_staff(domain, "5", email="clerk@unknown.example")

    response = open_app(client, fake_shopify, domain, sub="5")

    assert response.status_code == 404
    assert "Ask the shop&#x27;s owner to open Amend" in response.content.decode()
    assert not Store.objects.filter(platform_domain=domain).exists()


def test_opening_the_app_reconnects_an_uninstalled_store(client, fake_shopify):
    store = staff_store(fake_shopify)
    PlatformConnection.objects.for_store(store).update(status=PlatformConnection.Status.UNINSTALLED)

    assert open_app(client, fake_shopify, store.platform_domain).status_code == 200

    connection = PlatformConnection.objects.for_store(store).get()
    assert connection.status == PlatformConnection.Status.ACTIVE
    assert connection.refresh_token_encrypted
    assert "urn:shopify:params:oauth:token-type:offline-access-token" in (
        fake_shopify.shops[store.platform_domain].exchanges
    )


def test_the_shop_owner_joins_an_existing_store_as_its_owner(client, fake_shopify):
    store = make_shopify_store(fake_shopify)
    fake_shopify.add_staff(store.platform_domain, "1", email="boss@shop.example", account_owner=True)

    assert open_app(client, fake_shopify, store.platform_domain, sub="1").status_code == 200

    membership = Membership.objects.for_store(store).get(user__email="boss@shop.example")
    assert membership.role == Role.OWNER


# --- deciding ----------------------------------------------------------------------------------


def test_staff_approve_with_the_session_token(client, fake_shopify):
    store = staff_store(fake_shopify, email="sam@shop.example")
    request = pending_request(store, make_order(store))

    response = decide(client, fake_shopify, store.platform_domain, request.pk)

    assert response.status_code == 200, response.content
    assert response.json() == {"status": "approved", "message": "Approved. The change is being carried out."}
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert request.decided_by_label == "sam@shop.example"


def test_staff_reject_with_a_reason_and_are_asked_for_one(client, fake_shopify):
    store = staff_store(fake_shopify)
    request = pending_request(store, make_order(store))

    missing = decide(client, fake_shopify, store.platform_domain, request.pk, "reject", message=" ")
    assert missing.status_code == 400
    assert missing.json() == {"code": "message_required", "detail": "Tell the customer why."}

    done = decide(
        client, fake_shopify, store.platform_domain, request.pk, "reject", message="Already shipped"
    )
    assert done.status_code == 200
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED


def test_a_viewer_cannot_decide(client, fake_shopify):
    store = staff_store(fake_shopify, Role.VIEWER)
    request = pending_request(store, make_order(store))

    response = decide(client, fake_shopify, store.platform_domain, request.pk)

    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING_REVIEW


def test_a_decision_without_a_valid_token_asks_for_a_new_one(client, fake_shopify):
    store = staff_store(fake_shopify)
    request = pending_request(store, make_order(store))
    expired = fake_shopify.session_token(store.platform_domain, sub="42", **EXPIRED)

    for authorization in ("", "Bearer ", f"Bearer {expired}", "Basic abc"):
        response = client.post(
            f"/shopify/admin/requests/{request.pk}/approve",
            {},
            content_type="application/json",
            HTTP_AUTHORIZATION=authorization,
        )
        assert response.status_code == 401
        assert response["X-Shopify-Retry-Invalid-Session-Request"] == "1"
        assert response.json()["code"] == "session_token_invalid"
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING_REVIEW


def test_a_decision_already_made_says_by_whom(client, fake_shopify):
    store = staff_store(fake_shopify, email="sam@shop.example")
    fake_shopify.add_staff(store.platform_domain, "43", email="kim@shop.example")
    make_member(store, Role.AGENT, email="kim@shop.example")
    request = pending_request(store, make_order(store))
    assert decide(client, fake_shopify, store.platform_domain, request.pk, sub="43").status_code == 200

    response = decide(client, fake_shopify, store.platform_domain, request.pk, "reject", message="No")

    assert response.status_code == 409
    assert response.json()["detail"].startswith("Already decided by kim@shop.example (approved)")


# --- the fake Shopify's token exchange ---------------------------------------------------------


def _exchange(fake, shop: str, subject: str, requested: str = "online") -> httpx.Response:
    return httpx.post(
        f"{fake.url}/shops/{shop}/admin/oauth/access_token",
        json={
            "client_id": fake.api_key,
            "client_secret": fake.api_secret,
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": subject,
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
            "requested_token_type": f"urn:shopify:params:oauth:token-type:{requested}-access-token",
        },
    )


def test_the_fake_refuses_a_session_token_for_another_shop_or_expired_or_forged(fake_shopify):
    fake_shopify.add_shop("one-shop.myshopify.com")
    fake_shopify.add_shop("two-shop.myshopify.com")
    fake_shopify.add_staff("one-shop.myshopify.com", "42", email="a@one.example")
    refused = {
        "error": "invalid_subject_token",
        "error_description": "Token exchange cannot be performed due to an invalid subject.",
    }
    for subject in (
        fake_shopify.session_token("two-shop.myshopify.com", sub="42"),
        fake_shopify.session_token("one-shop.myshopify.com", sub="42", exp=1_600_000_000),
        fake_shopify.session_token("one-shop.myshopify.com", sub="42", secret=OTHER_SECRET),
    ):
        response = _exchange(fake_shopify, "one-shop.myshopify.com", subject)
        assert (response.status_code, response.json()) == (400, refused)

    online = _exchange(
        fake_shopify, "one-shop.myshopify.com", fake_shopify.session_token("one-shop.myshopify.com")
    )
    assert online.status_code == 200
    assert online.json()["associated_user"]["email"] == "a@one.example"
    assert online.json()["expires_in"] == 86399
