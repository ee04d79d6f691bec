"""Customer pages under /s/<store>/ (or the store's own domain): sign in, my orders, one order."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from allauth.account.views import RequestLoginCodeView
from allauth.core import ratelimit
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from cancellations.core.mail import customer_email
from cancellations.models import RequestKind
from cancellations.orders.access import (
    find_order_by_id,
    find_order_by_number,
    make_order_link_token,
    orders_for_customer,
)
from cancellations.orders.selectors import store_credit_balances
from cancellations.policy.services import current_policy
from cancellations.requests.actors import Actor
from cancellations.requests.errors import RequestAlreadyOpen
from cancellations.requests.submission import submit_request
from portal.customer.base import CustomerView, verified_emails
from portal.customer.forms import FindOrderForm, WithdrawalLookupForm
from portal.tenancy import SIGNIN_STORE_SESSION_KEY
from tenants.services import provision_customer_user, remember_store_customer


class StoreHomeView(CustomerView):
    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect(self.url("customer:orders"))
        return self.render(request, "customer/home.html")


class SignInView(CustomerView, RequestLoginCodeView):
    """Ask for a one-time sign-in code by email, on a page branded for the store."""

    template_name = "customer/signin.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # A person known to the store by email gets an account to sign in to; for anyone else the
        # page answers the same, and allauth sends no code (no way to learn who is a customer).
        email = request.POST.get("email", "").strip().lower()
        if email and orders_for_customer(store=self.store, emails=[email]).exists():
            remember_store_customer(store=self.store, email=email)
        provision_customer_user(store=self.store, email=email)
        request.session[SIGNIN_STORE_SESSION_KEY] = self.store.pk
        return super().post(request, *args, **kwargs)

    def get_success_url(self) -> str:
        return f"{self.url('customer:signin_code')}?{urlencode({'next': self._next_url()})}"

    def get_authenticated_redirect_url(self) -> str:
        # Someone already signed in goes on to the store's pages, never to Amend's own.
        return self._next_url()

    def _redirect_to_pending_stage(self, request: HttpRequest, stage: Any) -> None:
        # A code sent to a mistyped address must not hold the customer on its page: they may ask
        # again for another address (allauth starts a new sign-in for it).
        return None

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        email = self.request.GET.get("email", "")
        if email and "@" in email and len(email) <= 254:
            initial["email"] = email
        return initial

    def _next_url(self) -> str:
        candidate = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={self.request.get_host()}):
            return candidate
        return self.url("customer:orders")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "store": self.store, "next_url": self._next_url()}


LIST_FIELDS = ("store", "name", "placed_at", "total", "currency", "cancelled_at", "fulfillment_status")


class OrderListView(CustomerView):
    login_required = True

    def get(self, request: HttpRequest) -> HttpResponse:
        emails = verified_emails(request.user)
        # What the list shows of each order, and no more: 20 whole orders and their lines cost a third
        # of the page's time.
        orders = orders_for_customer(store=self.store, emails=emails).only(*LIST_FIELDS)
        page = Paginator(orders, 20).get_page(request.GET.get("page"))
        credit = store_credit_balances(store=self.store, emails=emails)
        context = {"page": page, "emails": emails, "store_credit": credit}
        return self.render(request, "customer/orders.html", context)


class FindOrderView(CustomerView):
    """Order number + email -> a link by email. The answer is the same whether or not the order exists."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, "customer/find_order.html", {"form": FindOrderForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = FindOrderForm(request.POST)
        if not form.is_valid():
            return self.render(request, "customer/find_order.html", {"form": form}, status=400)
        email = form.cleaned_data["email"].lower()
        if not ratelimit.consume(request, action="find_order", key=f"{self.store.pk}:{email}"):
            form.add_error(None, _("Too many attempts. Please wait a few minutes and try again."))
            return self.render(request, "customer/find_order.html", {"form": form}, status=429)
        order = find_order_by_number(store=self.store, number=form.cleaned_data["number"], email=email)
        if order is not None:
            self._send_link(request, order)
        return self.render(request, "customer/find_order_sent.html", {"email": email})

    def _send_link(self, request: HttpRequest, order: Any) -> None:
        link = self.absolute_url(self.url("customer:order_link", token=make_order_link_token(order)))
        context = {"store": self.store, "order": order, "link": link}
        customer_email(
            store=self.store,
            to=order.email,
            subject=_("Your order %(order)s at %(store)s") % {"order": order.name, "store": self.store.name},
            text=render_to_string("email/order_link.txt", context),
            html=render_to_string("email/order_link.html", context),
        ).send()


