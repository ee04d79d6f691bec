"""The request as Amend's middleware and base views leave it, for the type checker.

Django hands every view a plain HttpRequest; the middleware (and the customer and merchant base
views) add attributes to it. Code that sets or reads them annotates the request with `AmendRequest`
(or casts to it where a framework signature fixes the parameter as HttpRequest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from portal.app_proxy import AppProxy
    from tenants.models import Store, User


class AmendRequest(HttpRequest):
    # RequestLogMiddleware: the id logged with every line and sent back as X-Request-ID.
    request_id: str
    # StoreDomainMiddleware (None off a store's own domain); CustomerView and StoreStaffView set it too.
    store: Store | None
    # AppProxyMiddleware, on a request Shopify's app proxy forwarded and signed (absent otherwise).
    app_proxy: AppProxy
    # StaffSessionMiddleware, just before it signs out an idle session (see accounts/audit.py).
    _session_expired: bool


class SignedInRequest(AmendRequest):
    """A request past @login_required, or just after sign-in: the user is a User, never anonymous."""

    user: User
