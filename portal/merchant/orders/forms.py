"""The forms of an order's page: staff cancel it, or change its items, for the customer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cancellations.models import LineItem


class StaffCancelForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), required=False)
    note = forms.CharField(
        label=gettext_lazy("What the customer said"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    submit_key = forms.CharField(widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args: Any, reasons: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *reasons]


class StaffEditForm(forms.Form):
    """One quantity per line; 0 removes the line. Only what differs from the order becomes a change."""

    submit_key = forms.CharField(widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args: Any, lines: list[LineItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            label = f"{line.title} ({line.variant_title})" if line.variant_title else line.title
            self.fields[f"quantity_{line.pk}"] = forms.IntegerField(
                label=label, min_value=0, max_value=999, initial=line.quantity
            )

    def changes(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for line in self.lines:
            quantity = self.cleaned_data[f"quantity_{line.pk}"]
            if quantity == line.quantity:
                continue
            if quantity == 0:
                out.append({"kind": "remove", "line_id": line.pk})
            else:
                out.append({"kind": "quantity", "line_id": line.pk, "quantity": quantity})
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not self.changes():
            raise forms.ValidationError(_("Nothing was changed: set a new quantity for at least one item."))
        return data
