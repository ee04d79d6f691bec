"""The forms of the store-policy page: one per section, named after the policy's own JSON layout.

A field's name is its path inside the section with "__" for "." (`window__minutes` in the section
`actions.cancel` is the policy field `actions.cancel.window.minutes`), so a form turns straight into
the dict `StorePolicy.from_dict()` reads, and every `FieldError` the policy reports finds its field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.forms.formsets import BaseFormSet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cancellations.models.orders import FinancialStatus, FulfillmentStatus, RiskLevel
from cancellations.policy import (
    Action,
    ExclusionScope,
    FeeKind,
    RefundOption,
    RetentionKind,
    WindowKind,
)
from portal.merchant.policy.fields import (
    ChoiceListField,
    CommaListField,
    ZeroWhenEmptyDecimal,
    ZeroWhenEmptyInteger,
    check,
    flatten,
    languages,
    radios,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

EXTRA_REASON_ROWS = 3
MAX_REASONS = 50


class PolicySectionForm(forms.Form):
    """One section of the policy: `path` is where it sits in `StorePolicy.to_dict()`."""

    path: str = ""
    title: StrOrPromise = ""
    # Per-language texts, kept as {language: text} without the empty ones.
    language_groups: ClassVar[tuple[str, ...]] = ()
    # (legend, field names) inside the section; a falsy legend means no inner fieldset.
    groups: ClassVar[tuple[tuple[StrOrPromise, tuple[str, ...]], ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_from(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """The form's initial values from the section's JSON."""
        flat: dict[str, Any] = {}
        flatten(data, "", flat)
        return flat

    def section_data(self) -> dict[str, Any]:
        """The cleaned input as the section's JSON."""
        data: dict[str, Any] = {group: {} for group in self.language_groups}
        for name, value in self.cleaned_data.items():
            *parents, leaf = name.split("__")
            target = data
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = value
        for group in self.language_groups:
            data[group] = {language: text for language, text in data[group].items() if text}
        return data

    def rest_of(self, path: str) -> str | None:
        """The part of a policy path inside this section, or None when the path is elsewhere."""
        if not self.path:
            return path if self.field_for(path) else None
        prefix = f"{self.path}."
        return path[len(prefix) :] if path.startswith(prefix) else None

    def field_for(self, rest: str) -> str | None:
        """The field a policy path inside this section belongs to (None: the section as a whole)."""
        name = rest.replace(".", "__")
        if name in self.fields:
            return name
        return next((field for field in self.fields if field.startswith(f"{name}__")), None)

    def fieldsets(self) -> Iterator[tuple[StrOrPromise, list[forms.BoundField]]]:
        for legend, names in self.groups or (("", tuple(self.fields)),):
            yield legend, [self[name] for name in names]


