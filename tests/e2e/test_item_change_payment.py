"""A customer, in a real browser, raises a quantity on a paid order of the built-in store: the running
total shows what the change costs before it is sent; staff approve; the customer pays the difference
by the store's payment link and the order is paid again."""

from __future__ import annotations

import shutil
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from cancellations.models import Order, OrderRequest
from cancellations.orders.access import make_order_link_token
from cancellations.policy import DEFAULT_POLICY
from cancellations.requests.services import approve_request
from tests.customer.conftest import set_policy
from tests.e2e.conftest import SCREENSHOTS
from tests.factories import make_order
from tests.requests.helpers import staff_actor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_the_owed_amount_is_shown_before_submitting_and_paid_after_approval(
    page, live_server, store_a, settings
):
    settings.SITE_URL = live_server.url  # the payment link in the request and the email
    reviewed = replace(DEFAULT_POLICY.cancel, approval=replace(DEFAULT_POLICY.cancel.approval, always=True))
    set_policy(store_a, edit_quantity=reviewed)
    order = make_order(store_a, email="ann@example.com", name="#A-240", lines=1, customer_name="Ann Buyer")
    line = order.line_items.get()
    line.title, line.unit_price, line.quantity = "Linen Shirt", Decimal("120.00"), 2
    line.save(update_fields=["title", "unit_price", "quantity"])
    order.subtotal = order.total = Decimal("240.00")
    order.save(update_fields=["subtotal", "total"])
    base = f"{live_server.url}/s/{store_a.slug}/o/{make_order_link_token(order)}/"

    # the customer edits: the running total answers as they type
    page.goto(f"{base}edit/items/")
    page.get_by_label("Quantity").fill("3")
    total = page.locator("[data-edit-total]")
    total.get_by_text("360.00 USD").wait_for()
    assert total.locator("[data-total-difference]").inner_text() == "+120.00 USD"
    assert total.get_by_text("You will pay 120.00 USD more.").is_visible()
    page.shots("item-change-total")
    for width in ("desktop", "phone"):
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(
            SCREENSHOTS / f"{page.shots.prefix}-01-item-change-total-{width}.png",
            DOCS / f"item-change-total-{width}.png",
        )
    page.get_by_role("button", name="Send the changes").click()
    page.get_by_text("you will pay about 120.00 USD more").wait_for()
    request = OrderRequest.objects.for_store(store_a).get()
    assert request.status == "pending_review" and request.amount_owed == Decimal("120.00")

    # staff approve; the change is carried out on the built-in store
    approve_request(store=store_a, request_id=request.pk, actor=staff_actor(store_a))
    page.reload()
    page.get_by_text("To pay: 120.00 USD").wait_for()
    page.shots("owed")

    # the customer pays by the link
    page.get_by_role("link", name="Pay 120.00 USD").click()
    page.get_by_role("button", name="Pay 120.00 USD").click()
    page.get_by_text("Paid: 120.00 USD. Thank you.").wait_for()
    page.shots("paid")
    page.goto(f"{base}requests/{request.pk}/")
    page.locator("[data-paid]").get_by_text("Paid: 120.00 USD").wait_for()

    order = Order.objects.for_store(store_a).get(pk=order.pk)
    assert order.total == Decimal("360.00") and order.financial_status == "paid"
    assert order.line_items.get().quantity == 3
