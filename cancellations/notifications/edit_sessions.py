"""Staff hear of a customer's edits once per edit session, not once per save.

A save joins the order's open `EditSession` and moves its `notify_after` on (EDIT_SESSION_MINUTES
after that save); this beat-run sweep finds sessions whose time has come and owes staff one message
listing the session's edits, marked on the row so it goes once. Cancellations are not batched: their
alerts are owed as the request is submitted.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from cancellations.models import EditSession, OrderRequest, RequestEvent, RequestStatus
from cancellations.notifications.services import queue_staff_message
from tenants.models import Store


def send_edit_session_alerts(*, now: datetime | None = None, limit: int = 500) -> int:
    """Owe staff one message per finished edit session of a customer (its edits, and which wait)."""
    now = now or timezone.now()
    # Across stores on purpose: only ids leave here, and each session is handled under its store.
    due = list(
        EditSession.objects.dangerously_unscoped()
        .filter(notified_at__isnull=True, notify_after__lte=now)
        .order_by("notify_after")
        .values_list("store_id", "pk")[:limit]
    )
    told = 0
    for store_id, session_id in due:
        store = Store.objects.filter(pk=store_id).first()
        if store is not None and _alert(store=store, session_id=session_id, now=now):
            told += 1
    return told


def _alert(*, store: Store, session_id: int, now: datetime) -> bool:
    with transaction.atomic():
        session = (
            EditSession.objects.for_store(store)
            .select_for_update(skip_locked=True)
            .filter(pk=session_id, notified_at__isnull=True, notify_after__lte=now)
            .first()
        )
        if session is None:
            return False
        session.notified_at = now
        session.save(update_fields=["notified_at"])
        requests = OrderRequest.objects.for_store(store).filter(edit_session_id=session.pk)
        made = requests.exclude(status=RequestStatus.DENIED).select_related("order", "store")
        last = made.order_by("-requested_at", "-id").first()
        if last is None:
            return False
        event = RequestEvent.objects.for_store(store).filter(request_id=last.pk).order_by("-id").first()
        if event is None:
            return False
        queue_staff_message(last, event, "staff_edit_session")
        return True
