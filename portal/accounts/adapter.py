"""How allauth fits Amend: where people land after signing in, and store-branded account emails."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse

from portal.tenancy import signin_store
from tenants.access import stores_for_staff
from tenants.models import AgencyMembership, Membership


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

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        # A new account (not one made by an invitation link, which carries its own next) sets up a store.
        return reverse("store_signup")

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = context.get("request")
        if request is not None:
            context.setdefault("brand_store", getattr(request, "store", None) or signin_store(request))
        super().send_mail(template_prefix, email, context)
