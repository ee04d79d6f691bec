"""A store's Shopify access token, kept fresh: expiring offline tokens, their refresh, and the migration.

Shopify's expiring offline tokens last an hour (`expires_in`) and come with a refresh token
(`refresh_token`, `refresh_token_expires_in`, 90 days); each refresh answers a new pair, and the new
refresh token replaces the old one. Public apps must use them from 2027-01-01, when non-expiring
tokens stop working. We refresh a few minutes before expiry, and once more when Shopify answers 401.
  https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
  https://shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh
  https://shopify.dev/docs/apps/build/security/credentials-and-data/use-expiring-offline-access-tokens

Concurrency: every worker of a store shares one row, and a refresh runs under that row's lock
(`select_for_update`). A worker that waited for the lock re-reads the row and, if another worker has
already renewed the token it had, uses the new one instead of spending the refresh token again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cancellations.models import PlatformConnection
from cancellations.platforms.base import PermanentPlatformError, TransientPlatformError
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.shopify.client import http_client, shop_origin

logger = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 - a grant name
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"  # noqa: S105
RECONNECT_MESSAGE = (
    "Shopify no longer accepts Amend's access to this shop. Open the Amend app from your Shopify admin "
    "(or install it again) to reconnect the store; until then requests cannot be carried out on Shopify."
)


def now() -> datetime:
    """The clock token expiry is judged by (tests move it)."""
    return timezone.now()


@dataclass(frozen=True)
class TokenGrant:
    """What Shopify's token endpoint answered: a token, and for an expiring one its refresh token."""

    access_token: str
    scopes: frozenset[str] = frozenset()
    refresh_token: str = ""
    expires_at: datetime | None = None
    refresh_token_expires_at: datetime | None = None


class TokenProvider(Protocol):
    """What the client asks for the token to send, and for a new one when Shopify refused it."""

    def token(self) -> str: ...

    def refreshed(self, *, rejected: str) -> str | None:
        """A token other than `rejected`, or None when there is none to be had."""
        ...


class ConnectionTokens:
    """The token of a store's PlatformConnection row, refreshed before expiry and after a 401."""

    def __init__(self, connection: PlatformConnection) -> None:
        self.store_id = connection.store_id
        self.pk = connection.pk
        self.shop = connection.shop_domain
        self._remember(connection)

    def _remember(self, connection: PlatformConnection) -> None:
        self._token = connection.access_token
        self._expires_at = connection.access_token_expires_at
        self._can_refresh = bool(connection.refresh_token_encrypted)

    def _due(self) -> bool:
        return self._expires_at is not None and now() >= self._expires_at - REFRESH_MARGIN

    def token(self) -> str:
        if self._due() and self._can_refresh:
            self._refresh(rejected=self._token)
        return self._token

    def refreshed(self, *, rejected: str) -> str | None:
        if not self._can_refresh:
            return None
        self._refresh(rejected=rejected)
        return self._token if self._token != rejected else None

    def _refresh(self, *, rejected: str) -> None:
        with transaction.atomic():
            # The store's lock: one worker refreshes, the others wait here and then re-read.
            connection = (
                PlatformConnection.objects.for_store(self.store_id).select_for_update().get(pk=self.pk)
            )
            if connection.status != PlatformConnection.Status.ACTIVE:
                raise PermanentPlatformError(
                    connection.status_message or "The store is not connected to Shopify.",
                    code=PlatformErrorCode.PLATFORM_RECONNECT_NEEDED,
                )
            stored = connection.access_token
            fresh = connection.access_token_expires_at is None or (
                now() < connection.access_token_expires_at - REFRESH_MARGIN
            )
            if stored != rejected and fresh:
                self._remember(connection)  # another worker renewed it while we waited
                return
            grant = _refresh_grant(shop=connection.shop_domain, refresh_token=connection.refresh_token)
            if grant is None:
                connection.status = PlatformConnection.Status.RECONNECT
                connection.status_message = RECONNECT_MESSAGE
                connection.save(update_fields=["status", "status_message", "updated_at"])
                logger.warning("shopify %s: refresh token refused; the store must reconnect", self.shop)
            else:
                store_grant(connection, grant)
                connection.save()
                self._remember(connection)
                logger.info("shopify %s: access token refreshed", self.shop)
        if grant is None:
            raise PermanentPlatformError(RECONNECT_MESSAGE, code=PlatformErrorCode.PLATFORM_RECONNECT_NEEDED)


