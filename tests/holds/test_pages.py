"""The pages of fulfilment holds: the merchant's held orders with their release times, releasing from
the list and the order page, the dashboard count, the reconnect notice, and the customer's "nothing
to change" button. Another store's hold is a 404 from every URL."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from cancellations.holds.services import hold_new_order
from cancellations.models import HoldStatus, PlatformConnection, ReleaseReason
from portal.templatetags.amend import when
from tenants.roles import Role
from tests.factories import make_member, make_order, make_user
from tests.fakeshopify.fixtures import make_shopify_store
from tests.holds.helpers import hold_of, hold_policy

pytestmark = pytest.mark.django_db


def _url(name, store, **kwargs):
    return reverse(f"merchant:{name}", kwargs={"store_slug": store.slug, **kwargs})


@pytest.fixture
def held(store_a, django_capture_on_commit_callbacks):
    hold_policy(store_a, cancel_minutes=45)
    order = make_order(store_a, email="ann@example.com", name="#H-1")
    with django_capture_on_commit_callbacks(execute=True):
        hold_new_order(store=store_a, order=order)
    return hold_of(order)


def test_staff_see_held_orders_with_when_each_is_released(
    client, store_a, held, django_assert_max_num_queries
):
    client.force_login(make_member(store_a, Role.VIEWER))
    for n in range(3):
        hold_new_order(store=store_a, order=make_order(store_a, name=f"#H-{n + 2}"))
    with django_assert_max_num_queries(12):
        page = client.get(_url("holds", store_a)).content.decode()
    assert "#H-1" in page and "#H-4" in page
    assert when(held.release_at, "SHORT_DATETIME_FORMAT") in page
    assert "at most 120 minutes" in page
    assert "Release now" not in page  # a viewer may look, not release
    dashboard = client.get(_url("dashboard", store_a)).content.decode()
    assert "Held orders" in dashboard and ">4</p>" in dashboard


def test_an_agent_releases_from_the_order_page_and_it_is_released_once(
    client, store_a, held, django_capture_on_commit_callbacks
):
    agent = make_member(store_a, Role.AGENT)
    client.force_login(agent)
    order_page = client.get(_url("order", store_a, order_id=held.order_id)).content.decode()
    assert "Fulfilment is held" in order_page and "Release now" in order_page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("hold_release", store_a, hold_id=held.pk),
            {"next": _url("order", store_a, order_id=held.order_id)},
        )
    assert response.status_code == 302 and response["Location"].endswith(f"/orders/{held.order_id}/")
    hold = hold_of(held.order)
    assert (hold.status, hold.release_reason, hold.released_by_id) == (
        HoldStatus.RELEASED,
        ReleaseReason.STAFF,
        agent.pk,
    )
    again = client.post(_url("hold_release", store_a, hold_id=held.pk), follow=True)
    assert "not being held" in again.content.decode()
    listing = client.get(_url("holds", store_a)).content.decode()
    assert "No order is held now." in listing and "Released by staff" in listing


def test_a_viewer_cannot_release_and_a_foreign_url_is_safe(client, store_a, held):
    client.force_login(make_member(store_a, Role.VIEWER))
    assert client.post(_url("hold_release", store_a, hold_id=held.pk)).status_code == 403
    client.force_login(make_member(store_a, Role.AGENT))
    response = client.post(_url("hold_release", store_a, hold_id=held.pk), {"next": "https://evil.example/"})
    assert response["Location"] == _url("holds", store_a)


def test_another_stores_hold_is_a_404(client, store_a, store_b, held):
    client.force_login(make_member(store_b, Role.OWNER))
    assert client.post(_url("hold_release", store_b, hold_id=held.pk)).status_code == 404
    assert "#H-1" not in client.get(_url("holds", store_b)).content.decode()
    # Staff of B only, at A's URLs: the store itself is not found.
    assert client.post(_url("hold_release", store_a, hold_id=held.pk)).status_code == 404
    assert client.get(_url("holds", store_a)).status_code == 404
    assert hold_of(held.order).status == HoldStatus.HELD


def test_a_store_missing_the_hold_permission_is_told_to_reconnect(client, fake_shopify):
    store = make_shopify_store(fake_shopify)
    hold_policy(store)
    client.force_login(make_member(store, Role.OWNER))
    assert "Reconnect to grant" not in client.get(_url("holds", store)).content.decode()
    PlatformConnection.objects.for_store(store).update(scopes=["write_orders", "read_products"])
    page = client.get(_url("holds", store)).content.decode()
    assert "Reconnect to grant the permission to hold fulfilment" in page
    assert f"/shopify/install?shop={store.platform_domain}" in page


def _customer(client, email="ann@example.com"):
    user = make_user(email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    client.force_login(user)


def test_the_customer_with_nothing_to_change_sends_the_order_on(
    client, store_a, held, django_capture_on_commit_callbacks
):
    _customer(client)
    order_url = reverse("customer:order", kwargs={"store_slug": store_a.slug, "order_id": held.order_id})
    page = client.get(order_url).content.decode()
    assert "Nothing to change: send my order now" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{order_url}nothing-to-change/", follow=True)
    assert "Your order goes to packing now." in response.content.decode()
    hold = hold_of(held.order)
    assert (hold.status, hold.release_reason) == (HoldStatus.RELEASED, ReleaseReason.CUSTOMER)
    assert "Nothing to change" not in client.get(order_url).content.decode()


def test_another_customers_order_cannot_be_released(client, store_a, store_b, held):
    _customer(client, "bob@example.com")
    order_url = reverse("customer:order", kwargs={"store_slug": store_a.slug, "order_id": held.order_id})
    assert client.post(f"{order_url}nothing-to-change/").status_code == 404
    other_store = reverse("customer:order", kwargs={"store_slug": store_b.slug, "order_id": held.order_id})
    assert client.post(f"{other_store}nothing-to-change/").status_code in (302, 404)
    assert hold_of(held.order).status == HoldStatus.HELD
