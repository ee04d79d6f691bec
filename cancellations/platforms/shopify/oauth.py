"""Installing the Amend app on a Shopify shop: the OAuth authorisation-code grant, checked at each step.

Install: the shop must be a myshopify.com domain that belongs to an Amend store; a request from
Shopify carries its HMAC, which must hold. We issue a one-time `state` nonce, kept hashed per store
and in the installing browser's session. Callback: HMAC, shop, the state (from this browser, for this
shop's store, unused, at most ten minutes old), then the code is exchanged for an expiring offline token
and its refresh token, both stored encrypted and never shown or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

from cancellations.models import OAuthState, PlatformConnection
from cancellations.platforms.base import PermanentPlatformError, TransientPlatformError
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.shopify.client import shop_origin
from cancellations.platforms.shopify.connections import connect_shopify
from cancellations.platforms.shopify.signing import app_secrets, is_shop_domain, verify_query
from cancellations.platforms.shopify.tokens import TokenGrant, read_grant, token_request
from tenants.models import Platform, Store

STATE_MAX_AGE = timedelta(minutes=10)
SESSION_KEY = "shopify_oauth_state"


class InstallRefused(PermanentPlatformError):
    """An install or callback request that must not go ahead."""

    code = PlatformErrorCode.INSTALL_REFUSED


def is_configured() -> bool:
    return bool(settings.SHOPIFY_API_KEY and app_secrets())


def store_for_shop(shop: str) -> Store | None:
    """The Amend store whose Shopify shop this is."""
    return Store.objects.filter(platform=Platform.SHOPIFY, platform_domain=shop.lower()).first()


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def redirect_uri() -> str:
    return f"{settings.SITE_URL}/shopify/callback"


def check_install_request(params: Mapping[str, str]) -> Store:
    """The store a request to install names, if the shop is valid, known and (when signed) signed rightly."""
    if not is_configured():
        raise InstallRefused(
            "Shopify is not configured on this Amend.", code=PlatformErrorCode.SHOPIFY_NOT_CONFIGURED
        )
    shop = params.get("shop", "").strip().lower()
    if not is_shop_domain(shop):
        raise InstallRefused(
            "That is not a Shopify shop address (name.myshopify.com).", code=PlatformErrorCode.INVALID_SHOP
        )
    if "hmac" in params and not verify_query(params):
        raise InstallRefused("The request was not signed by Shopify.", code=PlatformErrorCode.INVALID_HMAC)
    store = store_for_shop(shop)
    if store is None:
        raise InstallRefused(
            "No Amend store is set up for this shop; create the store in Amend first.",
            code=PlatformErrorCode.UNKNOWN_SHOP,
        )
    return store


def begin_install(*, store: Store, session: SessionBase) -> str:
    """Issue a state nonce and return Shopify's authorisation page to send the browser to."""
    nonce = secrets.token_urlsafe(32)
    OAuthState.objects.create(store=store, nonce_hash=_hash(nonce))
    session[SESSION_KEY] = nonce
    query = urlencode(
        {
            "client_id": settings.SHOPIFY_API_KEY,
            "scope": ",".join(settings.SHOPIFY_SCOPES),
            "redirect_uri": redirect_uri(),
            "state": nonce,
        }
    )
    return f"{shop_origin(store.platform_domain or '')}/admin/oauth/authorize?{query}"


def complete_install(*, params: Mapping[str, str], session: SessionBase) -> PlatformConnection:
    """Check the callback, exchange its code for an access token and connect the store."""
    if not is_configured():
        raise InstallRefused(
            "Shopify is not configured on this Amend.", code=PlatformErrorCode.SHOPIFY_NOT_CONFIGURED
        )
    shop = params.get("shop", "").strip().lower()
    if not is_shop_domain(shop):
        raise InstallRefused("That is not a Shopify shop address.", code=PlatformErrorCode.INVALID_SHOP)
    if not verify_query(params):
        raise InstallRefused("The request was not signed by Shopify.", code=PlatformErrorCode.INVALID_HMAC)
    store = store_for_shop(shop)
    if store is None:
        raise InstallRefused("No Amend store is set up for this shop.", code=PlatformErrorCode.UNKNOWN_SHOP)
    nonce = params.get("state", "")
    expected = session.pop(SESSION_KEY, "")
    if not nonce or not expected or not hmac.compare_digest(nonce, expected):
        raise InstallRefused(
            "This install link is not valid; start the install again.", code=PlatformErrorCode.INVALID_STATE
        )
    # One use only, fresh, and issued for this very shop's store.
    consumed = (
        OAuthState.objects.for_store(store)
        .filter(nonce_hash=_hash(nonce), used_at__isnull=True, created_at__gte=timezone.now() - STATE_MAX_AGE)
        .update(used_at=timezone.now())
    )
    if consumed != 1:
        raise InstallRefused(
            "This install link is not valid; start the install again.", code=PlatformErrorCode.INVALID_STATE
        )
    code = params.get("code", "")
    if not code:
        raise InstallRefused("Shopify sent no authorisation code.", code=PlatformErrorCode.MISSING_CODE)
    grant = exchange_code(shop=shop, code=code)
    missing = missing_scopes(set(grant.scopes))
    if missing:
        raise InstallRefused(
            f"The app was not granted every permission it needs ({', '.join(missing)}).",
            code=PlatformErrorCode.SCOPES_MISSING,
        )
    return connect_shopify(store=store, shop=shop, grant=grant)


def missing_scopes(granted: set[str]) -> list[str]:
    """The scopes Amend needs (SHOPIFY_SCOPES) that a grant lacks."""
    return [scope for scope in settings.SHOPIFY_SCOPES if not _granted(scope, granted)]


def _granted(scope: str, granted: set[str]) -> bool:
    # A write scope implies its read scope, and Shopify lists only the write one.
    return scope in granted or (scope.startswith("read_") and "write_" + scope[5:] in granted)


def exchange_code(*, shop: str, code: str) -> TokenGrant:
    """Trade an authorisation code for an expiring offline access token, its refresh token and scopes."""
    # `expiring=1` asks for an expiring offline token (an hour) with a refresh token.
    # https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
    response = token_request(shop=shop, body={"code": code, "expiring": "1"})
    if response.status_code >= 500:
        raise TransientPlatformError(
            "Shopify had a problem; try again.", code=PlatformErrorCode.PLATFORM_UNAVAILABLE
        )
    if response.status_code != 200:
        raise InstallRefused(
            "Shopify did not accept the authorisation code.", code=PlatformErrorCode.CODE_REJECTED
        )
    try:
        return read_grant(response.json())
    except (ValueError, KeyError, TypeError):
        raise InstallRefused("Shopify sent no access token.", code=PlatformErrorCode.CODE_REJECTED) from None
