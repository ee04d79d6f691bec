"""An order's line items past the first page: one order query reads only as many as fit its cost."""

from __future__ import annotations

from typing import Any

from cancellations.platforms.shopify import documents
from cancellations.platforms.shopify.client import ShopifyClient


def all_lines(client: ShopifyClient, node: Any) -> Any:
    """The order's node with every line item, the pages past the first read one by one."""
    if not isinstance(node, dict):
        return node
    connection = node.get("lineItems") or {}
    info = connection.get("pageInfo") or {}
    nodes = list(connection.get("nodes") or [])
    while info.get("hasNextPage") and info.get("endCursor"):
        variables = {"id": node["id"], "first": documents.LINES_PAGE, "after": info["endCursor"]}
        order = client.execute(documents.ORDER_LINES_PAGE, variables).get("order") or {}
        more = order.get("lineItems") or {}
        nodes.extend(more.get("nodes") or [])
        info = more.get("pageInfo") or {}
    return {**node, "lineItems": {"nodes": nodes}}
