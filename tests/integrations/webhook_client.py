"""Sending webhooks to /webhooks/shopify/ as Shopify does: raw body, HMAC and the X-Shopify headers."""

from __future__ import annotations

import json
import uuid
from typing import Any

from cancellations.platforms.shopify.signing import webhook_signature
from tests.fakeshopify.fixtures import API_SECRET


def body_of(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def deliver(
    client,
    shop: str,
    topic: str,
    body: bytes,
    *,
    webhook_id: str | None = None,
    secret: str = API_SECRET,
    signature: str | None = None,
    **extra: str,
):
    return client.post(
        "/webhooks/shopify/",
        data=body,
        content_type="application/json",
        HTTP_X_SHOPIFY_HMAC_SHA256=signature if signature is not None else webhook_signature(body, secret),
        HTTP_X_SHOPIFY_TOPIC=topic,
        HTTP_X_SHOPIFY_SHOP_DOMAIN=shop,
        HTTP_X_SHOPIFY_WEBHOOK_ID=webhook_id or str(uuid.uuid4()),
        HTTP_X_SHOPIFY_API_VERSION="2026-07",
        HTTP_X_SHOPIFY_EVENT_ID=str(uuid.uuid4()),
        HTTP_X_SHOPIFY_TRIGGERED_AT="2026-11-26T10:00:00.000Z",
        **extra,
    )
