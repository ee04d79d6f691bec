"""Shopify's published Admin API schema, loaded once (from ../shared, never copied into the repo)."""

from __future__ import annotations

import gzip
import os
from functools import lru_cache
from pathlib import Path

from graphql import GraphQLSchema, build_schema

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCHEMA = ROOT.parent / "shared" / "shopify" / "admin_2026-07.schema.graphql.gz"


def schema_path() -> Path:
    """SHOPIFY_ADMIN_SCHEMA if set, else ../shared/shopify/admin_2026-07.schema.graphql.gz."""
    configured = os.environ.get("SHOPIFY_ADMIN_SCHEMA")
    return Path(configured) if configured else DEFAULT_SCHEMA


@lru_cache(maxsize=1)
def admin_schema() -> GraphQLSchema:
    path = schema_path()
    if not path.exists():
        raise FileNotFoundError(
            f"Shopify's Admin API schema is not at {path}; set SHOPIFY_ADMIN_SCHEMA to the .graphql.gz file."
        )
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        # Shopify's schema breaks a newer rule about deprecations that graphql-core checks;
        # documents are still validated against every type, field and argument.
        return build_schema(handle.read(), assume_valid=True)
