"""The support queue under /app/<store>/queue/: the list, a request's page, decisions, bulk decisions.

Reading needs `requests:read`; deciding, assigning, notes and retries need `requests:decide` (checked
by StoreStaffView before any handler runs). Every change goes through cancellations.requests.services;
when two people decide one request at once, the service lets one win and tells the other who did.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cancellations.models import OrderRequest, RefundMethod, RequestStatus, Resolution
from cancellations.models.queue import MAX_RESPONSE_TARGET_HOURS
from cancellations.policy.services import current_policy
from cancellations.queue.selectors import (
    RequestPage,
    assignable_staff,
    backlog,
    queue_page,
    queue_settings,
    request_page,
)
from cancellations.queue.services import set_response_target
from cancellations.requests.access import access_request
from cancellations.requests.actors import Actor
from cancellations.requests.errors import AlreadyDecided, InvalidRequest
from cancellations.requests.services import (
    BulkOutcome,
    add_request_note,
    approve_request,
    assign_request,
    decide_requests,
    reject_request,
    retry_request,
)
from portal.merchant.base import StoreStaffView
from portal.merchant.queue.forms import (
    FILTER_FIELDS,
    MAX_BULK,
    ApproveForm,
    AssignForm,
    BulkForm,
    NoteForm,
    QueueFilterForm,
    RejectForm,
    ResponseTargetForm,
)
from portal.merchant.queue.rows import label_of, queue_rows
from portal.merchant.views import form_error
from tenants.errors import DomainError, NotFound
from tenants.errors import PermissionDenied as ScopeDenied
from tenants.roles import Scope


def already_decided_message(error: AlreadyDecided, zone: str) -> str:
    """What the one who lost a race is told: who decided, how, and when (in the store's time zone)."""
    how = Resolution(error.resolution).label if error.resolution in Resolution.values else error.resolution
    when = ""
    if error.decided_at is not None:
        local = timezone.localtime(error.decided_at, timezone=_zone(zone))
        when = formats.date_format(local, "DATETIME_FORMAT")
    return _("Already decided by %(who)s (%(how)s) at %(when)s.") % {
        "who": error.decided_by,
        "how": str(how).lower(),
        "when": when,
    }


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _target_label(hours: int) -> str:
    return _("Past the response target (%(hours)d h)") % {"hours": hours}


class QueueView(StoreStaffView):
    required_scopes = {"GET": Scope.REQUESTS_READ}
    nav = "queue"

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        settings_row = queue_settings(store=self.store)
        target = settings_row.response_target
        policy, _version = current_policy(store=self.store)
        language = get_language() or self.store.locale
        staff = assignable_staff(store=self.store)
        form = QueueFilterForm(
            request.GET or None,
            reasons=[(reason.code, reason.label(language)) for reason in policy.reasons.choices],
            staff=staff,
            target_label=_target_label(settings_row.response_target_hours),
        )
        filters = form.filters(user=self.access.user, target=target)
        page = queue_page(
            store=self.store,
            filters=filters,
            sort=form.chosen_sort,
            cursor=request.GET.get("cursor") or None,
            size=form.chosen_page_size,
            now=now,
        )
        kept = request.GET.copy()
        kept.pop("cursor", None)
        context = {
            "form": form,
            "rows": queue_rows(
                self.store,
                page.rows,
                base_url=reverse("merchant:queue", kwargs={"store_slug": self.store.slug}),
                target=target,
                now=now,
                reasons=policy.reasons,
                language=language,
            ),
            "page": page,
            "query": kept.urlencode(),
            "filtered": any(request.GET.get(name) for name in FILTER_FIELDS),
            "backlog": backlog(store=self.store, target=target, now=now),
            "target_hours": settings_row.response_target_hours,
            "target_form": ResponseTargetForm(initial={"hours": settings_row.response_target_hours}),
            "can_decide": self.access.has(Scope.REQUESTS_DECIDE),
            "can_set_target": self.access.has(Scope.POLICY_WRITE),
            "bulk_form": BulkForm(None),
            "max_bulk": MAX_BULK,
            "late_label": _("Late"),
        }
        return self.render(request, "merchant/queue.html", context)


class ResponseTargetView(StoreStaffView):
    required_scopes = {"POST": Scope.POLICY_WRITE}

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ResponseTargetForm(request.POST)
        if form.is_valid():
            try:
                set_response_target(access=self.access, hours=form.cleaned_data["hours"])
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Response target saved."))
        else:
            limit = {"max": MAX_RESPONSE_TARGET_HOURS}
            messages.error(request, _("Choose a response target between 1 and %(max)d hours.") % limit)
        return self.redirect_here("merchant:queue")


@dataclass(frozen=True)
class BulkResult:
    request_id: int
    request: OrderRequest | None
    outcome: str  # decided, already_decided, not_found, error
    message: str


class BulkDecisionView(StoreStaffView):
    """Approve or reject up to 500 chosen requests; each is decided on its own, and each result shown."""

    required_scopes = {"POST": Scope.REQUESTS_DECIDE}
    nav = "queue"

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BulkForm(request.POST)
        if not form.is_valid():
            for error in [*form.non_field_errors(), *form.errors.get("message", [])]:
                messages.error(request, error)
            return self.redirect_here("merchant:queue")
        action = form.cleaned_data["action"]
        try:
            outcomes = decide_requests(
                store=self.store,
                request_ids=form.cleaned_data["request_ids"],
                actor=Actor.staff(self.access),
                approve=action == "approve",
                message=form.cleaned_data.get("message") or "",
            )
        except ScopeDenied as error:
            raise DjangoPermissionDenied(error.message) from None
        results = [(outcome.request_id, outcome.outcome, self._text(outcome, action)) for outcome in outcomes]
        found = {
            row.pk: row
            for row in OrderRequest.objects.for_store(self.store)
            .filter(pk__in=[request_id for request_id, _outcome, _message in results])
            .select_related("order")
        }
        rows = [
            BulkResult(request_id, found.get(request_id), outcome, text)
            for request_id, outcome, text in results
        ]
        counts = {
            outcome: sum(1 for row in rows if row.outcome == outcome)
            for outcome in ("decided", "already_decided", "not_found", "error")
        }
        return self.render(
            request, "merchant/queue_bulk.html", {"results": rows, "action": action, "counts": counts}
        )

    def _text(self, outcome: BulkOutcome, action: str) -> str:
        if outcome.outcome == "decided":
            return _("Approved") if action == "approve" else _("Rejected")
        if isinstance(outcome.error, AlreadyDecided):
            return already_decided_message(outcome.error, self.store.timezone)
        if outcome.outcome == "not_found":
            return _("Not a request of this store.")
        return outcome.error.message if outcome.error else ""


class RequestPageMixin(StoreStaffView):
    nav = "queue"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.request_id = kwargs.pop("request_id")
        return super().dispatch(request, *args, **kwargs)

    def load(self) -> RequestPage:
        try:
            return request_page(store=self.store, request_id=self.request_id)
        except NotFound:
            raise Http404 from None

    def page(self, request: HttpRequest, status: int = 200, **forms: Any) -> HttpResponse:
        data = self.load()
        order_request = data.timeline.request
        settings_row = queue_settings(store=self.store)
        now = timezone.now()
        staff = assignable_staff(store=self.store)
        age = now - order_request.requested_at
        waiting = order_request.status == RequestStatus.PENDING_REVIEW
        policy, _version = current_policy(store=self.store)
        context = {
            "order_request": order_request,
            "order": order_request.order,
            "reason": policy.reasons.label_of(order_request.reason_code, get_language() or self.store.locale),
            "refund_method": label_of(RefundMethod, order_request.refund_method, {})
            if order_request.refund_method
            else "",
            "data": data,
            "events": data.timeline.events,
            "notes": data.timeline.notes,
            "changes": data.timeline.changes,
            "age": age,
            "late": waiting and age > settings_row.response_target,
            "target_hours": settings_row.response_target_hours,
            "waiting": waiting,
            "can_decide": self.access.has(Scope.REQUESTS_DECIDE),
            "approve_form": forms.get("approve_form")
            or ApproveForm(
                initial={
                    "fee": order_request.fee,
                    "refund_amount": order_request.refund_amount,
                    "refund_method": "",
                }
            ),
            "reject_form": forms.get("reject_form") or RejectForm(),
            "assign_form": forms.get("assign_form")
            or AssignForm(
                staff=staff,
                initial={"assignee": str(order_request.assigned_to_id or "")},
            ),
            "note_form": forms.get("note_form") or NoteForm(),
        }
        return self.render(request, "merchant/request.html", context, status=status)

    def actor(self) -> Actor:
        return Actor.staff(self.access)

    def done(self) -> HttpResponse:
        return self.redirect_here("merchant:queue_request", request_id=self.request_id)

    def refused(self, request: HttpRequest, error: DomainError, **forms: Any) -> HttpResponse:
        """Show why a change did not happen: who decided first, a bad value, or a state that forbids it."""
        if isinstance(error, NotFound):
            raise Http404
        if isinstance(error, ScopeDenied):
            raise DjangoPermissionDenied(error.message)
        if isinstance(error, AlreadyDecided):
            messages.error(request, already_decided_message(error, self.store.timezone))
            return self.page(request, status=409)
        messages.error(request, error.message)
        return self.page(request, status=400 if isinstance(error, InvalidRequest) else 409, **forms)


class RequestDetailView(RequestPageMixin):
    required_scopes = {"GET": Scope.REQUESTS_READ}

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request)


