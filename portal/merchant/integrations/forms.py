"""Forms of the merchant's integration pages: API tokens and webhook endpoints."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from cancellations.models import WebhookEvent
from tenants.roles import Scope

SCOPE_LABELS = {
    Scope.ORDERS_READ: _("Read orders and the policy"),
    Scope.REQUESTS_READ: _("Read requests"),
    Scope.REQUESTS_DECIDE: _("Make, approve and reject requests"),
    Scope.POLICY_WRITE: _("Change the policy"),
    Scope.RULES_WRITE: _("Change automation rules"),
}


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What uses it, e.g. “Helpdesk integration”.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("What it may do"), widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, data: QueryDict | None = None, *, allowed: Iterable[str] = ()) -> None:
        super().__init__(data)
        scopes = self.fields["scopes"]
        assert isinstance(scopes, forms.MultipleChoiceField)
        scopes.choices = [
            (scope, f"{label} ({scope})") for scope, label in SCOPE_LABELS.items() if scope in allowed
        ]


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("Address"),
        max_length=500,
        assume_scheme="https",
        help_text=_("An https:// address of yours."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), widget=forms.CheckboxSelectMultiple, choices=WebhookEvent.choices
    )
    active = forms.BooleanField(label=_("Send events to this address"), required=False, initial=True)
