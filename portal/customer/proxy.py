"""The customer portal as the storefront's own pages, through Shopify's app proxy.

These are the portal's views (find an order, withdraw, one order and its flows) with another way in:
the store and the customer come from the request Shopify signed (portal/app_proxy.py), not from the
URL and a session. A customer signed in to the shop (`logged_in_customer_id`) sees the orders the
mirror keeps under their Shopify customer id at that store, and nothing else; an anonymous visitor
gets the find-order and withdrawal flows, and the order pages of a signed link.

Full pages answer `application/liquid`, a fragment the shop's theme frames; redirects are plain.
Shopify renders that answer as Liquid, so `{{` and `{%` in it are made plain text first: an address
or a reason a customer typed never runs as Liquid. No cookies pass the proxy, so these views are
exempt from Django's cookie CSRF check and a POST must carry the proxy's form token instead
(docs/decisions/0100).
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt

from cancellations.orders.access import access_platform_customer_order, orders_for_platform_customer
from cancellations.policy.services import current_policy
from cancellations.requests.actors import Actor
from portal.app_proxy import FORM_TOKEN_FIELD, AppProxy, app_proxy, form_token_holds
from portal.customer.base import CustomerView
from portal.customer.order_access import OrderPageMixin
from tenants.errors import NotFound

LIQUID = "application/liquid; charset=utf-8"
PROXY_BASE = "customer/proxy/base.html"


def inert_liquid(html: str) -> str:
    """The page with every `{{` and `{%` shown as text rather than run by Shopify's Liquid."""
    return html.replace("{{", "&#123;&#123;").replace("{%", "&#123;%")


def as_liquid(response: HttpResponse) -> HttpResponse:
    """A page for the shop's theme to frame, with nothing in it that Liquid would run."""
    response.content = inert_liquid(response.content.decode()).encode()
    response["Content-Type"] = LIQUID
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Not found, inside the shop's theme (the proxy URLconf's handler404)."""
    return as_liquid(render(request, "404.html", {"base_template": PROXY_BASE}, status=404))


@method_decorator(csrf_exempt, name="dispatch")
class ProxyMixin(CustomerView):
    """A customer page answered through the app proxy (put first, before the portal view it serves)."""

    proxy: AppProxy

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        proxy = app_proxy(request)
        if proxy is None:  # only AppProxyMiddleware routes here, after checking the signature
            raise Http404
        self.proxy = proxy
        return super().dispatch(request, *args, **kwargs)

    def setup_order(self) -> HttpResponse | None:
        if self.request.method == "POST" and not form_token_holds(
            self.proxy, self.request.path, self.request.POST.get(FORM_TOKEN_FIELD, "")
        ):
            here = self.proxy.public_path(self.request.path)
            return self.render(self.request, "customer/proxy/form_expired.html", {"here": here}, status=403)
        return super().setup_order()

    def here(self) -> str:
        return self.proxy.public_path(self.request.path)

    def absolute_url(self, path: str) -> str:
        return self.proxy.public_url(path)

    def render(
        self, request: HttpRequest, template: str, context: dict[str, Any] | None = None, **kw: Any
    ) -> HttpResponse:
        context = {"base_template": PROXY_BASE, "proxy": self.proxy, **(context or {})}
        return as_liquid(super().render(request, template, context, **kw))


class ProxyOrderMixin(ProxyMixin, OrderPageMixin):
    """One order through the proxy: by its signed link, or as the signed-in Shopify customer's own."""

    def setup_order(self) -> HttpResponse | None:
        if self.token is not None or (self.request.method == "POST" and not self._form_ok()):
            return super().setup_order()
        if not self.proxy.customer_gid:
            return redirect(self.proxy.login_path(self.here()))
        try:
            self.order = access_platform_customer_order(
                store=self.store, customer_id=self.proxy.customer_gid, order_id=self.order_id
            )
        except NotFound:
            raise Http404 from None
        self.order.store = self.store
        return None

    def _form_ok(self) -> bool:
        return form_token_holds(self.proxy, self.request.path, self.request.POST.get(FORM_TOKEN_FIELD, ""))

    def actor(self) -> Actor:
        # The signed-in Shopify customer placed this order (or the guest holds its link): its email.
        return Actor.customer(self.order.email)


class ProxyOrderListView(ProxyMixin):
    """The signed-in Shopify customer's orders at this store."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not self.proxy.customer_gid:
            return redirect(self.proxy.login_path(self.here()))
        orders = orders_for_platform_customer(store=self.store, customer_id=self.proxy.customer_gid)
        page = Paginator(orders.prefetch_related("line_items"), 20).get_page(request.GET.get("page"))
        return self.render(request, "customer/orders.html", {"page": page, "proxied_customer": True})


class ProxyHomeView(ProxyOrderListView):
    """The storefront's page: a signed-in customer's orders, or the ways in for anyone else."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if self.proxy.customer_gid:
            return super().get(request)
        policy, _version = current_policy(store=self.store)
        context = {"withdrawal": policy.withdrawal.enabled, "login": self.proxy.login_path(self.here())}
        return self.render(request, "customer/proxy/home.html", context)
