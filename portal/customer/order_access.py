"""How a customer page reaches one order: signed in (their verified email) or by its signed link.

Every order page and flow exists twice: under orders/<order_id>/ for a signed-in customer and under
o/<token>/ for a guest holding the link from an email. `OrderPageMixin` resolves the order once in
`dispatch`, so every handler works the same way for both.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect

from cancellations.models import Order
from cancellations.orders.access import access_order_by_link, access_order_for_customer
from cancellations.requests.actors import Actor
from portal.customer.base import CustomerView, verified_emails
from tenants.errors import NotFound


class OrderPageMixin(CustomerView):
    order: Order
    token: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.token = kwargs.pop("token", None)
        self.order_id = kwargs.pop("order_id", None)
        return super().dispatch(request, *args, **kwargs)

    def setup_order(self) -> HttpResponse | None:
        """Resolve the order (called by CustomerView after the store is known)."""
        if self.token is not None:
            try:
                self.order = access_order_by_link(
                    store=self.store, token=self.token, max_age_seconds=settings.ORDER_LINK_MAX_AGE
                )
            except NotFound:
                return self.render(self.request, "customer/link_expired.html", status=404)
            self.order.store = self.store
            return None
        try:
            if not self.request.user.is_authenticated:
                return redirect(f"{self.url('customer:signin')}?next={self.request.get_full_path()}")
            else:
                emails = verified_emails(self.request.user)
                self.order = access_order_for_customer(
                    store=self.store, emails=emails, order_id=self.order_id
                )
        except NotFound:
            raise Http404 from None
        self.order.store = self.store
        return None

    @property
    def guest(self) -> bool:
        return self.token is not None

    def order_url(self, name: str = "", **kwargs: Any) -> str:
        """A URL of this order's pages, in the same form (signed-in or link) as the current one."""
        suffix = f"_{name}" if name else ""
        if self.guest:
            return self.url(f"customer:order_link{suffix}", token=self.token, **kwargs)
        return self.url(f"customer:order{suffix}", order_id=self.order.pk, **kwargs)

    def actor(self) -> Actor:
        if self.request.user.is_authenticated and not self.guest:
            return Actor.customer(self.request.user)
        return Actor.customer(self.order.email)

    def order_context(self) -> dict[str, Any]:
        return {"order": self.order, "guest": self.guest, "order_url": self.order_url()}
