"""The delivery address form: required fields and postcode formats for the common countries."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

# Postcode formats (after upper-casing and trimming), with an example to show when one does not match.
POSTCODES: dict[str, tuple[str, str]] = {
    "SE": (r"\d{3} ?\d{2}", "113 51"),
    "NO": (r"\d{4}", "0150"),
    "DK": (r"\d{4}", "2100"),
    "FI": (r"\d{5}", "00100"),
    "DE": (r"\d{5}", "10115"),
    "AT": (r"\d{4}", "1010"),
    "CH": (r"\d{4}", "8001"),
    "FR": (r"\d{5}", "75001"),
    "ES": (r"\d{5}", "28001"),
    "IT": (r"\d{5}", "00118"),
    "NL": (r"\d{4} ?[A-Z]{2}", "1012 AB"),
    "BE": (r"\d{4}", "1000"),
    "PL": (r"\d{2}-\d{3}", "00-950"),
    "IE": (r"[A-Z]\d[\dW] ?[A-Z\d]{4}", "D02 X285"),
    "GB": (r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "SW1A 1AA"),
    "US": (r"\d{5}(-\d{4})?", "94103"),
    "CA": (r"[A-Z]\d[A-Z] ?\d[A-Z]\d", "K1A 0B1"),
    "AU": (r"\d{4}", "2000"),
}
COUNTRIES = [
    ("SE", _("Sweden")),
    ("NO", _("Norway")),
    ("DK", _("Denmark")),
    ("FI", _("Finland")),
    ("DE", _("Germany")),
    ("AT", _("Austria")),
    ("CH", _("Switzerland")),
    ("FR", _("France")),
    ("ES", _("Spain")),
    ("IT", _("Italy")),
    ("NL", _("Netherlands")),
    ("BE", _("Belgium")),
    ("PL", _("Poland")),
    ("IE", _("Ireland")),
    ("GB", _("United Kingdom")),
    ("US", _("United States")),
    ("CA", _("Canada")),
    ("AU", _("Australia")),
]
# Where a state or province is part of the address.
NEEDS_REGION = {"US", "CA", "AU"}


class AddressForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=120)
    address1 = forms.CharField(label=_("Street address"), max_length=200)
    address2 = forms.CharField(label=_("Apartment, floor, c/o (optional)"), max_length=200, required=False)
    zip = forms.CharField(label=_("Postcode"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    province = forms.CharField(label=_("State or province"), max_length=100, required=False)
    country_code = forms.ChoiceField(label=_("Country"), choices=COUNTRIES)
    phone = forms.CharField(label=_("Phone (optional)"), max_length=30, required=False)

    def __init__(
        self, *args: Any, current_country: str = "", allow_country_change: bool = False, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.current_country = current_country.upper()
        self.allow_country_change = allow_country_change
        if current_country and not allow_country_change:
            field = cast(forms.ChoiceField, self.fields["country_code"])
            field.help_text = _("The country cannot be changed for this order.")
            field.choices = [
                (code, label) for code, label in COUNTRIES if code == self.current_country
            ] or COUNTRIES

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns; its stub allows None for overrides
        country = data.get("country_code", "")
        if (
            self.current_country
            and not self.allow_country_change
            and country
            and country != self.current_country
        ):
            self.add_error("country_code", _("The country cannot be changed for this order."))
        postcode = (data.get("zip") or "").strip().upper()
        if country in POSTCODES and postcode:
            pattern, example = POSTCODES[country]
            if not re.fullmatch(pattern, postcode):
                self.add_error("zip", _("Enter a postcode like %(example)s.") % {"example": example})
            else:
                data["zip"] = postcode
        if country in NEEDS_REGION and not (data.get("province") or "").strip():
            self.add_error("province", _("Enter the state or province."))
        return data

    def as_address(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            key: (data.get(key) or "").strip()
            for key in ("name", "address1", "address2", "zip", "city", "province", "country_code", "phone")
        }
