"""How Amend reaches a store's commerce platform, and what the platform has told us.

`PlatformConnection` holds the store's access token (encrypted at rest), `OAuthState` the nonces of
installs in flight, `WebhookDelivery` is the inbox every webhook lands in before it is processed,
and `ComplianceRequest` records what the mandatory privacy webhooks asked for and what we did.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations.core.crypto import decrypt_secret, encrypt_secret
from tenants.models import Platform
from tenants.scoping import TenantModel


class PlatformConnection(TenantModel):
    """A store's installed platform app: the shop it is, the scopes granted and the access token."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Connected")
        UNINSTALLED = "uninstalled", _("Uninstalled")
        # Shopify refused to renew the token (refresh token expired or revoked): the merchant must
        # connect the store again; `status_message` says so.
        RECONNECT = "reconnect", _("Needs reconnecting")

    platform = models.CharField(max_length=20, choices=Platform.choices, default=Platform.SHOPIFY)
    shop_domain = models.CharField(max_length=255)
    # Never read this column directly: use `access_token` (decrypts) and `set_access_token` (encrypts).
    access_token_encrypted = models.TextField(blank=True)
    # Expiring offline tokens: the refresh token is as secret as the access token and stored the same
    # way (`refresh_token`, `set_refresh_token`). No expiry means a legacy non-expiring token.
    refresh_token_encrypted = models.TextField(blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    status_message = models.TextField(blank=True)
    scopes = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    api_version = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    installed_at = models.DateTimeField(default=timezone.now)
    uninstalled_at = models.DateTimeField(null=True, blank=True)
    webhooks_registered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["store"], name="platform_connection_store_unique")]

    def __str__(self) -> str:
        return f"{self.platform}:{self.shop_domain} ({self.status})"

    def __repr__(self) -> str:
        # The token stays out of reprs, and so out of tracebacks and logs.
        return f"<PlatformConnection store={self.store_id} {self.shop_domain} {self.status}>"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE and bool(self.access_token_encrypted)

    @property
    def access_token(self) -> str:
        return decrypt_secret(self.access_token_encrypted) if self.access_token_encrypted else ""

    def set_access_token(self, token: str) -> None:
        self.access_token_encrypted = encrypt_secret(token) if token else ""

    @property
    def refresh_token(self) -> str:
        return decrypt_secret(self.refresh_token_encrypted) if self.refresh_token_encrypted else ""

    def set_refresh_token(self, token: str) -> None:
        self.refresh_token_encrypted = encrypt_secret(token) if token else ""


class OAuthState(TenantModel):
    """The nonce of one install in flight: it must come back on the callback, once, and soon."""

    nonce_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["store", "nonce_hash"], name="oauth_state_unique")]


class WebhookDelivery(TenantModel):
    """One webhook as received (the inbox): stored first, processed after, replayable on failure."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    webhook_id = models.CharField(max_length=100)
    topic = models.CharField(max_length=100)
    shop_domain = models.CharField(max_length=255)
    api_version = models.CharField(max_length=20, blank=True)
    event_id = models.CharField(max_length=100, blank=True)
    triggered_at = models.DateTimeField(null=True, blank=True)
    # The body exactly as it was signed (decoded as UTF-8): kept as text so a payload we could not
    # process is stored unchanged, and replayed after a fix.
    body = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["store", "webhook_id"], name="webhook_delivery_store_id_unique")
        ]
        indexes = [
            models.Index(fields=["store", "-received_at"], name="webhook_store_received"),
            # Small: only deliveries still waiting or failed, which the sweep and the staff page look at.
            models.Index(
                fields=["store", "status", "received_at"],
                name="webhook_delivery_open",
                condition=Q(status__in=["received", "failed"]),
            ),
        ]
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.topic} {self.webhook_id} ({self.status})"


class ComplianceRequest(TenantModel):
    """A mandatory privacy webhook (data request, customer redaction, shop redaction) and its outcome."""

    class Kind(models.TextChoices):
        DATA_REQUEST = "customers/data_request", _("Customer data request")
        CUSTOMER_REDACT = "customers/redact", _("Customer redaction")
        SHOP_REDACT = "shop/redact", _("Shop redaction")

    kind = models.CharField(max_length=30, choices=Kind.choices)
    # No index of its own: indexes on tenant tables lead with store_id.
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.SET_NULL, db_index=False, null=True, blank=True
    )
    platform_customer_id = models.CharField(max_length=64, blank=True)
    # For a data request, what we hold about the customer, for the store to hand over. Empty after
    # a redaction, which keeps only counts.
    report = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["store", "-received_at"], name="compliance_store_received")]
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} ({'done' if self.completed_at else 'open'})"
