"""Staff, in a real browser: sign in with a password, open the queue, approve a cancellation; the customer
then sees it completed on their request page."""

import pytest

from cancellations.models import RequestStatus
from cancellations.orders.access import make_order_link_token
from tenants.roles import Role
from tests.e2e.conftest import SCREENSHOTS
from tests.factories import PASSWORD, make_member, make_order
from tests.requests.helpers import pending_request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_staff_approve_a_waiting_cancellation_and_the_customer_sees_it_completed(
    page, browser, live_server, store_a
):
    make_member(store_a, Role.AGENT, email="agent@alpha.example")
    order = make_order(store_a, email="ann@example.com", name="#A-100", customer_name="Ann Buyer")
    request = pending_request(store_a, order, reason_text="Ordered the wrong colour")

    page.goto(f"{live_server.url}/app/{store_a.slug}/queue/")
    page.wait_for_url("**/accounts/login/**")
    page.locator("input[name=login]").fill("agent@alpha.example")
    page.locator("input[name=password]").fill(PASSWORD)
    page.shots("staff-sign-in")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"**/app/{store_a.slug}/queue/")
    page.get_by_role("heading", name="Queue").wait_for()
    page.shots("queue")
    assert page.get_by_text("1 request waiting for review").is_visible()

    page.get_by_role("link", name=f"Cancellation #{request.pk}").click()
    page.get_by_role("heading", name=f"Cancellation #{request.pk}").wait_for()
    assert page.get_by_text("Ordered the wrong colour").is_visible()
    page.shots("request")
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("Approved. The change is being carried out.").wait_for()
    page.shots("approved")

    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert request.decided_by_label == "agent@alpha.example"

    customer = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    try:
        customer_page = customer.new_page()
        token = make_order_link_token(order)
        customer_page.goto(f"{live_server.url}/s/{store_a.slug}/o/{token}/requests/{request.pk}/")
        customer_page.locator(".request-status").get_by_text("Completed").wait_for()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        customer_page.screenshot(
            path=SCREENSHOTS / f"{page.shots.prefix}-99-customer-sees-completed-phone.png", full_page=True
        )
    finally:
        customer.close()
    order.refresh_from_db()
    assert order.cancelled_at is not None  # carried out on the (built-in) platform
