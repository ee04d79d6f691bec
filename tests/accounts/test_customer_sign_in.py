"""Customers sign in by a code sent to their email, on their store's page, and see only their orders."""

import re

import pytest
from django.core import mail

from tenants.models import SecurityEvent
from tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db

CONFIRM = "/s/alpha-shop/signin/code/"


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


def test_a_mistyped_email_is_corrected_from_the_code_page(client, store_a, ann):
    # given a code asked for a mistyped address
    location = _request_code(client, store_a, "ann@exmaple.com")["Location"]
    page = client.get(location).content.decode()
    assert "ann@exmaple.com" in page and "Use another email" in page
    # when the customer chooses another email
    response = client.post(location, {"action": "change_email"})
    # then the store's sign-in asks again, the wrong address filled in to correct
    assert response.status_code == 302
    assert response["Location"].startswith("/s/alpha-shop/signin/?email=ann%40exmaple.com")
    form = client.get(response["Location"]).content.decode()
    assert 'value="ann@exmaple.com"' in form
    assert client.get(location)["Location"] == "/s/alpha-shop/signin/"  # the old code page is gone
    location = _request_code(client, store_a, "ann@example.com")["Location"]
    assert client.post(location, {"code": _code_from_last_mail()})["Location"] == "/s/alpha-shop/orders/"


def test_the_sign_in_page_asks_again_while_a_code_is_pending(client, store_a, ann):
    _request_code(client, store_a, "ann@exmaple.com")
    response = client.get("/s/alpha-shop/signin/")
    assert response.status_code == 200  # not sent back to the code page for the wrong address
    assert "Email me a code" in response.content.decode()


def test_cancel_returns_to_the_store_and_never_to_a_staff_page(client, store_a, ann):
    location = _request_code(client, store_a, "ann@example.com")["Location"]
    response = client.post(location, {"action": "cancel"})
    assert response["Location"] == "/s/alpha-shop/"
    assert client.get(location)["Location"] == "/s/alpha-shop/signin/"


def test_every_way_out_of_the_code_page_stays_in_the_store(client, store_a, ann):
    location = _request_code(client, store_a, "ann@example.com")["Location"]
    for _ in range(3):
        response = client.post(location, {"code": "WRONG1"})
    assert response.status_code == 302
    assert response["Location"].startswith("/s/alpha-shop/signin/")
    assert client.get(location)["Location"] == "/s/alpha-shop/signin/"


def test_a_sign_in_begun_at_another_store_is_not_finished_here(client, store_a, store_b, ann):
    _request_code(client, store_a, "ann@example.com")
    response = client.get("/s/bravo-shop/signin/code/")
    assert response["Location"] == "/s/bravo-shop/signin/"
    response = client.post("/s/bravo-shop/signin/code/", {"code": _code_from_last_mail()})
    assert response["Location"] == "/s/bravo-shop/signin/"
    assert not client.get("/s/alpha-shop/orders/").wsgi_request.user.is_authenticated


def test_the_code_page_of_an_unknown_store_is_not_found(client, store_a, ann):
    _request_code(client, store_a, "ann@example.com")
    assert client.get("/s/no-such-shop/signin/code/").status_code == 404


def test_a_swedish_customer_signs_in_in_swedish(client, store_b):
    make_customer(store_b, "ann@example.com")
    make_order(store_b, email="ann@example.com", name="#B-1")
    location = client.post("/s/bravo-shop/signin/", {"email": "ann@example.com"})["Location"]
    assert location.startswith("/s/bravo-shop/signin/code/")
    page = client.get(location).content.decode()
    assert "Ange din kod" in page and "Använd en annan e-postadress" in page and "Avbryt" in page
    assert "Enter your code" not in page
    assert client.post(location, {"code": _code_from_last_mail()})["Location"] == "/s/bravo-shop/orders/"
