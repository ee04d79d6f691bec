"""The forms of the rule pages: a rule's settings, one small form per condition and per action.

The editor works without JavaScript: each condition and action is a row with its own prefix ("c0",
"a1", ...) whose type is fixed; "Add" posts the page back with a new, empty row of the chosen type and
keeps everything typed so far (nothing is saved until "Save"). Every value is checked again by the
rule services, whose errors are shown on the row and field they name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from cancellations.models import AutomationRule, RuleMatchMode, RuleTrigger
from cancellations.rules.actions import ACTION_TYPES, CANCEL_REASONS, REFUND_CHOICES
from cancellations.rules.conditions import CONDITION_TYPES, MAX_CONDITIONS
from cancellations.rules.errors import RuleInvalid
from cancellations.rules.services import RULE_FIELDS

MAX_ACTIONS = len(ACTION_TYPES)


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class RuleForm(_Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    triggers = forms.MultipleChoiceField(
        label=_("Run when"),
        choices=RuleTrigger.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choice-list"}),
    )
    match = forms.ChoiceField(
        label=_("Match when"),
        choices=RuleMatchMode.choices,
        initial=RuleMatchMode.ALL,
        widget=forms.RadioSelect(attrs={"class": "choice-list"}),
    )
    enabled = forms.BooleanField(label=_("Switched on"), required=False)
    dry_run = forms.BooleanField(
        label=_("Dry run"),
        required=False,
        help_text=_("Record what the rule would do, and do nothing."),
    )
    stop_after_match = forms.BooleanField(
        label=_("Stop later rules"),
        required=False,
        help_text=_("When this rule matches an order, the rules after it do not run for that event."),
    )


class RowForm(_Form):
    """One condition or action; `kind` is its type (fixed for the row). Subclasses name it in `label`."""

    remove = forms.BooleanField(label=_("Remove"), required=False)

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind

    @property
    def label(self) -> str:
        raise NotImplementedError

    def value(self) -> dict[str, Any]:
        """The row as the rule services take it (after is_valid)."""
        data = {name: value for name, value in self.cleaned_data.items() if name != "remove"}
        return {"type": self.kind, **data}

    @property
    def removed(self) -> bool:
        return bool(self.is_bound and self["remove"].value())


class ConditionRowForm(RowForm):
    negate = forms.BooleanField(label=_("Reverse: match orders that do not meet this"), required=False)

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, kind=kind, **kwargs)
        spec = CONDITION_TYPES[kind]
        if spec.takes == "values" and spec.choices:
            self.fields["values"] = forms.MultipleChoiceField(
                label=spec.values_label,
                choices=spec.choices,
                widget=forms.CheckboxSelectMultiple(attrs={"class": "choice-list"}),
            )
        elif spec.takes == "values":
            self.fields["values"] = forms.CharField(
                label=spec.values_label,
                # "A discount code was used" without codes means any code.
                required=kind != "discount_code",
                max_length=5000,
                help_text=_("Separate them with commas; capitals do not matter."),
            )
        elif spec.takes == "amount":
            self.fields["amount"] = forms.DecimalField(
                label=_("Amount, in the store's currency"), min_value=0, max_digits=14, decimal_places=2
            )
        elif spec.takes == "days_count":
            self.fields["at_least"] = forms.IntegerField(label=_("At least this many orders"), min_value=1)
            self.fields["days"] = forms.IntegerField(
                label=_("In this many days"),
                min_value=1,
                max_value=365,
                help_text=_("Counting this order and the ones before it with the same email."),
            )
        self.order_fields(
            [name for name in self.fields if name not in ("negate", "remove")] + ["negate", "remove"]
        )

    @property
    def label(self) -> str:
        return str(CONDITION_TYPES[self.kind].label)

    def value(self) -> dict[str, Any]:
        data = super().value()
        if isinstance(data.get("values"), str):
            data["values"] = [item for item in (v.strip() for v in data["values"].split(",")) if item]
        if "amount" in data:
            data["amount"] = str(data["amount"])
        return data

    @staticmethod
    def initial_from(condition: Mapping[str, Any]) -> dict[str, Any]:
        initial = {key: value for key, value in condition.items() if key != "type"}
        spec = CONDITION_TYPES[str(condition["type"])]
        if spec.takes == "values" and not spec.choices:
            initial["values"] = ", ".join(condition.get("values", []))
        return initial


class ActionRowForm(RowForm):
    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, kind=kind, **kwargs)
        if kind == "cancel":
            self.fields["reason"] = forms.ChoiceField(
                label=_("Reason"), choices=CANCEL_REASONS, initial="fraud"
            )
            self.fields["refund"] = forms.ChoiceField(
                label=_("Refund"), choices=REFUND_CHOICES, initial="original"
            )
            self.fields["restock"] = forms.BooleanField(
                label=_("Restock the items"),
                required=False,
                initial=True,
                help_text=_("Kept with each match; for now cancellations always restock."),
            )
            self.fields["notify"] = forms.BooleanField(label=_("Tell the customer"), required=False)
            self.fields["staff_note"] = forms.CharField(
                label=_("Staff note"), required=False, max_length=255, help_text=_("Added to the request.")
            )
        elif kind == "hold":
            self.fields["note"] = forms.CharField(
                label=_("Note for staff"),
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        elif kind == "tag":
            self.fields["tag"] = forms.CharField(label=_("Tag"), max_length=100)
        else:
            self.fields["message"] = forms.CharField(
                label=_("Message"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
            )

    @property
    def label(self) -> str:
        return str(ACTION_TYPES[self.kind].label)

    @staticmethod
    def initial_from(action: Mapping[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in action.items() if key != "type"}


_F = TypeVar("_F", bound=forms.Form)


def _unbound_copy(form: forms.Form, make: Callable[[dict[str, Any]], _F]) -> _F:
    """The same form, unbound, showing what was typed (so "Add" shows no errors yet)."""
    initial = {name: form[name].value() for name in form.fields if name != "remove"}
    return make(initial)


class RuleEditor:
    """The whole rule page: the settings form, the condition rows and the action rows."""

    def __init__(
        self,
        *,
        rule: AutomationRule | None = None,
        initial: Mapping[str, Any] | None = None,
        data: QueryDict | None = None,
    ) -> None:
        self.errors: list[str] = []
        if data is None:
            values = dict(initial or {})
            if rule is not None:
                values = {name: getattr(rule, name) for name in RULE_FIELDS}
            self.form = RuleForm(
                initial={name: values.get(name) for name in RuleForm.base_fields if name in values}
            )
            self.conditions = [
                self._condition(i, initial=ConditionRowForm.initial_from(c), kind=c["type"])
                for i, c in enumerate(values.get("conditions", []))
                if c.get("type") in CONDITION_TYPES
            ]
            self.actions = [
                self._action(i, initial=ActionRowForm.initial_from(a), kind=a["type"])
                for i, a in enumerate(values.get("actions", []))
                if a.get("type") in ACTION_TYPES
            ]
            return
        self.form = RuleForm(data)
        self.conditions = self._rows(data, "c", CONDITION_TYPES, self._condition, MAX_CONDITIONS)
        self.actions = self._rows(data, "a", ACTION_TYPES, self._action, MAX_ACTIONS)

    @staticmethod
    def _condition(index: int, *, kind: str, **kwargs: Any) -> ConditionRowForm:
        return ConditionRowForm(prefix=f"c{index}", kind=kind, **kwargs)

    @staticmethod
    def _action(index: int, *, kind: str, **kwargs: Any) -> ActionRowForm:
        return ActionRowForm(prefix=f"a{index}", kind=kind, **kwargs)

    @staticmethod
    def _rows(data: QueryDict, letter: str, types: Mapping[str, Any], make: Any, limit: int) -> list[Any]:
        try:
            count = min(int(data.get(f"{letter}-count", 0)), limit + 1)
        except ValueError:
            count = 0
        rows = []
        for index in range(max(count, 0)):
            kind = data.get(f"{letter}{index}-type", "")
            if kind in types:
                rows.append(make(index, kind=kind, data=data))
        return rows

    # --- "Add" without saving ---

    def add_row(self, *, condition: str = "", action: str = "") -> None:
        """Show the page again with a new empty row, keeping what was typed and leaving out removed rows."""
        self.form = _unbound_copy(self.form, lambda initial: RuleForm(initial=initial))
        self.conditions = self._renumber(self.conditions, self._condition)
        self.actions = self._renumber(self.actions, self._action)
        if condition in CONDITION_TYPES and len(self.conditions) < MAX_CONDITIONS:
            self.conditions.append(self._condition(len(self.conditions), kind=condition))
        if action in ACTION_TYPES and action not in {row.kind for row in self.actions}:
            self.actions.append(self._action(len(self.actions), kind=action))

    @staticmethod
    def _renumber(rows: list[Any], make: Any) -> list[Any]:
        kept = [row for row in rows if not row.removed]

        def copy(i: int, row: RowForm) -> RowForm:
            return _unbound_copy(row, lambda initial: make(i, kind=row.kind, initial=initial))

        return [copy(i, row) for i, row in enumerate(kept)]

    # --- saving ---

    def values(self) -> dict[str, Any] | None:
        """The rule's fields for the services, or None when a form has errors (shown on the page)."""
        valid = self.form.is_valid()
        kept_conditions = [row for row in self.conditions if not row.removed]
        kept_actions = [row for row in self.actions if not row.removed]
        for row in [*kept_conditions, *kept_actions]:
            valid = row.is_valid() and valid
        if not valid:
            return None
        self._kept = (kept_conditions, kept_actions)
        return {
            **self.form.cleaned_data,
            "conditions": [row.value() for row in kept_conditions],
            "actions": [row.value() for row in kept_actions],
        }

    def add_error(self, error: RuleInvalid) -> None:
        """Put a service's error on the field (or row) it names."""
        where = (error.field or "").split(".")
        conditions, actions = getattr(self, "_kept", ([], []))
        if where[0] in self.form.fields:
            self.form.add_error(where[0], error.message)
            return
        rows: list[RowForm] | None = {"conditions": conditions, "actions": actions}.get(where[0])
        if rows is not None and len(where) > 1 and where[1].isdigit() and int(where[1]) < len(rows):
            row = rows[int(where[1])]
            name = where[2] if len(where) > 2 and where[2] in row.fields else None
            row.add_error(name, error.message)
            return
        self.errors.append(error.message)

    def error_summary(self) -> list[str]:
        if not self.form.is_bound:
            return []
        messages = list(self.errors)
        for field, errors in self.form.errors.items():
            label = self.form.fields[field].label if field in self.form.fields else ""
            messages.extend(f"{label}: {e}" if label else str(e) for e in errors)
        for row in [*self.conditions, *self.actions]:
            if row.is_bound and not row.removed:
                for errors in row.errors.values():
                    messages.extend(f"{row.label}: {e}" for e in errors)
        return messages

    @property
    def condition_choices(self) -> list[tuple[str, str]]:
        return [(code, str(spec.label)) for code, spec in CONDITION_TYPES.items()]

    @property
    def action_choices(self) -> list[tuple[str, str]]:
        taken = {row.kind for row in self.actions}
        return [(code, str(spec.label)) for code, spec in ACTION_TYPES.items() if code not in taken]


class ForwarderForm(_Form):
    label = forms.CharField(
        label=_("Name"), max_length=120, required=False, help_text=_("e.g. the forwarder's name")
    )
    address1 = forms.CharField(label=_("Address"), max_length=255)
    address2 = forms.CharField(label=_("Address line 2"), max_length=255, required=False)
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    zip = forms.CharField(label=_("Postcode"), max_length=32, required=False)
    country_code = forms.CharField(
        label=_("Country code"), max_length=2, min_length=2, help_text=_("e.g. US")
    )
