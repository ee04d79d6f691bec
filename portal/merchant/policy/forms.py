"""The forms of the store-policy page: one per section, named after the policy's own JSON layout.

A field's name is its path inside the section with "__" for "." (`window__minutes` in the section
`actions.cancel` is the policy field `actions.cancel.window.minutes`), so a form turns straight into
the dict `StorePolicy.from_dict()` reads, and every `FieldError` the policy reports finds its field.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.formsets import BaseFormSet
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cancellations.models.orders import FinancialStatus, FulfillmentStatus, RiskLevel
from cancellations.policy import (
    RULE_ACTIONS,
    Action,
    ExclusionScope,
    FeeKind,
    FieldError,
    RefundOption,
    RetentionKind,
    StorePolicy,
    WindowKind,
)
from cancellations.policy.errors import PolicyDataError, PolicyErrorCode

EXTRA_REASON_ROWS = 3
MAX_REASONS = 50
MAX_LIST_TEXT = 5000


class CommaListField(forms.CharField):
    """Text such as "gift card, sample" as a tuple of trimmed, distinct items (how the page edits lists)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Separate them with commas; capitals do not matter."))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> tuple[str, ...]:  # type: ignore[override]
        text = super().to_python(value)
        if len(text) > MAX_LIST_TEXT:
            raise ValidationError(_("Keep the list under 5000 characters."), code=PolicyErrorCode.TOO_LONG)
        return tuple(dict.fromkeys(item.strip() for item in text.split(",") if item.strip()))

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list | tuple) else value


