"""Telling people about requests: the customer by email, staff by email (at once or a digest) and Slack.

Every message owed is a `Notification` row written in the same transaction as the event that calls
for it, and sent by a task after commit (an outbox): a lost task is found by the sweep, and a repeated
one finds the row sent and does nothing. Emails are in the store's language, in text and HTML.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cancellations.core.clock import store_clock
from cancellations.core.crypto import decrypt_secret, encrypt_secret
from cancellations.core.mail import customer_email
from cancellations.core.queueing import enqueue, send_task
from cancellations.models import (
    Notification,
    OrderRequest,
    RequestEvent,
    RequestStatus,
    StaffNotificationSetting,
    StoreNotificationSettings,
)
from cancellations.notifications.errors import NotificationErrorCode
from cancellations.orders.access import make_order_link_token
from cancellations.orders.describe import Describer, reorder_outcome
from cancellations.policy.services import current_policy
from tenants.access import staff_access
from tenants.errors import CommonErrorCode, DomainError
from tenants.models import Membership, Store, User
from tenants.roles import Role

logger = logging.getLogger(__name__)

CUSTOMER_TEMPLATES = ("received", "approved", "rejected", "completed", "failed", "withdrawal_received")
STAFF_TEMPLATES = ("staff_waiting", "staff_failed", "staff_edit_session")
DIGEST_EVERY = timedelta(hours=1)
SLACK_TIMEOUT = 10.0
MAX_SEND_ATTEMPTS = 8
# Roles that hear of new requests by default (they can decide them); others only if they ask to.
_DEFAULT_ROLES = (Role.OWNER, Role.ADMIN, Role.AGENT)


SEND_TASK = "notifications.send"


class NotificationNotSent(Exception):
    """Sending failed in a way that may pass (the mail server or Slack was unreachable): retry later."""


# --- queueing (inside the transaction that wrote the event) -------------------------------------


def _queue(request: OrderRequest, event: RequestEvent, channel: str, template: str, recipient: str) -> None:
    notification, created = Notification.objects.for_store(request.store_id).get_or_create(
        store_id=request.store_id,
        event=event,
        channel=channel,
        recipient=recipient[:254],
        defaults={"request": request, "template": template},
    )
    if not created:
        return
    # The row says the message is owed: if the broker is down, the sweep sends it.
    enqueue(SEND_TASK, (request.store_id, notification.pk))


def queue_customer_email(request: OrderRequest, event: RequestEvent, template: str) -> None:
    """Owe the customer an email about this event (nothing if the order has no email)."""
    assert template in CUSTOMER_TEMPLATES, template
    # Staff may approve without telling the customer (they have been told some other way).
    if template in ("approved", "completed") and (request.decision or {}).get("notify_customer") is False:
        return
    if request.order.email:
        _queue(request, event, Notification.Channel.CUSTOMER_EMAIL, template, request.order.email)


def _staff_to_tell_at_once(store: Store) -> list[User]:
    chosen = {
        setting.user_id: setting.mode
        for setting in StaffNotificationSetting.objects.for_store(store).select_related("user")
    }
    users: dict[int, User] = {}
    for membership in (
        Membership.objects.for_store(store).filter(role__in=_DEFAULT_ROLES).select_related("user")
    ):
        if (
            chosen.get(membership.user_id, StaffNotificationSetting.Mode.IMMEDIATE)
            == StaffNotificationSetting.Mode.IMMEDIATE
        ):
            users[membership.user_id] = membership.user
    # Agency staff (or viewers) who asked to hear at once, while they can still reach the store.
    extra = [user_id for user_id, mode in chosen.items() if mode == StaffNotificationSetting.Mode.IMMEDIATE]
    for user in User.objects.filter(pk__in=[user_id for user_id in extra if user_id not in users]):
        if staff_access(user=user, store=store) is not None:
            users[user.pk] = user
    return [user for user in users.values() if user.is_active and user.email]


def queue_staff_alerts(request: OrderRequest, event: RequestEvent) -> None:
    """Owe staff (who want it at once) and the store's Slack a message about a request to review."""
    _queue_staff(request, event, "staff_waiting")


def queue_staff_failure_alert(request: OrderRequest, event: RequestEvent) -> None:
    """Owe staff and Slack a message about a request the platform would not carry out."""
    _queue_staff(request, event, "staff_failed")


