"""A Shopify store's order history through one bulk operation instead of thousands of paged queries.

Shopify runs the query in the background (no cost limit, no throttling) and writes a JSONL file:
one line per order and one per line item, the line items naming their order in `__parentId`.
Without `groupObjects` a child is not promised to come right after its parent, so the file is read
twice: once for the line items, grouped by order, then for the orders.
https://shopify.dev/docs/apps/build/apis/graphql-admin/bulk-operations/queries
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

import httpx
from django.conf import settings

from cancellations.platforms.base import (
    OrderExport,
    OrderSnapshot,
    PermanentPlatformError,
    TransientPlatformError,
)
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.shopify import documents
from cancellations.platforms.shopify.client import ShopifyClient, http_client
from cancellations.platforms.shopify.payloads import UnprocessablePayload, order_from_graphql

# Shopify's BulkOperationStatus, as the three states Amend acts on.
_STATES = {
    "CREATED": "running",
    "RUNNING": "running",
    "CANCELING": "running",
    "COMPLETED": "completed",
    "FAILED": "failed",
    "CANCELED": "failed",
    "EXPIRED": "failed",
}
DOWNLOAD_CHUNK = 1 << 16


def start(client: ShopifyClient, *, created_since: datetime | None) -> str:
    search = f"created_at:>='{created_since.isoformat()}'" if created_since else ""
    payload = client.execute(documents.BULK_ORDERS_START, {"query": documents.bulk_orders_query(search)})
    result = payload.get("bulkOperationRunQuery") or {}
    errors = result.get("userErrors") or []
    operation = result.get("bulkOperation") or {}
    if errors or not operation.get("id"):
        message = "; ".join(str(e.get("message", "")) for e in errors) or "Shopify started no export."
        raise PermanentPlatformError(message[:500], code=PlatformErrorCode.EXPORT_REFUSED)
    return str(operation["id"])


def status(client: ShopifyClient, operation_id: str) -> OrderExport:
    node = client.execute(documents.BULK_OPERATION, {"id": operation_id}).get("bulkOperation")
    if not node:
        raise PermanentPlatformError(
            "Shopify does not know this export.", code=PlatformErrorCode.EXPORT_FAILED
        )
    state = _STATES.get(str(node.get("status")), "running")
    error = ""
    if state == "failed":
        reason = str(node.get("errorCode") or "").lower() or "no reason given"
        error = f"{str(node.get('status')).lower()}: {reason}"
    return OrderExport(
        operation_id=operation_id,
        state=state,
        objects=int(node.get("objectCount") or 0),
        orders=int(node.get("rootObjectCount") or 0),
        # An export with no orders has no file.
        url=str(node.get("url") or ""),
        error=error,
    )


def read(url: str, *, skip: int = 0) -> Iterator[OrderSnapshot]:
    """Every order in the export's file past the first `skip`, with its line items (downloaded once to a
    temporary file)."""
    if not url:
        return
    with tempfile.TemporaryFile() as file:
        _download(url, file)
        file.seek(0)
        lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in _records(file):
            parent = record.pop("__parentId", None)
            if parent:
                lines[str(parent)].append(record)
        file.seek(0)
        seen = 0
        for record in _records(file):
            if record.get("__parentId"):
                continue
            seen += 1
            if seen <= skip:
                continue
            record["lineItems"] = {"nodes": lines.pop(str(record.get("id")), [])}
            try:
                yield order_from_graphql(record)
            except UnprocessablePayload as error:
                raise PermanentPlatformError(
                    error.message, code=PlatformErrorCode.PLATFORM_BAD_RESPONSE
                ) from None


def _download(url: str, file: IO[bytes]) -> None:
    try:
        with http_client().stream("GET", url, timeout=settings.SHOPIFY_HTTP_TIMEOUT) as response:
            if response.status_code >= 500:
                raise TransientPlatformError(
                    f"Shopify's export file could not be had ({response.status_code}).",
                    code=PlatformErrorCode.PLATFORM_UNAVAILABLE,
                )
            if response.status_code >= 400:
                raise PermanentPlatformError(
                    f"Shopify's export file is gone ({response.status_code}).",
                    code=PlatformErrorCode.EXPORT_FAILED,
                )
            for chunk in response.iter_bytes(DOWNLOAD_CHUNK):
                file.write(chunk)
    except httpx.TransportError as error:
        raise TransientPlatformError(
            "Shopify's export file could not be downloaded.", code=PlatformErrorCode.PLATFORM_UNREACHABLE
        ) from error


def _records(file: IO[bytes]) -> Iterator[dict[str, Any]]:
    for number, raw in enumerate(file, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            raise PermanentPlatformError(
                f"Line {number} of Shopify's export is not JSON.",
                code=PlatformErrorCode.PLATFORM_BAD_RESPONSE,
            ) from None
        if isinstance(record, dict):
            yield record
