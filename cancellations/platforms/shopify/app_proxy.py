"""Requests from a shop's storefront through Shopify's app proxy, checked the way Shopify documents.

A customer opens `https://<shop>/apps/<subpath>/...`; Shopify forwards the request to Amend's
`/shopify/proxy/...` with `shop`, `logged_in_customer_id` (empty for an anonymous visitor),
`path_prefix`, `timestamp` and `signature` added to the query, and strips cookies both ways:
  https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies
Nothing of such a request is trusted until the signature holds (current or previous app secret) and the
timestamp is within `SHOPIFY_APP_PROXY_MAX_AGE` seconds of now, either way (a replayed or pre-dated link
is refused). The shop must be a myshopify.com domain and the path prefix one Shopify can configure.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.conf import settings

from cancellations.platforms.base import PermanentPlatformError
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.shopify.signing import Query, is_shop_domain, query_pairs, verify_proxy_signature

CUSTOMER_GID = "gid://shopify/Customer/"
# The prefixes Shopify offers (apps, a, community, tools) and a subpath of letters, digits, _ and -,
# at most 30 characters: https://shopify.dev/docs/apps/build/online-store/app-proxies
PATH_PREFIX = re.compile(r"^/(apps|a|community|tools)/[A-Za-z0-9_-]{1,30}$")
CUSTOMER_ID = re.compile(r"^[0-9]{1,20}$")


class ProxyRefused(PermanentPlatformError):
    """A request to /shopify/proxy/ that Shopify did not sign, signed long ago, or for no valid shop."""

    code = PlatformErrorCode.PROXY_REFUSED


@dataclass(frozen=True)
class ProxyRequest:
    shop: str  # the shop's myshopify.com domain
    customer_id: str  # the signed-in customer's numeric Shopify id, "" for an anonymous visitor
    path_prefix: str  # where the storefront mounts the proxy, e.g. /apps/amend
    timestamp: int

    @property
    def customer_gid(self) -> str:
        """The customer as the order mirror keeps them (`Order.customer_id`), "" when anonymous."""
        return f"{CUSTOMER_GID}{self.customer_id}" if self.customer_id else ""


def verify_proxy_request(params: Query, *, now: float | None = None) -> ProxyRequest:
    """The proxied request these query parameters describe, or `ProxyRefused` (nothing is trusted before)."""
    if not verify_proxy_signature(params):
        raise ProxyRefused(
            "The request was not signed by Shopify.", code=PlatformErrorCode.PROXY_SIGNATURE_INVALID
        )
    values: dict[str, list[str]] = {}
    for key, value in query_pairs(params):
        values.setdefault(key, []).append(value)

    def one(key: str) -> str:
        found = values.get(key, [])
        if len(found) != 1:
            raise ProxyRefused(f"The proxied request has no single {key}.")
        return found[0]

    shop, customer_id, prefix, stamp = (
        one("shop").lower(),
        one("logged_in_customer_id"),
        one("path_prefix"),
        one("timestamp"),
    )
    if not stamp.isdigit():
        raise ProxyRefused(
            "The proxied request has no timestamp.", code=PlatformErrorCode.PROXY_REQUEST_STALE
        )
    now = time.time() if now is None else now
    if abs(now - int(stamp)) > settings.SHOPIFY_APP_PROXY_MAX_AGE:
        raise ProxyRefused(
            "The proxied request is too old (or from the future).", code=PlatformErrorCode.PROXY_REQUEST_STALE
        )
    if not is_shop_domain(shop):
        raise ProxyRefused("The proxied request names no Shopify shop.")
    if customer_id and CUSTOMER_ID.fullmatch(customer_id) is None:
        raise ProxyRefused("The proxied request names no valid customer.")
    if PATH_PREFIX.fullmatch(prefix) is None:
        raise ProxyRefused("The proxied request has no valid path prefix.")
    return ProxyRequest(shop=shop, customer_id=customer_id, path_prefix=prefix, timestamp=int(stamp))
