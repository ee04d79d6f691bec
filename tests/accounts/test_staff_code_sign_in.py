"""Staff sign in by an emailed code only where every store they work in allows it; 2FA still follows."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail

from tenants.models import Store, StoreAuditEvent
from tenants.roles import Role
from tests.factories import grant, make_agency, make_agency_member, make_customer, make_member, make_order

pytestmark = pytest.mark.django_db

REQUEST = "/accounts/login/code/"
CONFIRM = "/accounts/login/code/confirm/"


def _code_from_last_mail() -> str | None:
    found = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", mail.outbox[-1].body)
    return found.group(1) if found else None


def _ask_for_code(client, email):
    return client.post(REQUEST, {"email": email})


def test_staff_of_a_store_that_does_not_allow_it_get_no_code_but_a_pointer_to_their_password(client, store_a):
    make_member(store_a, Role.AGENT, email="agent@alpha.example")
    _ask_for_code(client, "agent@alpha.example")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["agent@alpha.example"]
    assert _code_from_last_mail() is None
    assert "sign in with their password" in mail.outbox[0].body
    assert "_auth_user_id" not in client.session


def test_a_code_sent_before_the_store_stopped_allowing_it_does_not_sign_in(client, store_a):
    Store.objects.filter(pk=store_a.pk).update(allow_staff_code_login=True)
    make_member(store_a, Role.AGENT, email="agent@alpha.example")
    _ask_for_code(client, "agent@alpha.example")
    code = _code_from_last_mail()
    assert code
    Store.objects.filter(pk=store_a.pk).update(allow_staff_code_login=False)
    response = client.post(CONFIRM, {"code": code})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    assert client.get("/app/alpha-shop/").status_code == 302


def test_staff_of_a_store_that_allows_it_sign_in_with_a_code(client, store_a):
    Store.objects.filter(pk=store_a.pk).update(allow_staff_code_login=True)
    make_member(store_a, Role.AGENT, email="agent@alpha.example")
    _ask_for_code(client, "agent@alpha.example")
    response = client.post(CONFIRM, {"code": _code_from_last_mail()})
    assert response.status_code == 302
    assert response["Location"] == "/app/alpha-shop/"
    assert client.get("/app/alpha-shop/orders/").status_code == 200


def test_a_code_never_skips_two_factor_authentication(client, store_a):
    Store.objects.filter(pk=store_a.pk).update(allow_staff_code_login=True, require_staff_mfa=True)
    agent = make_member(store_a, Role.AGENT, email="agent@alpha.example")
    Authenticator.objects.create(
        user=agent, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    _ask_for_code(client, "agent@alpha.example")
    response = client.post(CONFIRM, {"code": _code_from_last_mail()})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert "_auth_user_id" not in client.session


def test_one_store_that_does_not_allow_it_is_enough_to_refuse(client, store_a, store_b):
    Store.objects.filter(pk=store_a.pk).update(allow_staff_code_login=True)
    agency = make_agency("helpful-agency")
    make_agency_member(agency, email="partner@helpful.example")
    grant(store_a, agency)
    grant(store_b, agency)
    _ask_for_code(client, "partner@helpful.example")
    assert _code_from_last_mail() is None


def test_customers_still_sign_in_with_a_code(client, store_a):
    make_customer(store_a, "ann@example.com")
    make_order(store_a, email="ann@example.com", name="#A-100")
    client.post(f"/s/{store_a.slug}/signin/", {"email": "ann@example.com"})
    response = client.post(CONFIRM, {"code": _code_from_last_mail()})
    assert response.status_code == 302
    assert "#A-100" in client.get(f"/s/{store_a.slug}/orders/").content.decode()


def test_the_owner_turns_code_sign_in_on_in_the_settings_and_it_is_audited(client, store_a):
    owner = make_member(store_a, Role.OWNER, email="owner@alpha.example")
    client.force_login(owner)
    page = client.get("/app/alpha-shop/settings/").content.decode()
    assert "Let staff sign in with an emailed code" in page
    response = client.post(
        "/app/alpha-shop/settings/",
        {
            "name": "Alpha Shop",
            "locale": "en",
            "timezone": "UTC",
            "currency": "USD",
            "accent_colour": "#4f46e5",
            "allow_staff_code_login": "on",
        },
    )
    assert response.status_code == 302
    store_a.refresh_from_db()
    assert store_a.allow_staff_code_login is True
    assert StoreAuditEvent.objects.for_store(store_a).filter(action="store.settings_changed").exists()
