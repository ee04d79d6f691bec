"""Re-encrypt every stored platform token with the first FIELD_ENCRYPTION_KEYS key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cancellations.platforms.connections import reencrypt_platform_tokens


class Command(BaseCommand):
    help = (
        "After putting a new key first in FIELD_ENCRYPTION_KEYS, re-encrypt every platform access token "
        "with it; the old key can then be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = reencrypt_platform_tokens()
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} platform token(s)."))
