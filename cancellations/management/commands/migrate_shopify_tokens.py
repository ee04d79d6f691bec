"""Exchange every Shopify store's non-expiring offline token for an expiring one (before 2027-01-01)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cancellations.models import PlatformConnection
from cancellations.platforms.base import PlatformError
from cancellations.platforms.shopify.tokens import migrate_to_expiring_token
from tenants.models import Platform


class Command(BaseCommand):
    help = (
        "Exchange the non-expiring Shopify token of every connected store for an expiring one with a "
        "refresh token. Safe to run again: stores already migrated are skipped."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # A system sweep over every store's connection; each is re-read under its lock and store.
        legacy = list(
            PlatformConnection.objects.dangerously_unscoped()
            .filter(
                platform=Platform.SHOPIFY, status=PlatformConnection.Status.ACTIVE, refresh_token_encrypted=""
            )
            .exclude(access_token_encrypted="")
            .select_related("store")
            .order_by("store_id")
        )
        migrated = failed = 0
        for connection in legacy:
            try:
                if migrate_to_expiring_token(connection=connection):
                    migrated += 1
            except PlatformError as error:
                failed += 1
                self.stderr.write(f"{connection.store.slug}: {error.message}")
        self.stdout.write(
            self.style.SUCCESS(f"{migrated} store(s) migrated to expiring tokens, {failed} failed.")
        )
