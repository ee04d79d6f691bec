"""How a request inside the Shopify admin is let in: its session token, the bounce page, the CSP.

- A full page load carries the session token in the URL (`id_token`, which Shopify adds when it opens
  the app). A load without a valid one is sent to the bounce page: a page with nothing but App Bridge
  and `shopify-reload`, which App Bridge reloads with a fresh `id_token`.
- A fetch carries it as `Authorization: Bearer <token>` (App Bridge's `shopify.idToken()`); without a
  valid one it is answered 401 with `X-Shopify-Retry-Invalid-Session-Request: 1`, and the page retries
  once with a new token.
- No cookie is read or needed: browsers block third-party cookies in the admin's iframe.
- Embedded responses may be framed by the shop's admin and nothing else (`frame-ancestors`), and may
  load App Bridge from Shopify's CDN; every other page keeps the site-wide `frame-ancestors 'none'`.
  https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens
  https://shopify.dev/docs/apps/build/security/set-up-iframe-protection
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect

from cancellations.platforms.shopify.signing import is_shop_domain

APP_BRIDGE_ORIGIN = "https://cdn.shopify.com"
APP_BRIDGE_URL = f"{APP_BRIDGE_ORIGIN}/shopifycloud/app-bridge.js"
SHOPIFY_ADMIN_ORIGIN = "https://admin.shopify.com"
RETRY_HEADER = "X-Shopify-Retry-Invalid-Session-Request"
EMBEDDED_PREFIX = "/shopify/admin/"


def embedded_csp(shop: str) -> str:
    """The site's CSP with App Bridge's origin allowed and framing by this shop's admin only."""
    directives = [part.strip() for part in settings.CONTENT_SECURITY_POLICY.split(";") if part.strip()]
    kept = []
    has_script_src = False
    for directive in directives:
        name = directive.split()[0].lower()
        if name == "frame-ancestors":
            continue
        if name == "script-src":
            has_script_src = True
            directive = f"{directive} {APP_BRIDGE_ORIGIN}"
        kept.append(directive)
    if not has_script_src:
        kept.append(f"script-src 'self' {APP_BRIDGE_ORIGIN}")
    ancestors = f"https://{shop} {SHOPIFY_ADMIN_ORIGIN}" if is_shop_domain(shop) else SHOPIFY_ADMIN_ORIGIN
    kept.append(f"frame-ancestors {ancestors}")
    return "; ".join(kept)


def as_embedded(response: HttpResponse, shop: str) -> HttpResponse:
    """Let the shop's admin frame the response (and only it)."""
    response["Content-Security-Policy"] = embedded_csp(shop)
    response.xframe_options_exempt = True  # read by XFrameOptionsMiddleware (@xframe_options_exempt)
    response["Cache-Control"] = "no-store"
    return response


def reload_path(request: HttpRequest) -> str:
    """This page's own path and query without the spent session token, for App Bridge to reload."""
    query: QueryDict = request.GET.copy()
    for name in ("id_token", "shopify-reload"):
        query.pop(name, None)
    encoded = query.urlencode()
    return f"{request.path}?{encoded}" if encoded else request.path


def bounce(request: HttpRequest) -> HttpResponse:
    """Send a page load without a valid session token to the bounce page, to come back with one."""
    params = {"shopify-reload": reload_path(request)}
    for name in ("shop", "host", "embedded"):
        if request.GET.get(name):
            params[name] = request.GET[name]
    return redirect(f"{EMBEDDED_PREFIX}bounce?{urlencode(params)}")


def safe_reload_target(value: str) -> str:
    """The reload target if it is one of the embedded pages, else the embedded home."""
    if value.startswith(EMBEDDED_PREFIX) and not value.startswith("//") and "\\" not in value:
        return value
    return EMBEDDED_PREFIX


def api_key() -> str:
    return settings.SHOPIFY_API_KEY
