"""Forms of the support queue and the audit log. They validate input; services and selectors do the work."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from cancellations.models import ActorKind, RequestKind, RequestStatus, RiskLevel
from cancellations.models.queue import MAX_RESPONSE_TARGET_HOURS
from cancellations.queue.selectors import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_SORT,
    NOBODY,
    PAGE_SIZES,
    UNASSESSED,
    QueueFilters,
)
from cancellations.requests.services import MAX_BULK_DECISION
from tenants.models import User

MAX_BULK = MAX_BULK_DECISION
ALL = "all"
OVERDUE = "overdue"
ME = "me"
UNPAID = "unpaid"
# The query-string fields that narrow the queue: when one is set, the page offers to clear them.
FILTER_FIELDS = (
    "status",
    "kind",
    "reason",
    "age",
    "min_value",
    "max_value",
    "risk",
    "assignee",
    "payment",
    "q",
)

AGES: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "4h": timedelta(hours=4),
    "24h": timedelta(hours=24),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
}
SORT_CHOICES = [
    ("oldest", _("Oldest first")),
    ("newest", _("Newest first")),
]
REFUND_METHODS = [
    ("", _("As requested")),
    ("original", _("To the original payment")),
    ("store_credit", _("As store credit")),
    ("none", _("No refund")),
]


def _with_any(choices: Any, label: Any = None) -> list[tuple[str, Any]]:
    return [("", label or _("Any")), *list(choices)]


class QueueFilterForm(forms.Form):
    """The queue's filters, sort and page size, from the query string. Bad values fall back to defaults."""

    status = forms.ChoiceField(required=False, label=_("Status"))
    kind = forms.ChoiceField(required=False, label=_("Kind"), choices=_with_any(RequestKind.choices))
    reason = forms.ChoiceField(required=False, label=_("Reason"))
    age = forms.ChoiceField(required=False, label=_("Waiting"))
    min_value = forms.DecimalField(
        required=False, label=_("Order value from"), min_value=Decimal(0), max_digits=14, decimal_places=2
    )
    max_value = forms.DecimalField(
        required=False, label=_("Order value up to"), min_value=Decimal(0), max_digits=14, decimal_places=2
    )
    risk = forms.ChoiceField(required=False, label=_("Fraud risk"))
    assignee = forms.ChoiceField(required=False, label=_("Assigned to"))
    payment = forms.ChoiceField(
        required=False, label=_("Payment"), choices=_with_any([(UNPAID, _("Unpaid difference"))])
    )
    q = forms.CharField(
        required=False,
        label=_("Search"),
        max_length=254,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Order number or email")}),
    )
    sort = forms.ChoiceField(required=False, label=_("Sort"), choices=SORT_CHOICES)
    per_page = forms.TypedChoiceField(
        required=False,
        label=_("Per page"),
        coerce=int,
        choices=[(str(size), str(size)) for size in PAGE_SIZES],
        empty_value=DEFAULT_PAGE_SIZE,  # type: ignore[arg-type]  # stub: Django takes any value here, not only str
    )

    def __init__(
        self,
        data: Any,
        *,
        reasons: list[tuple[str, str]],
        staff: list[User],
        target_label: str,
    ) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            ("", RequestStatus.PENDING_REVIEW.label),
            *[
                (value, label)
                for value, label in RequestStatus.choices
                if value != RequestStatus.PENDING_REVIEW
            ],
            (ALL, _("Every status")),
        ]
        cast(forms.ChoiceField, self.fields["reason"]).choices = _with_any(reasons)
        cast(forms.ChoiceField, self.fields["age"]).choices = _with_any(
            [
                (OVERDUE, target_label),
                ("1h", _("Over an hour")),
                ("4h", _("Over 4 hours")),
                ("24h", _("Over a day")),
                ("3d", _("Over 3 days")),
                ("7d", _("Over a week")),
            ],
            _("Any time"),
        )
        cast(forms.ChoiceField, self.fields["risk"]).choices = _with_any(
            [*[(v, label) for v, label in RiskLevel.choices if v], (UNASSESSED, RiskLevel.NONE.label)]
        )
        cast(forms.ChoiceField, self.fields["assignee"]).choices = _with_any(
            [(ME, _("Me")), (NOBODY, _("Nobody")), *[(str(user.pk), user.email) for user in staff]],
            _("Anyone"),
        )

    def _value(self, name: str) -> Any:
        if not self.is_bound:
            return self.fields[name].initial
        if name in self.errors:
            return None
        return self.cleaned_data.get(name)

    def filters(self, *, user: User, target: timedelta) -> QueueFilters:
        """The filters to apply; a field that did not validate does not narrow."""
        self.is_valid()
        status = self._value("status") or ""
        unpaid = self._value("payment") == UNPAID
        if unpaid and not status:
            status = ALL  # what is owed comes after a change is carried out, whatever the queue shows
        age = self._value("age") or ""
        assignee = self._value("assignee") or ""
        return QueueFilters(
            status="" if status == ALL else (status or RequestStatus.PENDING_REVIEW),
            kind=self._value("kind") or "",
            reason=self._value("reason") or "",
            older_than=target if age == OVERDUE else AGES.get(age),
            min_value=self._value("min_value"),
            max_value=self._value("max_value"),
            risk=self._value("risk") or "",
            assignee=user.pk
            if assignee == ME
            else NOBODY
            if assignee == NOBODY
            else (int(assignee) if assignee else None),
            search=self._value("q") or "",
            unpaid=unpaid,
        )

    def layout(self) -> list[dict[str, Any]]:
        """Each field with, for a choice, its options as (value, label, chosen).

        The page draws the selects itself: Django's widget templates render every option through a
        template of its own, which is most of what this page would otherwise spend.
        """
        rows = []
        for field in self:
            options = None
            if isinstance(field.field, forms.ChoiceField):
                current = "" if field.value() is None else str(field.value())
                # Set choices are normalised to pairs; django-stubs types the getter as every input form.
                choices = cast(Iterable[tuple[Any, Any]], field.field.choices)
                options = [(str(v), str(label), str(v) == current) for v, label in choices]
            rows.append({"field": field, "options": options})
        return rows

    @property
    def chosen_sort(self) -> str:
        self.is_valid()
        return self._value("sort") or DEFAULT_SORT

    @property
    def chosen_page_size(self) -> int:
        self.is_valid()
        return self._value("per_page") or DEFAULT_PAGE_SIZE


