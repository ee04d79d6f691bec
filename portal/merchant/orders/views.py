"""A staff member acts on an order from its page: cancel it, or change its items, on the customer's behalf.

Both go through the same service as the customer's own requests (`submit_request`, with the staff actor),
so the store's policy decides them the same way: allowed goes through, the rest waits in the queue,
where staff with `requests:decide` approve it. Acting needs `requests:decide`; reading, `orders:read`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cancellations.holds.selectors import hold_of_order
from cancellations.models import Order, OrderRequest, RequestKind
from cancellations.orders.access import access_order
from cancellations.orders.describe import Describer
from cancellations.policy.services import current_policy
from cancellations.requests.actors import Actor
from cancellations.requests.errors import RequestAlreadyOpen
from cancellations.requests.selectors import requests_for_order
from cancellations.requests.submission import submit_request
from portal.merchant.base import StoreStaffView
from portal.merchant.orders.forms import StaffCancelForm, StaffEditForm
from tenants.errors import DomainError, NotFound
from tenants.roles import Scope


def _key() -> str:
    return uuid.uuid4().hex


class _OrderPage(StoreStaffView):
    """The order, its requests in words, and (for those who decide requests) what staff can do for it."""

    nav = "orders"

    def order(self, order_id: int) -> Order:
        try:
            return access_order(store=self.store, order_id=order_id)
        except NotFound:
            raise Http404 from None

    def reasons(self) -> list[tuple[str, str]]:
        policy, _version = current_policy(store=self.store)
        language = get_language() or self.store.locale
        return [(reason.code, reason.label(language)) for reason in policy.reasons.choices]

    def page(self, request: HttpRequest, order: Order, status: int = 200, **forms_: Any) -> HttpResponse:
        lines = list(order.line_items.all())
        requests = list(requests_for_order(store=self.store, order=order))
        describer = Describer(self.store, requests)
        context = {
            "order": order,
            "lines": lines,
            "requests": [(row, describer.title_of(row), describer.summary_of(row)) for row in requests],
            "can_act": self.access.has(Scope.REQUESTS_DECIDE) and order.cancelled_at is None,
            "hold": hold_of_order(store=self.store, order=order),
            "cancel_form": forms_.get("cancel_form")
            or StaffCancelForm(initial={"submit_key": _key()}, reasons=self.reasons()),
            "edit_form": forms_.get("edit_form")
            or StaffEditForm(initial={"submit_key": _key()}, lines=lines),
        }
        return self.render(request, "merchant/order.html", context, status=status)

    def submit(self, request: HttpRequest, order: Order, kind: str, key: str, **fields: Any) -> HttpResponse:
        try:
            made = submit_request(
                store=self.store,
                order=order,
                actor=Actor.staff(self.access),
                kind=kind,
                idempotency_key=key,
                **fields,
            )
        except RequestAlreadyOpen as error:
            messages.info(request, error.message)
            return self.redirect_here("merchant:queue_request", request_id=error.request.pk)
        messages.success(request, _asked_message(made))
        return self.redirect_here("merchant:queue_request", request_id=made.pk)


class OrderPageView(_OrderPage):
    required_scopes = {"GET": Scope.ORDERS_READ}

    def get(self, request: HttpRequest, order_id: int) -> HttpResponse:
        return self.page(request, self.order(order_id))


def _asked_message(made: OrderRequest) -> str:
    return _("Asked for on the customer's behalf: %(status)s.") % {"status": made.get_status_display()}


class OrderCancelView(_OrderPage):
    required_scopes = {"POST": Scope.REQUESTS_DECIDE}

    def post(self, request: HttpRequest, order_id: int) -> HttpResponse:
        order = self.order(order_id)
        form = StaffCancelForm(request.POST, reasons=self.reasons())
        if form.is_valid():
            try:
                return self.submit(
                    request,
                    order,
                    RequestKind.CANCEL,
                    form.cleaned_data["submit_key"],
                    reason_code=form.cleaned_data["reason"],
                    reason_text=form.cleaned_data["note"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
        return self.page(request, order, status=400, cancel_form=form)


class OrderEditView(_OrderPage):
    required_scopes = {"POST": Scope.REQUESTS_DECIDE}

    def post(self, request: HttpRequest, order_id: int) -> HttpResponse:
        order = self.order(order_id)
        form = StaffEditForm(request.POST, lines=list(order.line_items.all()))
        if form.is_valid():
            try:
                return self.submit(
                    request, order, RequestKind.EDIT, form.cleaned_data["submit_key"], changes=form.changes()
                )
            except DomainError as error:
                form.add_error(None, error.message)
        return self.page(request, order, status=400, edit_form=form)
