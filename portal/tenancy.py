"""Tenant resolution for a store's own domain, and the branding every store page is drawn with.

Path-based pages (/s/<store>/, /app/<store>/) resolve their store in their base views. A request
whose host is a store's verified own domain (orders.example.com) is routed here once: it gets that
store's customer portal at / through its own URLconf, and `request.store` is set before any view runs.
Amend's own hosts (tenants/hosts.py) are never looked up. When `ALLOWED_HOSTS` holds `*` (so stores'
domains reach Amend without being listed), a host that is neither Amend's own nor a verified store
domain is a 404: Django's host check is then this one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from portal.app_proxy import PROXY_URLCONF, app_proxy
from portal.http import AmendRequest
from tenants.access import store_for_host
from tenants.hosts import is_own_host
from tenants.models import Store

DOMAIN_URLCONF = "portal.customer.domain_urls"
# Load balancers probe these by an address of the moment, which is nobody's host name.
_ANY_HOST_PATHS = frozenset({"/healthz", "/readyz"})


class StoreDomainMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: AmendRequest) -> HttpResponse:
        request.store = None
        try:
            host = request.get_host()
        except DisallowedHost:
            host = ""
        bare_host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        bare_host = bare_host.lower().rstrip(".")
        if not bare_host or is_own_host(bare_host):
            # Amend's own host names never belong to a store: skip the lookup for them.
            return self.get_response(request)
        store = store_for_host(bare_host)
        if store is not None:
            request.store = store
            request.urlconf = DOMAIN_URLCONF
        elif "*" in settings.ALLOWED_HOSTS and request.path not in _ANY_HOST_PATHS:
            raise Http404("No store serves this host name.")
        return self.get_response(request)


def on_store_domain(request: HttpRequest) -> bool:
    return getattr(request, "urlconf", None) == DOMAIN_URLCONF


def store_url(request: HttpRequest, name: str, store: Store | None, **kwargs: Any) -> str:
    """Reverse a customer-portal URL for the store, with or without /s/<store>/ depending on the host,
    or as the storefront's path when Shopify's app proxy forwarded the request."""
    proxy = app_proxy(request)
    if proxy is not None:
        return proxy.public_path(reverse(name, kwargs=kwargs or None, urlconf=PROXY_URLCONF))
    if on_store_domain(request):
        return reverse(name, kwargs=kwargs or None, urlconf=DOMAIN_URLCONF)
    if store is None:
        raise ValueError("A customer-portal URL off the store's own domain needs the store.")
    return reverse(name, kwargs={"store_slug": store.slug, **kwargs})


SIGNIN_STORE_SESSION_KEY = "signin_store_id"


def signin_store(request: HttpRequest) -> Store | None:
    """The store whose customer sign-in is in progress in this session, if any."""
    store_id = request.session.get(SIGNIN_STORE_SESSION_KEY) if hasattr(request, "session") else None
    return Store.objects.filter(pk=store_id).first() if store_id else None


def branding(request: HttpRequest) -> dict[str, Any]:
    """Template context: the store whose brand the page wears (customer pages and their sign-in)."""
    store = getattr(request, "store", None)
    if store is None and request.path.startswith("/accounts/") and hasattr(request, "session"):
        # The sign-in code pages belong to allauth; they wear the brand of the store being signed in to.
        store = signin_store(request)
    return {"brand_store": store}
