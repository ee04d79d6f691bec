"""Request pages follow the status without a reload: a small store-scoped JSON answer, 404 across stores."""

import pytest

from cancellations.orders.access import make_order_link_token
from cancellations.requests.actors import Actor
from cancellations.requests.services import withdraw_request
from tests.factories import make_member, make_order
from tests.merchant.queue_helpers import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(store_a, ann_order):
    return make_request(store_a, order=ann_order)


def test_the_customer_request_page_follows_its_status_until_final(signed_in, store_a, ann_order, waiting):
    base = f"/s/alpha-shop/orders/{ann_order.pk}/requests/{waiting.pk}/"
    page = signed_in.get(base).content.decode()
    assert f'data-status-url="{base}status.json"' in page and 'data-final="false"' in page
    assert "portal/live_status" in page

    answer = signed_in.get(f"{base}status.json")
    assert answer["Cache-Control"] == "no-store"
    assert answer.json() == {
        "status": "pending_review",
        "label": "Waiting for review",
        "tone": "warn",
        "final": False,
    }

    withdraw_request(store=store_a, request_id=waiting.pk, actor=Actor.customer("ann@example.com"))
    assert signed_in.get(f"{base}status.json").json() == {
        "status": "withdrawn",
        "label": "Withdrawn",
        "tone": "",
        "final": True,
    }
    assert 'data-final="true"' in signed_in.get(base).content.decode()


def test_a_guest_with_the_order_link_follows_the_status_in_the_store_language(client, store_b):
    order = make_order(store_b, email="ann@example.com")
    waiting = make_request(store_b, order=order)
    url = f"/s/bravo-shop/o/{make_order_link_token(order)}/requests/{waiting.pk}/status.json"
    assert client.get(url).json()["label"] == "Väntar på granskning"


def test_another_stores_request_is_not_found(signed_in, store_a, store_b, ann_order):
    theirs = make_request(store_b, email="ann@example.com")
    response = signed_in.get(f"/s/alpha-shop/orders/{ann_order.pk}/requests/{theirs.pk}/status.json")
    assert response.status_code == 404
    token = make_order_link_token(theirs.order)
    assert signed_in.get(f"/s/alpha-shop/o/{token}/requests/{theirs.pk}/status.json").status_code == 404


def test_a_request_of_another_order_is_not_found(signed_in, store_a, ann_order):
    other = make_request(store_a, email="ann@example.com")
    url = f"/s/alpha-shop/orders/{ann_order.pk}/requests/{other.pk}/status.json"
    assert signed_in.get(url).status_code == 404


def test_a_stranger_cannot_follow_a_request(client, store_a, ann_order, waiting):
    url = f"/s/alpha-shop/orders/{ann_order.pk}/requests/{waiting.pk}/status.json"
    assert client.get(url).status_code == 302  # to the store's sign-in, nothing said


def test_the_staff_request_page_follows_its_status(client, store_a, store_b, waiting):
    client.force_login(make_member(store_a, "viewer"))
    page = client.get(f"/app/alpha-shop/queue/{waiting.pk}/").content.decode()
    assert f'data-status-url="/app/alpha-shop/queue/{waiting.pk}/status.json"' in page
    answer = client.get(f"/app/alpha-shop/queue/{waiting.pk}/status.json").json()
    assert answer["status"] == "pending_review" and answer["final"] is False


def test_staff_cannot_follow_another_stores_request(client, store_a, store_b):
    client.force_login(make_member(store_a, "owner"))
    theirs = make_request(store_b)
    assert client.get(f"/app/alpha-shop/queue/{theirs.pk}/status.json").status_code == 404
    assert client.get(f"/app/bravo-shop/queue/{theirs.pk}/status.json").status_code == 404
