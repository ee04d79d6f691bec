"""The customer has nothing to change: their order need not wait for the change window to close."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from cancellations.holds.services import release_for_customer
from portal.customer.order_access import OrderPageMixin
from tenants.errors import DomainError


class NothingToChangeView(OrderPageMixin):
    """Release the order's fulfilment hold at the customer's word; the order is theirs (checked)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            release_for_customer(store=self.store, order=self.order)
        except DomainError:
            messages.info(request, _("Your order is already on its way to being packed."))
        else:
            messages.success(request, _("Thank you. Your order goes to packing now."))
        return redirect(self.order_url())
