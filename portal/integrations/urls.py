"""Endpoints that commerce platforms call: app install (OAuth), webhooks, the app inside Shopify admin."""

from django.urls import path

from portal.integrations import embedded, shopify_oauth, webhooks

urlpatterns = [
    path("webhooks/shopify/", webhooks.shopify_webhook, name="shopify_webhook"),
    path("shopify/install", shopify_oauth.install, name="shopify_install"),
    path("shopify/callback", shopify_oauth.callback, name="shopify_callback"),
    # The app's URL in the Shopify app configuration: the merchant app inside the admin.
    path("shopify/admin/", embedded.home, name="shopify_admin"),
    path("shopify/admin/bounce", embedded.bounce_page, name="shopify_admin_bounce"),
    path(
        "shopify/admin/requests/<int:request_id>/approve",
        embedded.approve,
        name="shopify_admin_approve",
    ),
    path(
        "shopify/admin/requests/<int:request_id>/reject",
        embedded.reject,
        name="shopify_admin_reject",
    ),
]
