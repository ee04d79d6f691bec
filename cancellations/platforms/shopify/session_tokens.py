"""Shopify session tokens: who a request from inside Shopify comes from, proven the way Shopify proves it.

Shopify signs a short-lived JWT (HS256 with the app's secret) for the embedded admin app (App Bridge's
`shopify.idToken()`) and for UI extensions (`sessionToken.get()` in customer accounts and checkout):
  https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens
  https://shopify.dev/docs/api/customer-account-ui-extensions/latest/target-apis/platform-apis/session-token-api

What is checked, and refused with `InvalidSessionToken` (an API answers it 401):
- the signature, with the current or the previous app secret (rotation), and the algorithm is HS256 only;
- `aud` is this app's client id (`SHOPIFY_API_KEY`): a token another app was given is not ours;
- `exp` and `nbf` with `LEEWAY` seconds of clock skew, and both must be present;
- `dest` names a `*.myshopify.com` shop (admin tokens send `https://<shop>`, extension tokens may send
  the bare domain), and `iss`, when present, is on that same shop (admin: `https://<shop>/admin`).
`sub` is the person: a staff member's numeric user id in admin tokens, the customer's
`gid://shopify/Customer/<id>` in extension tokens (absent for an anonymous buyer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
from django.conf import settings

from cancellations.platforms.shopify.signing import app_secrets, is_shop_domain

LEEWAY = 10  # seconds of clock skew allowed on exp and nbf
CUSTOMER_GID = "gid://shopify/Customer/"


class InvalidSessionToken(Exception):
    """The token is missing, forged, expired, not yet valid, for another app or names no shop."""


@dataclass(frozen=True)
class SessionToken:
    shop: str  # the shop's myshopify.com domain, from `dest`
    subject: str  # `sub`, "" when the token names nobody (an anonymous buyer)
    claims: dict[str, Any]

    @property
    def customer_id(self) -> str:
        """The Shopify customer's numeric id for an extension token, "" for anyone else."""
        if self.subject.startswith(CUSTOMER_GID):
            return self.subject.removeprefix(CUSTOMER_GID)
        return ""

    @property
    def user_id(self) -> str:
        """The staff member's Shopify user id for an admin token, "" for anyone else."""
        return self.subject if self.subject.isdigit() else ""


def bearer_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header, "" when there is none."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _shop_of(value: Any) -> str:
    text = str(value or "")
    host = urlsplit(text).hostname if "://" in text else text.split("/")[0]
    return (host or "").lower()


def verify_session_token(token: str, *, secrets: list[str] | None = None) -> SessionToken:
    """The verified token's shop and subject, or `InvalidSessionToken`."""
    client_id = settings.SHOPIFY_API_KEY
    if not token or not client_id:
        raise InvalidSessionToken("no session token" if not token else "the app has no client id")
    claims: dict[str, Any] | None = None
    for secret in app_secrets() if secrets is None else secrets:
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                audience=client_id,
                leeway=LEEWAY,
                options={"require": ["exp", "nbf", "aud", "dest"]},
            )
            break
        except jwt.InvalidSignatureError:
            continue  # maybe signed with the other secret
        except jwt.PyJWTError as error:
            raise InvalidSessionToken(str(error)) from error
    if claims is None:
        raise InvalidSessionToken("the signature does not match")
    shop = _shop_of(claims.get("dest"))
    if not is_shop_domain(shop):
        raise InvalidSessionToken("the token names no shop")
    if claims.get("iss") and _shop_of(claims["iss"]) != shop:
        raise InvalidSessionToken("the token's issuer is another shop")
    return SessionToken(shop=shop, subject=str(claims.get("sub") or ""), claims=claims)
