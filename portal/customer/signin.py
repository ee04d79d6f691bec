"""The customer's sign-in code page, under the store (/s/<store>/signin/code/) in the store's language.

allauth still does the work (its login-by-code stage: the code, its attempts, its expiry, the
resend limit); this page only keeps the customer inside the store. allauth's own redirects lead to
its /accounts/ pages, which are the staff sign-in; here each of them returns to the store's sign-in
instead. "Use another email" and "Cancel" end the pending sign-in: the first goes back to the
store's sign-in with the address filled in to correct it, the second to the store's portal.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from allauth.account.internal.flows.login_by_code import LoginCodeVerificationProcess
from allauth.account.internal.stagekit import clear_login
from allauth.account.stages import LoginByCodeStage, LoginStageController
from allauth.account.views import ConfirmLoginCodeView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse

from portal.customer.base import CustomerView
from portal.tenancy import SIGNIN_STORE_SESSION_KEY, signin_store


class SignInCodeView(CustomerView, ConfirmLoginCodeView):
    """Enter the emailed code; or correct the email; or cancel, back to the store."""

    template_name = "customer/signin_code.html"

    def setup_order(self) -> HttpResponse | None:
        # Runs before allauth's own checks (which would send a customer to Amend's staff pages).
        request = self.request
        if request.user.is_authenticated:
            return redirect(self._next_url())
        stage = LoginStageController.enter(request, LoginByCodeStage.key)
        if stage is None or not LoginCodeVerificationProcess.resume(stage):
            return redirect(self.url("customer:signin"))
        signing_in_to = signin_store(request)
        if signing_in_to is None or signing_in_to.pk != self.store.pk:
            # A sign-in begun at another store (or at the staff page) is not finished here.
            return redirect(self.url("customer:signin"))
        return None

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action")
        if action == "change_email":
            email = self._process.state.get("email") or ""
            clear_login(request)
            query = urlencode({"email": email, "next": self._next_url()})
            return redirect(f"{self.url('customer:signin')}?{query}")
        if action == "cancel":
            clear_login(request)
            request.session.pop(SIGNIN_STORE_SESSION_KEY, None)
            return redirect(self.url("customer:home"))
        return self._in_the_store(super().post(request, *args, **kwargs))

    def _in_the_store(self, response: HttpResponse) -> HttpResponse:
        """allauth's redirects to its own sign-in pages, turned into this store's."""
        if not isinstance(response, HttpResponseRedirect):
            return response
        location = response["Location"].split("?", 1)[0]
        if location == reverse("account_confirm_login_code"):
            return redirect(f"{self.url('customer:signin_code')}?{urlencode({'next': self._next_url()})}")
        if location in {reverse("account_request_login_code"), reverse("account_login")}:
            return redirect(f"{self.url('customer:signin')}?{urlencode({'next': self._next_url()})}")
        return response

    def _next_url(self) -> str:
        return self.get_next_url() or self.url("customer:orders")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "store": self.store, "next_url": self._next_url()}
