"""A store's platform connection, whatever the platform: closing it (uninstalled), re-encrypting tokens."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from cancellations.core.crypto import reencrypt_secret
from cancellations.models import PlatformConnection
from tenants.models import Store

logger = logging.getLogger(__name__)


def disconnect_platform(*, store: Store) -> bool:
    """Forget the store's access token (the app was uninstalled); True if a connection was active."""
    with transaction.atomic():
        connection = PlatformConnection.objects.for_store(store).select_for_update().first()
        if connection is None or connection.status == PlatformConnection.Status.UNINSTALLED:
            return False
        connection.status = PlatformConnection.Status.UNINSTALLED
        connection.uninstalled_at = timezone.now()
        connection.set_access_token("")
        connection.set_refresh_token("")
        connection.access_token_expires_at = connection.refresh_token_expires_at = None
        connection.save(
            update_fields=[
                "status",
                "uninstalled_at",
                "access_token_encrypted",
                "refresh_token_encrypted",
                "access_token_expires_at",
                "refresh_token_expires_at",
                "updated_at",
            ]
        )
    logger.info("store %s: platform connection closed (app uninstalled)", store.pk)
    return True


def reencrypt_platform_tokens() -> int:
    """Re-encrypt every stored access and refresh token with the first FIELD_ENCRYPTION_KEYS key."""
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
            if connection.refresh_token_encrypted:
                connection.refresh_token_encrypted = reencrypt_secret(connection.refresh_token_encrypted)
            connection.save(update_fields=["access_token_encrypted", "refresh_token_encrypted", "updated_at"])
        count += 1
    return count