class ChoiceListField(forms.MultipleChoiceField):
    """Checkboxes whose ticked values come back in the order of the choices, however they were sent."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple(attrs={"class": "choice-list"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[str]:
        ticked = set(super().clean(value))
        return [str(key) for key, _label in self.choices if str(key) in ticked]


class ZeroWhenEmptyInteger(forms.IntegerField):
    def to_python(self, value: Any) -> int:  # type: ignore[override]
        number = super().to_python(value)
        return 0 if number is None else number


class ZeroWhenEmptyDecimal(forms.DecimalField):
    def to_python(self, value: Any) -> Decimal:  # type: ignore[override]
        number = super().to_python(value)
        return Decimal(0) if number is None else number


def _check(label: Promise, help_text: Promise | str = "") -> forms.BooleanField:
    return forms.BooleanField(label=label, help_text=help_text, required=False)


def _radios(label: Promise, choices: Any, help_text: Promise | str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        help_text=help_text,
        widget=forms.RadioSelect(attrs={"class": "choice-list"}),
    )


def _languages() -> list[tuple[str, Promise]]:
    return [(code, name) for code, name in settings.LANGUAGES]


def _flatten(data: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in data.items():
        if isinstance(value, Mapping):
            _flatten(value, f"{prefix}{key}__", out)
        else:
            out[f"{prefix}{key}"] = value


class PolicySectionForm(forms.Form):
    """One section of the policy: `path` is where it sits in `StorePolicy.to_dict()`."""

    path: str = ""
    title: Promise | str = ""
    # Per-language texts, kept as {language: text} without the empty ones.
    language_groups: ClassVar[tuple[str, ...]] = ()
    # (legend, field names) inside the section; a falsy legend means no inner fieldset.
    groups: ClassVar[tuple[tuple[Promise | str, tuple[str, ...]], ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_from(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """The form's initial values from the section's JSON."""
        flat: dict[str, Any] = {}
        _flatten(data, "", flat)
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

    def fieldsets(self) -> Iterator[tuple[Promise | str, list[forms.BoundField]]]:
        for legend, names in self.groups or (("", tuple(self.fields)),):
            yield legend, [self[name] for name in names]


class ActionRuleForm(PolicySectionForm):
    enabled = _check(_("Offer this action"))
    window__kind = _radios(_("Time window"), WindowKind.choices)
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
    product_exclusions__scope = _radios(_("When an order has such a product"), ExclusionScope.choices)
    order_exclusions__tags = CommaListField(label=_("Order tags"))
    order_exclusions__risk_levels = ChoiceListField(label=_("Risk levels"), choices=RiskLevel.choices)
    approval__always = _check(_("Always"), _("Every request for this action is reviewed."))
    approval__over_value = forms.DecimalField(
        label=_("Orders above this value"),
        required=False,
        help_text=_("In the order's currency; leave empty for no limit."),
    )
    approval__risk_levels = ChoiceListField(
        label=_("Orders with these risk levels"), choices=RiskLevel.choices
    )
    approval__discount_used = _check(_("Orders placed with a discount code"))
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

    allow_country_change = _check(
        _("The new address may be in another country"),
        _("Shipping costs and taxes can change with the country."),
    )


class ReasonRulesForm(PolicySectionForm):
    path = "reasons"
    title = _("Cancellation reasons")

    required = _check(_("Customers must give a reason"))
    free_text = _check(_("Customers may write their own words"))


class ReasonForm(PolicySectionForm):
    """One cancellation reason: its code and a label per language."""

    language_groups = ("labels",)

    code = forms.CharField(label=_("Code"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in _languages():
            self.fields[f"labels__{code}"] = forms.CharField(
                label=format_lazy(_("Label in {language}"), language=name), required=False, max_length=200
            )

    @classmethod
    def initial_from(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        labels = data.get("labels") or {}
        texts = {f"labels__{code}": labels.get(code, "") for code, _name in _languages()}
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

    kind = _radios(_("Before a cancellation is confirmed, show"), RetentionKind.choices)
    discount_code = forms.CharField(
        label=_("Discount code"),
        required=False,
        max_length=100,
        help_text=_("Created on your platform, e.g. STAY10."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in _languages():
            self.fields[f"messages__{code}"] = forms.CharField(
                label=format_lazy(_("Offer message in {language}"), language=name),
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )


class FeesForm(PolicySectionForm):
    path = "fees"
    title = _("Restocking fee")

    kind = _radios(_("Fee"), FeeKind.choices, _("Never charged on a withdrawal."))
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

    method = _radios(_("Refund"), RefundOption.choices)
    store_credit_bonus_percent = ZeroWhenEmptyDecimal(
        label=_("Store-credit bonus in percent"),
        required=False,
        help_text=_("Added when the refund is paid as store credit, e.g. 10."),
    )


class WithdrawalForm(PolicySectionForm):
    path = "withdrawal"
    title = _("EU right of withdrawal")

    enabled = _check(
        _("Customers may withdraw from a purchase"),
        _("Required when you sell to consumers in the EU."),
    )
    period_days = forms.IntegerField(
        label=_("Withdrawal period in days"), help_text=_("Counted from delivery; at least 14.")
    )
    exclusions__product_types = CommaListField(label=_("Exempt product types"))
    exclusions__product_tags = CommaListField(label=_("Exempt product tags"))
    exclusions__skus = CommaListField(label=_("Exempt SKUs"))
    exclusions__scope = _radios(_("When an order has such a product"), ExclusionScope.choices)

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


_REASON_PATH = re.compile(r"reasons\.choices\.(\d+)(?:\.(.+))?")


class PolicyPage:
    """Every form of the policy page, filled from a policy (or the posted input), and back into a policy."""

    def __init__(self, *, policy: StorePolicy, data: QueryDict | None = None, editable: bool = True) -> None:
        self.editable = editable
        self.page_errors: list[str] = []
        self.action_forms = [
            ActionRuleForm(
                data,
                prefix=action.value,
                action=action,
                initial=ActionRuleForm.initial_from(policy.rule_for(action).to_dict()),
            )
            for action in RULE_ACTIONS
        ]
        sections = policy.to_dict()
        self.country_change = CountryChangeForm(
            data, prefix="address", initial=CountryChangeForm.initial_from(sections)
        )
        self.action_forms[RULE_ACTIONS.index(Action.EDIT_ADDRESS)].companion = self.country_change
        self.reason_rules = ReasonRulesForm(
            data, prefix="reason_rules", initial=ReasonRulesForm.initial_from(sections["reasons"])
        )
        reason_formset = forms.formset_factory(
            ReasonForm,
            formset=ReasonFormSet,
            extra=EXTRA_REASON_ROWS if editable else 0,
            can_delete=editable,
            max_num=MAX_REASONS,
            absolute_max=MAX_REASONS,
            validate_max=True,
        )
        self.reasons: BaseFormSet = reason_formset(
            data,
            prefix="reasons",
            initial=[ReasonForm.initial_from(reason) for reason in sections["reasons"]["choices"]],
        )
        self.retention = RetentionForm(
            data, prefix="retention", initial=RetentionForm.initial_from(sections["retention"])
        )
        self.fees = FeesForm(data, prefix="fees", initial=FeesForm.initial_from(sections["fees"]))
        self.refunds = RefundsForm(
            data, prefix="refunds", initial=RefundsForm.initial_from(sections["refunds"])
        )
        self.withdrawal = WithdrawalForm(
            data, prefix="withdrawal", initial=WithdrawalForm.initial_from(sections["withdrawal"])
        )
        if not editable:
            for form in self._all_forms():
                for field in form.fields.values():
                    field.disabled = True

    @property
    def sections(self) -> list[PolicySectionForm]:
        """The section forms in page order (the reasons list sits with `reason_rules`)."""
        return [
            *self.action_forms,
            self.country_change,
            self.reason_rules,
            self.retention,
            self.fees,
            self.refunds,
            self.withdrawal,
        ]

    @property
    def closing_sections(self) -> list[PolicySectionForm]:
        """The sections after the reasons: the offer, fees, refunds and withdrawal."""
        return [self.retention, self.fees, self.refunds, self.withdrawal]

    def _all_forms(self) -> list[forms.Form]:
        return [*self.sections, *self.reasons.forms]

    def is_valid(self) -> bool:
        results = [form.is_valid() for form in self.sections]
        return all(results) and self.reasons.is_valid()

    def _kept_reason_forms(self) -> list[ReasonForm]:
        """The rows that make up the list: not removed, and not an extra row left blank."""
        return [
            form
            for form in self.reasons.forms
            if not (form.empty_permitted and not form.has_changed())
            and not (self.reasons.can_delete and form.cleaned_data.get("DELETE"))
        ]

    def build_policy(self) -> StorePolicy | None:
        """The policy the input describes, or None when a field's input is not even a valid value."""
        if not self.is_valid():
            return None
        reasons = self.reason_rules.section_data()
        reasons["choices"] = [form.section_data() for form in self._kept_reason_forms()]
        data = {
            **self.country_change.section_data(),
            "actions": {form.action.value: form.section_data() for form in self.action_forms},
            "reasons": reasons,
            "retention": self.retention.section_data(),
            "fees": self.fees.section_data(),
            "refunds": self.refunds.section_data(),
            "withdrawal": self.withdrawal.section_data(),
        }
        try:
            return StorePolicy.from_dict(data)
        except PolicyDataError as error:
            self.add_policy_errors([FieldError(error.field or "", error.code, error.message)])
            return None

    def add_policy_errors(self, errors: Sequence[FieldError]) -> None:
        """Show each of the policy's errors next to its field (or above the form when it has none)."""
        kept = self._kept_reason_forms()
        for error in errors:
            form, field = self._place(error.field, kept)
            if form is None:
                self.page_errors.append(str(error.message))
            else:
                form.add_error(field, ValidationError(error.message, code=error.code))

    def _place(self, path: str, kept: list[ReasonForm]) -> tuple[forms.Form | None, str | None]:
        match = _REASON_PATH.fullmatch(path)
        if match:
            index = int(match.group(1))
            if index >= len(kept):
                return None, None
            form = kept[index]
            return form, form.field_for(match.group(2) or "")
        for section in self.sections:
            rest = section.rest_of(path)
            if rest is not None:
                return section, section.field_for(rest)
        return None, None

    def error_summary(self) -> list[dict[str, Any]]:
        """Every error on the page, in page order, each with the element it belongs to."""
        items: list[dict[str, Any]] = [
            {"message": message, "anchor": "policy-form"} for message in self.page_errors
        ]
        for section in self.sections:
            items += _form_errors(section, section.title, f"section-{section.prefix}")
            if section is self.reason_rules:
                items += [
                    {"message": message, "anchor": "section-reasons", "where": section.title}
                    for message in self.reasons.non_form_errors()
                ]
                for number, form in enumerate(self.reasons.forms, start=1):
                    where = format_lazy(_("Reason {number}"), number=number)
                    items += _form_errors(form, where, "section-reasons")
        return items