class ApproveForm(forms.Form):
    refund_method = forms.ChoiceField(required=False, label=_("Refund"), choices=REFUND_METHODS)
    fee = forms.DecimalField(
        required=False, label=_("Fee"), min_value=Decimal(0), max_digits=14, decimal_places=2
    )
    refund_amount = forms.DecimalField(
        required=False, label=_("Amount refunded"), min_value=Decimal(0), max_digits=14, decimal_places=2
    )
    restock = forms.ChoiceField(
        required=False,
        label=_("Stock"),
        choices=[("", _("Put the items back in stock")), ("no", _("Do not restock"))],
    )
    notify_customer = forms.ChoiceField(
        required=False,
        label=_("Customer email"),
        choices=[("", _("Email the customer")), ("no", _("Do not email the customer"))],
    )

    def overrides(self, *, fee: Decimal, refund_amount: Decimal, refund_method: str) -> dict[str, Any]:
        """What the person changed from the request's own values (only those are sent)."""
        data = self.cleaned_data
        changed: dict[str, Any] = {}
        if data.get("refund_method") and data["refund_method"] != refund_method:
            changed["refund_method"] = data["refund_method"]
        if data.get("fee") is not None and data["fee"] != fee:
            changed["fee"] = data["fee"]
        if data.get("refund_amount") is not None and data["refund_amount"] != refund_amount:
            changed["refund_amount"] = data["refund_amount"]
        if data.get("restock") == "no":
            changed["restock"] = False
        if data.get("notify_customer") == "no":
            changed["notify_customer"] = False
        return changed


class RejectForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the customer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The customer sees this on their request and in the email."),
    )


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(required=False, label=_("Assign to"))

    def __init__(self, *args: Any, staff: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = {str(user.pk): user for user in staff}
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Nobody")),
            *[(pk, u.email) for pk, u in self.staff.items()],
        ]

    def chosen(self) -> User | None:
        return self.staff.get(self.cleaned_data.get("assignee") or "")


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only staff see notes."),
    )


class BulkForm(forms.Form):
    ACTIONS = [("approve", _("Approve")), ("reject", _("Reject"))]

    action = forms.ChoiceField(choices=ACTIONS)
    message = forms.CharField(
        required=False,
        label=_("Message to the customers (when rejecting)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        self.raw_ids = data.getlist("request_ids") if data is not None else []

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns; its stub allows None for overrides
        ids: list[int] = []
        for raw in self.raw_ids:
            try:
                ids.append(int(raw))
            except (TypeError, ValueError):
                raise forms.ValidationError(_("Choose requests from the queue.")) from None
        ids = list(dict.fromkeys(ids))
        if not ids:
            raise forms.ValidationError(_("Nothing was chosen: tick at least one request in the list."))
        if len(ids) > MAX_BULK:
            raise forms.ValidationError(
                _("Choose at most %(max)d requests at a time (you chose %(count)d).")
                % {"max": MAX_BULK, "count": len(ids)}
            )
        if data.get("action") == "reject" and not (data.get("message") or "").strip():
            self.add_error("message", _("Tell the customers why."))
        data["request_ids"] = ids
        return data


class ResponseTargetForm(forms.Form):
    hours = forms.IntegerField(
        label=_("Response target (hours)"),
        min_value=1,
        max_value=MAX_RESPONSE_TARGET_HOURS,
        help_text=_("Requests waiting longer than this are marked late."),
    )


class AuditFilterForm(forms.Form):
    actor_kind = forms.ChoiceField(required=False, label=_("Who"), choices=_with_any(ActorKind.choices))
    action = forms.CharField(required=False, label=_("Action"), max_length=60)
    date_from = forms.DateField(
        required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns; its stub allows None for overrides
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end comes before the start."))
        return data