class LogoView(CustomerView):
    @staticmethod
    def _etag(store: Any) -> str:
        return f'"{int(store.logo_updated_at.timestamp()) if store.logo_updated_at else 0}"'

    def get(self, request: HttpRequest) -> HttpResponse:
        if not self.store.logo:
            raise Http404
        response = HttpResponse(bytes(self.store.logo), content_type=self.store.logo_content_type)
        response["Cache-Control"] = "public, max-age=300"
        response["ETag"] = self._etag(self.store)
        return response


class BrandCssView(CustomerView):
    """The store's accent colour as CSS (our content security policy allows no inline styles)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(
            f":root {{ --accent: {self.store.accent_colour}; }}\n", content_type="text/css"
        )
        response["Cache-Control"] = "public, max-age=300"
        return response


LOOKUP_SALT = "amend.withdrawal-lookup"
LOOKUP_PROOF_SECONDS = 3600


class WithdrawalLookupView(CustomerView):
    """The withdrawal function without signing in: name, order number and email, then confirm.

    The lookup is rate limited per store and email (`withdrawal_lookup`, apart from "find my order");
    a lookup that found the order hands the confirm step a signed proof, valid for an hour, so the
    confirm is recorded however many lookups came before it.
    """

    def _looked_up(self, proof: str | None, email: str) -> Any:
        try:
            found = signing.loads(proof or "", salt=LOOKUP_SALT, max_age=LOOKUP_PROOF_SECONDS)
        except signing.BadSignature:
            return None
        if not isinstance(found, dict) or found.get("s") != self.store.pk or found.get("e") != email:
            return None
        return find_order_by_id(store=self.store, order_id=found.get("o"), email=email)

    def _enabled(self) -> None:
        policy, _version = current_policy(store=self.store)
        if not policy.withdrawal.enabled:
            raise Http404

    def get(self, request: HttpRequest) -> HttpResponse:
        self._enabled()
        return self.render(
            request, "customer/withdraw_lookup.html", {"form": WithdrawalLookupForm(), "step": "details"}
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        self._enabled()
        form = WithdrawalLookupForm(request.POST)
        context: dict[str, Any] = {"form": form, "step": "details"}
        if not form.is_valid():
            return self.render(request, "customer/withdraw_lookup.html", context, status=400)
        email = form.cleaned_data["email"].lower()
        # A confirm carrying the proof of a lookup that found the order is always recorded: the right of
        # withdrawal must not be blocked by the limit, which is on the lookup alone.
        confirming = request.POST.get("step") == "confirm"
        order = self._looked_up(request.POST.get("lookup"), email) if confirming else None
        if order is None:
            if not ratelimit.consume(request, action="withdrawal_lookup", key=f"{self.store.pk}:{email}"):
                form.add_error(None, _("Too many attempts. Please wait a few minutes and try again."))
                return self.render(request, "customer/withdraw_lookup.html", context, status=429)
            order = find_order_by_number(store=self.store, number=form.cleaned_data["number"], email=email)
        if order is None:
            form.add_error(
                None,
                _(
                    "We found no order with that number for that email address. "
                    "Check both, or use the link in your order confirmation."
                ),
            )
            return self.render(request, "customer/withdraw_lookup.html", context, status=400)
        if not confirming:
            context.update(
                step="confirm",
                order=order,
                submit_key=request.POST.get("submit_key") or uuid.uuid4().hex,
                lookup=signing.dumps({"s": self.store.pk, "o": order.pk, "e": email}, salt=LOOKUP_SALT),
            )
            return self.render(request, "customer/withdraw_lookup.html", context)
        try:
            order_request = submit_request(
                store=self.store,
                order=order,
                actor=Actor.customer(email),
                kind=RequestKind.WITHDRAWAL,
                idempotency_key=request.POST.get("submit_key", ""),
                reason_text=_("Withdrawal from the contract by %(name)s")
                % {"name": form.cleaned_data["name"]},
            )
        except RequestAlreadyOpen as error:
            order_request = error.request
        token = make_order_link_token(order)
        return redirect(self.url("customer:order_link_request", token=token, request_id=order_request.pk))
