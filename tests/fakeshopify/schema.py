"""Shopify's published Admin API schema, loaded once (from ../shared, never copied into the repo)."""

from __future__ import annotations

import gzip
import os
from functools import lru_cache
from pathlib import Path

from graphql import GraphQLSchema, build_schema

from tests.shared_data import HOW_TO_GET_IT, require, shared_path

SCHEMA_FILE = ("shopify", "admin_2026-07.schema.graphql.gz")
SCHEMA_VARIABLE = "SHOPIFY_ADMIN_SCHEMA"


def schema_path() -> Path:
    """SHOPIFY_ADMIN_SCHEMA if set, else shopify/admin_2026-07.schema.graphql.gz in the shared folder."""
    configured = os.environ.get(SCHEMA_VARIABLE)
    return Path(configured) if configured else shared_path(*SCHEMA_FILE)


def admin_schema() -> GraphQLSchema:
    """The schema, for a test that needs it: skips (fails under CI) when the file is missing."""
    path = schema_path()
    how = f"set {SCHEMA_VARIABLE} to the .graphql.gz file" if os.environ.get(SCHEMA_VARIABLE) else None
    require(path, what="Shopify's Admin API schema", how=how or f"{HOW_TO_GET_IT}, or set {SCHEMA_VARIABLE}")
    return _load(path)


@lru_cache(maxsize=2)
def _load(path: Path) -> GraphQLSchema:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        # Shopify's schema breaks a newer rule about deprecations that graphql-core checks;
        # documents are still validated against every type, field and argument.
        return build_schema(handle.read(), assume_valid=True)
