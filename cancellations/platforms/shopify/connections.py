"""A store's Shopify connection: the token granted at install, and the webhooks each shop is subscribed to."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cancellations.models import PlatformConnection
from cancellations.platforms.base import PermanentPlatformError
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.shopify import documents
from cancellations.platforms.shopify.client import ShopifyClient
from cancellations.platforms.shopify.tokens import ConnectionTokens, TokenGrant, store_grant
from tenants.models import Platform, Store

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
    "BULK_OPERATIONS_FINISH",
)


def connect_shopify(
    *,
    store: Store,
    shop: str,
    grant: TokenGrant | None = None,
    access_token: str = "",
    scopes: list[str] | None = None,
) -> PlatformConnection:
    """Store (or renew) the store's Shopify connection with a freshly granted token."""
    if grant is None:
        grant = TokenGrant(access_token=access_token, scopes=frozenset(scopes or []))
    with transaction.atomic():
        connection = PlatformConnection.objects.for_store(store).select_for_update().first()
        if connection is None:
            connection = PlatformConnection(store=store)
        connection.platform = Platform.SHOPIFY
        connection.shop_domain = shop
        connection.scopes = sorted(grant.scopes)
        connection.api_version = settings.SHOPIFY_API_VERSION
        connection.status = PlatformConnection.Status.ACTIVE
        connection.installed_at = timezone.now()
        connection.uninstalled_at = None
        connection.status_message = ""
        store_grant(connection, grant)
        connection.save()
    return connection


def register_shopify_webhooks(*, store: Store) -> list[str]:
    """Subscribe the shop to the topics Amend processes; a subscription that already exists is fine."""
    connection = PlatformConnection.objects.for_store(store).filter(platform=Platform.SHOPIFY).first()
    if connection is None or not connection.is_active:
        raise PermanentPlatformError(
            "The store is not connected to Shopify.", code=PlatformErrorCode.PLATFORM_NOT_CONNECTED
        )
    client = ShopifyClient(shop=connection.shop_domain, tokens=ConnectionTokens(connection))
    uri = f"{settings.SITE_URL}/webhooks/shopify/"
    registered = []
    for topic in SHOPIFY_WEBHOOK_TOPICS:
        payload = client.execute(documents.WEBHOOK_SUBSCRIPTION_CREATE, {"topic": topic, "uri": uri})
        errors = (payload.get("webhookSubscriptionCreate") or {}).get("userErrors") or []
        if errors and not all("taken" in str(error.get("message", "")).lower() for error in errors):
            raise PermanentPlatformError(
                f"Shopify refused the {topic} webhook: {errors[0].get('message')}",
                code=PlatformErrorCode.WEBHOOK_REFUSED,
            )
        registered.append(topic)
    PlatformConnection.objects.for_store(store).filter(pk=connection.pk).update(
        webhooks_registered_at=timezone.now()
    )
    return registered
