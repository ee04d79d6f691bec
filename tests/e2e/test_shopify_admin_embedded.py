"""Amend inside the Shopify admin, in a real browser: a page playing the admin frames the app, which gets
its session token from App Bridge, and a staff member approves a cancellation there without signing in.

Shopify's admin and its CDN are not reachable from the tests, so Playwright answers for them:
https://admin.shopify.com/... is a page with an iframe on the app's URL (as the admin frames an app), and
App Bridge's script is a stand-in whose `shopify.idToken()` returns a session token the fake Shopify
signed, and which reloads the bounce page as App Bridge does. The app's own pages and script run as they
are. The embedded page's Web Vitals are measured with the `web-vitals` package and held to Shopify's
"Built for Shopify" limits: https://shopify.dev/docs/apps/launch/built-for-shopify/requirements
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cancellations.models import RequestStatus
from cancellations.orders.services import upsert_order
from cancellations.platforms.shopify.payloads import order_from_graphql
from tenants.roles import Role
from tests.e2e.conftest import node_tool
from tests.factories import make_member
from tests.fakeshopify.fixtures import make_shopify_store
from tests.requests.helpers import pending_request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

APP_BRIDGE = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
# Built for Shopify: LCP at most 2.5 s, CLS at most 0.1, INP at most 200 ms.
LIMITS = {"LCP": 2500.0, "CLS": 0.1, "INP": 200.0}

# What the pages learn of web-vitals' figures: every change, so nothing waits for the page to be hidden.
COLLECT = """
window.__vitals = {};
(function () {
  var keep = function (metric) { window.__vitals[metric.name] = metric.value; };
  webVitals.onLCP(keep, {reportAllChanges: true});
  webVitals.onCLS(keep, {reportAllChanges: true});
  webVitals.onINP(keep, {reportAllChanges: true, durationThreshold: 16});
})();
"""

# App Bridge's part, as far as the app uses it: the session token, and the bounce page's reload.
APP_BRIDGE_STAND_IN = """
(function () {
  var token = %s;
  window.shopify = { idToken: function () { return Promise.resolve(token); } };
  var params = new URLSearchParams(window.location.search);
  var reload = params.get("shopify-reload");
  if (reload) {
    var target = new URL(reload, window.location.origin);
    target.searchParams.set("id_token", token);
    window.location.replace(target.toString());
  }
})();
"""


@pytest.fixture(scope="session")
def web_vitals() -> str:
    """web-vitals' browser build, installed from tests/e2e/vitals/package-lock.json when missing."""
    return node_tool("web-vitals/dist/web-vitals.iife.js").read_text()


def test_staff_approve_a_cancellation_inside_the_shopify_admin_within_web_vitals_limits(
    browser, live_server, fake_shopify, web_vitals
):
    store = make_shopify_store(fake_shopify, name="Nordic Socks", expiring=True)
    shop = store.platform_domain
    fake_shopify.add_staff(shop, "42", email="sam@nordic.example")
    make_member(store, Role.AGENT, email="sam@nordic.example")
    remote = fake_shopify.add_order(shop, email="ann@example.com")
    order = upsert_order(store=store, snapshot=order_from_graphql(remote)).order
    request = pending_request(store, order, reason_text="Ordered the wrong size")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        context.add_init_script(script=web_vitals + COLLECT)
        app_url = f"{live_server.url}/shopify/admin/?embedded=1&shop={shop}&host=YWRtaW4&locale=en"
        handle = shop.removesuffix(".myshopify.com")
        admin_url = f"https://admin.shopify.com/store/{handle}/apps/amend"
        admin_page = (
            "<!doctype html><html><head><title>Shopify admin</title></head><body style='margin:0'>"
            f"<iframe name='app-iframe' title='Amend' src='{app_url}' "
            "style='border:0;width:100%;height:880px'></iframe></body></html>"
        )
        context.route(
            admin_url, lambda route: route.fulfill(status=200, content_type="text/html", body=admin_page)
        )
        # A token signed when the script is asked for: every page load (and the bounce) gets a fresh one.
        context.route(
            APP_BRIDGE,
            lambda route: route.fulfill(
                status=200,
                content_type="text/javascript",
                headers={"Cache-Control": "no-store"},
                body=APP_BRIDGE_STAND_IN % json.dumps(fake_shopify.session_token(shop, sub="42")),
            ),
        )

        page.goto(admin_url)
        frame = page.frame_locator("iframe[name=app-iframe]")
        frame.get_by_role("heading", name="Queue").wait_for()
        app = page.frame(name="app-iframe")
        assert app is not None
        assert "/shopify/admin/?" in app.url and "id_token=" in app.url  # back from the bounce page
        assert frame.get_by_text("1 request waiting for review").is_visible()
        assert frame.get_by_text("Ordered the wrong size").is_visible()
        page.wait_for_timeout(300)  # let the largest paint settle before the interaction
        page.screenshot(path=_shot("queue"), full_page=True)

        frame.get_by_role("button", name="Approve").click()
        frame.get_by_text("Approved. The change is being carried out.").wait_for()
        page.screenshot(path=_shot("approved"), full_page=True)

        app.wait_for_function("() => window.__vitals && window.__vitals.INP !== undefined")
        # Hidden, as when the merchant leaves: web-vitals reports its final figures.
        app.evaluate(
            """() => {
              Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
              document.dispatchEvent(new Event("visibilitychange"));
            }"""
        )
        vitals = app.evaluate("() => window.__vitals")
    finally:
        context.close()

    print(
        "embedded queue web vitals: LCP {LCP:.0f} ms, CLS {CLS:.3f}, INP {INP:.0f} ms".format(
            **{name: float(vitals.get(name, float("nan"))) for name in LIMITS}
        )
    )
    for name, limit in LIMITS.items():
        assert name in vitals, f"web-vitals reported no {name}: {vitals}"
        assert vitals[name] <= limit, f"{name} {vitals[name]} is over Shopify's limit {limit}"

    request.refresh_from_db()
    assert request.decided_by_label == "sam@nordic.example"
    assert request.status == RequestStatus.COMPLETED  # cancelled on the (fake) Shopify
    assert fake_shopify.order(shop, remote["id"])["cancelledAt"] is not None


def _shot(step: str) -> Path:
    from tests.e2e.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"shopify-admin-embedded-{step}-desktop.png"
