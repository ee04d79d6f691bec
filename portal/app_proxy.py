"""The storefront through Shopify's app proxy: who a proxied request is for, and how its pages link.

`AppProxyMiddleware` checks every request under `/shopify/proxy/` before any view runs (Shopify's
signature, a fresh timestamp: cancellations/platforms/shopify/app_proxy.py) and maps `shop` to its
Amend store. A refused request is a bare 401 and an unknown shop a bare 404: neither shows anything.
A verified request gets `request.app_proxy` and `request.store`, and is routed through the proxy's
URLconf, where the customer portal's views answer as the storefront's pages.

Shopify strips cookies both ways, so a proxied page has no session and no CSRF cookie. Its forms are
guarded instead by the signed query (checked again on the POST) and by a short-lived signed form
token bound to the shop, the customer (or none) and the path it posts to (docs/decisions/0100).
Links on a proxied page point at the storefront's public path (`/<path_prefix>/...` on the shop's own
domain), never at Amend's host.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from cancellations.platforms.shopify.app_proxy import ProxyRefused, ProxyRequest, verify_proxy_request
from cancellations.platforms.shopify.oauth import store_for_shop
from portal.http import AmendRequest
from tenants.models import Store

PROXY_ROOT = "/shopify/proxy/"
PROXY_URLCONF = "portal.customer.proxy_urls"
FORM_TOKEN_FIELD = "proxy_form"  # noqa: S105 (a form field's name, not a secret)
FORM_TOKEN_SALT = "amend.app-proxy-form"  # noqa: S105 (a signing namespace, not a secret)


@dataclass(frozen=True)
class AppProxy:
    proxied: ProxyRequest
    store: Store

    @property
    def customer_gid(self) -> str:
        return self.proxied.customer_gid

    def public_path(self, path: str) -> str:
        """The storefront's path for one of Amend's proxy paths: /shopify/proxy/x/ -> /apps/amend/x/."""
        rest = path[len(PROXY_ROOT) :] if path.startswith(PROXY_ROOT) else path.lstrip("/")
        return f"{self.proxied.path_prefix}/{rest}"

    def public_url(self, public_path: str) -> str:
        """A storefront path as a full address on the shop's domain (for links in emails)."""
        return f"https://{self.proxied.shop}{public_path}"

    def login_path(self, public_path: str) -> str:
        """The storefront's customer sign-in, coming back to `public_path` afterwards."""
        return f"/account/login?{urlencode({'return_url': public_path})}"


def app_proxy(request: HttpRequest) -> AppProxy | None:
    return getattr(request, "app_proxy", None)


def make_form_token(proxy: AppProxy, path: str) -> str:
    """A token for a form shown through the proxy that posts back to `path` (Amend's side)."""
    return signing.dumps(
        {"s": proxy.proxied.shop, "c": proxy.proxied.customer_id, "p": path}, salt=FORM_TOKEN_SALT
    )


def form_token_holds(proxy: AppProxy, path: str, token: str) -> bool:
    """True if the token was made for this shop, this customer and this path, not too long ago."""
    try:
        payload = signing.loads(token, salt=FORM_TOKEN_SALT, max_age=settings.SHOPIFY_APP_PROXY_FORM_MAX_AGE)
    except signing.BadSignature:
        return False
    return payload == {"s": proxy.proxied.shop, "c": proxy.proxied.customer_id, "p": path}


def _refused(status: int) -> HttpResponse:
    response = HttpResponse(b"", status=status, content_type="text/plain")
    response["Cache-Control"] = "no-store"
    return response


class AppProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: AmendRequest) -> HttpResponse:
        if not request.path.startswith(PROXY_ROOT):
            return self.get_response(request)
        try:
            proxied = verify_proxy_request(request.GET)
        except ProxyRefused:
            return _refused(401)
        store = store_for_shop(proxied.shop)
        if store is None:
            return _refused(404)
        request.app_proxy = AppProxy(proxied=proxied, store=store)
        request.store = store
        request.urlconf = PROXY_URLCONF
        response = self.get_response(request)
        # A page for one customer on the shop's own domain: no shared cache may keep it.
        if "Cache-Control" not in response:
            response["Cache-Control"] = "private, no-store"
        return response