class ApproveView(RequestPageMixin):
    required_scopes = {"POST": Scope.REQUESTS_DECIDE}

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApproveForm(request.POST)
        try:
            current = access_request(store=self.store, request_id=self.request_id)
        except NotFound:
            raise Http404 from None
        if not form.is_valid():
            return self.page(request, status=400, approve_form=form)
        overrides = form.overrides(
            fee=current.fee, refund_amount=current.refund_amount, refund_method=current.refund_method
        )
        try:
            approve_request(
                store=self.store, request_id=self.request_id, actor=self.actor(), overrides=overrides
            )
        except DomainError as error:
            if error.field in form.fields:
                form_error(form, error)
            return self.refused(request, error, approve_form=form)
        messages.success(request, _("Approved. The change is being carried out."))
        return self.done()


class RejectView(RequestPageMixin):
    required_scopes = {"POST": Scope.REQUESTS_DECIDE}

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RejectForm(request.POST)
        if not form.is_valid():
            return self.page(request, status=400, reject_form=form)
        try:
            reject_request(
                store=self.store,
                request_id=self.request_id,
                actor=self.actor(),
                message=form.cleaned_data["message"],
            )
        except DomainError as error:
            if error.field in form.fields:
                form_error(form, error)
            return self.refused(request, error, reject_form=form)
        messages.success(request, _("Rejected. The customer has been told why."))
        return self.done()


