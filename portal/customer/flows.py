"""The customer's order page and what can be done from it: cancel, change, reorder, withdraw.

Each flow ends in `submit_request`, which decides by the store's policy. Every confirm form carries
a key made when the form was shown, so a double click, a second tab or a browser retry of the same
form creates one request; a second request of the same kind while one is open shows that one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cancellations.holds.selectors import hold_of_order
from cancellations.insights import record_retention_kept
from cancellations.models import OrderRequest, RequestKind, RequestStatus, Variant
from cancellations.orders.describe import Describer, reorder_outcome
from cancellations.orders.selectors import line_images
from cancellations.policy import Outcome, RetentionKind, refund_summary
from cancellations.policy.services import current_policy
from cancellations.policy.validation import reason_errors
from cancellations.requests.errors import LimitReached, RequestAlreadyOpen
from cancellations.requests.limits import limit_refusal
from cancellations.requests.selectors import request_timeline, requests_for_order
from cancellations.requests.services import withdraw_request
from cancellations.requests.submission import ChangeInput, preview_action, submit_request
from portal.customer.actions import offered_actions, withdrawal_offer
from portal.customer.address import AddressForm
from portal.customer.order_access import OrderPageMixin
from tenants.errors import DomainError, NotFound
from tenants.models import Store


@dataclass(frozen=True)
class DescribedRequest:
    request: OrderRequest
    title: str
    changes: str


def described_requests(store: Store, requests: Iterable[OrderRequest]) -> list[DescribedRequest]:
    """Requests with their titles and what they change, for a list."""
    rows = list(requests)
    describer = Describer(store, rows)
    return [DescribedRequest(row, describer.title_of(row), describer.summary_of(row)) for row in rows]


def new_submit_key() -> str:
    return uuid.uuid4().hex


class OrderDetailView(OrderPageMixin):
    def get(self, request: HttpRequest) -> HttpResponse:
        policy, _version = current_policy(store=self.store)
        # Kept on the order, so what the policy offers is decided on these lines without reading them again.
        prefetch_related_objects([self.order], "line_items")
        lines = list(self.order.line_items.all())
        context = {
            **self.order_context(),
            "lines": lines,
            "line_images": line_images(store=self.store, lines=lines),
            "actions": offered_actions(policy=policy, order=self.order),
            "withdrawal": withdrawal_offer(policy=policy, order=self.order),
            "hold": hold_of_order(store=self.store, order=self.order),
            "requests": described_requests(
                self.store, requests_for_order(store=self.store, order=self.order)
            ),
        }
        return self.render(request, "customer/order.html", context)


class _SubmitMixin(OrderPageMixin):
    kind: str = ""

    def submit(self, **fields: Any) -> HttpResponse:
        key = self.request.POST.get("submit_key", "")
        try:
            order_request = submit_request(
                store=self.store,
                order=self.order,
                actor=self.actor(),
                kind=self.kind,
                idempotency_key=key,
                **fields,
            )
        except RequestAlreadyOpen as error:
            messages.info(self.request, _("You already have a request for this order. Here it is."))
            return redirect(self.request_url(error.request))
        except LimitReached as error:
            return self._refused(self.request, [error.message])
        return redirect(self.request_url(order_request))

    def _refused(self, request: HttpRequest, reasons: list[str]) -> HttpResponse:
        context = {**self.order_context(), "reasons": reasons}
        return self.render(request, "customer/unavailable.html", context, status=409)

    def request_url(self, order_request: OrderRequest) -> str:
        return self.order_url("request", request_id=order_request.pk)

    def unavailable(self, request: HttpRequest, action: str) -> HttpResponse | None:
        decision = preview_action(store=self.store, order=self.order, kind=action)
        if decision.outcome == Outcome.NOT_ALLOWED:
            return self._refused(request, [reason.message for reason in decision.reasons])
        # The store's caps on one customer (edit sessions per order, cancellations per period).
        capped = limit_refusal(store=self.store, order=self.order, actor=self.actor(), kind=self.kind)
        return self._refused(request, [capped]) if capped else None


class CancelView(_SubmitMixin):
    """Reason -> retention offer -> refund summary -> confirm."""

    kind = RequestKind.CANCEL

    def _page(self, request: HttpRequest, step: str, status: int = 200, **extra: Any) -> HttpResponse:
        policy, _version = current_policy(store=self.store)
        language = get_language() or self.store.locale
        context = {
            **self.order_context(),
            "step": step,
            "reasons": [(reason.code, reason.label(language)) for reason in policy.reasons.choices],
            "reason_required": policy.reasons.required,
            "free_text": policy.reasons.free_text,
            "retention": policy.retention,
            "retention_message": policy.retention.message(language),
            "submit_key": request.POST.get("submit_key") or new_submit_key(),
            **extra,
        }
        return self.render(request, "customer/cancel.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.unavailable(request, "cancel") or self._page(request, "reason")

    def post(self, request: HttpRequest) -> HttpResponse:
        blocked = self.unavailable(request, "cancel")
        if blocked:
            return blocked
        policy, _version = current_policy(store=self.store)
        step = request.POST.get("step", "reason")
        code = request.POST.get("reason", "")
        text = request.POST.get("reason_text", "").strip()
        kept: dict[str, Any] = {"reason": code, "reason_text": text}  # template context for _page
        errors = reason_errors(policy, code=code, text=text)
        if errors:
            return self._page(
                request, "reason", status=400, errors={e.field: e.message for e in errors}, **kept
            )
        offer = policy.retention.kind != RetentionKind.NONE
        if step == "reason" and offer:
            return self._page(request, "offer", **kept)
        if step == "offer" and request.POST.get("keep") == "1":
            record_retention_kept(
                store=self.store,
                order=self.order,
                offer_kind=policy.retention.kind,
                discount_code=policy.retention.discount_code,
            )
            return self._page(request, "kept", **kept)
        decision = preview_action(store=self.store, order=self.order, kind="cancel", reason_code=code or None)
        choice = request.POST.get("refund_method") or None
        summary = refund_summary(policy, refundable=self._refundable(), reason=code or None, choice=choice)
        if step in ("reason", "offer"):
            # Each way the customer may take the refund, with its amounts worked out here.
            options = [
                refund_summary(policy, refundable=self._refundable(), reason=code or None, choice=method)
                for method in summary.choices
            ]
            return self._page(
                request,
                "summary",
                summary=summary,
                options=options,
                decision=decision,
                offer_shown=offer,
                **kept,
            )
        if step != "confirm":
            raise Http404
        return self.submit(
            reason_code=code,
            reason_text=text,
            refund_method=summary.method.value,
            retention_offer_shown=request.POST.get("offer_shown") == "1",
        )

    def _refundable(self) -> Any:
        return max(self.order.total - self.order.refunded, 0)


class EditAddressView(_SubmitMixin):
    kind = RequestKind.EDIT

    def _form(self, data: Any = None) -> AddressForm:
        policy, _version = current_policy(store=self.store)
        current = self.order.shipping_address or {}
        initial = {
            "name": current.get("name", ""),
            "address1": current.get("address1", ""),
            "address2": current.get("address2", ""),
            "zip": current.get("zip", ""),
            "city": current.get("city", ""),
            "province": current.get("province", ""),
            "country_code": current.get("country_code", ""),
            "phone": current.get("phone", ""),
        }
        return AddressForm(
            data,
            initial=initial,
            current_country=current.get("country_code", ""),
            allow_country_change=policy.allow_country_change,
        )

    def _page(self, request: HttpRequest, form: AddressForm, status: int = 200) -> HttpResponse:
        context = {
            **self.order_context(),
            "form": form,
            "submit_key": request.POST.get("submit_key") or new_submit_key(),
        }
        return self.render(request, "customer/edit_address.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.unavailable(request, "edit_address") or self._page(request, self._form())

    def post(self, request: HttpRequest) -> HttpResponse:
        blocked = self.unavailable(request, "edit_address")
        if blocked:
            return blocked
        form = self._form(request.POST)
        if not form.is_valid():
            return self._page(request, form, status=400)
        return self.submit(changes=[ChangeInput(kind="address", address=form.as_address())])


class ReorderView(_SubmitMixin):
    kind = RequestKind.REORDER

    def get(self, request: HttpRequest) -> HttpResponse:
        blocked = self.unavailable(request, "reorder")
        if blocked:
            return blocked
        lines = list(self.order.line_items.all())
        variants = {
            variant.platform_id: variant
            for variant in Variant.objects.for_store(self.store).filter(
                platform_id__in=[line.variant_id for line in lines if line.variant_id]
            )
        }
        rows = [{"line": line, "variant": variants.get(line.variant_id)} for line in lines]
        context = {**self.order_context(), "rows": rows, "submit_key": new_submit_key()}
        return self.render(request, "customer/reorder.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.unavailable(request, "reorder") or self.submit()


class WithdrawView(_SubmitMixin):
    """The EU right of withdrawal: name, order and email, then "Confirm withdrawal"."""

    kind = RequestKind.WITHDRAWAL

    def _offer(self) -> Any:
        policy, _version = current_policy(store=self.store)
        offer = withdrawal_offer(policy=policy, order=self.order)
        if offer is None:
            raise Http404
        return offer

    def get(self, request: HttpRequest) -> HttpResponse:
        offer = self._offer()
        context = {
            **self.order_context(),
            "offer": offer,
            "name": self.order.customer_name,
            "email": self.order.email,
            "submit_key": new_submit_key(),
            "step": "details",
        }
        return self.render(request, "customer/withdraw.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        offer = self._offer()
        name = request.POST.get("name", "").strip()
        email = request.POST.get("email", "").strip().lower()
        errors = {}
        if not name:
            errors["name"] = _("Enter your name.")
        if email != self.order.email.lower():
            errors["email"] = _("Enter the email address used for this order.")
        context = {
            **self.order_context(),
            "offer": offer,
            "name": name,
            "email": email,
            "submit_key": request.POST.get("submit_key") or new_submit_key(),
        }
        if errors:
            return self.render(
                request,
                "customer/withdraw.html",
                {**context, "errors": errors, "step": "details"},
                status=400,
            )
        if not offer.available:
            return self.render(request, "customer/withdraw.html", {**context, "step": "details"}, status=409)
        if request.POST.get("step") != "confirm":
            return self.render(request, "customer/withdraw.html", {**context, "step": "confirm"})
        return self.submit(reason_text=_("Withdrawal from the contract by %(name)s") % {"name": name})


class RequestDetailView(OrderPageMixin):
    """A request's status and timeline; a request still waiting for review can be withdrawn."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.request_id = kwargs.pop("request_id")
        return super().dispatch(request, *args, **kwargs)

    def _timeline(self) -> Any:
        try:
            timeline = request_timeline(store=self.store, request_id=self.request_id)
        except NotFound:
            raise Http404 from None
        if timeline.request.order_id != self.order.pk:
            raise Http404
        return timeline

    def get(self, request: HttpRequest) -> HttpResponse:
        timeline = self._timeline()
        describer = Describer(self.store, [timeline.request])
        context = {
            **self.order_context(),
            "order_request": timeline.request,
            "title": describer.title_of(timeline.request),
            "change_lines": describer.lines_of(timeline.request),
            "reorder": reorder_outcome(timeline.request),
            "events": timeline.events,
            "can_withdraw": timeline.request.status == RequestStatus.PENDING_REVIEW,
            "status_url": self.order_url("request_status", request_id=timeline.request.pk),
            "now": timezone.now(),
        }
        return self.render(request, "customer/request.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        timeline = self._timeline()
        try:
            withdraw_request(store=self.store, request_id=timeline.request.pk, actor=self.actor())
            messages.success(request, _("Your request was withdrawn."))
        except DomainError as error:
            messages.error(request, error.message)
        return redirect(self.order_url("request", request_id=timeline.request.pk))
