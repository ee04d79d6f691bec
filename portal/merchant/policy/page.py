"""The policy page as a whole: every section's form filled from a policy, read back into one, its errors
listed with where they are, and the index of fields the version history names changes by."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.formsets import BaseFormSet
from django.http import QueryDict
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cancellations.policy import (
    RULE_ACTIONS,
    Action,
    FieldError,
    StorePolicy,
)
from cancellations.policy.errors import PolicyDataError
from portal.merchant.policy.forms import (
    EXTRA_REASON_ROWS,
    MAX_REASONS,
    ActionRuleForm,
    AdditionsForm,
    CountryChangeForm,
    FeesForm,
    FulfilmentHoldForm,
    LimitsForm,
    PolicySectionForm,
    ReasonForm,
    ReasonFormSet,
    ReasonRulesForm,
    RefundsForm,
    RetentionForm,
    WithdrawalForm,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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
        self.additions = AdditionsForm(
            data, prefix="additions", initial=AdditionsForm.initial_from(sections["additions"])
        )
        self.action_forms[RULE_ACTIONS.index(Action.ADD_ITEM)].companion = self.additions
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
        self.limits = LimitsForm(data, prefix="limits", initial=LimitsForm.initial_from(sections["limits"]))
        self.withdrawal = WithdrawalForm(
            data, prefix="withdrawal", initial=WithdrawalForm.initial_from(sections["withdrawal"])
        )
        self.fulfilment_hold = FulfilmentHoldForm(
            data,
            prefix="fulfilment_hold",
            initial=FulfilmentHoldForm.initial_from(sections["fulfilment_hold"]),
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
            self.additions,
            self.reason_rules,
            self.retention,
            self.fees,
            self.refunds,
            self.limits,
            self.withdrawal,
            self.fulfilment_hold,
        ]

    @property
    def closing_sections(self) -> list[PolicySectionForm]:
        """The sections after the reasons: the offer, fees, refunds, limits, withdrawal and the fulfilment
        hold."""
        return [self.retention, self.fees, self.refunds, self.limits, self.withdrawal, self.fulfilment_hold]

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
            "additions": self.additions.section_data(),
            "actions": {form.action.value: form.section_data() for form in self.action_forms},
            "reasons": reasons,
            "retention": self.retention.section_data(),
            "fees": self.fees.section_data(),
            "refunds": self.refunds.section_data(),
            "limits": self.limits.section_data(),
            "withdrawal": self.withdrawal.section_data(),
            "fulfilment_hold": self.fulfilment_hold.section_data(),
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


def _form_errors(form: forms.Form, where: StrOrPromise, anchor: str) -> list[dict[str, Any]]:
    items = [{"message": message, "anchor": anchor, "where": where} for message in form.non_field_errors()]
    for field in form:
        items += [
            {"message": message, "anchor": field.auto_id, "where": f"{where}: {field.label}"}
            for message in field.errors
        ]
    return items


# What the version history calls a changed setting: the label of the field that edits it.


@functools.cache
def page_fields() -> dict[str, tuple[StrOrPromise, forms.Field]]:
    """Every policy path the page edits (reasons aside): {path: (section title, form field)}."""
    index: dict[str, tuple[StrOrPromise, forms.Field]] = {}
    for action in RULE_ACTIONS:
        for name, field in ActionRuleForm.base_fields.items():
            index[f"actions.{action.value}.{name.replace('__', '.')}"] = (action.label, field)
    for form_class in (
        CountryChangeForm,
        AdditionsForm,
        ReasonRulesForm,
        RetentionForm,
        FeesForm,
        RefundsForm,
        LimitsForm,
        WithdrawalForm,
        FulfilmentHoldForm,
    ):
        for name, field in form_class(prefix="x").fields.items():
            path = ".".join(part for part in (form_class.path, name.replace("__", ".")) if part)
            index[path] = (form_class.title, field)
    return index


def reason_field(rest: str) -> forms.Field | None:
    """The field of a reason's row that edits `rest` (e.g. "labels.en"), if there is one."""
    return ReasonForm(prefix="x").fields.get(rest.replace(".", "__"))
