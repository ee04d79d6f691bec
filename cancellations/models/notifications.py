"""Who hears about requests, how, and a record of every message owed (an outbox, sent at least once)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations.models.requests import OrderRequest, RequestEvent
from tenants.scoping import TenantModel


class StaffNotificationSetting(TenantModel):
    """How one staff member hears of requests waiting for review in one store."""

    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", _("At once, one email per request")
        DIGEST = "digest", _("A summary every hour")
        OFF = "off", _("Never")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["store", "user"], name="staff_notification_store_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.mode}"


class StoreNotificationSettings(TenantModel):
    """A store's own channels: a Slack incoming webhook (its URL is a secret, stored encrypted)."""

    slack_webhook_url_encrypted = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["store"], name="store_notification_settings_store")]
        verbose_name_plural = "store notification settings"

    def __str__(self) -> str:
        return f"notification settings of store {self.store_id}"

    @property
    def has_slack(self) -> bool:
        return bool(self.slack_webhook_url_encrypted)


class Notification(TenantModel):
    """One message owed because of one request event: written with the event, sent by a task.

    Unique per (event, channel, recipient), so a repeated task never sends it twice once it is marked
    sent; a lost task is found by the sweep (`status=pending` and old).
    """

    class Channel(models.TextChoices):
        CUSTOMER_EMAIL = "customer_email", _("Email to the customer")
        STAFF_EMAIL = "staff_email", _("Email to staff")
        SLACK = "slack", _("Slack")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Could not be sent")

    request = models.ForeignKey(OrderRequest, on_delete=models.CASCADE, related_name="+", db_index=False)
    event = models.ForeignKey(RequestEvent, on_delete=models.CASCADE, related_name="+", db_index=False)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    template = models.CharField(max_length=60)
    recipient = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["store", "event", "channel", "recipient"], name="notification_once_per_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["store", "created_at"],
                condition=models.Q(status="pending"),
                name="notification_pending",
            ),
            models.Index(fields=["store", "request"], name="notification_request"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.template} ({self.status})"
