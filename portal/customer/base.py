"""The base of every customer page: the store comes from /s/<store>/ or from the store's own domain."""

from __future__ import annotations

from typing import Any, cast

from allauth.account.models import EmailAddress
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views import View

from portal.http import AmendRequest
from portal.localization import use_store_clock, use_store_language
from portal.tenancy import store_url
from tenants.access import store_by_slug
from tenants.errors import NotFound
from tenants.models import Store


def verified_emails(user: Any) -> list[str]:
    """The email addresses the signed-in person has proven they own."""
    if not user.is_authenticated:
        return []
    return [
        email.lower()
        for email in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    ]


class CustomerView(View):
    store: Store
    login_required = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        slug = kwargs.pop("store_slug", None)
        store = getattr(request, "store", None)
        if slug is not None:
            try:
                store = store_by_slug(slug)
            except NotFound:
                raise Http404 from None
        if store is None:
            raise Http404
        self.store = store
        cast(AmendRequest, request).store = store  # View.dispatch's signature says HttpRequest
        # Customers see their store's language (unless they picked one) and its clock.
        use_store_language(request, store)
        use_store_clock(store)
        if self.login_required and not request.user.is_authenticated:
            return redirect(f"{self.url('customer:signin')}?next={request.get_full_path()}")
        early = self.setup_order()
        if early is not None:
            return early
        return super().dispatch(request, *args, **kwargs)

    def setup_order(self) -> HttpResponse | None:
        """A hook for pages about one order (see order_access.OrderPageMixin)."""
        return None

    def url(self, name: str, **kwargs: Any) -> str:
        return store_url(self.request, name, self.store, **kwargs)

    def absolute_url(self, path: str) -> str:
        """A path of this portal as a full address, for links that leave the page (emails)."""
        return self.request.build_absolute_uri(path)

    def render(
        self, request: HttpRequest, template: str, context: dict[str, Any] | None = None, **kw: Any
    ) -> HttpResponse:
        return render(request, template, {"store": self.store, **(context or {})}, **kw)
