"""Shopify's sample payloads, read from ../shared (third-party data is never copied into the repo)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.fakeshopify.schema import ROOT

SAMPLES = Path(os.environ.get("SHOPIFY_SAMPLES", ROOT.parent / "shared" / "shopify" / "samples"))


def sample_bytes(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def orders_create_body() -> bytes:
    """The orders/create webhook body, byte for byte (the HMAC is over these bytes)."""
    return sample_bytes("orders-create.sample.json")


def rest_order() -> dict:
    """A REST order (what orders/* webhooks carry) from API 2025-07."""
    return json.loads(sample_bytes("order.rest-2025-07.json"))["order"]
