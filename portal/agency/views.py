"""The agency workspace under /agency/<agency>/: client stores, the combined queue, the team.

A client store that requires two-factor authentication shows nothing of itself (figures, queue,
name) to a member without an authenticator; the pages say how many stores are hidden and link to
the set-up page. The rest of the workspace keeps working
(docs/decisions/0080-mfa-on-every-way-in-and-sign-in-throttling.md).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from cancellations.agency.selectors import combined_queue, store_figures
from portal.http import SignedInRequest
from tenants import services
from tenants.access import AgencyAccess, access_agency, needs_mfa
from tenants.errors import CommonErrorCode, DomainError, NotFound
from tenants.models import AgencyMembership, Store
from tenants.roles import AgencyRole
from tenants.selectors import granted_stores


class AgencyView(View):
    """Base of agency pages: only the agency's members get past dispatch; everyone else sees a 404."""

    access: AgencyAccess
    nav = ""
    mfa_hidden = 0

    def client_stores(self) -> list[tuple[Store, str]]:
        """The granted stores this member may see now, counting those hidden by their MFA requirement."""
        user = self.request.user
        granted = granted_stores(agency=self.access.agency)
        visible = [(store, role) for store, role in granted if not needs_mfa(user=user, store=store)]
        self.mfa_hidden = len(granted) - len(visible)
        return visible

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            self.access = access_agency(user=request.user, slug=kwargs.pop("agency_slug"))
        except NotFound:
            raise Http404 from None
        return super().dispatch(request, *args, **kwargs)

    def render(
        self, request: HttpRequest, template: str, context: dict[str, Any] | None = None, **kw: Any
    ) -> HttpResponse:
        base = {
            "agency": self.access.agency,
            "agency_access": self.access,
            "nav": self.nav,
            "mfa_hidden": self.mfa_hidden,
        }
        return render(request, template, {**base, **(context or {})}, **kw)

    def redirect_here(self, name: str) -> HttpResponse:
        return redirect(name, agency_slug=self.access.agency.slug)


class OverviewView(AgencyView):
    nav = "overview"

    def get(self, request: HttpRequest) -> HttpResponse:
        figures = store_figures(stores=self.client_stores())
        totals = {
            "waiting": sum(f.waiting for f in figures),
            "late": sum(f.late for f in figures),
            "failed": sum(f.failed for f in figures),
        }
        return self.render(request, "agency/overview.html", {"figures": figures, "totals": totals})


class CombinedQueueView(AgencyView):
    nav = "queue"

    def get(self, request: HttpRequest) -> HttpResponse:
        stores = [store for store, _role in self.client_stores()]
        chosen = request.GET.get("store", "")
        page = combined_queue(stores=stores, store_slug=chosen, cursor=request.GET.get("cursor"))
        return self.render(request, "agency/queue.html", {"page": page, "stores": stores, "chosen": chosen})


class MemberForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email"))
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=AgencyRole.choices, initial=AgencyRole.MEMBER
    )


class TeamView(AgencyView):
    nav = "team"

    def _page(self, request: HttpRequest, form: MemberForm, status: int = 200) -> HttpResponse:
        members = (
            AgencyMembership.objects.filter(agency=self.access.agency)
            .select_related("user")
            .order_by("user__email")
        )
        context = {"members": members, "form": form, "roles": AgencyRole.choices}
        return self.render(request, "agency/team.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, MemberForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = MemberForm(request.POST)
        if form.is_valid():
            try:
                services.add_agency_member(
                    access=self.access, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
                )
            except DomainError as error:
                if error.code == CommonErrorCode.PERMISSION_DENIED:
                    return self._page(request, form, status=403)
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(
                    request,
                    _(
                        "Added to the team. They sign in with a code sent to their email where every "
                        "client store allows it, otherwise with a password they set from the sign-in page."
                    ),
                )
                return self.redirect_here("agency:team")
        return self._page(request, form, status=400)


class MemberChangeView(AgencyView):
    def post(self, request: HttpRequest, membership_id: int) -> HttpResponse:
        try:
            if request.POST.get("remove"):
                services.remove_agency_member(access=self.access, membership_id=membership_id)
                messages.success(request, _("Removed from the team."))
            else:
                services.change_agency_member_role(
                    access=self.access, membership_id=membership_id, role=request.POST.get("role", "")
                )
                messages.success(request, _("Role changed."))
        except NotFound:
            raise Http404 from None
        except DomainError as error:
            messages.error(request, error.message)
        return self.redirect_here("agency:team")


@login_required
def agency_list(request: SignedInRequest) -> HttpResponse:
    memberships = AgencyMembership.objects.filter(user=request.user).select_related("agency")
    if len(memberships) == 1:
        return redirect("agency:overview", agency_slug=memberships[0].agency.slug)
    return render(request, "agency/list.html", {"memberships": memberships})
