"""The Shopify extensions' endpoints: only a valid session token of the order's own customer acts.

An expired, not yet valid, other-app, forged, unknown-shop, anonymous or staff token is a 401 that
shows nothing; another customer's order, or another store's, is a 404; CORS answers the extensions'
origin only.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cancellations.models import Order, OrderRequest
from cancellations.policy import StorePolicy, Window, WindowKind
from cancellations.policy.services import save_policy
from tests.factories import make_order, make_store

ORIGIN = "https://extensions.shopifycdn.com"
CUSTOMER = "7001"
OTHER_CUSTOMER = "7002"


@pytest.fixture
def shop_a(db, fake_shopify):
    store = make_store("ext-alpha", platform="shopify", platform_domain="ext-alpha.myshopify.com")
    save_policy(
        store=store,
        actor=None,
        policy=replace(
            StorePolicy(), cancel=replace(StorePolicy().cancel, window=Window(WindowKind.MINUTES, 60))
        ),
    )
    return store


@pytest.fixture
def shop_b(db, fake_shopify):
    return make_store("ext-bravo", platform="shopify", platform_domain="ext-bravo.myshopify.com")


def shopify_order(store, number: int, customer: str | None = CUSTOMER, **fields) -> Order:
    order = make_order(store, **fields)
    order.platform_id = f"gid://shopify/Order/{number}"
    order.customer_id = f"gid://shopify/Customer/{customer}" if customer else ""
    order.save(update_fields=["platform_id", "customer_id"])
    return order


@pytest.fixture
def order_a(shop_a) -> Order:
    return shopify_order(shop_a, 5551)


def call(token: str | None, path: str, *, method: str = "get", data=None, origin: str = ORIGIN, **headers):
    extra = {"HTTP_ORIGIN": origin, **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}}
    if token is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    client = Client()
    if method == "post":
        return client.post(path, data or {}, content_type="application/json", **extra)
    return client.generic(method.upper(), path, **extra)


def token_for(fake, store, customer: str = CUSTOMER, **overrides) -> str:
    if "sub" in overrides:
        customer = overrides.pop("sub") or ""
    return fake.session_token(store.platform_domain, sub=customer, kind="customer", **overrides)


ORDER = "/api/v1/shopify/extension/orders/{}/"
CANCEL = "/api/v1/shopify/extension/orders/{}/cancel/"
THANK_YOU = "/api/v1/shopify/extension/orders/{}/thank-you/"


# --- who may call ---------------------------------------------------------------------------------


def test_the_customers_own_token_shows_what_the_policy_allows(fake_shopify, shop_a, order_a):
    response = call(token_for(fake_shopify, shop_a), ORDER.format(5551))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["order"] == {
        "id": "gid://shopify/Order/5551",
        "name": order_a.name,
        "currency": order_a.currency,
        "total": str(order_a.total),
        "cancelled": False,
    }
    assert body["can_act"] is body["can_change"] is True
    cancel = body["cancel"]
    assert cancel["available"] is True
    closes = datetime.fromisoformat(cancel["until"])
    assert abs(closes - (order_a.placed_at + timedelta(minutes=60))) < timedelta(seconds=1)
    assert {"code": "changed_mind", "label": "I changed my mind"} in cancel["reason_choices"]
    assert cancel["reasons"] == []
    assert cancel["refund"]["amount"] == str(order_a.total)
    assert "/o/" in body["portal_url"] and shop_a.slug in body["portal_url"]
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"exp": 1}, "expired"),
        ({"nbf": 10**10}, "not yet valid"),
        ({"aud": "another-app"}, "for another app"),
        ({"secret": "shpss_nottheappsecret0123456789abcdef0123"}, "signed with another secret"),
        ({"dest": "someone-else.myshopify.com"}, "for a shop Amend does not serve"),
        ({"sub": None}, "an anonymous buyer"),
        ({"sub": "gid://shopify/StaffMember/42"}, "someone who is not a customer"),
    ],
)
def test_a_bad_token_is_a_401_that_shows_nothing(fake_shopify, shop_a, order_a, overrides, why):
    for path in (ORDER.format(5551), THANK_YOU.format(5551)):
        response = call(token_for(fake_shopify, shop_a, **overrides), path)

        assert response.status_code == 401, why
        body = response.json()
        assert body["code"] == "session_token_invalid"
        assert body["type"] == "authentication_error"
        assert order_a.name not in response.content.decode()
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_token_or_another_kind_of_header_is_a_401(fake_shopify, shop_a, order_a):
    assert call(None, ORDER.format(5551)).status_code == 401
    response = Client().get(ORDER.format(5551), HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert response.status_code == 401
    assert response.json()["code"] == "session_token_invalid"
    # The embedded admin's token of the same shop names a staff member, not a customer.
    admin = fake_shopify.session_token(shop_a.platform_domain, sub="42")
    assert call(admin, ORDER.format(5551)).status_code == 401


def test_a_bad_token_cancels_nothing(fake_shopify, shop_a, order_a):
    token = token_for(fake_shopify, shop_a, exp=1)
    response = call(token, CANCEL.format(5551), method="post", data={"reason_code": "other"})

    assert response.status_code == 401
    assert not OrderRequest.objects.for_store(shop_a).exists()


def test_another_customers_order_is_a_404(fake_shopify, shop_a, order_a):
    token = token_for(fake_shopify, shop_a, customer=OTHER_CUSTOMER)

    for path in (ORDER.format(5551), THANK_YOU.format(5551)):
        response = call(token, path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    response = call(token, CANCEL.format(5551), method="post", data={"reason_code": "changed_mind"})
    assert response.status_code == 404
    assert not OrderRequest.objects.for_store(shop_a).exists()


def test_another_stores_order_is_a_404_even_for_the_same_customer_id(fake_shopify, shop_a, shop_b):
    shopify_order(shop_b, 9001)  # store B's order, its customer has the same id at shop B

    response = call(token_for(fake_shopify, shop_a), ORDER.format(9001))

    assert response.status_code == 404
    response = call(token_for(fake_shopify, shop_a), CANCEL.format(9001), method="post", data={})
    assert response.status_code == 404
    assert not OrderRequest.objects.for_store(shop_b).exists()


def test_a_guest_order_matches_no_customer(fake_shopify, shop_a):
    shopify_order(shop_a, 5552, customer=None)

    assert call(token_for(fake_shopify, shop_a), ORDER.format(5552)).status_code == 404


# --- what the customer can do ---------------------------------------------------------------------


def test_nothing_is_offered_for_a_shipped_order(fake_shopify, shop_a):
    shopify_order(shop_a, 5553, fulfillment_status="fulfilled")

    body = call(token_for(fake_shopify, shop_a), ORDER.format(5553)).json()

    assert body["cancel"]["available"] is False
    assert (body["can_act"], body["can_change"]) == (True, False)  # ordering again is all that is left
    assert body["cancel"]["reasons"] and body["cancel"]["until"] is None
    assert [a["key"] for a in body["actions"] if a["available"]] == ["reorder"]


def test_the_customer_cancels_with_a_reason_once_per_key(fake_shopify, shop_a, order_a):
    token = token_for(fake_shopify, shop_a)
    data = {"reason_code": "changed_mind", "reason_text": "Too late for the party"}

    first = call(token, CANCEL.format(5551), method="post", data=data, idempotency_key="k-1")
    again = call(token, CANCEL.format(5551), method="post", data=data, idempotency_key="k-1")

    assert first.status_code == 201, first.content
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["request"]["id"] == again.json()["request"]["id"]
    request = OrderRequest.objects.for_store(shop_a).get()
    assert (request.order_id, request.kind, request.reason_code) == (order_a.pk, "cancel", "changed_mind")
    assert request.reason_text == "Too late for the party"
    assert request.requester_kind == "customer" and request.requester_label == order_a.email
    assert first.json()["request"]["status"] == request.status == "auto_approved"
    assert first.json()["request"]["message"]
    assert first["Access-Control-Allow-Origin"] == ORIGIN


def test_a_second_cancel_while_one_is_open_is_a_409(fake_shopify, shop_a, order_a):
    token = token_for(fake_shopify, shop_a)
    call(token, CANCEL.format(5551), method="post", data={"reason_code": "changed_mind"})

    response = call(token, CANCEL.format(5551), method="post", data={"reason_code": "other"})

    assert response.status_code == 409
    assert response.json()["code"] == "request_already_open"
    assert OrderRequest.objects.for_store(shop_a).count() == 1


def test_a_cancel_needs_one_of_the_stores_reasons(fake_shopify, shop_a, order_a):
    token = token_for(fake_shopify, shop_a)

    missing = call(token, CANCEL.format(5551), method="post", data={})
    unknown = call(token, CANCEL.format(5551), method="post", data={"reason_code": "bored"})

    assert (missing.status_code, missing.json()["attr"]) == (400, "reason")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "reason_unknown")
    assert not OrderRequest.objects.for_store(shop_a).exists()


def test_a_cancel_the_policy_no_longer_allows_is_a_409_and_records_nothing(fake_shopify, shop_a):
    shopify_order(shop_a, 5554, placed_at=timezone.now() - timedelta(hours=3))

    response = call(
        token_for(fake_shopify, shop_a), CANCEL.format(5554), method="post", data={"reason_code": "other"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "action_not_available"
    assert not OrderRequest.objects.for_store(shop_a).exists()


def test_the_thank_you_block_learns_until_when_the_order_can_change(fake_shopify, shop_a, order_a):
    body = call(token_for(fake_shopify, shop_a), THANK_YOU.format(5551)).json()

    assert body["can_change"] is True
    # The address can be changed until the order ships (no time limit), so no single date is given.
    assert body["changeable_until"] is None
    policy = StorePolicy()
    only_cancel = replace(
        policy,
        cancel=replace(policy.cancel, window=Window(WindowKind.MINUTES, 60)),
        edit_address=replace(policy.edit_address, enabled=False),
    )
    save_policy(store=shop_a, actor=None, policy=only_cancel)

    body = call(token_for(fake_shopify, shop_a), THANK_YOU.format(5551)).json()

    until = datetime.fromisoformat(body["changeable_until"])
    assert abs(until - (order_a.placed_at + timedelta(minutes=60))) < timedelta(seconds=1)


def test_the_thank_you_block_of_an_order_not_yet_synced_is_a_404(fake_shopify, shop_a):
    assert call(token_for(fake_shopify, shop_a), THANK_YOU.format(123456)).status_code == 404


# --- CORS -----------------------------------------------------------------------------------------


def test_a_preflight_from_the_extensions_origin_is_allowed_without_credentials(shop_a):
    response = call(None, CANCEL.format(5551), method="options", access_control_request_method="POST")

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in response["Access-Control-Allow-Headers"]
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response
    assert "Origin" in response["Vary"]


def test_another_origin_is_not_allowed_to_read_anything(fake_shopify, shop_a, order_a):
    evil = "https://evil.example.com"

    preflight = call(None, CANCEL.format(5551), method="options", origin=evil)
    answer = call(token_for(fake_shopify, shop_a), ORDER.format(5551), origin=evil)

    assert "Access-Control-Allow-Origin" not in preflight
    assert "Access-Control-Allow-Methods" not in preflight
    assert answer.status_code == 200  # not a browser: CORS only tells browsers what they may read
    assert "Access-Control-Allow-Origin" not in answer


def test_a_401_still_carries_cors_so_the_extension_can_read_it(fake_shopify, shop_a):
    response = call(token_for(fake_shopify, shop_a, exp=1), ORDER.format(5551))

    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == ORIGIN


def test_the_answer_is_in_the_customers_language(fake_shopify, shop_a, order_a):
    response = call(token_for(fake_shopify, shop_a), ORDER.format(5551), accept_language="sv-SE")

    reasons = response.json()["cancel"]["reason_choices"]
    assert {"code": "changed_mind", "label": "Jag har ångrat mig"} in reasons


def test_a_real_sized_customer_id_and_key_are_kept(fake_shopify, shop_a):
    # Shopify's ids are 64-bit numbers, up to 19 digits; a key may be 255 characters.
    shopify_order(shop_a, 6_123_456_789_012, customer="9223372036854775807")
    token = token_for(fake_shopify, shop_a, customer="9223372036854775807")
    key = "k" * 255

    first = call(
        token,
        CANCEL.format(6_123_456_789_012),
        method="post",
        data={"reason_code": "other"},
        idempotency_key=key,
    )
    again = call(
        token,
        CANCEL.format(6_123_456_789_012),
        method="post",
        data={"reason_code": "other"},
        idempotency_key=key,
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert OrderRequest.objects.for_store(shop_a).count() == 1
