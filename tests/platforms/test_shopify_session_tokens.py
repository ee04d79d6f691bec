"""Shopify session tokens: only a token Shopify signed for this app, for a shop, now, is believed."""

from __future__ import annotations

import jwt
import pytest

from cancellations.platforms.shopify.session_tokens import (
    InvalidSessionToken,
    bearer_token,
    verify_session_token,
)
from tests.fakeshopify.fixtures import API_KEY, API_SECRET

SHOP = "amend-demo.myshopify.com"


@pytest.fixture
def app(settings, fake_shopify):
    settings.SHOPIFY_API_KEY = API_KEY
    settings.SHOPIFY_API_SECRET = API_SECRET
    settings.SHOPIFY_API_PREVIOUS_SECRET = ""
    return fake_shopify


def test_an_admin_token_names_the_shop_and_the_staff_member(app):
    token = verify_session_token(app.session_token(SHOP, sub="9001"))
    assert (token.shop, token.user_id, token.customer_id) == (SHOP, "9001", "")


def test_a_customer_account_token_names_the_customer(app):
    token = verify_session_token(app.session_token(SHOP, sub="7", kind="customer"))
    assert (token.shop, token.customer_id, token.user_id) == (SHOP, "7", "")


def test_an_anonymous_buyer_token_names_nobody(app):
    token = verify_session_token(app.session_token(SHOP, kind="customer"))
    assert (token.shop, token.subject) == (SHOP, "")


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"exp": 1}, "expired"),
        ({"nbf": 10**10}, "not yet valid"),
        ({"aud": "another-app"}, "another app's"),
        ({"secret": "shpss_nottheappsecret0123456789abcdef0123"}, "signed with another key"),
        ({"dest": "https://evil.example.com"}, "names no Shopify shop"),
        ({"iss": "https://other-shop.myshopify.com/admin"}, "issued by another shop"),
        ({"exp": None}, "without an expiry"),
        ({"dest": None}, "without a shop"),
    ],
)
def test_a_bad_token_is_refused(app, overrides, why):
    with pytest.raises(InvalidSessionToken):
        verify_session_token(app.session_token(SHOP, **overrides))


def test_a_little_clock_skew_is_forgiven_but_not_more(app):
    now = int(app.now())
    assert verify_session_token(app.session_token(SHOP, exp=now - 5)).shop == SHOP
    with pytest.raises(InvalidSessionToken):
        verify_session_token(app.session_token(SHOP, exp=now - 60))


def test_the_previous_secret_still_verifies_during_a_rotation(app, settings):
    old = app.session_token(SHOP)
    settings.SHOPIFY_API_SECRET = "shpss_thenewsecret0123456789abcdef012345"
    settings.SHOPIFY_API_PREVIOUS_SECRET = API_SECRET
    assert verify_session_token(old).shop == SHOP


def test_an_unsigned_or_other_algorithm_token_is_refused(app):
    claims = jwt.decode(app.session_token(SHOP), options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(InvalidSessionToken):
        verify_session_token(unsigned)
    with pytest.raises(InvalidSessionToken):
        verify_session_token(jwt.encode(claims, API_SECRET * 2, algorithm="HS512"))


def test_one_changed_character_is_refused(app):
    token = app.session_token(SHOP)
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(InvalidSessionToken):
        verify_session_token(f"{header}.{payload}.{flipped}")


def test_bearer_header():
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") == ""
    assert bearer_token("") == ""