def queue_staff_message(request: OrderRequest, event: RequestEvent, template: str) -> None:
    """Owe staff (who want it at once) and the store's Slack a message of one of STAFF_TEMPLATES."""
    assert template in STAFF_TEMPLATES, template
    _queue_staff(request, event, template)


def _queue_staff(request: OrderRequest, event: RequestEvent, template: str) -> None:
    store = request.store
    for user in _staff_to_tell_at_once(store):
        _queue(request, event, Notification.Channel.STAFF_EMAIL, template, user.email)
    if StoreNotificationSettings.objects.for_store(store).exclude(slack_webhook_url_encrypted="").exists():
        _queue(request, event, Notification.Channel.SLACK, template, "")


# --- rendering -----------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def customer_order_url(request: OrderRequest) -> str:
    """A link that opens the order without signing in (the customer's own, signed)."""
    try:
        path = reverse(
            "customer:order_link",
            kwargs={"store_slug": request.store.slug, "token": make_order_link_token(request.order)},
        )
    except NoReverseMatch:
        path = f"/s/{request.store.slug}/"
    return _absolute(path)


def staff_order_url(request: OrderRequest) -> str:
    try:
        path = reverse(
            "merchant:order", kwargs={"store_slug": request.store.slug, "order_id": request.order_id}
        )
    except NoReverseMatch:
        path = f"/app/{request.store.slug}/"
    return _absolute(path)


def _local(moment: datetime | None, store: Store) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment, timezone=_zone(store))
    return f"{local:%Y-%m-%d %H:%M:%S} ({store.timezone})"


def _zone(store: Store) -> Any:
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(store.timezone)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _subject(template: str, request: OrderRequest) -> str:
    values = {"store": request.store.name, "order": request.order.name, "kind": request.get_kind_display()}
    subjects = {
        "received": _("%(store)s: we have received your request for order %(order)s"),
        "approved": _("%(store)s: your request for order %(order)s has been approved"),
        "rejected": _("%(store)s: your request for order %(order)s was not approved"),
        "completed": _("%(store)s: your request for order %(order)s has been carried out"),
        "failed": _("%(store)s: we could not carry out your request for order %(order)s"),
        "withdrawal_received": _("%(store)s: acknowledgement of your withdrawal from order %(order)s"),
        "staff_waiting": _("Waiting for review: %(kind)s for order %(order)s"),
        "staff_failed": _("Could not be carried out: %(kind)s for order %(order)s"),
        "staff_edit_session": _("Changes by the customer to order %(order)s"),
    }
    return subjects[template] % values


def _context(request: OrderRequest, event: RequestEvent | None, *, staff: bool) -> dict[str, Any]:
    store, order = request.store, request.order
    describer = Describer(store, [request])
    policy, _version = current_policy(store=store)
    return {
        "store": store,
        "order": order,
        "request": request,
        "kind": describer.title_of(request),
        "change_lines": describer.lines_of(request),
        "reorder": reorder_outcome(request),
        "reason": policy.reasons.label_of(request.reason_code, store.locale) if request.reason_code else "",
        "lines": list(order.line_items.all()),
        "changes": list(request.changes.all()),
        "placed_at": _local(order.placed_at, store),
        "received_at": _local(request.requested_at, store),
        "event": event,
        "link": staff_order_url(request) if staff else customer_order_url(request),
        "reasons": [reason.get("message", "") for reason in request.reasons],
        "return_required": bool(request.result.get("return_required")),
        "reorder_url": request.result.get("url", ""),
        "LANGUAGE_CODE": translation.get_language(),
        # Every save of the edit session this request belongs to, in order (a staff summary).
        "session_requests": list(
            OrderRequest.objects.for_store(store).filter(edit_session_id=request.edit_session_id)
        )[::-1]
        if request.edit_session_id
        else [],
    }


def render_request_email(
    request: OrderRequest, template: str, event: RequestEvent | None = None
) -> tuple[str, str, str]:
    """(subject, text, html) of an email about a request, in the store's language."""
    with translation.override(request.store.locale), store_clock(request.store):
        context = _context(request, event, staff=template in STAFF_TEMPLATES)
        subject = _subject(template, request)
        text = render_to_string(f"email/request_{template}.txt", context)
        html = render_to_string(f"email/request_{template}.html", context)
    return subject, text, html


def _slack_text(request: OrderRequest, template: str) -> str:
    with translation.override(request.store.locale):
        subject = _subject(template, request)
        return f"{request.store.name}: {subject} <{staff_order_url(request)}|{request.order.name}>"


