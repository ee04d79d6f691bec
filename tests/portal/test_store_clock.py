"""Every time a person reads is on the store's clock, with the zone named where it could mislead.

The store is in Pacific/Auckland (NZDT, UTC+13 in December): an order placed at 10:32 UTC on
1 December was placed at 23:32 on 1 December there, and no page may show 10:32.
"""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from cancellations.models import OrderRequest, RequestEvent, RequestKind
from cancellations.orders.access import make_order_link_token
from cancellations.requests.actors import Actor
from cancellations.requests.submission import submit_request
from tests.customer.conftest import set_policy
from tests.factories import make_member, make_order, make_store

pytestmark = pytest.mark.django_db

PLACED = datetime(2026, 12, 1, 10, 32, tzinfo=UTC)


@pytest.fixture
def far_store(db):
    store = make_store(
        "kiwi-shop", name="Kiwi Shop", locale="en", currency="NZD", timezone="Pacific/Auckland"
    )
    set_policy(store)
    return store


@pytest.fixture
def far_order(far_store):
    return make_order(far_store, email="ann@example.com", name="#K-1", placed_at=PLACED)


@pytest.fixture
def far_request(far_store, far_order):
    order_request = submit_request(
        store=far_store,
        order=far_order,
        actor=Actor.customer("ann@example.com"),
        kind=RequestKind.CANCEL,
        idempotency_key="clock-1",
        reason_code="changed_mind",
        now=PLACED,
    )
    OrderRequest.objects.for_store(far_store).filter(pk=order_request.pk).update(requested_at=PLACED)
    RequestEvent.objects.for_store(far_store).filter(request=order_request).update(at=PLACED)
    return order_request


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _assert_local(body: str) -> None:
    assert "11:32" in body and "NZDT" in body, "the store's local time and zone are missing"
    assert "10:32" not in body, "a UTC time shows where the store's zone applies"


def test_the_customer_order_page_shows_the_store_time_and_zone(client, far_order, far_request):
    body = _text(client.get(f"/s/kiwi-shop/o/{make_order_link_token(far_order)}/"))
    _assert_local(body)
    assert "Dec. 1, 2026, 11:32 p.m. NZDT" in body


def test_the_customer_request_page_shows_the_store_time(client, far_order, far_request):
    token = make_order_link_token(far_order)
    _assert_local(_text(client.get(f"/s/kiwi-shop/o/{token}/requests/{far_request.pk}/")))


@pytest.mark.parametrize("page", ["orders/", "orders/{order}/", "queue/{request}/", "audit/"])
def test_staff_pages_show_the_store_time(client, far_store, far_order, far_request, page):
    client.force_login(make_member(far_store, "owner"))
    url = f"/app/kiwi-shop/{page.format(order=far_order.pk, request=far_request.pk)}"
    _assert_local(_text(client.get(url)))


def test_the_clock_goes_back_to_utc_after_a_store_page(client, far_order):
    client.get(f"/s/kiwi-shop/o/{make_order_link_token(far_order)}/")
    assert timezone.get_current_timezone_name() == "UTC"


def test_a_store_in_utc_names_its_zone_too(client, store_a):
    order = make_order(store_a, email="ann@example.com", placed_at=PLACED)
    body = _text(client.get(f"/s/alpha-shop/o/{make_order_link_token(order)}/"))
    assert "Dec. 1, 2026, 10:32 a.m. UTC" in body
