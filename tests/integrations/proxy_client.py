"""Requests as Shopify's app proxy forwards them: the storefront's query plus Shopify's signed parameters.

The fake Shopify does not proxy, so tests sign here exactly as Shopify does (signing.proxy_signature):
https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

from cancellations.platforms.shopify.signing import proxy_signature
from tests.fakeshopify.fixtures import API_SECRET

PREFIX = "/apps/amend"


def signed_query(
    shop: str, customer: str | int = "", *, secret: str = API_SECRET, at: float | None = None, **extra: Any
) -> dict[str, str]:
    params = {
        **{key: str(value) for key, value in extra.items()},
        "shop": shop,
        "logged_in_customer_id": str(customer),
        "path_prefix": PREFIX,
        "timestamp": str(int(time.time() if at is None else at)),
    }
    params["signature"] = proxy_signature(params, secret)
    return params


class Storefront:
    """One visitor of one shop's storefront, reaching Amend only through the app proxy."""

    def __init__(self, client: Any, shop: str, customer: str | int = "") -> None:
        self.client, self.shop, self.customer = client, shop, customer

    def amend_path(self, public_path: str) -> str:
        """Where Shopify forwards a storefront path: /apps/amend/x/ -> /shopify/proxy/x/."""
        assert public_path.startswith(f"{PREFIX}/"), public_path
        return "/shopify/proxy/" + public_path.removeprefix(f"{PREFIX}/").split("?")[0]

    def get(self, public_path: str = f"{PREFIX}/", **query: Any) -> Any:
        return self.client.get(self.amend_path(public_path), signed_query(self.shop, self.customer, **query))

    def post(self, public_path: str, data: dict[str, Any]) -> Any:
        query = urlencode(signed_query(self.shop, self.customer))
        return self.client.post(f"{self.amend_path(public_path)}?{query}", data)

    def submit(self, page: Any, public_path: str, data: dict[str, Any]) -> Any:
        """Send a form shown on `page` back through the proxy, with the form token the page carried."""
        return self.post(public_path, {**data, "proxy_form": form_token(page)})


def form_token(page: Any) -> str:
    found = re.search(r'name="proxy_form" value="([^"]+)"', page.content.decode())
    assert found, "the page has no proxy form token"
    return found.group(1)
