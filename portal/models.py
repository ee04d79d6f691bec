"""Models of the portal itself: development mail and the task round-trip probe."""

from django.db import models


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
