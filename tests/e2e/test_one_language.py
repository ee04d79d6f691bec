"""In a real browser: a Swedish customer's whole journey in Swedish, a withdrawal after three lookups,
and the customer order page as the README shows it."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from cancellations.models import OrderRequest
from cancellations.orders.access import make_order_link_token
from cancellations.policy import WithdrawalSettings
from tests.customer.conftest import set_policy
from tests.e2e.conftest import DESKTOP, PHONE, code_from_mail
from tests.factories import make_customer, make_order, make_product
from tests.portal.test_swedish_pages import SWEDISH_ADDRESS, english_strings, raw_codes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


class SwedishOnly:
    """Read each page as a person sees it and fail on English or a raw code."""

    def __init__(self, page) -> None:
        self.page = page
        self.phrases = english_strings()
        self.codes = raw_codes(set())
        self.seen: list[str] = []

    def __call__(self, step: str) -> None:
        from tests.portal.test_swedish_pages import _problems

        self.page.wait_for_load_state()
        assert self.page.evaluate("document.documentElement.lang") == "sv", step
        problems = _problems(self.page.inner_text("body"), self.codes, self.phrases)
        assert not problems, f"{step} ({self.page.url}): {problems}"
        self.seen.append(step)
        self.page.shots(step)


def test_a_swedish_customer_signs_in_corrects_the_email_and_cancels_all_in_swedish(
    page, live_server, store_b
):
    # given Anna, a customer of a Swedish store, and a browser that asks for English
    make_customer(store_b, "anna@example.com")
    order = make_order(
        store_b,
        email="anna@example.com",
        name="#B-100",
        customer_name="Anna Berg",
        shipping_address=SWEDISH_ADDRESS,
    )
    order.line_items.update(title="Ylletröja")
    swedish = SwedishOnly(page)

    page.goto(f"{live_server.url}/s/bravo-shop/")
    swedish("store-home")
    page.get_by_role("link", name="Logga in med din e-post").click()
    # she mistypes her email first
    page.get_by_label("E-post").fill("anna@exmaple.com")
    swedish("sign-in")
    page.get_by_role("button", name="Mejla mig en kod").click()
    page.wait_for_url("**/s/bravo-shop/signin/code/**")
    swedish("code-for-the-wrong-address")
    page.get_by_role("button", name="Använd en annan e-postadress").click()
    page.wait_for_url("**/s/bravo-shop/signin/?**")
    assert page.get_by_label("E-post").input_value() == "anna@exmaple.com"
    swedish("correct-the-email")
    page.get_by_label("E-post").fill("anna@example.com")
    page.get_by_role("button", name="Mejla mig en kod").click()
    page.wait_for_url("**/s/bravo-shop/signin/code/**")
    assert "anna@example.com" in page.inner_text("main")
    swedish("enter-code")
    page.get_by_label("Kod").fill(code_from_mail(mail.outbox))
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url("**/s/bravo-shop/orders/")
    swedish("my-orders")
    page.get_by_role("link", name="#B-100").click()
    swedish("order")
    page.get_by_role("link", name="Avbryt beställningen").click()
    page.get_by_label("Jag har ångrat mig").check()
    swedish("reason")
    page.get_by_role("button", name="Fortsätt").click()
    swedish("summary")
    page.get_by_role("button", name="Avbryt min beställning").click()
    page.get_by_role("heading", name="Avbokning").wait_for()
    swedish("request")
    assert "/accounts/" not in page.url
    assert OrderRequest.objects.for_store(store_b).get(order=order).reason_code == "changed_mind"
    assert len(swedish.seen) == 10


def test_cancel_on_the_code_page_returns_to_the_store(page, live_server, store_b):
    make_customer(store_b, "anna@example.com")
    page.goto(f"{live_server.url}/s/bravo-shop/signin/")
    page.get_by_label("E-post").fill("anna@example.com")
    page.get_by_role("button", name="Mejla mig en kod").click()
    page.get_by_role("button", name="Avbryt", exact=True).click()
    page.wait_for_url(f"{live_server.url}/s/bravo-shop/")
    assert page.get_by_role("link", name="Logga in med din e-post").is_visible()


def test_a_withdrawal_after_three_lookups_is_recorded_and_its_status_follows(page, live_server, store_a):
    # given a delivered order at a store with the withdrawal function on
    set_policy(store_a, withdrawal=WithdrawalSettings(enabled=True, period_days=14))
    order = make_order(
        store_a,
        email="ann@example.com",
        name="#A-900",
        number=900,
        customer_name="Ann Buyer",
        fulfillment_status="fulfilled",
        delivered_at=timezone.now() - timedelta(days=2),
    )
    page.goto(f"{live_server.url}/s/alpha-shop/withdraw/")
    page.get_by_label("Your name").fill("Ann Buyer")
    page.get_by_label("Email").fill("ann@example.com")
    # when the customer mistypes the order number twice, then gets it right
    for attempt, number in enumerate(("A-990", "A-909", "A-900"), start=1):
        page.get_by_label("Order number").fill(number)
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        if attempt < 3:
            page.get_by_text("We found no order with that number for that email address.").wait_for()
            page.shots(f"lookup-{attempt}")
    page.get_by_text("You are withdrawing from the contract for order #A-900.").wait_for()
    page.shots("confirm")
    page.get_by_role("button", name="Confirm withdrawal").click()
    page.get_by_text("What happened").wait_for()
    page.shots("received")
    # then the withdrawal is recorded, acknowledged, and its page follows its status
    withdrawal = OrderRequest.objects.for_store(store_a).get(order=order)
    assert withdrawal.kind == "withdrawal"
    assert any("#A-900" in message.body for message in mail.outbox)
    assert page.locator("[data-status-url]").count() == 1


def test_the_customer_order_page_for_the_readme(page, live_server, store_a):
    product = make_product(store_a, title="Wool Sweater", variants=2)
    order = make_order(store_a, email="ann@example.com", name="#A-100", customer_name="Ann Buyer", lines=1)
    order.line_items.update(title="Wool Sweater", product_id=product.platform_id)
    page.goto(f"{live_server.url}/s/alpha-shop/o/{make_order_link_token(order)}/")
    page.get_by_text("You can do this until the order ships.").first.wait_for()
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=DOCS_SCREENSHOTS / "customer-order-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=DOCS_SCREENSHOTS / "customer-order-phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def test_the_request_page_shows_a_decision_without_a_reload(page, live_server, store_a):
    from cancellations.requests.actors import Actor
    from cancellations.requests.services import withdraw_request
    from tests.merchant.queue_helpers import make_request

    order = make_order(store_a, email="ann@example.com", name="#A-300")
    waiting = make_request(store_a, order=order)
    page.goto(f"{live_server.url}/s/alpha-shop/o/{make_order_link_token(order)}/requests/{waiting.pk}/")
    page.locator(".live-status .badge", has_text="Waiting for review").wait_for()
    page.evaluate("window.__same_page = true")
    # when the request moves on elsewhere (here: withdrawn by the customer from another tab)
    withdraw_request(store=store_a, request_id=waiting.pk, actor=Actor.customer("ann@example.com"))
    # then the page shows it within a few seconds, without reloading
    page.locator(".live-status .badge", has_text="Withdrawn").wait_for(timeout=15000)
    assert page.evaluate("window.__same_page === true")
    assert page.get_by_role("button", name="Withdraw my request").is_hidden()
    page.get_by_text("The status changed.").wait_for()
