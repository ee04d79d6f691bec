"""The base of every page under /app/<store>/: it resolves the store and checks the scope first.

A view declares the scope each HTTP method needs in `required_scopes`; a handler without a
declared scope is refused when the class is defined, so no page can forget its check. The
store and the actor's access are resolved in `dispatch`, before any handler runs:
unknown store or no access -> 404; a role without the scope -> 403; not signed in -> sign-in page.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from portal.http import AmendRequest
from tenants.access import StoreAccess, access_store_for_staff
from tenants.errors import NotFound, PermissionDenied
from tenants.models import Store

_HANDLERS = ("get", "post", "put", "patch", "delete")


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
        except PermissionDenied as error:
            raise DjangoPermissionDenied(error.message) from None
        self.store = self.access.store
        cast(AmendRequest, request).store = self.store  # View.dispatch's signature says HttpRequest
        if self.store.require_staff_mfa and not is_mfa_enabled(request.user):
            messages.warning(
                request,
                _("%(store)s requires two-factor authentication. Set up an authenticator app to continue.")
                % {"store": self.store.name},
            )
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.get_full_path()}")
        return super().dispatch(request, *args, **kwargs)

    def render(
        self, request: HttpRequest, template: str, context: dict[str, Any] | None = None, **kw: Any
    ) -> HttpResponse:
        base = {"store": self.store, "access": self.access, "nav": self.nav}
        return render(request, template, {**base, **(context or {})}, **kw)

    def redirect_here(self, name: str, **kwargs: Any) -> HttpResponse:
        return redirect(name, store_slug=self.store.slug, **kwargs)
