"""Shopify's sample payloads, read from ../shared (third-party data is never copied into the repo)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.shared_data import HOW_TO_GET_IT, require, shared_path

SAMPLES_VARIABLE = "SHOPIFY_SAMPLES"


def samples_dir() -> Path:
    """SHOPIFY_SAMPLES if set, else shopify/samples in the shared folder."""
    configured = os.environ.get(SAMPLES_VARIABLE)
    return Path(configured) if configured else shared_path("shopify", "samples")


def sample_bytes(name: str) -> bytes:
    """A sample file's bytes; the test asking skips (fails under CI) when the sample is missing."""
    configured = os.environ.get(SAMPLES_VARIABLE)
    how = f"set {SAMPLES_VARIABLE} to the samples folder" if configured else HOW_TO_GET_IT
    return require(samples_dir() / name, what=f"Shopify's sample {name}", how=how).read_bytes()


def orders_create_body() -> bytes:
    """The orders/create webhook body, byte for byte (the HMAC is over these bytes)."""
    return sample_bytes("orders-create.sample.json")


def rest_order() -> dict:
    """A REST order (what orders/* webhooks carry) from API 2025-07."""
    return json.loads(sample_bytes("order.rest-2025-07.json"))["order"]