def _form_errors(form: forms.Form, where: Promise | str, anchor: str) -> list[dict[str, Any]]:
    items = [{"message": message, "anchor": anchor, "where": where} for message in form.non_field_errors()]
    for field in form:
        items += [
            {"message": message, "anchor": field.auto_id, "where": f"{where}: {field.label}"}
            for message in field.errors
        ]
    return items


# What the version history calls a changed setting: the label of the field that edits it.


@functools.cache
def page_fields() -> dict[str, tuple[Promise | str, forms.Field]]:
    """Every policy path the page edits (reasons aside): {path: (section title, form field)}."""
    index: dict[str, tuple[Promise | str, forms.Field]] = {}
    for action in RULE_ACTIONS:
        for name, field in ActionRuleForm.base_fields.items():
            index[f"actions.{action.value}.{name.replace('__', '.')}"] = (action.label, field)
    for form_class in (
        CountryChangeForm,
        ReasonRulesForm,
        RetentionForm,
        FeesForm,
        RefundsForm,
        WithdrawalForm,
    ):
        for name, field in form_class(prefix="x").fields.items():
            path = ".".join(part for part in (form_class.path, name.replace("__", ".")) if part)
            index[path] = (form_class.title, field)
    return index


def reason_field(rest: str) -> forms.Field | None:
    """The field of a reason's row that edits `rest` (e.g. "labels.en"), if there is one."""
    return ReasonForm(prefix="x").fields.get(rest.replace(".", "__"))
