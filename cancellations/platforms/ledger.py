"""The effect ledger: one row per (store, idempotency key), so an effect happens once per key."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cancellations.models import PlatformEffect
from cancellations.platforms.base import PermanentPlatformError, TransientPlatformError, request_fingerprint
from cancellations.platforms.errors import PlatformErrorCode
from tenants.models import Store


def claim_effect(
    *, store: Store, operation: str, idempotency_key: str, request: Any, order_platform_id: str = ""
) -> tuple[PlatformEffect, bool]:
    """The ledger row for this key, created now (True) or found (False), locked until the transaction ends.

    Call inside a transaction. A concurrent transaction that claimed the same key makes the insert
    wait until it commits (then the row is found) or rolls back (then it is ours).
    """
    if not idempotency_key or not idempotency_key.strip():
        raise PermanentPlatformError(
            "An idempotency key is required.", code=PlatformErrorCode.IDEMPOTENCY_KEY_MISSING
        )
    fingerprint = request_fingerprint(operation, request)
    try:
        with transaction.atomic():
            effect = PlatformEffect.objects.create(
                store=store,
                idempotency_key=idempotency_key,
                operation=operation,
                fingerprint=fingerprint,
                order_platform_id=order_platform_id,
            )
        return effect, True
    except IntegrityError:
        effect = (
            PlatformEffect.objects.for_store(store).select_for_update().get(idempotency_key=idempotency_key)
        )
    if effect.operation != operation or effect.fingerprint != fingerprint:
        raise PermanentPlatformError(
            "This idempotency key was already used for a different request.",
            code=PlatformErrorCode.IDEMPOTENCY_KEY_REUSED,
        )
    return effect, False


def record_outcome(effect: PlatformEffect, *, status: str, result: dict[str, Any], job_id: str = "") -> None:
    """Store what the effect came to (in the caller's transaction)."""
    effect.status = status
    effect.result = result
    effect.job_id = job_id or effect.job_id
    if status == PlatformEffect.Status.COMPLETED:
        effect.completed_at = timezone.now()
    effect.save(update_fields=["status", "result", "job_id", "completed_at"])


@contextmanager
def exclusive_key(store: Store, idempotency_key: str) -> Iterator[None]:
    """Hold a session-level lock on one key for a call that leaves the database (a platform API call).

    A second worker running the same key at the same moment gets a TransientPlatformError and
    retries later, by which time the ledger tells it what the first one did.
    """
    digest = hashlib.sha256(f"{store.pk}:{idempotency_key}".encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_id])
        (acquired,) = cursor.fetchone()
    if not acquired:
        raise TransientPlatformError(
            "This change is being carried out by another worker.",
            code=PlatformErrorCode.EFFECT_IN_PROGRESS,
            retry_after=5,
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id])
