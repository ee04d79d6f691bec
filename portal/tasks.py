"""Tasks of the portal itself."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from portal.api.idempotency import purge_idempotency_records
from portal.models import TaskHeartbeat


@shared_task(name="portal.mark_heartbeat")
def mark_heartbeat_task(heartbeat_id: int) -> None:
    """Mark a heartbeat as run; a no-op when it is already marked (tasks may be delivered twice)."""
    TaskHeartbeat.objects.filter(pk=heartbeat_id, ran_at__isnull=True).update(ran_at=timezone.now())


@shared_task(name="portal.purge_idempotency_keys")
def purge_idempotency_keys_task() -> int:
    """Forget API Idempotency-Keys older than API_IDEMPOTENCY_TTL_HOURS (run by beat)."""

    return purge_idempotency_records()
