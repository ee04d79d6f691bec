"""The store-policy pages under /app/<store>/policy/: the settings (each save a new version) and history."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from cancellations.models import StorePolicyVersion
from cancellations.policy import DEFAULT_POLICY, StorePolicy
from cancellations.policy.errors import PolicyInvalid
from cancellations.policy.services import (
    current_policy,
    policy_of,
    policy_versions,
    restore_policy_version,
    save_policy,
)
from portal.merchant.base import StoreStaffView
from portal.merchant.policy.page import PolicyPage, page_fields, reason_field
from tenants.roles import Scope
from tenants.services import record_store_event

VERSIONS_PER_PAGE = 50
_REASON_CHANGE = re.compile(r"reasons\.choices\.([^.]+)\.(.+)")


def _policy_of(row: StorePolicyVersion | None) -> StorePolicy:
    return policy_of(row) if row is not None else DEFAULT_POLICY


class PolicyView(StoreStaffView):
    """Everyone in the store reads the policy in force; those who may write it save a new version."""

    required_scopes = {"GET": Scope.ORDERS_READ, "POST": Scope.POLICY_WRITE}
    nav = "policy"

    def _latest(self) -> StorePolicyVersion | None:
        return policy_versions(store=self.store).first()

    def _page(
        self, request: HttpRequest, page: PolicyPage, latest: StorePolicyVersion | None, status: int = 200
    ) -> HttpResponse:
        context = {
            "page": page,
            "latest": latest,
            "version": latest.version if latest else 0,
            "errors": page.error_summary(),
        }
        return self.render(request, "merchant/policy.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        latest = self._latest()
        page = PolicyPage(policy=_policy_of(latest), editable=self.access.has(Scope.POLICY_WRITE))
        return self._page(request, page, latest)

    def post(self, request: HttpRequest) -> HttpResponse:
        latest = self._latest()
        page = PolicyPage(policy=_policy_of(latest), data=request.POST)
        version = latest.version if latest else 0
        if request.POST.get("base_version") != str(version):
            # Someone saved while this person was editing: saving now would silently undo their change.
            page.is_valid()
            page.page_errors.append(
                _(
                    "Version %(version)s was saved while you were editing, so nothing was saved. "
                    "Your input is below: compare it with the version history, then save again."
                )
                % {"version": version}
            )
            return self._page(request, page, latest, status=409)
        policy = page.build_policy()
        if policy is not None:
            try:
                with transaction.atomic():
                    saved = save_policy(store=self.store, actor=self.access.user, policy=policy)
                    record_store_event(
                        store=self.store,
                        actor=self.access.user,
                        action="policy.saved",
                        subject=str(saved),
                        data={"version": saved.version, "changes": saved.change_summary},
                    )
            except PolicyInvalid as error:
                page.add_policy_errors(error.errors)
            else:
                if saved.change_summary:
                    message = _("Policy saved as version %(version)s.")
                else:
                    message = _("Policy saved as version %(version)s; nothing had changed.")
                messages.success(request, message % {"version": saved.version})
                return self.redirect_here("merchant:policy")
        return self._page(request, page, latest, status=400)


class PolicyVersionListView(StoreStaffView):
    """Every saved version, newest first: who saved it, when, and what changed."""

    required_scopes = {"GET": Scope.ORDERS_READ}
    nav = "policy"

    def get(self, request: HttpRequest) -> HttpResponse:
        versions = policy_versions(store=self.store).defer("data")
        page = Paginator(versions, VERSIONS_PER_PAGE).get_page(request.GET.get("page"))
        rows = [
            {"row": row, "changes": [describe_change(change) for change in row.change_summary]}
            for row in page
        ]
        return self.render(request, "merchant/policy_versions.html", {"page": page, "rows": rows})


class PolicyVersionView(StoreStaffView):
    """One version as it was saved, read-only (version 0: the defaults a new store starts with)."""

    required_scopes = {"GET": Scope.ORDERS_READ}
    nav = "policy"

    def get(self, request: HttpRequest, version: int) -> HttpResponse:
        row = policy_versions(store=self.store).filter(version=version).first() if version else None
        if version and row is None:
            raise Http404
        _policy, in_force = current_policy(store=self.store)
        context = {
            "row": row,
            "version": version,
            "can_restore": self.access.has(Scope.POLICY_WRITE) and version != in_force,
            "page": PolicyPage(policy=_policy_of(row), editable=False),
            "changes": [describe_change(change) for change in row.change_summary] if row else [],
        }
        return self.render(request, "merchant/policy_version.html", context)


class PolicyRestoreView(StoreStaffView):
    """Put an earlier version back in force: saved as a new version with its content, and audited."""

    required_scopes = {"POST": Scope.POLICY_WRITE}
    nav = "policy"

    def post(self, request: HttpRequest, version: int) -> HttpResponse:
        if version and not policy_versions(store=self.store).filter(version=version).exists():
            raise Http404
        _policy, in_force = current_policy(store=self.store)
        if version == in_force:
            messages.info(
                request, _("Version %(version)s is already the policy in force.") % {"version": version}
            )
            return self.redirect_here("merchant:policy_version", version=version)
        try:
            saved = restore_policy_version(store=self.store, actor=self.access.user, version=version)
        except PolicyInvalid:
            messages.error(
                request,
                _("Version %(version)s no longer passes the policy's checks, so it was not restored.")
                % {"version": version},
            )
            return self.redirect_here("merchant:policy_version", version=version)
        messages.success(
            request,
            _("Version %(old)s is in force again, saved as version %(new)s.")
            % {"old": version, "new": saved.version},
        )
        return self.redirect_here("merchant:policy")


def describe_change(change: Mapping[str, Any]) -> dict[str, str]:
    """A `change_summary` entry as the page names it: {"field", "path", "before", "after"}."""
    path = str(change.get("field", ""))
    field: forms.Field | None
    reason = _REASON_CHANGE.fullmatch(path)
    if reason:
        code, rest = reason.groups()
        field = reason_field(rest)
        what = field.label if field else (_("Position in the list") if rest == "position" else rest)
        label = _("Reason “%(code)s”: %(what)s") % {"code": code, "what": what}
    else:
        section, field = page_fields().get(path, ("", None))
        label = f"{section}: {field.label}" if field else path
    return {
        "field": label,
        "path": path,
        "before": _display(field, change.get("before")),
        "after": _display(field, change.get("after")),
    }


def _display(field: forms.Field | None, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    choices = {str(key): label for key, label in getattr(field, "choices", ())}
    if isinstance(value, list):
        return ", ".join(str(choices.get(str(item), item)) for item in value)
    return str(choices.get(str(value), value))
