"""The agency workspace under /agency/<agency>/: the client stores that grant it access."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from tenants.access import AgencyAccess, access_agency
from tenants.errors import NotFound
from tenants.models import AgencyMembership
from tenants.selectors import granted_stores


class AgencyView(View):
    """Base of agency pages: only the agency's members get past dispatch; everyone else sees a 404."""

    access: AgencyAccess

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            self.access = access_agency(user=request.user, slug=kwargs.pop("agency_slug"))
        except NotFound:
            raise Http404 from None
        return super().dispatch(request, *args, **kwargs)

    def render(
        self, request: HttpRequest, template: str, context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return render(
            request, template, {"agency": self.access.agency, "agency_access": self.access, **(context or {})}
        )


class OverviewView(AgencyView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(
            request, "agency/overview.html", {"stores": granted_stores(agency=self.access.agency)}
        )


class TeamView(AgencyView):
    def get(self, request: HttpRequest) -> HttpResponse:
        members = (
            AgencyMembership.objects.filter(agency=self.access.agency)
            .select_related("user")
            .order_by("user__email")
        )
        return self.render(request, "agency/team.html", {"members": members})


@login_required
def agency_list(request: HttpRequest) -> HttpResponse:
    memberships = AgencyMembership.objects.filter(user=request.user).select_related("agency")
    if len(memberships) == 1:
        return redirect("agency:overview", agency_slug=memberships[0].agency.slug)
    return render(request, "agency/list.html", {"memberships": memberships})
