"""The base of every page under /app/<store>/: it resolves the store and checks the scope first.

A view declares the scope each HTTP method needs in `required_scopes`; a handler without a
declared scope is refused when the class is defined, so no page can forget its check. The
store and the actor's access are resolved in `dispatch`, before any handler runs:
unknown store or no access -> 404; a store that requires two-factor authentication, and the person
has no authenticator -> the authenticator set-up page; a role without the scope -> 403; not signed in
-> sign-in page.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from portal.http import AmendRequest
from portal.localization import use_store_clock
from tenants.access import MfaRequired, StoreAccess, access_store_for_staff
from tenants.errors import NotFound, PermissionDenied
from tenants.models import Store

_HANDLERS = ("get", "post", "put", "patch", "delete")


def redirect_to_mfa_setup(request: HttpRequest, message: str) -> HttpResponse:
    """Send the person to set up an authenticator, and back here afterwards."""
    messages.warning(request, message)
    return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': request.get_full_path()})}")


class StoreStaffView(View):
    required_scopes: ClassVar[dict[str, str]] = {}
    access: StoreAccess
    store: Store
    nav: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for method in _HANDLERS:
            if hasattr(cls, method) and method.upper() not in cls.required_scopes:
                raise ImproperlyConfigured(f"{cls.__name__}.{method} has no scope in required_scopes.")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        method = "GET" if request.method == "HEAD" else (request.method or "GET")
        if method not in self.required_scopes:
            return self.http_method_not_allowed(request, *args, **kwargs)
        try:
            self.access = access_store_for_staff(
                user=request.user, slug=kwargs.pop("store_slug"), scope=self.required_scopes[method]
            )
        except NotFound:
            raise Http404 from None
        except MfaRequired as error:
            return redirect_to_mfa_setup(request, error.message)
        except PermissionDenied as error:
            raise DjangoPermissionDenied(error.message) from None
        self.store = self.access.store
        cast(AmendRequest, request).store = self.store  # View.dispatch's signature says HttpRequest
        use_store_clock(self.store)
        return super().dispatch(request, *args, **kwargs)

    def render(
        self, request: HttpRequest, template: str, context: dict[str, Any] | None = None, **kw: Any
    ) -> HttpResponse:
        base = {"store": self.store, "access": self.access, "nav": self.nav}
        return render(request, template, {**base, **(context or {})}, **kw)

    def redirect_here(self, name: str, **kwargs: Any) -> HttpResponse:
        return redirect(name, store_slug=self.store.slug, **kwargs)
