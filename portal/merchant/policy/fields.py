"""The form fields the policy page is built from: comma lists, ticked choices, radios, empty as zero."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cancellations.policy.errors import PolicyErrorCode

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, StrPromise

MAX_LIST_TEXT = 5000


class CommaListField(forms.CharField):
    """Text such as "gift card, sample" as a tuple of trimmed, distinct items (how the page edits lists)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Separate them with commas; capitals do not matter."))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> tuple[str, ...]:  # type: ignore[override]  # items, not the text
        text = super().to_python(value) or ""
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
        # Set choices are normalised to pairs; django-stubs types the getter as every input form.
        choices = cast(Iterable[tuple[Any, Any]], self.choices)
        return [str(key) for key, _label in choices if str(key) in ticked]


class ZeroWhenEmptyInteger(forms.IntegerField):
    def to_python(self, value: Any) -> int:
        number = super().to_python(value)
        return 0 if number is None else number


class ZeroWhenEmptyDecimal(forms.DecimalField):
    def to_python(self, value: Any) -> Decimal:  # type: ignore[override]  # stubs: DecimalField(IntegerField)
        number = super().to_python(value)
        return Decimal(0) if number is None else number


def check(label: StrPromise, help_text: StrOrPromise = "") -> forms.BooleanField:
    return forms.BooleanField(label=label, help_text=help_text, required=False)


def radios(label: StrPromise, choices: Any, help_text: StrOrPromise = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        help_text=help_text,
        widget=forms.RadioSelect(attrs={"class": "choice-list"}),
    )


def languages() -> list[tuple[str, StrPromise]]:
    return [(code, name) for code, name in settings.LANGUAGES]


def flatten(data: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in data.items():
        if isinstance(value, Mapping):
            flatten(value, f"{prefix}{key}__", out)
        else:
            out[f"{prefix}{key}"] = value
