"""A customer, in a real browser, adds an item to an open order of the built-in store: sees that the
order's discount codes do not reach it, the difference before sending, pays it, and the order carries it."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from cancellations.models import Order, OrderRequest
from cancellations.orders.access import make_order_link_token
from cancellations.policy import DEFAULT_POLICY, AdditionSettings
from tests.customer.conftest import set_policy
from tests.factories import make_order, make_product

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_a_customer_adds_an_item_sees_the_difference_pays_it_and_the_order_carries_it(
    page, live_server, store_a, settings
):
    settings.SITE_URL = live_server.url
    set_policy(
        store_a,
        add_item=replace(DEFAULT_POLICY.add_item, enabled=True),
        additions=AdditionSettings(tag="add-on", max_items=2),
    )
    wrap = make_product(store_a, title="Gift Wrap", variants=1, tags=["add-on"]).variants.get()
    wrap.price = Decimal("15.00")
    wrap.save(update_fields=["price"])
    make_product(store_a, title="Not for adding", variants=1, tags=["other"])
    order = make_order(store_a, email="ann@example.com", lines=1, discount_codes=["WELCOME10"])
    base = f"{live_server.url}/s/{store_a.slug}/o/{make_order_link_token(order)}/"

    page.goto(f"{base}edit/items/")
    additions = page.locator("[data-additions]")
    assert additions.get_by_text("The order's discount codes do not apply to added items").is_visible()
    assert page.get_by_text("Not for adding").count() == 0
    additions.get_by_label("Gift Wrap").fill("2")
    total = page.locator("[data-edit-total]")
    total.get_by_text("+30.00 USD").wait_for()
    assert total.get_by_text("You will pay 30.00 USD more.").is_visible()
    page.shots("added-item-total")
    page.get_by_role("button", name="Send the changes").click()

    page.get_by_text("To pay: 30.00 USD").wait_for()  # approved by the policy and carried out
    page.get_by_role("link", name="Pay 30.00 USD").click()
    page.get_by_role("button", name="Pay 30.00 USD").click()
    page.get_by_text("Paid: 30.00 USD. Thank you.").wait_for()

    request = OrderRequest.objects.for_store(store_a).get()
    order = Order.objects.for_store(store_a).get(pk=order.pk)
    assert request.status == "completed" and order.financial_status == "paid"
    added = order.line_items.get(variant_id=wrap.platform_id)
    assert (added.title, added.quantity, added.unit_price) == ("Gift Wrap", 2, Decimal("15.00"))
