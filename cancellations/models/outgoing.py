"""Webhooks Amend sends to a store's own endpoints when its requests move, and the log of each try.

`WebhookEndpoint` is where and what to send (its signing secret encrypted at rest), `OutgoingWebhook`
one event owed to one endpoint (the outbox: retried until delivered or given up), and
`WebhookDeliveryAttempt` one try at sending it, with the answer, for the delivery log.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations.core.crypto import decrypt_secret, encrypt_secret
from tenants.scoping import TenantModel


class WebhookEvent(models.TextChoices):
    REQUEST_CREATED = "request.created", _("A request was made")
    REQUEST_DECIDED = "request.decided", _("A request was decided")
    REQUEST_COMPLETED = "request.completed", _("A request was carried out")
    REQUEST_FAILED = "request.failed", _("A request could not be carried out")


# Sent by the "send test" button only; endpoints do not subscribe to it.
PING_EVENT = "ping"


class WebhookEndpoint(TenantModel):
    url = models.URLField(_("address"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Never read this column directly: use `secret` (decrypts) and `set_secret` (encrypts).
    secret_encrypted = models.TextField()
    events = ArrayField(models.CharField(max_length=40), default=list)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["store", "active"], name="webhook_endpoint_store_active")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"<WebhookEndpoint store={self.store_id} {self.url}>"

    @property
    def secret(self) -> str:
        return decrypt_secret(self.secret_encrypted)

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = encrypt_secret(secret)


class OutgoingWebhook(TenantModel):
    """One event owed to one endpoint. Pending until a 2xx answer, or failed after the last try."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Gave up")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event_id = models.UUIDField(
        default=uuid.uuid4, help_text="Sent as X-Amend-Delivery; the same on retries."
    )
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["store", "endpoint", "event_id"], name="outgoing_webhook_event")
        ]
        indexes = [
            models.Index(fields=["store", "endpoint", "-created_at"], name="outgoing_webhook_log"),
            models.Index(
                fields=["store", "next_attempt_at"],
                condition=Q(status="pending"),
                name="outgoing_webhook_due",
            ),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} -> {self.endpoint_id} ({self.status})"


class WebhookDeliveryAttempt(TenantModel):
    """One try at sending a webhook: what came back, how long it took, and when the next try is."""

    webhook = models.ForeignKey(
        OutgoingWebhook, on_delete=models.CASCADE, related_name="attempt_log", db_index=False
    )
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    response_body = models.TextField(blank=True, help_text="The start of the endpoint's answer.")
    retry_in_seconds = models.FloatField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["store", "webhook", "number"], name="webhook_attempt_webhook")]
        ordering = ["number", "id"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error[:40]}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
