"""Whether Shopify has finished cancelling many orders, asked in one query per 25 orders.

A bulk cancellation sends `orderCancel` for each order (through the adapter, so the effect ledger keeps
it to once per key) and Shopify finishes each one in the background. Asking about each job and then
re-reading each order would cost about as much again as the cancels themselves; one aliased query
reading `cancelledAt` of 25 orders costs about a point per order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from cancellations.platforms.base import CancelStatus
from cancellations.platforms.shopify import documents
from cancellations.platforms.shopify.client import ShopifyClient
from cancellations.platforms.shopify.payloads import FINANCIAL_STATUSES


def _when(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) and value else None


def _status(node: dict[str, Any]) -> CancelStatus:
    financial = str(node.get("displayFinancialStatus") or "").lower()
    return CancelStatus(
        platform_id=str(node["id"]),
        cancelled_at=_when(node.get("cancelledAt")),
        cancel_reason=str(node.get("cancelReason") or "").lower()[:40],
        financial_status=financial if financial in FINANCIAL_STATUSES else None,
        updated_at=_when(node.get("updatedAt")),
    )


def status_query_cost(count: int) -> float:
    """What a status query requests: a point for each order it asks about (the others are left out)."""
    return float(min(count, documents.BULK_CANCEL_STATUS_SLOTS))


def cancel_statuses(client: ShopifyClient, order_ids: Sequence[str]) -> dict[str, CancelStatus | None]:
    """Each order's cancellation state on Shopify (None: Shopify does not know the order)."""
    slots = documents.BULK_CANCEL_STATUS_SLOTS
    found: dict[str, CancelStatus | None] = {}
    unique = list(dict.fromkeys(order_ids))
    for start in range(0, len(unique), slots):
        chunk = unique[start : start + slots]
        variables: dict[str, Any] = {}
        for n in range(slots):
            # Unused slots repeat the first order and are switched off, so the document never changes.
            variables[f"o{n}"] = chunk[n] if n < len(chunk) else chunk[0]
            variables[f"i{n}"] = n < len(chunk)
        data = client.execute(documents.BULK_CANCEL_STATUS, variables, cost=status_query_cost(len(chunk)))
        for n, order_id in enumerate(chunk):
            node = data.get(f"o{n}")
            found[order_id] = _status(node) if isinstance(node, dict) and node.get("id") else None
    return found