def store_grant(connection: PlatformConnection, grant: TokenGrant) -> None:
    """Put a grant on the connection (unsaved): every new refresh token replaces the old one."""
    connection.set_access_token(grant.access_token)
    connection.set_refresh_token(grant.refresh_token)
    connection.access_token_expires_at = grant.expires_at
    connection.refresh_token_expires_at = grant.refresh_token_expires_at


def token_request(*, shop: str, body: dict[str, Any]) -> httpx.Response:
    """POST to the shop's token endpoint with the app's credentials; transport trouble is transient."""
    try:
        return http_client().post(
            f"{shop_origin(shop)}/admin/oauth/access_token",
            json={
                "client_id": settings.SHOPIFY_API_KEY,
                "client_secret": settings.SHOPIFY_API_SECRET,
                **body,
            },
            headers={"Accept": "application/json"},
            timeout=settings.SHOPIFY_HTTP_TIMEOUT,
        )
    except httpx.TransportError:
        raise TransientPlatformError(
            "Shopify could not be reached; try again.", code=PlatformErrorCode.PLATFORM_UNREACHABLE
        ) from None


def read_grant(data: dict[str, Any]) -> TokenGrant:
    """The grant in a token answer (KeyError/TypeError/ValueError when there is no token in it)."""
    issued = now()
    expires_in = data.get("expires_in")
    refresh_in = data.get("refresh_token_expires_in")
    return TokenGrant(
        access_token=str(data["access_token"]),
        scopes=frozenset(s.strip() for s in str(data.get("scope", "")).split(",") if s.strip()),
        refresh_token=str(data.get("refresh_token") or ""),
        expires_at=issued + timedelta(seconds=int(expires_in)) if expires_in else None,
        refresh_token_expires_at=issued + timedelta(seconds=int(refresh_in)) if refresh_in else None,
    )


def _refresh_grant(*, shop: str, refresh_token: str) -> TokenGrant | None:
    """Spend a refresh token for a new pair; None when Shopify refuses it (expired, used, revoked)."""
    # https://shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh
    response = token_request(shop=shop, body={"grant_type": "refresh_token", "refresh_token": refresh_token})
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientPlatformError(
            "Shopify could not renew the token; try again.", code=PlatformErrorCode.PLATFORM_UNAVAILABLE
        )
    if response.status_code != 200:
        return None
    try:
        return read_grant(response.json())
    except (ValueError, KeyError, TypeError):
        raise TransientPlatformError(
            "Shopify sent an unreadable token answer.", code=PlatformErrorCode.PLATFORM_BAD_RESPONSE
        ) from None


def migrate_to_expiring_token(*, connection: PlatformConnection) -> bool:
    """Exchange a connection's non-expiring token for an expiring pair; False if it had one already.

    Token exchange with the non-expiring token as the subject, asking for an expiring offline token.
    Shopify then invalidates the old token; a retry with it within seven days answers the same pair.
      https://shopify.dev/docs/apps/build/authentication-authorization/migrate-to-expiring-offline-access-tokens
      https://shopify.dev/changelog/more-resilient-token-exchanges-when-migrating-tokens-without-a-user-session
    """
    with transaction.atomic():
        locked = (
            PlatformConnection.objects.for_store(connection.store_id)
            .select_for_update()
            .get(pk=connection.pk)
        )
        if not locked.is_active or locked.refresh_token_encrypted:
            return False
        response = token_request(
            shop=locked.shop_domain,
            body={
                "grant_type": TOKEN_EXCHANGE,
                "subject_token": locked.access_token,
                "subject_token_type": OFFLINE_TOKEN_TYPE,
                "requested_token_type": OFFLINE_TOKEN_TYPE,
                "expiring": "1",
            },
        )
        if response.status_code != 200:
            raise PermanentPlatformError(
                f"Shopify refused to exchange the store's token ({response.status_code}).",
                code=PlatformErrorCode.TOKEN_EXCHANGE_REFUSED,
            )
        try:
            grant = read_grant(response.json())
        except (ValueError, KeyError, TypeError):
            raise PermanentPlatformError(
                "Shopify sent no token.", code=PlatformErrorCode.TOKEN_EXCHANGE_REFUSED
            ) from None
        store_grant(locked, grant)
        locked.save()
    return True
