"""Held orders: which new orders' fulfilment Amend holds, until when, and releasing one now."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from cancellations.holds.selectors import held_orders, hold_scopes_missing, recent_holds
from cancellations.holds.services import release_by_staff
from cancellations.policy.services import current_policy
from portal.merchant.base import StoreStaffView
from tenants.errors import DomainError, NotFound
from tenants.roles import Scope


class HeldOrdersView(StoreStaffView):
    required_scopes = {"GET": Scope.ORDERS_READ}
    nav = "orders"

    def get(self, request: HttpRequest) -> HttpResponse:
        policy, _version = current_policy(store=self.store)
        context = {
            "holds": list(held_orders(store=self.store)),
            "recent": list(recent_holds(store=self.store)),
            "hold_settings": policy.fulfilment_hold,
            "scopes_missing": hold_scopes_missing(store=self.store),
        }
        return self.render(request, "merchant/holds.html", context)


class ReleaseHoldView(StoreStaffView):
    required_scopes = {"POST": Scope.REQUESTS_DECIDE}

    def post(self, request: HttpRequest, hold_id: int) -> HttpResponse:
        try:
            hold = release_by_staff(store=self.store, hold_id=hold_id, user_id=self.access.user.pk)
        except NotFound:
            raise Http404 from None
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Order %(name)s is released for fulfilment.") % {"name": hold.order.name}
            )
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("merchant:holds", args=[self.store.slug])
        return redirect(target)
