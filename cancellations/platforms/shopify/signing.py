"""Shopify's signatures: webhook bodies (base64 HMAC) and OAuth redirects (hex HMAC of the query)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping

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


def query_signature(params: Mapping[str, str], secret: str) -> str:
    message = "&".join(
        f"{key}={value}" for key, value in sorted(params.items()) if key not in {"hmac", "signature"}
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_query(params: Mapping[str, str], secrets: Iterable[str] | None = None) -> bool:
    """True if the `hmac` parameter signs the other query parameters (OAuth install and callback)."""
    given = params.get("hmac", "")
    if not given:
        return False
    return any(
        hmac.compare_digest(query_signature(params, secret), given)
        for secret in (app_secrets() if secrets is None else secrets)
    )
