"""Re-encrypt every webhook endpoint's signing secret with the first FIELD_ENCRYPTION_KEYS key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cancellations.notifications.webhooks import reencrypt_webhook_secrets


class Command(BaseCommand):
    help = (
        "After putting a new key first in FIELD_ENCRYPTION_KEYS, re-encrypt every webhook signing secret "
        "with it (as rotate_platform_tokens does for platform tokens); the old key can then be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = reencrypt_webhook_secrets()
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} webhook secret(s)."))
