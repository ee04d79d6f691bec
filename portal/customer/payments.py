"""The built-in store's pay page: what a payment link from an edited order opens.

Whoever holds the link may pay (as with an emailed invoice); another store's link, or a made-up one,
is a 404. The built-in store records the payment and takes no card: it is Amend's reference store.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect

from cancellations.models import BuiltinPayment
from cancellations.platforms.builtin_payments import pay, payment_by_token
from portal.customer.base import CustomerView
from tenants.errors import NotFound
from tenants.models import Platform


class PayView(CustomerView):
    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        self.token = str(kwargs.pop("token", ""))
        return super().dispatch(request, *args, **kwargs)

    def _payment(self) -> BuiltinPayment:
        if self.store.platform != Platform.BUILTIN:
            raise Http404
        try:
            return payment_by_token(store=self.store, token=self.token)
        except NotFound:
            raise Http404 from None

    def get(self, request: HttpRequest) -> HttpResponse:
        payment = self._payment()
        return self.render(request, "customer/pay.html", {"payment": payment, "order": payment.order})

    def post(self, request: HttpRequest) -> HttpResponse:
        self._payment()
        pay(store=self.store, token=self.token)
        return redirect(request.path)
