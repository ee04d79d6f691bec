"""Tests that need third-party data skip on a fresh clone, say how to get it, and fail under CI instead."""

from __future__ import annotations

import pytest

from tests.cancellations import samples
from tests.fakeshopify import schema
from tests.shared_data import ROOT, require, shared_dir, shared_file, shared_path


@pytest.fixture
def no_shared_folder(monkeypatch, tmp_path):
    """A machine where the shared folder is not where the tests look, and nothing points elsewhere."""
    for variable in ("CI", "SHOPIFY_ADMIN_SCHEMA", "SHOPIFY_SAMPLES"):
        monkeypatch.delenv(variable, raising=False)
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("AMEND_SHARED_DIR", str(missing))
    return missing


def test_the_shared_folder_is_beside_the_repository_unless_amend_shared_dir_says_otherwise(
    monkeypatch, tmp_path
):
    monkeypatch.delenv("AMEND_SHARED_DIR", raising=False)
    assert shared_dir() == ROOT.parent / "shared"

    monkeypatch.setenv("AMEND_SHARED_DIR", str(tmp_path))
    assert shared_path("shopify", "samples", "x.json") == tmp_path / "shopify" / "samples" / "x.json"


def test_a_file_that_is_there_is_returned(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("AMEND_SHARED_DIR", str(tmp_path))
    (tmp_path / "data.txt").write_text("here")

    assert shared_file("data.txt", what="The data").read_text() == "here"


def test_a_missing_file_skips_the_test_saying_how_to_get_it(no_shared_folder):
    with pytest.raises(pytest.skip.Exception) as skipped:
        shared_file("shopify", "samples", "orders-create.sample.json", what="Shopify's sample")

    where = no_shared_folder / "shopify" / "samples" / "orders-create.sample.json"
    assert str(skipped.value) == (
        f"Shopify's sample not found at {where}: "
        "put Amend's shared folder beside the repository (../shared) or set AMEND_SHARED_DIR"
    )


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_under_ci_a_missing_file_fails_the_test_instead(no_shared_folder, monkeypatch, value):
    monkeypatch.setenv("CI", value)

    with pytest.raises(pytest.fail.Exception) as failed:
        require(no_shared_folder / "schema.graphql.gz", what="The schema")

    assert "The schema not found at" in str(failed.value)
    assert "CI is set" in str(failed.value)


@pytest.mark.parametrize("value", ["", "0", "false"])
def test_a_ci_variable_that_says_no_still_skips(no_shared_folder, monkeypatch, value):
    monkeypatch.setenv("CI", value)

    with pytest.raises(pytest.skip.Exception):
        require(no_shared_folder / "schema.graphql.gz", what="The schema")


def _outcome(call) -> tuple[str, str]:
    """What a test calling `call` would end as: ("skipped" or "failed", the reason)."""
    try:
        call()
    except pytest.skip.Exception as skipped:
        return "skipped", str(skipped)
    except pytest.fail.Exception as failed:
        return "failed", str(failed)
    return "passed", ""


def test_the_schema_and_the_samples_go_through_the_same_door(no_shared_folder, monkeypatch):
    outcome, reason = _outcome(schema.admin_schema)
    assert outcome == "skipped"
    assert "Shopify's Admin API schema not found" in reason
    assert "or set SHOPIFY_ADMIN_SCHEMA" in reason
    outcome, reason = _outcome(samples.rest_order)
    assert (outcome, "Shopify's sample order.rest-2025-07.json not found" in reason) == ("skipped", True)

    monkeypatch.setenv("CI", "true")
    assert _outcome(schema.admin_schema)[0] == "failed"
    assert _outcome(samples.orders_create_body)[0] == "failed"


def test_an_explicit_path_that_is_wrong_names_the_variable_to_fix(no_shared_folder, monkeypatch):
    monkeypatch.setenv("SHOPIFY_ADMIN_SCHEMA", str(no_shared_folder / "admin.graphql.gz"))
    monkeypatch.setenv("SHOPIFY_SAMPLES", str(no_shared_folder / "samples"))

    assert "set SHOPIFY_ADMIN_SCHEMA to the .graphql.gz file" in _outcome(schema.admin_schema)[1]
    assert "set SHOPIFY_SAMPLES to the samples folder" in _outcome(samples.rest_order)[1]
