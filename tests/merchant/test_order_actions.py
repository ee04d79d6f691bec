"""Staff act on an order from its page, on the customer's behalf, through the same services and policy."""

from __future__ import annotations

import re

import pytest

from cancellations.models import LineItem, OrderRequest, RequestEvent, RequestKind
from tenants.roles import Role
from tests.factories import make_member, make_order

pytestmark = pytest.mark.django_db


def order_url(store, order, action: str = "") -> str:
    return f"/app/{store.slug}/orders/{order.pk}/{action}"


@pytest.fixture
def agent(client, store_a):
    user = make_member(store_a, Role.AGENT, email="agent@alpha.example")
    client.force_login(user)
    return user


def submit_key(client, store, order) -> str:
    page = client.get(order_url(store, order)).content.decode()
    return re.search(r'name="submit_key" value="([^"]+)"', page).group(1)


def test_an_agent_cancels_an_order_for_the_customer(client, store_a, agent):
    order = make_order(store_a)
    key = submit_key(client, store_a, order)

    response = client.post(
        order_url(store_a, order, "cancel/"), {"reason": "changed_mind", "submit_key": key}
    )

    made = OrderRequest.objects.for_store(store_a).get(order=order)
    assert response.status_code == 302 and response["Location"].endswith(f"/queue/{made.pk}/")
    assert made.kind == RequestKind.CANCEL and made.reason_code == "changed_mind"
    assert (made.requester_kind, made.requester_label, made.requested_by) == ("staff", agent.email, agent)
    first = RequestEvent.objects.for_store(store_a).filter(request=made).order_by("at", "id").first()
    assert first.actor == agent and first.action == "submitted"


def test_a_double_submit_makes_one_request(client, store_a, agent):
    order = make_order(store_a)
    key = submit_key(client, store_a, order)

    for _ in range(2):
        client.post(order_url(store_a, order, "cancel/"), {"reason": "changed_mind", "submit_key": key})

    assert OrderRequest.objects.for_store(store_a).filter(order=order).count() == 1


def test_an_agent_changes_quantities_and_removes_an_item(client, store_a, agent):
    order = make_order(store_a, lines=2)
    first, second = LineItem.objects.for_store(store_a).filter(order=order).order_by("position")
    key = submit_key(client, store_a, order)

    client.post(
        order_url(store_a, order, "edit/"),
        {f"quantity_{first.pk}": "3", f"quantity_{second.pk}": "0", "submit_key": key},
    )

    made = OrderRequest.objects.for_store(store_a).get(order=order)
    assert made.kind == RequestKind.EDIT
    assert [(c.kind, c.line_id, c.quantity) for c in made.changes.all()] == [
        ("quantity", first.pk, 3),
        ("remove", second.pk, None),
    ]
    page = client.get(order_url(store_a, order)).content.decode()
    assert "Product 0: quantity 1 → 3" in page and "Remove: Product 1" in page


def test_an_edit_that_changes_nothing_says_so_and_keeps_what_was_typed(client, store_a, agent):
    order = make_order(store_a, lines=1)
    (line,) = LineItem.objects.for_store(store_a).filter(order=order)

    response = client.post(
        order_url(store_a, order, "edit/"), {f"quantity_{line.pk}": "1", "submit_key": "k"}
    )
    bad = client.post(order_url(store_a, order, "edit/"), {f"quantity_{line.pk}": "-2", "submit_key": "k2"})

    assert response.status_code == 400 and "Nothing was changed" in response.content.decode()
    assert bad.status_code == 400 and 'value="-2"' in bad.content.decode()
    assert not OrderRequest.objects.for_store(store_a).filter(order=order).exists()


def test_a_second_cancel_while_one_is_open_shows_the_open_one(client, store_a, agent):
    from tests.requests.helpers import pending_request

    order = make_order(store_a)
    open_one = pending_request(store_a, order)

    response = client.post(order_url(store_a, order, "cancel/"), {"reason": "", "submit_key": "again"})

    assert response["Location"].endswith(f"/queue/{open_one.pk}/")
    assert OrderRequest.objects.for_store(store_a).filter(order=order).count() == 1


def test_a_viewer_sees_the_order_but_cannot_act(client, store_a):
    client.force_login(make_member(store_a, Role.VIEWER))
    order = make_order(store_a)

    page = client.get(order_url(store_a, order)).content.decode()

    assert "Act for the customer" not in page
    assert client.post(order_url(store_a, order, "cancel/"), {"submit_key": "v"}).status_code == 403
    assert not OrderRequest.objects.for_store(store_a).exists()


def test_another_stores_order_is_not_found(client, store_a, store_b, agent):
    theirs = make_order(store_b)

    assert client.get(order_url(store_a, theirs)).status_code == 404
    assert client.post(order_url(store_a, theirs, "cancel/"), {"submit_key": "x"}).status_code == 404
    assert client.post(order_url(store_a, theirs, "edit/"), {"submit_key": "y"}).status_code == 404
    assert not OrderRequest.objects.for_store(store_b).exists()
