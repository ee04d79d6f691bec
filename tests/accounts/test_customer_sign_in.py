"""Customers sign in by a code sent to their email, on their store's page, and see only their orders."""

import re

import pytest
from django.core import mail

from tenants.models import SecurityEvent
from tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db

CONFIRM = "/accounts/login/code/confirm/"


def _code_from_last_mail() -> str:
    return re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", mail.outbox[-1].body).group(1)


def _request_code(client, store, email):
    return client.post(f"/s/{store.slug}/signin/", {"email": email})


@pytest.fixture
def ann(store_a):
    make_customer(store_a, "ann@example.com")
    return {
        "order": make_order(store_a, email="ann@example.com", name="#A-100"),
        "other": make_order(store_a, email="bob@example.com", name="#A-200"),
    }


def test_a_customer_signs_in_with_an_emailed_code_and_lands_on_their_orders(client, store_a, store_b, ann):
    make_order(store_b, email="ann@example.com", name="#B-300")
    response = _request_code(client, store_a, "ann@example.com")
    assert response.status_code == 302
    assert response["Location"].startswith(CONFIRM)
    assert mail.outbox[-1].subject == "Your sign-in code for Alpha Shop"
    assert mail.outbox[-1].to == ["ann@example.com"]

    response = client.post(response["Location"], {"code": _code_from_last_mail()})
    assert response.status_code == 302
    assert response["Location"] == "/s/alpha-shop/orders/"

    page = client.get("/s/alpha-shop/orders/").content.decode()
    assert "#A-100" in page
    assert "#A-200" not in page  # someone else's order at the same store
    assert "#B-300" not in page  # her own order, but at another store
    assert SecurityEvent.objects.filter(kind="signed_in", email="ann@example.com").exists()


def test_the_sign_in_page_wears_the_store_brand(client, store_a):
    body = client.get("/s/alpha-shop/signin/").content.decode()
    assert "Alpha Shop" in body
    assert 'href="/s/alpha-shop/brand.css"' in body


def test_an_unknown_email_gets_the_same_answer_and_no_code(client, store_a, ann):
    response = _request_code(client, store_a, "nobody@example.com")
    assert response.status_code == 302
    assert response["Location"].startswith(CONFIRM)
    assert "sign-in code" not in mail.outbox[-1].body.lower() or "no orders" in mail.outbox[-1].body
    assert not re.search(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", mail.outbox[-1].body)


def test_a_wrong_code_is_refused_and_three_wrong_codes_end_the_attempt(client, store_a, ann):
    location = _request_code(client, store_a, "ann@example.com")["Location"]
    code = _code_from_last_mail()
    for _ in range(3):
        response = client.post(location, {"code": "WRONG1"})
    assert not client.get("/s/alpha-shop/orders/").wsgi_request.user.is_authenticated
    response = client.post(location, {"code": code})
    assert response.status_code == 302 and response["Location"] != "/s/alpha-shop/orders/"
    assert not client.get("/s/alpha-shop/orders/", follow=False).wsgi_request.user.is_authenticated
    assert SecurityEvent.objects.filter(kind="code_rejected").count() >= 1


def test_a_used_code_cannot_be_used_again(client, store_a, ann):
    location = _request_code(client, store_a, "ann@example.com")["Location"]
    code = _code_from_last_mail()
    assert client.post(location, {"code": code})["Location"] == "/s/alpha-shop/orders/"
    client.post("/accounts/logout/")
    response = client.post(location, {"code": code})
    assert response.status_code == 302
    assert not client.get("/s/alpha-shop/orders/").wsgi_request.user.is_authenticated


def test_an_expired_code_is_refused(client, store_a, ann, monkeypatch, settings):
    import time

    location = _request_code(client, store_a, "ann@example.com")["Location"]
    code = _code_from_last_mail()
    later = time.time() + settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT + 5
    monkeypatch.setattr(time, "time", lambda: later)
    client.post(location, {"code": code})
    assert not client.get("/s/alpha-shop/orders/").wsgi_request.user.is_authenticated


def test_signing_in_rotates_the_session(client, store_a, ann):
    client.get("/s/alpha-shop/signin/")
    location = _request_code(client, store_a, "ann@example.com")["Location"]
    before = client.session.session_key
    client.post(location, {"code": _code_from_last_mail()})
    assert client.session.session_key != before


def test_orders_need_a_signed_in_customer(client, store_a):
    response = client.get("/s/alpha-shop/orders/")
    assert response.status_code == 302
    assert response["Location"].startswith("/s/alpha-shop/signin/")
