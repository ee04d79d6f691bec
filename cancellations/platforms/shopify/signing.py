"""Shopify's signatures: webhook bodies (base64 HMAC), OAuth redirects (hex HMAC of the query) and
app proxy requests (hex HMAC of the sorted, concatenated query)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from django.conf import settings

SHOP_DOMAIN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$")


def app_secrets() -> list[str]:
    """The app secrets a signature may be made with: the current one, then the previous (rotation)."""
    return [s for s in (settings.SHOPIFY_API_SECRET, settings.SHOPIFY_API_PREVIOUS_SECRET) if s]


def is_shop_domain(shop: str) -> bool:
    return bool(shop) and SHOP_DOMAIN.fullmatch(shop) is not None


def webhook_signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_webhook(body: bytes, signature: str, secrets: Iterable[str] | None = None) -> bool:
    """True if `signature` (X-Shopify-Hmac-Sha256) signs `body` with one of the app's secrets."""
    if not signature:
        return False
    given = signature.strip().encode()
    return any(
        hmac.compare_digest(webhook_signature(body, secret).encode(), given)
        for secret in (app_secrets() if secrets is None else secrets)
    )


# A query as Django gives it (a QueryDict keeps repeated keys), as a dict, or as (key, value) pairs.
Query = Mapping[str, Any] | Sequence[tuple[str, str]]
_UNSIGNED = frozenset({"hmac", "signature"})


def query_pairs(params: Query) -> list[tuple[str, str]]:
    """Every (key, value) of a query in order, repeated keys kept."""
    lists = getattr(params, "lists", None)
    if callable(lists):
        return [(key, value) for key, values in lists() for value in values]
    if isinstance(params, Mapping):
        pairs: list[tuple[str, str]] = []
        for key, value in params.items():
            values = value if isinstance(value, list | tuple) else [value]
            pairs += [(str(key), str(item)) for item in values]
        return pairs
    return [(str(key), str(value)) for key, value in params]


def _documented_message(pairs: Sequence[tuple[str, str]]) -> str:
    """The message Shopify's OAuth documentation describes: the parameters but `hmac` (and `signature`)
    sorted by key, `key=value` joined by `&`, with `%` -> `%25` and `&` -> `%26` in keys and values and
    `=` -> `%3D` in keys; an array parameter (`ids[]=2&ids[]=1`) signs as `ids=["2", "1"]`, in the order
    sent. https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
    (Verify the installation request) and shopify_python_api's `Session.calculate_hmac`.
    """
    groups: dict[tuple[str, bool], list[str]] = {}
    for key, value in pairs:
        if key in _UNSIGNED:
            continue
        is_array = key.endswith("[]")
        groups.setdefault((key[:-2] if is_array else key, is_array), []).append(value)
    parts = []
    for (name, is_array), values in sorted(groups.items()):
        value = '["' + '", "'.join(values) + '"]' if is_array else ",".join(values)
        key = name.replace("%", "%25").replace("&", "%26").replace("=", "%3D")
        parts.append(f"{key}={value.replace('%', '%25').replace('&', '%26')}")
    return "&".join(parts)


def _encoded_message(pairs: Sequence[tuple[str, str]]) -> str:
    """The same parameters form-encoded as Shopify's JavaScript library signs them (`URLSearchParams`
    with spaces as `%20`, array keys kept as `ids[]`): shopify-app-js, lib/utils/hmac-validator.ts."""

    def encode(text: str) -> str:
        return quote(text, safe="*-._").replace("~", "%7E")

    ordered = sorted(((key, value) for key, value in pairs if key not in _UNSIGNED), key=lambda kv: kv[0])
    return "&".join(f"{encode(key)}={encode(value)}" for key, value in ordered)


def _hex_hmac(message: str, secret: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def query_signature(params: Query, secret: str) -> str:
    """The `hmac` Shopify puts on an OAuth or install redirect with these parameters."""
    return _hex_hmac(_documented_message(query_pairs(params)), secret)


def verify_query(params: Query, secrets: Iterable[str] | None = None) -> bool:
    """True if the `hmac` parameter signs the other query parameters (OAuth install and callback).

    Either canonical form Shopify's own libraries check is accepted; both cover every parameter.
    """
    pairs = query_pairs(params)
    given = [value for key, value in pairs if key == "hmac"]
    if len(given) != 1 or not given[0]:
        return False
    messages = {_documented_message(pairs), _encoded_message(pairs)}
    return any(
        hmac.compare_digest(_hex_hmac(message, secret), given[0])
        for secret in (app_secrets() if secrets is None else secrets)
        for message in messages
    )


def _proxy_message(pairs: Sequence[tuple[str, str]]) -> str:
    """The message of an app proxy request: every parameter but `signature`, sorted by key, each as
    `key=value` with a repeated key's values joined by "," in the order sent, concatenated with no
    separator, nothing encoded. https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies
    (Calculate a digital signature).
    """
    groups: dict[str, list[str]] = {}
    for key, value in pairs:
        if key != "signature":
            groups.setdefault(key, []).append(value)
    return "".join(f"{key}={','.join(values)}" for key, values in sorted(groups.items()))


def proxy_signature(params: Query, secret: str) -> str:
    """The `signature` Shopify adds to a request it forwards through the app proxy."""
    return _hex_hmac(_proxy_message(query_pairs(params)), secret)


def verify_proxy_signature(params: Query, secrets: Iterable[str] | None = None) -> bool:
    """True if the one `signature` parameter signs every other parameter (an app proxy request)."""
    pairs = query_pairs(params)
    given = [value for key, value in pairs if key == "signature"]
    if len(given) != 1 or not given[0]:
        return False
    message = _proxy_message(pairs)
    return any(
        hmac.compare_digest(_hex_hmac(message, secret).encode(), given[0].encode())
        for secret in (app_secrets() if secrets is None else secrets)
    )
