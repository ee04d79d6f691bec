"""Services of the portal itself."""

from __future__ import annotations

import secrets

from django.db import transaction

from portal.models import TaskHeartbeat
from portal.tasks import mark_heartbeat_task


def send_heartbeat() -> TaskHeartbeat:
    """Record a heartbeat and ask a worker to mark it, once the surrounding transaction commits."""
    heartbeat = TaskHeartbeat.objects.create(token=secrets.token_hex(16))
    transaction.on_commit(lambda: mark_heartbeat_task.delay(heartbeat.pk))
    return heartbeat
