"""The order page says, per action, whether it is possible, for how long, or why not."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.orders.access import make_order_link_token
from tests.customer.conftest import cancel_within, set_policy
from tests.factories import make_order

pytestmark = pytest.mark.django_db


def test_the_order_page_offers_cancel_with_the_time_left(signed_in, store_a, ann_order):
    set_policy(store_a, cancel=cancel_within(120))
    body = signed_in.get(f"/s/alpha-shop/orders/{ann_order.pk}/").content.decode()
    assert "Cancel order" in body
    assert re.search(r"You can do this for 1 h 5\d min more\.", body)
    assert f'href="/s/alpha-shop/orders/{ann_order.pk}/cancel/"' in body


def test_a_shipped_order_explains_why_it_cannot_be_cancelled(signed_in, store_a):
    order = make_order(store_a, email="ann@example.com", fulfillment_status="fulfilled")
    body = signed_in.get(f"/s/alpha-shop/orders/{order.pk}/").content.decode()
    assert f'href="/s/alpha-shop/orders/{order.pk}/cancel/"' not in body
    assert 'aria-disabled="true">Cancel order' in body


def test_an_old_order_is_past_its_window(signed_in, store_a):
    set_policy(store_a, cancel=cancel_within(120))
    order = make_order(store_a, email="ann@example.com", placed_at=timezone.now() - timedelta(days=30))
    body = signed_in.get(f"/s/alpha-shop/orders/{order.pk}/").content.decode()
    assert f'href="/s/alpha-shop/orders/{order.pk}/cancel/"' not in body


def test_the_order_page_speaks_swedish_for_a_swedish_store(client, store_b):
    order = make_order(store_b, email="ann@example.com")
    body = client.get(f"/s/bravo-shop/o/{make_order_link_token(order)}/").content.decode()
    assert '<html lang="sv">' in body
    assert "Avbryt beställningen" in body


def test_a_guest_link_offers_the_same_actions(client, ann_order):
    token = make_order_link_token(ann_order)
    body = client.get(f"/s/alpha-shop/o/{token}/").content.decode()
    assert f'href="/s/alpha-shop/o/{token}/cancel/"' in body


def test_the_order_pages_use_a_constant_number_of_queries(signed_in, store_a, django_assert_max_num_queries):
    from tests.factories import make_order as build

    orders = [build(store_a, email="ann@example.com", lines=3) for _ in range(25)]

    def count(url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(url).status_code == 200
        return len(queries)

    few = count("/s/alpha-shop/orders/?page=2")  # 5 orders on the second page
    many = count("/s/alpha-shop/orders/")  # 20 orders
    assert few == many
    small = count(f"/s/alpha-shop/orders/{orders[0].pk}/")
    big_order = build(store_a, email="ann@example.com", lines=40)
    assert count(f"/s/alpha-shop/orders/{big_order.pk}/") == small


def test_under_the_until_shipped_window_the_page_says_changes_last_until_it_ships(
    signed_in, store_a, ann_order
):
    body = signed_in.get(f"/s/alpha-shop/orders/{ann_order.pk}/").content.decode()
    assert "You can do this until the order ships." in body
    shipped = make_order(store_a, email="ann@example.com", fulfillment_status="fulfilled")
    body = signed_in.get(f"/s/alpha-shop/orders/{shipped.pk}/").content.decode()
    assert "You can do this until the order ships." not in body


def test_a_timed_window_says_how_long_instead(signed_in, store_a, ann_order):
    set_policy(store_a, cancel=cancel_within(120))
    body = signed_in.get(f"/s/alpha-shop/orders/{ann_order.pk}/").content.decode()
    cancel_note = body.split("Cancel order", 1)[1].split("</li>", 1)[0]
    assert "more." in cancel_note and "until the order ships" not in cancel_note
