"""Every GraphQL document Amend sends is valid against Shopify's published 2026-07 Admin schema."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from graphql import parse, validate

from cancellations.platforms.shopify.documents import DOCUMENTS
from tests.fakeshopify.schema import SCHEMA_FILE, admin_schema, schema_path
from tests.shared_data import shared_path

ROOT = Path(__file__).resolve().parents[2]


def _graphql_strings_in_code() -> dict[str, str]:
    """Every string constant in the app code that is a GraphQL operation (or starts one)."""
    found = {}
    for package in ("cancellations", "portal"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    text = node.value.lstrip()
                    if text.startswith(("query ", "mutation ", "fragment ")):
                        found[f"{path.relative_to(ROOT)}:{node.lineno}"] = node.value
    return found


def test_the_schema_is_read_from_shopify_admin_schema_else_the_shared_folder(monkeypatch, tmp_path):
    # CI sets SHOPIFY_ADMIN_SCHEMA (and CI, so a missing file fails there); locally ../shared is enough.
    monkeypatch.setenv("SHOPIFY_ADMIN_SCHEMA", str(tmp_path / "pinned.graphql.gz"))
    assert schema_path() == tmp_path / "pinned.graphql.gz"

    monkeypatch.delenv("SHOPIFY_ADMIN_SCHEMA")
    monkeypatch.setenv("AMEND_SHARED_DIR", str(tmp_path))
    assert schema_path() == tmp_path / "shopify" / "admin_2026-07.schema.graphql.gz"
    assert schema_path() == shared_path(*SCHEMA_FILE)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_each_document_is_valid_against_the_pinned_admin_schema(name):
    errors = validate(admin_schema(), parse(DOCUMENTS[name]))
    assert [error.message for error in errors] == []
    assert parse(DOCUMENTS[name]).definitions[0].name.value == name


def test_no_graphql_document_in_the_code_escapes_validation():
    strings = _graphql_strings_in_code()
    # The documents module builds some documents from fragments; every piece must be part of a registered one.
    registered = "\n".join(DOCUMENTS.values())
    assert strings, "the scan found no GraphQL at all: it is looking in the wrong place"
    for where, text in strings.items():
        assert text in registered, f"{where} holds GraphQL that is not in DOCUMENTS (and so is not validated)"


def test_validation_catches_a_document_shopify_would_reject():
    # A field that does not exist on Order, and a wrongly typed argument.
    bad = "query Bad($id: String!) { order(id: $id) { id riskScore } }"
    messages = [error.message for error in validate(admin_schema(), parse(bad))]
    assert any("riskScore" in message for message in messages)
    assert any("$id" in message for message in messages)


def test_cancel_uses_the_refund_method_input_and_not_the_deprecated_refund_flag():
    document = DOCUMENTS["AmendOrderCancel"]
    assert "refundMethod: $refundMethod" in document
    assert "refund:" not in document


def test_the_bulk_export_query_is_valid_and_within_shopifys_bulk_limits():
    # https://shopify.dev/docs/api/admin-graphql/latest/mutations/bulkOperationRunQuery: at least one
    # connection, at most five, nested at most two levels deep.
    from cancellations.platforms.shopify.documents import bulk_orders_query

    text = bulk_orders_query("created_at:>='2026-01-01T00:00:00+00:00'")
    assert [error.message for error in validate(admin_schema(), parse(text))] == []
    assert text.count("edges {") == 2  # orders, and the line items of each
    assert "first:" not in text
    with_quote = bulk_orders_query('tag:"a\\b"')
    assert validate(admin_schema(), parse(with_quote)) == []
