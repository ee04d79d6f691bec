"""Tasks of the notifications: one owed message or webhook sent, the staff digests, the sweeps."""

from __future__ import annotations

from celery import shared_task

from cancellations.core.workers import MAX_RETRIES, retry_countdown, store_or_none
from cancellations.notifications.edit_sessions import send_edit_session_alerts
from cancellations.notifications.services import NotificationNotSent, send_notification, send_staff_digests
from cancellations.notifications.webhooks import SKIPPED, deliver_webhook, sweep_outgoing_webhooks


@shared_task(name="notifications.send", bind=True, max_retries=MAX_RETRIES)
def send_notification_task(self, store_id: int, notification_id: int) -> None:
    """Send one owed email or Slack message; a no-op once it was sent."""
    store = store_or_none(store_id)
    if store is None:
        return
    try:
        send_notification(store=store, notification_id=notification_id)
    except NotificationNotSent as error:
        raise self.retry(countdown=retry_countdown(self.request.retries, None)) from error


@shared_task(name="notifications.send_staff_digests")
def send_staff_digests_task() -> int:
    """Email the staff who asked for a digest what is waiting for them (run by beat)."""
    return send_staff_digests()


@shared_task(name="notifications.send_edit_session_alerts")
def send_edit_session_alerts_task() -> int:
    """Tell staff of customers' edit sessions that have gone quiet (run by beat)."""
    return send_edit_session_alerts()


@shared_task(name="notifications.deliver_webhook")
def deliver_outgoing_webhook_task(store_id: int, webhook_id: int) -> str:
    """Try to send one owed webhook; retries are scheduled by the service, not by Celery."""
    store = store_or_none(store_id)
    if store is None:
        return SKIPPED
    return deliver_webhook(store=store, webhook_id=webhook_id)


@shared_task(name="notifications.sweep_webhooks")
def sweep_outgoing_webhooks_task() -> int:
    """Send webhooks whose retry is overdue to a worker again (run by beat)."""
    return sweep_outgoing_webhooks()
