"""The storefront through Shopify's app proxy, in a real browser: a signed-in customer's orders inside
the shop's theme, and a cancellation from there. Saves the README's screenshots (docs/screenshots/)."""

from pathlib import Path

import pytest

from cancellations.models import Order, OrderRequest
from cancellations.orders.services import sync_order_from_platform
from tests.e2e.storefront import Storefront
from tests.fakeshopify.fixtures import fake_shopify, fake_shopify_server, make_shopify_store  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
KIM = {"id": "gid://shopify/Customer/777"}


@pytest.fixture
def shop(fake_shopify):  # noqa: F811
    return make_shopify_store(fake_shopify, name="Fern & Field", slug="fern-field")


def _mirror(fake, store, **overrides):
    placed = fake.add_order(store.platform_domain, **overrides)
    sync_order_from_platform(store=store, order_platform_id=placed["id"])
    return Order.objects.for_store(store).get(platform_id=placed["id"])


@pytest.fixture
def storefront(live_server, shop):
    front = Storefront(
        amend_url=live_server.url, shop=shop.platform_domain, title="Fern & Field", customer=777
    )
    yield front.start()
    front.stop()


def _save(page, name):
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1000, "height": 640})
    page.screenshot(path=DOCS_SCREENSHOTS / f"{name}.png")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_signed_in_shopify_customer_sees_their_orders_in_the_theme_and_cancels_one(
    page,
    fake_shopify,  # noqa: F811
    shop,
    storefront,
):
    mine = [
        _mirror(fake_shopify, shop, customer=KIM, email="kim@example.com", name=name, number=int(name[1:]))
        for name in ("#1041", "#1038")
    ]
    someone_else = _mirror(fake_shopify, shop, customer={"id": "gid://shopify/Customer/778"}, name="#1040")
    page.goto(f"{storefront.url}/apps/amend/")
    page.get_by_role("heading", name="Your orders").wait_for()
    assert page.locator(".theme-header").is_visible()
    for order in mine:
        assert page.get_by_role("link", name=order.name).is_visible()
    assert page.get_by_text(someone_else.name).count() == 0
    _save(page, "app-proxy-orders")
    page.shots("orders")
    page.get_by_role("link", name=mine[0].name).click()
    page.wait_for_url(f"**/apps/amend/orders/{mine[0].pk}/")
    page.shots("order")
    page.get_by_role("link", name="Cancel order").click()
    page.get_by_label("I changed my mind").check()
    _save(page, "app-proxy-cancel")
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("You get back").wait_for()
    page.get_by_role("button", name="Cancel my order").click()
    page.get_by_role("heading", name="Cancellation").wait_for()
    assert "/apps/amend/orders/" in page.url
    page.shots("request")
    order_request = OrderRequest.objects.for_store(shop).get(order=mine[0])
    assert order_request.reason_code == "changed_mind"


def test_an_anonymous_visitor_is_offered_the_shops_sign_in_and_find_order(page, shop, storefront):
    storefront.customer = ""
    page.goto(f"{storefront.url}/apps/amend/")
    page.get_by_role("link", name="Sign in to see your orders").wait_for()
    _save(page, "app-proxy-anonymous")
    page.get_by_role("link", name="Find one order by its number instead").click()
    page.wait_for_url("**/apps/amend/find-order/")
    page.get_by_label("Order number").fill("#1")
    page.get_by_label("Email used for the order").fill("nobody@example.com")
    page.get_by_role("button").last.click()
    page.get_by_role("heading", name="Check your email").wait_for()
    page.shots("find-order-sent")
