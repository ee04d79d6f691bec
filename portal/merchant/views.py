"""Merchant pages under /app/<store>/: the dashboard, orders, team, agencies and settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from cancellations.holds.selectors import held_orders
from cancellations.hosts import services as host_services
from cancellations.models import Order, PlatformConnection
from cancellations.orders.selectors import import_to_show
from portal.merchant.base import StoreStaffView
from portal.merchant.forms import DomainForm, GrantForm, InviteForm, LogoForm, RoleForm, StoreSettingsForm
from tenants import domains, selectors, services
from tenants.access import store_by_slug, stores_for_staff
from tenants.errors import DomainError, NotFound
from tenants.roles import Role, Scope


def form_error(form: BaseForm, error: DomainError) -> None:
    """Show a service's error on the form, on its field when the form has one."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


@login_required
def store_list(request: HttpRequest) -> HttpResponse:
    """The stores the signed-in person works in."""
    return render(request, "merchant/stores.html", {"stores": stores_for_staff(request.user)})


class DashboardView(StoreStaffView):
    required_scopes = {"GET": Scope.ORDERS_READ}
    nav = "dashboard"

    def get(self, request: HttpRequest) -> HttpResponse:
        counts = Order.objects.for_store(self.store).aggregate(
            orders=Count("id"),
            cancelled=Count("id", filter=Q(cancelled_at__isnull=False)),
            unfulfilled=Count("id", filter=Q(fulfillment_status="unfulfilled", cancelled_at__isnull=True)),
        )
        # A Shopify connection whose token Shopify would not renew: say so where staff land.
        reconnect = (
            PlatformConnection.objects.for_store(self.store)
            .filter(status=PlatformConnection.Status.RECONNECT)
            .first()
        )
        counts["held"] = held_orders(store=self.store).count()
        context = {"counts": counts, "reconnect": reconnect, "order_import": import_to_show(self.store)}
        return self.render(request, "merchant/dashboard.html", context)


class OrderListView(StoreStaffView):
    required_scopes = {"GET": Scope.ORDERS_READ}
    nav = "orders"

    def get(self, request: HttpRequest) -> HttpResponse:
        orders = Order.objects.for_store(self.store)
        query = request.GET.get("q", "").strip()
        if query:
            orders = orders.filter(Q(name__icontains=query) | Q(email__icontains=query.lower()))
        page = Paginator(orders.order_by("-placed_at", "-id"), 50).get_page(request.GET.get("page"))
        return self.render(request, "merchant/orders.html", {"page": page, "query": query})


