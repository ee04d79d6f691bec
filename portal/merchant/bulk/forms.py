"""The bulk cancellation form: which orders (a filter or pasted numbers) and how to cancel them."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cancellations.bulk.selectors import OrderFilters, filters_from, parse_order_numbers, status_choices
from cancellations.models import BulkCancelReason, RefundMethod, RiskLevel
from cancellations.requests.errors import InvalidRequest

FILTER, NUMBERS = "filter", "numbers"


class BulkCancelForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Choose orders"),
        choices=[(FILTER, _("By a filter")), (NUMBERS, _("By pasting order numbers"))],
        initial=FILTER,
        widget=forms.RadioSelect,
    )
    status = forms.ChoiceField(label=_("Status"), choices=(), initial="open", required=False)
    placed_from = forms.DateField(
        label=_("Placed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    placed_to = forms.DateField(
        label=_("Placed until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tag = forms.CharField(label=_("Tag"), max_length=100, required=False)
    risk = forms.ChoiceField(label=_("Risk"), choices=(), required=False)
    total_min = forms.DecimalField(label=_("Total at least"), required=False, min_value=0, decimal_places=2)
    total_max = forms.DecimalField(label=_("Total at most"), required=False, min_value=0, decimal_places=2)
    numbers = forms.CharField(
        label=_("Order numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One a line, or separated by commas: #1001 or 1001."),
    )
    reason = forms.ChoiceField(
        label=_("Reason"), choices=BulkCancelReason.choices, initial=BulkCancelReason.OTHER
    )
    refund_method = forms.ChoiceField(
        label=_("Refund"), choices=RefundMethod.choices, initial=RefundMethod.ORIGINAL
    )
    restock = forms.BooleanField(label=_("Put the items back in stock"), required=False, initial=True)
    notify_customer = forms.BooleanField(
        label=_("Email the customers that their order was cancelled"), required=False
    )
    staff_note = forms.CharField(
        label=_("Note for staff"),
        max_length=255,
        required=False,
        help_text=_("Kept with each order on the platform; customers do not see it."),
    )
    start_key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = status_choices()
        cast(forms.ChoiceField, self.fields["risk"]).choices = [
            ("", _("Any")),
            *[(v, label) for v, label in RiskLevel.choices if v],
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns; its stub allows None for overrides
        if self.errors:
            return data
        if data.get("mode") == NUMBERS:
            numbers = parse_order_numbers(data.get("numbers") or "")
            if not numbers:
                self.add_error("numbers", _("Paste at least one order number."))
            elif len(numbers) > int(settings.BULK_CANCEL_MAX_ORDERS):
                self.add_error(
                    "numbers",
                    _("Paste at most %(max)s order numbers at a time.")
                    % {"max": settings.BULK_CANCEL_MAX_ORDERS},
                )
            data["order_numbers"] = numbers
        else:
            try:
                data["filters"] = filters_from(data)
            except InvalidRequest as error:
                self.add_error(error.field if error.field in self.fields else None, error.message)
        return data

    def selection(self) -> dict[str, Any]:
        """The chosen orders as the services take them: `filters=` or `order_numbers=`."""
        data = self.cleaned_data
        if data.get("mode") == NUMBERS:
            return {"order_numbers": data["order_numbers"]}
        filters: OrderFilters = data["filters"]
        return {"filters": filters}

    def settings(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "reason": data["reason"],
            "refund_method": data["refund_method"],
            "restock": bool(data.get("restock")),
            "notify_customer": bool(data.get("notify_customer")),
            "staff_note": (data.get("staff_note") or "").strip(),
        }
