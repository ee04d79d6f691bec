from django import forms
from django.utils.translation import gettext_lazy as _


class FindOrderForm(forms.Form):
    number = forms.CharField(label=_("Order number"), max_length=64, help_text=_("For example #1001."))
    email = forms.EmailField(label=_("Email used for the order"))


class WithdrawalLookupForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    number = forms.CharField(label=_("Order number"), max_length=64, help_text=_("For example #1001."))
    email = forms.EmailField(label=_("Email used for the order"))
