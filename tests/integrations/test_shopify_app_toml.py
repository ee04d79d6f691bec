"""The app configuration Shopify is given (shopify/shopify.app.toml) says what Amend's code does.

Every webhook topic Amend subscribes a shop to, and the three compliance topics, go to Amend's webhook
endpoint; the scopes are settings.SHOPIFY_SCOPES; the app proxy lands on /shopify/proxy/; every
extension target names a module that exists.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import resolve

from cancellations.platforms.shopify.connections import SHOPIFY_WEBHOOK_TOPICS

APP = Path(__file__).resolve().parents[2] / "shopify"
COMPLIANCE_TOPICS = {"customers/data_request", "customers/redact", "shop/redact"}
EXTENSION_TARGETS = {
    "customer-account.order.action.menu-item.render",
    "customer-account.order.action.render",
    "customer-account.order-status.block.render",
    "purchase.thank-you.block.render",
}


def app_config() -> dict:
    return tomllib.loads((APP / "shopify.app.toml").read_text())


def subscriptions() -> list[dict]:
    return app_config()["webhooks"]["subscriptions"]


def test_every_topic_amend_subscribes_to_is_declared_once():
    declared = [topic for sub in subscriptions() for topic in sub.get("topics", [])]

    # Shopify's GraphQL enum ORDERS_RISK_ASSESSMENT_CHANGED is the topic orders/risk_assessment_changed.
    assert sorted(topic.replace("/", "_").upper() for topic in declared) == sorted(SHOPIFY_WEBHOOK_TOPICS)
    assert len(declared) == len(set(declared))


def test_the_compliance_topics_are_declared():
    declared = {topic for sub in subscriptions() for topic in sub.get("compliance_topics", [])}

    assert declared == COMPLIANCE_TOPICS


def test_every_webhook_goes_to_amends_webhook_endpoint():
    for sub in subscriptions():
        url = urlsplit(sub["uri"])
        assert url.scheme == "https"
        assert resolve(url.path).url_name == "shopify_webhook"


def test_the_scopes_are_the_ones_amend_asks_for_at_install():
    scopes = app_config()["access_scopes"]["scopes"].split(",")

    assert scopes == list(settings.SHOPIFY_SCOPES)


def test_the_app_opens_embedded_in_the_admin_and_installs_managed():
    config = app_config()

    url = urlsplit(config["application_url"])
    assert url.scheme == "https"
    assert resolve(url.path).url_name == "shopify_admin"
    assert config["embedded"] is True
    assert config["access_scopes"]["use_legacy_install_flow"] is False
    # The OAuth flow, for stores that install from a link, comes back here.
    redirects = [resolve(urlsplit(url).path).url_name for url in config["auth"]["redirect_urls"]]
    assert redirects == ["shopify_callback"]


def test_the_app_proxy_lands_on_amends_proxy_path():
    proxy = app_config()["app_proxy"]

    assert urlsplit(proxy["url"]).path == "/shopify/proxy/"
    assert (proxy["prefix"], proxy["subpath"]) == ("apps", "amend")


def test_the_extensions_declare_the_targets_and_their_modules_exist():
    targets = {}
    for toml in (APP / "extensions").glob("*/shopify.extension.toml"):
        config = tomllib.loads(toml.read_text())
        for extension in config["extensions"]:
            assert extension["capabilities"]["network_access"] is True
            for target in extension["targeting"]:
                module = toml.parent / target["module"]
                assert module.is_file(), module
                targets[target["target"]] = module
        assert config["api_version"] == settings.SHOPIFY_API_VERSION
    assert set(targets) == EXTENSION_TARGETS