# --- sending -------------------------------------------------------------------------------------


def _send_email(to: str, subject: str, text: str, html: str, *, customer_of: Store | None = None) -> None:
    # Staff alerts and digests come from Amend; what a customer gets comes from their store.
    if customer_of is not None:
        message = customer_email(store=customer_of, to=to, subject=subject, text=text, html=html)
    else:
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
        message.attach_alternative(html, "text/html")
    message.send()


def _post_to_slack(url: str, text: str) -> None:
    # Through the transport, not a Client: httpx's client logs every request's URL, and this URL is the
    # secret. Nothing here puts it in a message or a log.
    request = httpx.Request(
        "POST", url, json={"text": text}, extensions={"timeout": httpx.Timeout(SLACK_TIMEOUT).as_dict()}
    )
    try:
        with httpx.HTTPTransport() as transport:
            response = transport.handle_request(request)
            response.read()
    except httpx.HTTPError as error:
        raise NotificationNotSent(f"Slack could not be reached ({error.__class__.__name__}).") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise NotificationNotSent(f"Slack answered {response.status_code}.")
    if response.status_code >= 400:
        raise DomainError(
            f"Slack refused the message ({response.status_code}).", code=NotificationErrorCode.SLACK_REFUSED
        )


def send_notification(*, store: Store, notification_id: int) -> Notification | None:
    """Send one owed message once; raises NotificationNotSent when trying again later may help."""
    retry: NotificationNotSent | None = None
    with transaction.atomic():
        # Held while sending, so a duplicated task skips it instead of sending it twice.
        notification = (
            Notification.objects.for_store(store)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("request__order", "request__store", "event")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.status != Notification.Status.PENDING:
            return notification
        notification.attempts += 1
        try:
            _deliver(notification)
        except NotificationNotSent as error:
            if notification.attempts >= MAX_SEND_ATTEMPTS:
                _mark(notification, Notification.Status.FAILED, str(error))
            else:
                notification.last_error = str(error)[:500]
                notification.save(update_fields=["attempts", "last_error"])
                retry = error
        except DomainError as error:
            _mark(notification, Notification.Status.FAILED, error.message)
        else:
            _mark(notification, Notification.Status.SENT, "")
    if retry is not None:
        raise retry
    return notification


def _mark(notification: Notification, status: str, error: str) -> None:
    notification.status = status
    notification.last_error = error[:500]
    notification.sent_at = timezone.now() if status == Notification.Status.SENT else None
    notification.save(update_fields=["status", "attempts", "last_error", "sent_at"])


def _deliver(notification: Notification) -> None:
    request = notification.request
    if notification.channel == Notification.Channel.SLACK:
        url = slack_webhook_url(store=request.store)
        if not url:
            raise DomainError(
                "The store no longer has a Slack webhook.", code=NotificationErrorCode.SLACK_NOT_CONFIGURED
            )
        _post_to_slack(url, _slack_text(request, notification.template))
        return
    subject, text, html = render_request_email(request, notification.template, notification.event)
    try:
        customer_of = None if notification.template in STAFF_TEMPLATES else request.store
        _send_email(notification.recipient, subject, text, html, customer_of=customer_of)
    except OSError as error:
        raise NotificationNotSent(
            f"The mail server could not be reached ({error.__class__.__name__})."
        ) from None


def sweep_notifications(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send notifications still pending well after they were written (their task was lost).

    Each one sent is leased in the shared cache for REQUEST_EXECUTION_LEASE_SECONDS, so a backlog (or a
    Slack outage its own retries are riding out) is not sent again by every sweep.
    """
    now = now or timezone.now()
    overdue = now - timedelta(seconds=float(settings.REQUEST_SWEEP_GRACE_SECONDS))
    lease = max(int(float(settings.REQUEST_EXECUTION_LEASE_SECONDS)), 1)
    rows = list(
        Notification.objects.dangerously_unscoped()
        .filter(status=Notification.Status.PENDING, created_at__lt=overdue)
        .order_by("created_at")
        .values_list("store_id", "pk")[:limit]
    )
    sent = 0
    for store_id, notification_id in rows:
        if not cache.add(f"notification-swept:{notification_id}", 1, timeout=lease):
            continue
        if not send_task(SEND_TASK, (store_id, notification_id)):
            cache.delete(f"notification-swept:{notification_id}")
            break
        sent += 1
    return sent


# --- digests -------------------------------------------------------------------------------------


def send_staff_digests(*, now: datetime | None = None) -> int:
    """Email each staff member on digest mode what has come in for review since their last digest."""
    now = now or timezone.now()
    due = StaffNotificationSetting.objects.dangerously_unscoped().filter(
        mode=StaffNotificationSetting.Mode.DIGEST
    )
    sent = 0
    for setting_id, store_id in list(due.values_list("pk", "store_id")):
        store = Store.objects.filter(pk=store_id).first()
        if store is not None and _send_digest(store=store, setting_id=setting_id, now=now):
            sent += 1
    return sent


def _send_digest(*, store: Store, setting_id: int, now: datetime) -> bool:
    with transaction.atomic():
        setting = (
            StaffNotificationSetting.objects.for_store(store)
            .select_for_update(skip_locked=True)
            .select_related("user")
            .filter(pk=setting_id, mode=StaffNotificationSetting.Mode.DIGEST)
            .first()
        )
        if setting is None or (setting.last_digest_at and setting.last_digest_at > now - DIGEST_EVERY):
            return False
        since = setting.last_digest_at or now - timedelta(days=1)
        waiting = list(
            OrderRequest.objects.for_store(store)
            .filter(status=RequestStatus.PENDING_REVIEW, requested_at__gt=since)
            .select_related("order")
            .order_by("requested_at")[:100]
        )
        setting.last_digest_at = now
        setting.save(update_fields=["last_digest_at"])
        user = setting.user
        if not waiting or staff_access(user=user, store=store) is None or not user.email:
            return False
        with translation.override(store.locale), store_clock(store):
            context = {
                "store": store,
                "requests": waiting,
                "link": _absolute(f"/app/{store.slug}/"),
                "LANGUAGE_CODE": translation.get_language(),
            }
            subject = ngettext(
                "%(count)s request waiting for review at %(store)s",
                "%(count)s requests waiting for review at %(store)s",
                len(waiting),
            ) % {"count": len(waiting), "store": store.name}
            text = render_to_string("email/request_staff_digest.txt", context)
            html = render_to_string("email/request_staff_digest.html", context)
        # Sent inside the transaction: if it fails, last_digest_at rolls back and the next run tries again.
        _send_email(user.email, subject, text, html)
    return True


# --- settings ------------------------------------------------------------------------------------


def set_staff_notification_mode(*, store: Store, user: User, mode: str) -> StaffNotificationSetting:
    """How this staff member hears of requests to review in this store."""
    if mode not in StaffNotificationSetting.Mode.values:
        raise DomainError(_("Choose how to be told."), code=CommonErrorCode.INVALID, field="mode")
    if staff_access(user=user, store=store) is None:
        raise DomainError(
            _("That person is not on the store's staff."), code=CommonErrorCode.INVALID, field="user"
        )
    setting, _created = StaffNotificationSetting.objects.for_store(store).update_or_create(
        store=store, user=user, defaults={"mode": mode}
    )
    return setting


def staff_notification_mode(*, store: Store, user: User) -> str:
    setting = StaffNotificationSetting.objects.for_store(store).filter(user=user).first()
    return setting.mode if setting else StaffNotificationSetting.Mode.IMMEDIATE


def set_slack_webhook(*, store: Store, url: str) -> StoreNotificationSettings:
    """Store (encrypted) or clear (empty) the store's Slack incoming-webhook URL."""
    url = (url or "").strip()
    if url:
        parts = urlsplit(url)
        secure_enough = parts.scheme == "https" or (parts.scheme == "http" and not settings.PRODUCTION)
        if not secure_enough or not parts.netloc:
            raise DomainError(
                _("Paste the https:// address Slack gave you."),
                code=CommonErrorCode.INVALID,
                field="slack_webhook_url",
            )
    row, _created = StoreNotificationSettings.objects.for_store(store).update_or_create(
        store=store, defaults={"slack_webhook_url_encrypted": encrypt_secret(url) if url else ""}
    )
    return row


def slack_webhook_url(*, store: Store) -> str:
    """The store's Slack webhook URL (a secret: never log or show it), or ""."""
    row = StoreNotificationSettings.objects.for_store(store).first()
    if row is None or not row.slack_webhook_url_encrypted:
        return ""
    return decrypt_secret(row.slack_webhook_url_encrypted)


def notifications_for(request: OrderRequest) -> Iterable[Notification]:
    return Notification.objects.for_store(request.store_id).filter(request=request).order_by("pk")
