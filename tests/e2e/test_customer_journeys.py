"""A customer, in a real browser: sign in by code, cancel, change the address, withdraw as a guest."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cancellations.models import OrderRequest
from cancellations.orders.access import make_order_link_token
from cancellations.policy import WithdrawalSettings
from tests.customer.conftest import set_policy
from tests.e2e.conftest import code_from_mail
from tests.factories import make_customer, make_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def shop(store_a):
    make_customer(store_a, "ann@example.com")
    order = make_order(store_a, email="ann@example.com", name="#A-100", customer_name="Ann Buyer")
    return order


def test_sign_in_by_code_cancel_with_a_reason_and_see_the_request(page, live_server, store_a, shop):
    page.goto(f"{live_server.url}/s/alpha-shop/")
    page.shots("store-home")
    page.get_by_role("link", name="Sign in with your email").click()
    page.get_by_label("Email").fill("ann@example.com")
    page.shots("sign-in")
    page.get_by_role("button", name="Email me a code").click()
    page.locator("input[name=code]").fill(code_from_mail(mail.outbox))
    page.shots("enter-code")
    page.locator("input[name=code]").press("Enter")
    page.wait_for_url("**/s/alpha-shop/orders/")
    page.shots("my-orders")
    page.get_by_role("link", name="#A-100").click()
    page.shots("order")
    page.get_by_role("link", name="Cancel order").click()
    page.get_by_label("I changed my mind").check()
    page.shots("reason")
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("You get back").wait_for()
    page.shots("summary")
    page.get_by_role("button", name="Cancel my order").click()
    page.get_by_role("heading", name="Cancellation").wait_for()
    page.shots("request")
    assert page.get_by_text("What happened").is_visible()
    order_request = OrderRequest.objects.for_store(store_a).get(order=shop)
    assert order_request.reason_code == "changed_mind"


def test_edit_the_address_with_a_bad_postcode_then_a_good_one(page, live_server, store_a, shop):
    page.goto(f"{live_server.url}/s/alpha-shop/o/{make_order_link_token(shop)}/")
    page.get_by_role("link", name="Change delivery address").click()
    page.get_by_label("Postcode").fill("ABC")
    page.get_by_label("Street address").fill("Storgatan 5")
    page.get_by_role("button", name="Save the new address").click()
    page.get_by_text("Enter a postcode like 113 51.").wait_for()
    page.shots("bad-postcode")
    assert page.get_by_label("Street address").input_value() == "Storgatan 5"
    page.get_by_label("Postcode").fill("113 51")
    page.get_by_role("button", name="Save the new address").click()
    page.get_by_text("What happened").wait_for()
    page.shots("address-request")
    change = OrderRequest.objects.for_store(store_a).get().changes.get()
    assert change.address["zip"] == "113 51"


def test_withdraw_as_a_guest_by_the_signed_link_and_receive_the_acknowledgement(page, live_server, store_a):
    set_policy(store_a, withdrawal=WithdrawalSettings(enabled=True, period_days=14))
    order = make_order(
        store_a,
        email="ann@example.com",
        name="#A-900",
        customer_name="Ann Buyer",
        fulfillment_status="fulfilled",
        delivered_at=timezone.now() - timedelta(days=2),
    )
    page.goto(f"{live_server.url}/s/alpha-shop/o/{make_order_link_token(order)}/")
    page.shots("delivered-order")
    page.get_by_role("link", name="Withdraw from contract here").click()
    page.get_by_label("Your name").fill("Ann Buyer")
    page.shots("withdraw-details")
    page.get_by_role("button", name="Continue").click()
    page.shots("withdraw-confirm")
    page.get_by_role("button", name="Confirm withdrawal").click()
    page.get_by_text("What happened").wait_for()
    page.shots("withdraw-received")
    acknowledgements = [m for m in mail.outbox if "confirms that it has received your withdrawal" in m.body]
    assert len(acknowledgements) == 1
    assert "#A-900" in acknowledgements[0].body
