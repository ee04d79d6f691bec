"""A customer, in a real browser, past the store's cap on edit sessions: the store's message, no form."""

from dataclasses import replace

import pytest

from cancellations.models import OrderRequest
from cancellations.orders.access import make_order_link_token
from cancellations.policy import DEFAULT_POLICY
from tests.customer.conftest import set_policy
from tests.factories import make_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

MESSAGE = "You can change an order once online. Please email help@alpha.example for anything else."


def test_a_second_edit_session_past_the_cap_is_refused_with_the_stores_message(
    page, live_server, store_a, settings
):
    settings.EDIT_SESSION_MINUTES = 0  # every save is a session of its own
    set_policy(
        store_a, limits=replace(DEFAULT_POLICY.limits, edit_sessions_per_order=1, messages={"en": MESSAGE})
    )
    order = make_order(store_a, email="ann@example.com", name="#A-200", customer_name="Ann Buyer")
    order_url = f"{live_server.url}/s/alpha-shop/o/{make_order_link_token(order)}/"

    # the first session: a new address, saved
    page.goto(order_url)
    page.get_by_role("link", name="Change delivery address").click()
    page.get_by_label("Street address").fill("Storgatan 5")
    page.get_by_label("Postcode").fill("113 51")
    page.get_by_role("button", name="Save the new address").click()
    page.get_by_role("heading", name="What happened").wait_for()
    page.shots("first-session-saved")

    # a second session is refused with the store's own words
    page.goto(order_url)
    page.get_by_role("link", name="Change delivery address").click()
    page.get_by_text(MESSAGE).wait_for()
    page.shots("second-session-refused")
    assert page.get_by_role("heading", name="This is not possible for this order").is_visible()
    assert page.get_by_role("button", name="Save the new address").count() == 0
    assert OrderRequest.objects.for_store(store_a).filter(order=order).count() == 1
