"""Forms of the merchant app. They validate input; services make the change."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tenants.models import Platform, Store
from tenants.roles import Role
from tenants.services import STORE_SETTINGS_FIELDS

_TIMEZONES = sorted(zoneinfo.available_timezones())


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AGENT)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class GrantForm(forms.Form):
    agency = forms.CharField(
        label=_("Agency address name"),
        max_length=50,
        help_text=_("The name in the agency's address: for /agency/north-agency/ it is north-agency."),
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=[(r.value, r.label) for r in Role if r != Role.OWNER], initial=Role.AGENT
    )


class StoreSettingsForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=[(tz, tz) for tz in _TIMEZONES])

    class Meta:
        model = Store
        fields = list(STORE_SETTINGS_FIELDS)
        widgets = {"accent_colour": forms.TextInput(attrs={"type": "color"})}


class LogoForm(forms.Form):
    logo = forms.FileField(label=_("Logo"), help_text=_("PNG, JPEG or WebP, at most 256 KB."))


class DomainForm(forms.Form):
    host = forms.CharField(
        label=_("Host name"), max_length=253, help_text=_("For example orders.example.com.")
    )


class StoreSignupForm(forms.Form):
    name = forms.CharField(label=_("Store name"), max_length=120)
    slug = forms.CharField(
        label=_("Address name"),
        max_length=50,
        help_text=_("Lowercase letters, digits and hyphens: /s/<name>/."),
    )
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="USD")
    timezone = forms.ChoiceField(label=_("Time zone"), choices=[(tz, tz) for tz in _TIMEZONES], initial="UTC")


class AgencySignupForm(forms.Form):
    name = forms.CharField(label=_("Agency name"), max_length=120)
    slug = forms.CharField(
        label=_("Address name"), max_length=50, help_text=_("Lowercase letters, digits and hyphens.")
    )