class TeamView(StoreStaffView):
    required_scopes = {"GET": Scope.TEAM_MANAGE, "POST": Scope.TEAM_MANAGE}
    nav = "team"

    def _page(self, request: HttpRequest, invite_form: InviteForm, status: int = 200) -> HttpResponse:
        context = {
            "members": selectors.team_members(store=self.store),
            "invitations": selectors.open_invitations(store=self.store),
            "invite_form": invite_form,
            "roles": Role.choices,
        }
        return self.render(request, "merchant/team.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, InviteForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = InviteForm(request.POST)
        if form.is_valid():
            try:
                invitation, token = services.invite_staff(
                    access=self.access, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
                )
            except DomainError as error:
                form_error(form, error)
            else:
                _send_invitation(request, self.store, invitation.email, invitation.role, token)
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
                return self.redirect_here("merchant:team")
        return self._page(request, form, status=400)


def _send_invitation(request: HttpRequest, store: Any, email: str, role: str, token: str) -> None:
    link = request.build_absolute_uri(
        reverse("join_store", kwargs={"store_slug": store.slug, "token": token})
    )
    context = {"store": store, "role": Role(role).label, "link": link}
    send_mail(
        subject=_("You are invited to %(store)s on Amend") % {"store": store.name},
        message=render_to_string("email/staff_invitation.txt", context),
        html_message=render_to_string("email/staff_invitation.html", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )


class MemberRoleView(StoreStaffView):
    required_scopes = {"POST": Scope.TEAM_MANAGE}

    def post(self, request: HttpRequest, membership_id: int) -> HttpResponse:
        form = RoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a role."))
        else:
            try:
                services.change_member_role(
                    access=self.access, membership_id=membership_id, role=form.cleaned_data["role"]
                )
                messages.success(request, _("Role changed."))
            except NotFound:
                raise Http404 from None
            except DomainError as error:
                messages.error(request, error.message)
        return self.redirect_here("merchant:team")


class MemberRemoveView(StoreStaffView):
    required_scopes = {"POST": Scope.TEAM_MANAGE}

    def post(self, request: HttpRequest, membership_id: int) -> HttpResponse:
        try:
            services.remove_member(access=self.access, membership_id=membership_id)
            messages.success(request, _("Removed from the team."))
        except NotFound:
            raise Http404 from None
        except DomainError as error:
            messages.error(request, error.message)
        return self.redirect_here("merchant:team")


class InvitationCancelView(StoreStaffView):
    required_scopes = {"POST": Scope.TEAM_MANAGE}

    def post(self, request: HttpRequest, invitation_id: int) -> HttpResponse:
        try:
            services.cancel_invitation(access=self.access, invitation_id=invitation_id)
        except NotFound:
            raise Http404 from None
        messages.success(request, _("Invitation cancelled."))
        return self.redirect_here("merchant:team")


class AgencyAccessView(StoreStaffView):
    required_scopes = {"GET": Scope.STORE_ADMIN, "POST": Scope.STORE_ADMIN}
    nav = "agencies"

    def _page(self, request: HttpRequest, form: GrantForm, status: int = 200) -> HttpResponse:
        grants = selectors.agency_grants(store=self.store)
        return self.render(request, "merchant/agencies.html", {"grants": grants, "form": form}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, GrantForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = GrantForm(request.POST)
        if form.is_valid():
            try:
                grant = services.grant_agency_access(
                    access=self.access,
                    agency_slug=form.cleaned_data["agency"],
                    role=form.cleaned_data["role"],
                )
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, _("%(agency)s now has access.") % {"agency": grant.agency.name})
                return self.redirect_here("merchant:agencies")
        return self._page(request, form, status=400)


class AgencyRevokeView(StoreStaffView):
    """Revoking a grant asks first; only a POST with confirm=yes revokes."""

    required_scopes = {"GET": Scope.STORE_ADMIN, "POST": Scope.STORE_ADMIN}
    nav = "agencies"

    def get(self, request: HttpRequest, grant_id: int) -> HttpResponse:
        return self._ask(request, grant_id)

    def _ask(self, request: HttpRequest, grant_id: int) -> HttpResponse:
        """The question before revoking: nothing changes until it is answered."""
        grant = selectors.agency_grant(store=self.store, grant_id=grant_id)
        if grant is None:
            raise Http404
        if grant.revoked_at is not None:
            return self.redirect_here("merchant:agencies")
        return self.render(request, "merchant/agency_revoke.html", {"grant": grant})

    def post(self, request: HttpRequest, grant_id: int) -> HttpResponse:
        if request.POST.get("confirm") != "yes":
            return self._ask(request, grant_id)
        try:
            grant = services.revoke_agency_grant(access=self.access, grant_id=grant_id)
        except NotFound:
            raise Http404 from None
        messages.success(request, _("%(agency)s no longer has access.") % {"agency": grant.agency.name})
        return self.redirect_here("merchant:agencies")


class SettingsPage(StoreStaffView):
    """The store settings page and the forms posted from it (settings, logo, domains)."""

    nav = "settings"

    def settings_page(
        self,
        request: HttpRequest,
        *,
        form: StoreSettingsForm | None = None,
        logo_form: LogoForm | None = None,
        domain_form: DomainForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        context = {
            "form": form or StoreSettingsForm(instance=self.store),
            "logo_form": logo_form or LogoForm(),
            "domain_form": domain_form or DomainForm(),
            "domains": domains.domain_rows(store=self.store),
        }
        return self.render(request, "merchant/settings.html", context, status=status)


class SettingsView(SettingsPage):
    required_scopes = {"GET": Scope.STORE_ADMIN, "POST": Scope.STORE_ADMIN}

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.settings_page(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = StoreSettingsForm(request.POST, instance=store_by_slug(self.store.slug))
        if form.is_valid():
            try:
                services.update_store_settings(
                    access=self.access, **{field: form.cleaned_data[field] for field in form.Meta.fields}
                )
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, _("Settings saved."))
                return self.redirect_here("merchant:settings")
        return self.settings_page(request, form=form, status=400)


class LogoView(SettingsPage):
    required_scopes = {"POST": Scope.STORE_ADMIN}

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("remove"):
            services.set_store_logo(access=self.access, content=None)
            messages.success(request, _("Logo removed."))
            return self.redirect_here("merchant:settings")
        form = LogoForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["logo"]
            try:
                services.set_store_logo(access=self.access, content=upload.read(services.LOGO_MAX_BYTES + 1))
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, _("Logo updated."))
                return self.redirect_here("merchant:settings")
        return self.settings_page(request, logo_form=form, status=400)


class DomainView(SettingsPage):
    required_scopes = {"POST": Scope.STORE_ADMIN}

    def post(self, request: HttpRequest) -> HttpResponse:
        if "remove" in request.POST or "check" in request.POST:
            try:
                if "remove" in request.POST:
                    domains.remove_store_domain(
                        access=self.access, domain_id=int(request.POST["remove"] or 0)
                    )
                    messages.success(request, _("Domain removed."))
                else:
                    domain, sent = host_services.check_domain_now(
                        access=self.access, domain_id=int(request.POST["check"] or 0)
                    )
                    message = (
                        _("Checking %(host)s now; reload the page in a moment to see the result.")
                        if sent
                        else _("%(host)s was checked a moment ago; the result is below.")
                    )
                    messages.success(request, message % {"host": domain.host})
            except (NotFound, ValueError):
                raise Http404 from None
            return self.redirect_here("merchant:settings")
        form = DomainForm(request.POST)
        if form.is_valid():
            try:
                host_services.add_domain(access=self.access, host=form.cleaned_data["host"])
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(
                    request, _("Domain added. Publish the proof below; it serves your portal once verified.")
                )
                return self.redirect_here("merchant:settings")
        return self.settings_page(request, domain_form=form, status=400)


def join_store(request: HttpRequest, store_slug: str, token: str) -> HttpResponse:
    """Accept a staff invitation from its emailed link (signing in first if needed)."""
    try:
        store = store_by_slug(store_slug)
        invitation = services.open_invitation(store=store, token=token)
    except NotFound:
        raise Http404 from None
    if not request.user.is_authenticated:
        return render(
            request, "merchant/join.html", {"store": store, "invitation": invitation, "signed_out": True}
        )
    if request.method == "POST":
        try:
            services.accept_invitation(store=store, token=token, user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return render(
                request, "merchant/join.html", {"store": store, "invitation": invitation}, status=403
            )
        messages.success(request, _("Welcome to %(store)s.") % {"store": store.name})
        return redirect("merchant:dashboard", store_slug=store.slug)
    return render(request, "merchant/join.html", {"store": store, "invitation": invitation})
