"""What Amend adds to the storefront costs at most 10 points of Lighthouse's performance score.

Lighthouse (npm's `lighthouse`, run with the machine's Chromium) scores the stand-in theme's own page
and the same theme framing Amend's proxy page (a signed-in customer's orders), three runs each, the
median kept, and prints both. Lighthouse is pinned in tests/e2e/vitals/package-lock.json and installed
by `npm ci` there when missing (LIGHTHOUSE_BIN names another one).
"""

import json
import os
import statistics
import subprocess

import pytest

from cancellations.models import Order
from cancellations.orders.services import sync_order_from_platform
from tests.e2e.conftest import CHROMIUM, node_tool
from tests.e2e.storefront import Storefront
from tests.fakeshopify.fixtures import fake_shopify, fake_shopify_server, make_shopify_store  # noqa: F401

RUNS = 3

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture(scope="session")
def lighthouse() -> str:
    return os.environ.get("LIGHTHOUSE_BIN") or str(node_tool(".bin/lighthouse"))


def _score(lighthouse: str, url: str) -> float:
    result = subprocess.run(
        [
            lighthouse,
            url,
            "--only-categories=performance",
            "--output=json",
            "--quiet",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "CHROME_PATH": str(CHROMIUM)},
        check=True,
    )
    return json.loads(result.stdout)["categories"]["performance"]["score"] * 100


def test_the_proxy_page_costs_the_storefront_at_most_10_lighthouse_points(
    live_server,
    fake_shopify,  # noqa: F811
    lighthouse,
):
    shop = make_shopify_store(fake_shopify, name="Fern & Field")
    for _ in range(5):
        placed = fake_shopify.add_order(shop.platform_domain, customer={"id": "gid://shopify/Customer/777"})
        sync_order_from_platform(store=shop, order_platform_id=placed["id"])
    assert Order.objects.for_store(shop).count() == 5
    front = Storefront(
        amend_url=live_server.url, shop=shop.platform_domain, title="Fern & Field", customer=777
    )
    front.start()
    try:
        theme = statistics.median(_score(lighthouse, f"{front.url}/") for _ in range(RUNS))
        proxied = statistics.median(_score(lighthouse, f"{front.url}/apps/amend/") for _ in range(RUNS))
    finally:
        front.stop()
    print(f"\nLighthouse performance (median of {RUNS}): theme {theme:.0f}, with Amend {proxied:.0f}")
    assert theme - proxied <= 10
