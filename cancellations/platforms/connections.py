"""Services for a store's platform connection: connect (after OAuth), disconnect, webhooks, key rotation."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cancellations.crypto import reencrypt_secret
from cancellations.models import PlatformConnection
from cancellations.platforms.base import PermanentPlatformError
from cancellations.platforms.shopify import documents
from cancellations.platforms.shopify.client import ShopifyClient
from tenants.models import Platform, Store

logger = logging.getLogger(__name__)

# The topics Amend subscribes each shop to. The mandatory compliance topics (customers/data_request,
# customers/redact, shop/redact) are not subscribable through the API: they are set in the app's
# configuration, pointing at the same /webhooks/shopify/ address.
SHOPIFY_WEBHOOK_TOPICS = (
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_PAID",
    "ORDERS_CANCELLED",
    "ORDERS_FULFILLED",
    "ORDERS_PARTIALLY_FULFILLED",
    "ORDERS_RISK_ASSESSMENT_CHANGED",
    "PRODUCTS_CREATE",
    "PRODUCTS_UPDATE",
    "PRODUCTS_DELETE",
    "APP_UNINSTALLED",
)


def connect_shopify(*, store: Store, shop: str, access_token: str, scopes: list[str]) -> PlatformConnection:
    """Store (or renew) the store's Shopify connection with a freshly granted access token."""
    with transaction.atomic():
        connection = PlatformConnection.objects.for_store(store).select_for_update().first()
        if connection is None:
            connection = PlatformConnection(store=store)
        connection.platform = Platform.SHOPIFY
        connection.shop_domain = shop
        connection.scopes = sorted(scopes)
        connection.api_version = settings.SHOPIFY_API_VERSION
        connection.status = PlatformConnection.Status.ACTIVE
        connection.installed_at = timezone.now()
        connection.uninstalled_at = None
        connection.set_access_token(access_token)
        connection.save()
    return connection


def disconnect_platform(*, store: Store) -> bool:
    """Forget the store's access token (the app was uninstalled); True if a connection was active."""
    with transaction.atomic():
        connection = PlatformConnection.objects.for_store(store).select_for_update().first()
        if connection is None or connection.status == PlatformConnection.Status.UNINSTALLED:
            return False
        connection.status = PlatformConnection.Status.UNINSTALLED
        connection.uninstalled_at = timezone.now()
        connection.set_access_token("")
        connection.save(update_fields=["status", "uninstalled_at", "access_token_encrypted", "updated_at"])
    logger.info("store %s: platform connection closed (app uninstalled)", store.pk)
    return True


def register_shopify_webhooks(*, store: Store) -> list[str]:
    """Subscribe the shop to the topics Amend processes; a subscription that already exists is fine."""
    connection = PlatformConnection.objects.for_store(store).filter(platform=Platform.SHOPIFY).first()
    if connection is None or not connection.is_active:
        raise PermanentPlatformError("The store is not connected to Shopify.", code="platform_not_connected")
    client = ShopifyClient(shop=connection.shop_domain, access_token=connection.access_token)
    uri = f"{settings.SITE_URL}/webhooks/shopify/"
    registered = []
    for topic in SHOPIFY_WEBHOOK_TOPICS:
        payload = client.execute(documents.WEBHOOK_SUBSCRIPTION_CREATE, {"topic": topic, "uri": uri}, cost=10)
        errors = (payload.get("webhookSubscriptionCreate") or {}).get("userErrors") or []
        if errors and not all("taken" in str(error.get("message", "")).lower() for error in errors):
            raise PermanentPlatformError(
                f"Shopify refused the {topic} webhook: {errors[0].get('message')}", code="webhook_refused"
            )
        registered.append(topic)
    PlatformConnection.objects.for_store(store).filter(pk=connection.pk).update(
        webhooks_registered_at=timezone.now()
    )
    return registered


def reencrypt_platform_tokens() -> int:
    """Re-encrypt every stored access token with the first FIELD_ENCRYPTION_KEYS key (after a rotation)."""
    count = 0
    # A system sweep over every store's connection; each is re-read under a lock and its own store.
    targets = (
        PlatformConnection.objects.dangerously_unscoped()
        .exclude(access_token_encrypted="")
        .values_list("store_id", "pk")
    )
    for store_id, pk in list(targets):
        with transaction.atomic():
            connection = (
                PlatformConnection.objects.for_store(store_id).select_for_update().filter(pk=pk).first()
            )
            if connection is None or not connection.access_token_encrypted:
                continue
            connection.access_token_encrypted = reencrypt_secret(connection.access_token_encrypted)
            connection.save(update_fields=["access_token_encrypted", "updated_at"])
        count += 1
    return count
