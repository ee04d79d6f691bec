"""Endpoints that commerce platforms call: app install (OAuth) and webhooks."""

from django.urls import path

from portal.integrations import shopify_oauth, webhooks

urlpatterns = [
    path("webhooks/shopify/", webhooks.shopify_webhook, name="shopify_webhook"),
    path("shopify/install", shopify_oauth.install, name="shopify_install"),
    path("shopify/callback", shopify_oauth.callback, name="shopify_callback"),
]
