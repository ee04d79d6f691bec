"""How allauth fits Amend: where people land after signing in, store-branded account emails, the
client address (through the trusted proxies), password guessing slowed per account and address
(portal/accounts/throttle.py) instead of allauth's lock, and who may sign in by an emailed code."""

from __future__ import annotations

from typing import Any, cast

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.internal.stagekit import clear_login
from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cancellations.core.mail import store_from_address, store_reply_to
from portal.accounts import throttle
from portal.client_ip import client_ip
from portal.tenancy import signin_store
from tenants.access import code_sign_in_allowed, stores_for_staff
from tenants.models import AgencyMembership, Membership, Store, User

CODE_REFUSED = gettext_noop(
    "A store you work in asks its staff to sign in with their password. Use your password, or reset it."
)


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        user = request.user
        assert user.is_authenticated  # allauth asks only once someone has signed in
        agency = AgencyMembership.objects.filter(user=user).select_related("agency").first()
        if agency and not Membership.objects.dangerously_unscoped().filter(user=user).exists():
            # Agency staff start in their workspace, which spans every store that grants them access.
            return reverse("agency:overview", kwargs={"agency_slug": agency.agency.slug})
        stores = stores_for_staff(user)
        if len(stores) == 1:
            return reverse("merchant:dashboard", kwargs={"store_slug": stores[0].slug})
        if stores:
            return reverse("merchant:stores")
        return reverse("home")

    def get_client_ip(self, request: HttpRequest) -> str:
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # Replaces allauth's per-account lock (see portal/accounts/throttle.py); the right password
        # is refused only from an address that is itself guessing, and only for a while.
        if not ratelimit.consume(request, action="login_failed_ip", dry_run=True):
            raise self.validation_error("too_many_login_attempts")
        login = _login(credentials)
        if login and throttle.wait_seconds(login=login, ip=self.get_client_ip(request)):
            raise self.validation_error("too_many_login_attempts")

    def authenticate(self, request: HttpRequest, **credentials: Any) -> AbstractBaseUser | None:
        user = super().authenticate(request, **credentials)
        login = _login(credentials)
        if user is not None and login:
            throttle.record_success(login=login, ip=self.get_client_ip(request))
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        ratelimit.consume(request, action="login_failed_ip")
        login = _login(credentials)
        if login:
            throttle.record_failure(login=login, ip=self.get_client_ip(request))

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **credentials: Any) -> None:
        # allauth calls this after a successful password reset.
        super()._delete_login_attempts_cached_email(request, **credentials)
        login = _login(credentials)
        if login:
            throttle.forget(login=login)

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        # A new account (not one made by an invitation link, which carries its own next) sets up a store.
        return reverse("store_signup")

    def pre_login(self, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any) -> HttpResponse | None:
        refused = super().pre_login(request, user, **kwargs)
        if refused is not None:
            return refused
        records = get_authentication_records(request, user)
        if records and records[-1].get("method") == "code" and not code_sign_in_allowed(cast(User, user)):
            # The code was right, but a store this person works in wants its staff to use a password.
            clear_login(request)
            messages.error(request, _(CODE_REFUSED))
            return redirect("account_login")
        return None

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        message = super().render_mail(template_prefix, email, context, headers)
        store = context.get("brand_store")
        if isinstance(store, Store):
            # A customer signing in to a store's portal hears from the store, as with its other emails.
            message.from_email = store_from_address(store)
            message.reply_to = store_reply_to(store)
        return message

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        if template_prefix == "account/email/login_code":
            user = _user_for(email)
            if user is not None and not code_sign_in_allowed(user):
                # No code for staff of a store that does not allow it: tell them how to sign in instead.
                template_prefix = "account/email/login_code_refused"
        request = context.get("request")
        if request is not None:
            context.setdefault("brand_store", getattr(request, "store", None) or signin_store(request))
        super().send_mail(template_prefix, email, context)


def _login(credentials: dict[str, Any]) -> str:
    return str(credentials.get("email") or credentials.get("username") or "").strip().lower()


def _user_for(email: str) -> User | None:
    return User.objects.filter(email__iexact=email).first() if email else None