class ActionRuleForm(PolicySectionForm):
    enabled = check(_("Offer this action"))
    window__kind = radios(_("Time window"), WindowKind.choices)
    window__minutes = forms.IntegerField(
        label=_("Minutes after the order was placed"),
        required=False,
        help_text=_("For a window in minutes, e.g. 60."),
    )
    window__cutoff = forms.CharField(
        label=_("Daily cut-off time"),
        required=False,
        empty_value=None,
        help_text=_("For a daily cut-off: a 24-hour time in the store's time zone, e.g. 14:00."),
    )
    financial_statuses = ChoiceListField(
        label=_("Payment statuses"),
        choices=FinancialStatus.choices,
        help_text=_("The order must have one of these."),
    )
    fulfillment_statuses = ChoiceListField(
        label=_("Shipping statuses"),
        choices=FulfillmentStatus.choices,
        help_text=_("The order must have one of these."),
    )
    product_exclusions__product_types = CommaListField(label=_("Product types"))
    product_exclusions__product_tags = CommaListField(label=_("Product tags"))
    product_exclusions__skus = CommaListField(label=_("SKUs"))
    product_exclusions__scope = radios(_("When an order has such a product"), ExclusionScope.choices)
    order_exclusions__tags = CommaListField(label=_("Order tags"))
    order_exclusions__risk_levels = ChoiceListField(label=_("Risk levels"), choices=RiskLevel.choices)
    approval__always = check(_("Always"), _("Every request for this action is reviewed."))
    approval__over_value = forms.DecimalField(
        label=_("Orders above this value"),
        required=False,
        help_text=_("In the order's currency; leave empty for no limit."),
    )
    approval__risk_levels = ChoiceListField(
        label=_("Orders with these risk levels"), choices=RiskLevel.choices
    )
    approval__discount_used = check(_("Orders placed with a discount code"))
    approval__grace_minutes = ZeroWhenEmptyInteger(
        label=_("Grace period in minutes"),
        required=False,
        help_text=_(
            "After a timed window closes, customers may still ask this long, and you decide. 0 for none."
        ),
    )

    groups = (
        ("", ("enabled",)),
        (_("Until when"), ("window__kind", "window__minutes", "window__cutoff")),
        (_("Which orders"), ("financial_statuses", "fulfillment_statuses")),
        (
            _("Excluded products"),
            (
                "product_exclusions__product_types",
                "product_exclusions__product_tags",
                "product_exclusions__skus",
                "product_exclusions__scope",
            ),
        ),
        (_("Excluded orders"), ("order_exclusions__tags", "order_exclusions__risk_levels")),
        (
            _("Review by staff first"),
            (
                "approval__always",
                "approval__over_value",
                "approval__risk_levels",
                "approval__discount_used",
                "approval__grace_minutes",
            ),
        ),
    )

    def __init__(self, *args: Any, action: Action, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.companion: PolicySectionForm | None = None  # settings kept elsewhere, shown in this section
        self.action = action
        self.path = f"actions.{action.value}"
        self.title = action.label


class CountryChangeForm(PolicySectionForm):
    """Settings at the top of the policy; shown with the address change they are about."""

    title = Action.EDIT_ADDRESS.label

    allow_country_change = check(
        _("The new address may be in another country"),
        _("Shipping costs and taxes can change with the country."),
    )


class AdditionsForm(PolicySectionForm):
    """Which products may be added: shown with the `add_item` rule they belong to."""

    path = "additions"
    title = Action.ADD_ITEM.label

    tag = forms.CharField(
        label=_("Products customers may add: those tagged"),
        required=False,
        max_length=100,
        help_text=_(
            "A product tag. Added items cost their full price: the order's discount codes do not apply."
        ),
    )
    max_items = forms.IntegerField(label=_("Most items a customer may add"), min_value=1, max_value=20)


class ReasonRulesForm(PolicySectionForm):
    path = "reasons"
    title = _("Cancellation reasons")

    required = check(_("Customers must give a reason"))
    free_text = check(_("Customers may write their own words"))


class ReasonForm(PolicySectionForm):
    """One cancellation reason: its code and a label per language."""

    language_groups = ("labels",)

    code = forms.CharField(label=_("Code"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in languages():
            self.fields[f"labels__{code}"] = forms.CharField(
                label=format_lazy(_("Label in {language}"), language=name), required=False, max_length=200
            )

    @classmethod
    def initial_from(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        labels = data.get("labels") or {}
        texts = {f"labels__{code}": labels.get(code, "") for code, _name in languages()}
        return {"code": data.get("code", ""), **texts}

    def section_data(self) -> dict[str, Any]:
        data = super().section_data()
        data.pop("DELETE", None)
        return data


class ReasonFormSet(BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")


class RetentionForm(PolicySectionForm):
    path = "retention"
    title = _("Keeping the order")
    language_groups = ("messages",)

    kind = radios(_("Before a cancellation is confirmed, show"), RetentionKind.choices)
    discount_code = forms.CharField(
        label=_("Discount code"),
        required=False,
        max_length=100,
        help_text=_("Created on your platform, e.g. STAY10."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in languages():
            self.fields[f"messages__{code}"] = forms.CharField(
                label=format_lazy(_("Offer message in {language}"), language=name),
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )


class FeesForm(PolicySectionForm):
    path = "fees"
    title = _("Restocking fee")

    kind = radios(_("Fee"), FeeKind.choices, _("Never charged on a withdrawal."))
    percent = ZeroWhenEmptyDecimal(label=_("Percentage of the refund"), required=False)
    fixed = ZeroWhenEmptyDecimal(
        label=_("Fixed amount"), required=False, help_text=_("In the order's currency.")
    )
    minimum = forms.DecimalField(label=_("Minimum fee"), required=False)
    maximum = forms.DecimalField(label=_("Maximum fee"), required=False)
    waived_reasons = CommaListField(
        label=_("No fee for these reason codes"), help_text=_("Reason codes, separated by commas.")
    )


class RefundsForm(PolicySectionForm):
    path = "refunds"
    title = _("Refunds")

    method = radios(_("Refund"), RefundOption.choices)
    store_credit_bonus_percent = ZeroWhenEmptyDecimal(
        label=_("Store-credit bonus in percent"),
        required=False,
        help_text=_("Added when the refund is paid as store credit, e.g. 10."),
    )
    store_credit_bonus_fixed = ZeroWhenEmptyDecimal(
        label=_("Store-credit bonus as a fixed amount"),
        required=False,
        help_text=_("In the store's currency; added to the percentage, if any."),
    )


class LimitsForm(PolicySectionForm):
    path = "limits"
    title = _("Limits")
    language_groups = ("messages",)

    edit_sessions_per_order = forms.IntegerField(
        label=_("Edit sessions per order"),
        required=False,
        min_value=1,
        help_text=_(
            "Saves a few minutes apart by the same person are one session. Leave empty for no limit."
        ),
    )
    cancellations_per_customer = forms.IntegerField(
        label=_("Cancellations per customer"),
        required=False,
        min_value=1,
        help_text=_("Counted by email address at this store. Leave empty for no limit."),
    )
    cancellation_period_days = forms.IntegerField(
        label=_("Period for the cancellation limit, in days"), min_value=1
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in languages():
            self.fields[f"messages__{code}"] = forms.CharField(
                label=format_lazy(_("Message when a limit is reached, in {language}"), language=name),
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )


class WithdrawalForm(PolicySectionForm):
    path = "withdrawal"
    title = _("EU right of withdrawal")

    enabled = check(
        _("Customers may withdraw from a purchase"),
        _("Required when you sell to consumers in the EU."),
    )
    period_days = forms.IntegerField(
        label=_("Withdrawal period in days"), help_text=_("Counted from delivery; at least 14.")
    )
    exclusions__product_types = CommaListField(label=_("Exempt product types"))
    exclusions__product_tags = CommaListField(label=_("Exempt product tags"))
    exclusions__skus = CommaListField(label=_("Exempt SKUs"))
    exclusions__scope = radios(_("When an order has such a product"), ExclusionScope.choices)

    groups = (
        ("", ("enabled", "period_days")),
        (
            _("Goods the law exempts"),
            (
                "exclusions__product_types",
                "exclusions__product_tags",
                "exclusions__skus",
                "exclusions__scope",
            ),
        ),
    )


class FulfilmentHoldForm(PolicySectionForm):
    path = "fulfilment_hold"
    title = _("Hold fulfilment during the change window")

    enabled = check(
        _("Hold a new order's fulfilment while the customer may still change it"),
        _("The warehouse cannot start on an order before its change window closes."),
    )
    max_minutes = forms.IntegerField(
        label=_("Longest hold in minutes"),
        help_text=_("Also how long an order is held when changes are open until it ships, e.g. 120."),
    )
