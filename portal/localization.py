"""One language, one clock: a store-scoped page speaks the store's language and tells its time.

The customer and merchant base views resolve the store and call `use_store_clock` (the customer
portal also `use_store_language`); a store's own domain is resolved by StoreDomainMiddleware, and
StoreClockMiddleware starts that request on the store's clock. The middleware also puts the clock
back to UTC when every request ends, so a worker thread never carries one store's zone into the
next request. Emails and tasks use `cancellations.core.clock.store_clock(store)` around what they render.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from cancellations.core.clock import store_zone
from tenants.models import Store


def use_store_clock(store: Store) -> None:
    """Show every time on this request in the store's zone (until the request ends)."""
    timezone.activate(store_zone(store))


def use_store_language(request: HttpRequest, store: Store) -> None:
    """Speak the store's language unless the person picked one with the switcher."""
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(store.locale)
        request.LANGUAGE_CODE = store.locale


class StoreClockMiddleware:
    """Start a store's own-domain request on its clock; end every request on UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        store = getattr(request, "store", None)
        if isinstance(store, Store):
            use_store_clock(store)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
