"""Amend opened inside the Shopify admin: who the session token names, and managed installation.

Every embedded request carries a session token (verified by session_tokens.py). From it:
- the staff member: token exchange for an *online* token answers `associated_user` (id, email,
  whether the address is verified, whether they own the shop). Asked once per person and shop, then
  cached for the online token's lifetime; only a verified address is matched to an Amend user.
- the store: the Amend store of the shop; when the shop has none yet and its owner opens the app,
  the store is created with them as its owner (managed installation: there is no install page).
- the connection: a shop with no active connection (new, uninstalled, or whose refresh token Shopify
  refused) exchanges the session token for an expiring *offline* token and is connected with it.
  https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange
  https://shopify.dev/docs/apps/build/authentication-authorization/app-installation
The decisions (owner joins, others must be on the team, no second factor) are in
docs/decisions/0102-embedded-shopify-admin.md.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cancellations.models import PlatformConnection
from cancellations.platforms.base import PermanentPlatformError, TransientPlatformError
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.shopify.connections import connect_shopify
from cancellations.platforms.shopify.oauth import missing_scopes, store_for_shop
from cancellations.platforms.shopify.session_tokens import SessionToken
from cancellations.platforms.shopify.tokens import (
    OFFLINE_TOKEN_TYPE,
    TOKEN_EXCHANGE,
    TokenGrant,
    read_grant,
    token_request,
)
from tenants.access import StoreAccess, access_store_as_platform_staff, staff_access
from tenants.errors import DomainError, NotFound, PermissionDenied
from tenants.models import Platform, Store, User
from tenants.platform_staff import join_as_platform_owner, platform_staff_user
from tenants.services import create_store

logger = logging.getLogger(__name__)

ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"  # noqa: S105 - a token type's name
ONLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:online-access-token"  # noqa: S105
STAFF_CACHE_MAX_SECONDS = 24 * 3600


class EmbeddedRefused(PermissionDenied):
    """The person or the shop cannot be let in; the message says what to do (shown on the page)."""

    code = PlatformErrorCode.NOT_ON_TEAM


@dataclass(frozen=True)
class ShopifyStaff:
    """A staff member of a shop, as Shopify's online token describes them."""

    user_id: str
    email: str
    email_verified: bool
    account_owner: bool
    name: str = ""


@dataclass(frozen=True)
class EmbeddedVisit:
    """Whom an embedded request is for: the store, the person's access, and whether it just installed."""

    store: Store
    access: StoreAccess
    staff: ShopifyStaff
    installed: bool = False


def _exchange(*, shop: str, session_token: str, requested: str) -> dict:
    """One token exchange of a session token; Shopify's 400 (invalid_subject_token) is a refusal."""
    body = {
        "grant_type": TOKEN_EXCHANGE,
        "subject_token": session_token,
        "subject_token_type": ID_TOKEN_TYPE,
        "requested_token_type": requested,
    }
    if requested == OFFLINE_TOKEN_TYPE:
        body["expiring"] = "1"  # an expiring offline token with its refresh token (tokens.py)
    response = token_request(shop=shop, body=body)
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientPlatformError(
            "Shopify could not be reached; try again.", code=PlatformErrorCode.PLATFORM_UNAVAILABLE
        )
    if response.status_code != 200:
        raise PermanentPlatformError(
            _("Shopify did not accept this session; reload the app."),
            code=PlatformErrorCode.SESSION_TOKEN_REFUSED,
        )
    try:
        data = response.json()
        if not isinstance(data, dict) or not data.get("access_token"):
            raise ValueError("no access token")
    except ValueError:
        raise TransientPlatformError(
            "Shopify sent an unreadable token answer.", code=PlatformErrorCode.PLATFORM_BAD_RESPONSE
        ) from None
    return data


def _staff_key(shop: str, user_id: str) -> str:
    return f"shopify-staff:{shop}:{user_id}"


def shopify_staff(*, session: SessionToken, session_token: str) -> ShopifyStaff:
    """The staff member the session token names: an online-token exchange, remembered while it lasts."""
    if not session.user_id:
        raise PermanentPlatformError(
            _("This session token names no staff member."), code=PlatformErrorCode.SESSION_TOKEN_INVALID
        )
    key = _staff_key(session.shop, session.user_id)
    cached = cache.get(key)
    if isinstance(cached, dict):
        return ShopifyStaff(**cached)
    data = _exchange(shop=session.shop, session_token=session_token, requested=ONLINE_TOKEN_TYPE)
    user = data.get("associated_user") or {}
    staff = ShopifyStaff(
        user_id=str(user.get("id") or session.user_id),
        email=str(user.get("email") or "").strip(),
        email_verified=user.get("email_verified") is True,
        account_owner=user.get("account_owner") is True,
        name=" ".join(str(user.get(k) or "") for k in ("first_name", "last_name")).strip(),
    )
    if staff.user_id != session.user_id:  # Shopify answered for someone else: believe neither
        raise PermanentPlatformError(
            "Shopify named another staff member.", code=PlatformErrorCode.SESSION_TOKEN_REFUSED
        )
    lifetime = min(int(data.get("expires_in") or 0), STAFF_CACHE_MAX_SECONDS)
    if lifetime > 0:
        cache.set(key, asdict(staff), lifetime)
    return staff


