"""A guest opens one order by its signed link, or asks for the link by order number and email."""

import re

import pytest
from django.core import mail, signing

from cancellations.orders.access import ORDER_LINK_SALT, make_order_link_token
from tests.factories import make_order

pytestmark = pytest.mark.django_db


def test_a_signed_link_opens_the_order_without_signing_in(client, store_a):
    order = make_order(store_a, name="#A-55")
    response = client.get(f"/s/alpha-shop/o/{make_order_link_token(order)}/")
    assert response.status_code == 200
    assert "#A-55" in response.content.decode()


@pytest.mark.parametrize("tamper", ["forged", "other_store", "expired"])
def test_a_forged_foreign_or_expired_link_opens_nothing(client, store_a, store_b, tamper, settings):
    order = make_order(store_a, name="#A-55")
    if tamper == "forged":
        token = signing.dumps({"s": store_a.pk, "o": order.pk}, salt="something-else")
        url = f"/s/alpha-shop/o/{token}/"
    elif tamper == "other_store":
        url = f"/s/bravo-shop/o/{make_order_link_token(order)}/"
    else:
        settings.ORDER_LINK_MAX_AGE = -1
        url = f"/s/alpha-shop/o/{make_order_link_token(order)}/"
    response = client.get(url)
    assert response.status_code == 404
    assert "#A-55" not in response.content.decode()
    assert "/find-order/" in response.content.decode()  # the page offers to send a new link


def test_the_link_names_store_and_order_and_nothing_else(store_a):
    order = make_order(store_a)
    assert signing.loads(make_order_link_token(order), salt=ORDER_LINK_SALT) == {
        "s": store_a.pk,
        "o": order.pk,
    }


def test_finding_an_order_by_number_emails_the_link(client, store_a):
    order = make_order(store_a, email="ann@example.com", name="#1042")
    response = client.post("/s/alpha-shop/find-order/", {"number": "1042", "email": "Ann@Example.com"})
    assert response.status_code == 200
    assert mail.outbox[-1].to == ["ann@example.com"]
    link = re.search(r"http://testserver(\S+)", mail.outbox[-1].body).group(1)
    assert "#1042" in client.get(link).content.decode()
    assert order.name == "#1042"


def test_finding_an_order_answers_the_same_whether_or_not_it_exists(client, store_a, store_b):
    make_order(store_a, email="ann@example.com", name="#1042")
    make_order(store_b, email="bob@example.com", name="#2001")
    found = client.post("/s/alpha-shop/find-order/", {"number": "#1042", "email": "ann@example.com"})
    wrong_email = client.post("/s/alpha-shop/find-order/", {"number": "#1042", "email": "eve@example.com"})
    other_store = client.post("/s/alpha-shop/find-order/", {"number": "#2001", "email": "bob@example.com"})

    def text(response):
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", response.content.decode())
        return re.sub(r"\S+@\S+", "EMAIL", body)

    assert found.status_code == wrong_email.status_code == other_store.status_code == 200
    assert text(found) == text(wrong_email) == text(other_store)
    assert len(mail.outbox) == 1


def test_finding_an_order_rejects_bad_input_and_is_rate_limited(client, store_a):
    response = client.post("/s/alpha-shop/find-order/", {"number": "", "email": "nope"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    statuses = [
        client.post("/s/alpha-shop/find-order/", {"number": "1", "email": "ann@example.com"}).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
