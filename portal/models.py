"""Models of the portal itself: development mail, the task round-trip probe, API idempotency keys."""

from django.db import models
from django.utils import timezone

from tenants.scoping import TenantModel


class DevEmail(models.Model):
    """A message sent in development, kept so it can be read at /dev/mail/ (never used in production)."""

    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)
    from_email = models.CharField(max_length=320)
    to = models.TextField(help_text="Comma-separated recipients.")
    subject = models.CharField(max_length=998)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} -> {self.to}"


class TaskHeartbeat(models.Model):
    """A row a Celery task marks as run: proves the web -> broker -> worker -> database round trip."""

    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ran_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.token


class IdempotencyRecord(TenantModel):
    """The first answer to an API POST sent with an `Idempotency-Key`, replayed for the same key.

    Keys belong to one caller (a token or a person) in one store. `status_code` is empty while the
    first request is still being answered; a second request with the key then gets a conflict.
    """

    actor = models.CharField(max_length=40, help_text="token:<id> or user:<id>")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["store", "actor", "key"], name="idempotency_store_actor_key")
        ]
        indexes = [models.Index(fields=["store", "created_at"], name="idempotency_store_created")]

    def __str__(self) -> str:
        return f"{self.actor} {self.key}"
