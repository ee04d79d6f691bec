"""Fixtures for the cancellations tests: the fake Shopify and stores connected to it."""

from pathlib import Path

from hypothesis.configuration import set_hypothesis_home_dir

from tests.fakeshopify.fixtures import fake_shopify, fake_shopify_server, shopify_store  # noqa: F401

# Hypothesis keeps its files under the git-ignored .data/, not in the work tree.
set_hypothesis_home_dir(Path(__file__).resolve().parents[2] / ".data" / "hypothesis")
