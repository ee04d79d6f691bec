"""Sign-up for merchants (a new store) and agencies (a new agency workspace)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render

from portal.http import SignedInRequest
from portal.merchant.forms import AgencySignupForm, StoreSignupForm
from tenants.errors import DomainError
from tenants.services import create_agency, create_store


def _show_error(form: Form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
def store_signup(request: SignedInRequest) -> HttpResponse:
    form = StoreSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            store = create_store(
                owner=request.user,
                name=data["name"],
                slug=data["slug"],
                platform=data["platform"],
                locale=data["locale"],
                currency=data["currency"],
                timezone_name=data["timezone"],
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            return redirect("merchant:dashboard", store_slug=store.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/store_signup.html", {"form": form}, status=status)


@login_required
def agency_signup(request: SignedInRequest) -> HttpResponse:
    form = AgencySignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agency = create_agency(
                owner=request.user, name=form.cleaned_data["name"], slug=form.cleaned_data["slug"]
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            return redirect("agency:overview", agency_slug=agency.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/agency_signup.html", {"form": form}, status=status)