def _new_store(*, shop: str, owner: User) -> Store:
    """A store for a shop whose owner opened Amend before any store was set up for it."""
    handle = shop.removesuffix(".myshopify.com")
    base = (slugify(handle) or "shop")[:40]
    name = handle.replace("-", " ").strip().title() or shop
    for attempt in range(5):
        slug = base if attempt == 0 else f"{base}-{attempt + 1}"
        try:
            with transaction.atomic():
                return create_store(
                    owner=owner, name=name, slug=slug, platform=Platform.SHOPIFY, platform_domain=shop
                )
        except DomainError as error:
            if error.field != "slug":  # the shop got its store a moment ago (another tab)
                existing = store_for_shop(shop)
                if existing is not None:
                    return existing
                raise
    raise EmbeddedRefused(
        _("Amend could not set up a store for this shop; contact Amend's support."),
        code=PlatformErrorCode.UNKNOWN_SHOP,
    )


def install_from_session(*, store: Store, shop: str, session_token: str) -> bool:
    """Connect the store with an offline token from the session token when it has no working one.

    True when it connected (a new install, or a reconnect after an uninstall or a refused refresh).
    """
    connection = PlatformConnection.objects.for_store(store).filter(platform=Platform.SHOPIFY).first()
    if connection is not None and connection.is_active and connection.shop_domain == shop:
        return False
    data = _exchange(shop=shop, session_token=session_token, requested=OFFLINE_TOKEN_TYPE)
    try:
        grant: TokenGrant = read_grant(data)
    except (KeyError, TypeError, ValueError):
        raise TransientPlatformError(
            "Shopify sent an unreadable token answer.", code=PlatformErrorCode.PLATFORM_BAD_RESPONSE
        ) from None
    missing = missing_scopes(set(grant.scopes))
    if missing:
        raise EmbeddedRefused(
            _("The app was not granted every permission it needs (%(scopes)s).")
            % {"scopes": ", ".join(missing)},
            code=PlatformErrorCode.SCOPES_MISSING,
        )
    connect_shopify(store=store, shop=shop, grant=grant)
    logger.info("shopify %s: installed from the admin (token exchange)", shop)
    return True


def open_embedded(*, session: SessionToken, session_token: str, scope: str | None) -> EmbeddedVisit:
    """Resolve an embedded request: the staff member, the store (created for its owner), the install."""
    staff = shopify_staff(session=session, session_token=session_token)
    if not staff.email or not staff.email_verified:
        raise EmbeddedRefused(
            _(
                "Your Shopify account's email address is not verified. Verify it in Shopify, then open "
                "Amend again."
            ),
            code=PlatformErrorCode.SHOPIFY_EMAIL_UNVERIFIED,
        )
    store = store_for_shop(session.shop)
    if store is None and not staff.account_owner:
        raise EmbeddedRefused(
            _(
                "Amend is not set up for this shop yet. Ask the shop's owner to open Amend from the "
                "Shopify admin first."
            ),
            code=PlatformErrorCode.UNKNOWN_SHOP,
        )
    with transaction.atomic():
        user = platform_staff_user(email=staff.email, name=staff.name)
        if store is None:
            store = _new_store(shop=session.shop, owner=user)
        installed = install_from_session(store=store, shop=session.shop, session_token=session_token)
        if staff_access(user=user, store=store) is None and staff.account_owner:
            join_as_platform_owner(store=store, user=user, platform=Platform.SHOPIFY)
    try:
        access = access_store_as_platform_staff(user=user, store=store, scope=scope)
    except NotFound:
        raise EmbeddedRefused(
            _(
                "You are not on %(store)s's team in Amend. Ask an owner or admin of the store to "
                "invite %(email)s (Team page), then open Amend again."
            )
            % {"store": store.name, "email": staff.email},
            code=PlatformErrorCode.NOT_ON_TEAM,
        ) from None
    return EmbeddedVisit(store=store, access=access, staff=staff, installed=installed)


def is_configured() -> bool:
    return bool(settings.SHOPIFY_API_KEY and settings.SHOPIFY_API_SECRET)
