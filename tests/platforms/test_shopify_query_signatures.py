"""OAuth and install query signatures, checked with the vectors of Shopify's own libraries and docs.

Each vector says where it comes from; a one-character change to any parameter or to the hmac fails.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.http import QueryDict

from cancellations.platforms.shopify.signing import query_signature, verify_query


def _hex(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


# Shopify/shopify_python_api test/session_test.py, test_hmac_calculation ("the secret and parameter
# examples given in the Shopify API documentation").
PYTHON_API = (
    "hush",
    {
        "shop": "some-shop.myshopify.com",
        "code": "a94a110d86d2452eb3e2af4cfb8a3828",
        "timestamp": "1337178173",
    },
    "2cb1a277650a659f1b11e92a4a64275b128e037f2c3390e3c8fd2d8721dac9e2",
)
# Shopify's OAuth documentation example, as quoted by exshopify's Shopify.HMAC docs (hexdocs.pm).
OAUTH_DOCS = (
    "hush",
    {
        "code": "0907a61c0c8d55e99db179b68161bc00",
        "shop": "some-shop.myshopify.com",
        "timestamp": "1337178173",
    },
    "4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20",
)


@pytest.mark.parametrize(
    ("secret", "params", "expected"), [PYTHON_API, OAUTH_DOCS], ids=["python_api", "docs"]
)
def test_published_vectors_sign_and_verify(secret, params, expected):
    assert query_signature(params, secret) == expected
    assert verify_query({**params, "hmac": expected}, [secret])


@pytest.mark.parametrize(
    ("secret", "params", "expected"), [PYTHON_API, OAUTH_DOCS], ids=["python_api", "docs"]
)
def test_a_one_character_change_fails(secret, params, expected):
    flipped = expected[:-1] + ("0" if expected[-1] != "0" else "1")
    assert not verify_query({**params, "hmac": flipped}, [secret])
    for key in params:
        changed = {**params, key: params[key][:-1] + ("x" if params[key][-1] != "x" else "y")}
        assert not verify_query({**changed, "hmac": expected}, [secret])
    assert not verify_query({**params, "extra": "1", "hmac": expected}, [secret])
    assert not verify_query({**params, "hmac": expected}, ["hush!"])


def test_ampersands_and_equals_are_escaped_as_shopify_documents():
    # shopify_python_api test_hmac_calculation_with_ampersand_and_equal_sign_characters:
    # {"a": "1&b=2", "c=3&d": "4"} signs "a=1%26b=2&c%3D3%26d=4".
    params = {"a": "1&b=2", "c=3&d": "4"}
    expected = _hex("secret", "a=1%26b=2&c%3D3%26d=4")

    assert query_signature(params, "secret") == expected
    assert verify_query({**params, "hmac": expected}, ["secret"])
    # Without the escaping, "a=1&b=2" could be passed off as two parameters.
    assert not verify_query({"a": "1", "b": "2&c=3&d=4", "hmac": expected}, ["secret"])


def test_percent_signs_are_escaped_in_values():
    expected = _hex("secret", "note=100%25 sure&shop=a.myshopify.com")
    assert verify_query({"note": "100% sure", "shop": "a.myshopify.com", "hmac": expected}, ["secret"])
    assert not verify_query({"note": "100%25 sure", "shop": "a.myshopify.com", "hmac": expected}, ["secret"])


def test_array_parameters_sign_as_a_list_in_the_order_sent():
    # Shopify's OAuth documentation: "ids[]=2&ids[]=1" is signed as ids=["2", "1"].
    expected = _hex("secret", 'ids=["2", "1"]&shop=a.myshopify.com&timestamp=1337178173')
    query = QueryDict(f"ids[]=2&ids[]=1&shop=a.myshopify.com&timestamp=1337178173&hmac={expected}")

    assert verify_query(query, ["secret"])
    assert query_signature(query, "secret") == expected
    swapped = QueryDict(f"ids[]=1&ids[]=2&shop=a.myshopify.com&timestamp=1337178173&hmac={expected}")
    assert not verify_query(swapped, ["secret"])
    dropped = QueryDict(f"ids[]=2&shop=a.myshopify.com&timestamp=1337178173&hmac={expected}")
    assert not verify_query(dropped, ["secret"])


def test_the_form_encoded_signature_of_shopifys_javascript_library_is_accepted():
    # Shopify/shopify-app-js packages/apps/shopify-api/lib/utils/__tests__/hmac-validator.test.ts:
    # values are percent-encoded, spaces as %20.
    message = (
        "code=some%20code%20goes%20here&shop=the%20shop%20URL"
        "&state=some%20nonce%20passed%20from%20auth&timestamp=1700000000"
    )
    expected = _hex("my super secret key", message)
    params = {
        "code": "some code goes here",
        "shop": "the shop URL",
        "state": "some nonce passed from auth",
        "timestamp": "1700000000",
    }

    assert verify_query({**params, "hmac": expected}, ["my super secret key"])
    assert not verify_query(
        {**params, "state": "some nonce passed from auth!", "hmac": expected}, ["my super secret key"]
    )


def test_a_missing_empty_or_repeated_hmac_is_refused():
    secret, params, expected = PYTHON_API
    assert not verify_query(params, [secret])
    assert not verify_query({**params, "hmac": ""}, [secret])
    query = QueryDict("&".join(f"{k}={v}" for k, v in params.items()) + f"&hmac={expected}&hmac={expected}")
    assert not verify_query(query, [secret])
