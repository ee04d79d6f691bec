"""CORS for the extensions' endpoints: the extensions' origin may read the answers, no other origin may.

Shopify runs a UI extension's code in a web worker on its own origin, and a `fetch()` from there to
Amend is cross-origin, so the browser asks first (a preflight) and reads the answer only if Amend allows
that origin: https://shopify.dev/docs/apps/build/customer-accounts/capabilities#network-access
The allowed origins are the setting SHOPIFY_EXTENSION_ORIGINS. No credentials (cookies) are allowed:
the session token in the Authorization header is the only proof of who calls.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from rest_framework.response import Response

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, Accept-Language, Idempotency-Key"
PREFLIGHT_MAX_AGE = "600"


def allowed_origin(request: HttpRequest) -> str:
    """The request's Origin when the extensions may call from it, "" otherwise."""
    origin = request.headers.get("Origin", "")
    return origin if origin and origin in settings.SHOPIFY_EXTENSION_ORIGINS else ""


def add_cors_headers(request: HttpRequest, response: HttpResponse | Response) -> None:
    """Let the extensions' origin read this answer; every answer varies by Origin for caches."""
    patch_vary_headers(response, ("Origin",))
    origin = allowed_origin(request)
    if origin:
        response["Access-Control-Allow-Origin"] = origin


def preflight(request: HttpRequest) -> HttpResponse:
    """The answer to a browser's OPTIONS preflight: what an allowed origin may send; nothing for others."""
    response = HttpResponse(status=204)
    add_cors_headers(request, response)
    if response.has_header("Access-Control-Allow-Origin"):
        response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response