class AssignView(RequestPageMixin):
    required_scopes = {"POST": Scope.REQUESTS_DECIDE}

    def post(self, request: HttpRequest) -> HttpResponse:
        form = AssignForm(request.POST, staff=assignable_staff(store=self.store))
        if not form.is_valid():
            return self.page(request, status=400, assign_form=form)
        assignee = form.chosen()
        try:
            assign_request(
                store=self.store, request_id=self.request_id, actor=self.actor(), assignee=assignee
            )
        except DomainError as error:
            return self.refused(request, error, assign_form=form)
        if assignee is None:
            messages.success(request, _("Nobody is assigned now."))
        else:
            messages.success(request, _("Assigned to %(email)s.") % {"email": assignee.email})
        return self.done()


class NoteView(RequestPageMixin):
    required_scopes = {"POST": Scope.REQUESTS_DECIDE}

    def post(self, request: HttpRequest) -> HttpResponse:
        form = NoteForm(request.POST)
        if not form.is_valid():
            return self.page(request, status=400, note_form=form)
        try:
            add_request_note(
                store=self.store,
                request_id=self.request_id,
                actor=self.actor(),
                text=form.cleaned_data["text"],
            )
        except DomainError as error:
            return self.refused(request, error, note_form=form)
        messages.success(request, _("Note added."))
        return self.done()


class RetryView(RequestPageMixin):
    required_scopes = {"POST": Scope.REQUESTS_DECIDE}

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            retry_request(store=self.store, request_id=self.request_id, actor=self.actor())
        except DomainError as error:
            return self.refused(request, error)
        messages.success(request, _("Trying again."))
        return self.done()
