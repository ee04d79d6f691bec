"""Webhooks to a store's own endpoints: request.created, request.decided, request.completed, request.failed.

An event is written as an `OutgoingWebhook` row per subscribed endpoint in the same transaction as
the change it reports (the outbox), and sent by a worker after commit. Each try is signed:

    X-Amend-Timestamp: <unix seconds>
    X-Amend-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the endpoint's secret>

A 2xx answer delivers it; anything else (or no answer) is tried again after an exponential backoff
with jitter, up to WEBHOOK_MAX_ATTEMPTS, then given up. Every try is logged for the delivery log.
The sweep sends deliveries whose retry is overdue (a lost task), so none is dropped for good.
Receivers should expect events out of order and more than once: `X-Amend-Delivery` is the same on
every try of one event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cancellations.core.backoff import backoff_seconds as backoff
from cancellations.core.crypto import SecretUnreadable, reencrypt_secret
from cancellations.core.queueing import send_task
from cancellations.models import (
    OrderRequest,
    OutgoingWebhook,
    RequestStatus,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
)
from cancellations.models.outgoing import PING_EVENT
from cancellations.notifications import egress
from cancellations.notifications.errors import NotificationErrorCode
from tenants.errors import CommonErrorCode, DomainError, NotFound
from tenants.models import Store, User
from tenants.services import record_store_event

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Amend-Signature"
TIMESTAMP_HEADER = "X-Amend-Timestamp"
DELIVERY_HEADER = "X-Amend-Delivery"
EVENT_HEADER = "X-Amend-Event"
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_ENDPOINTS_PER_STORE = 10

DELIVERED, RETRYING, FAILED, SKIPPED = "delivered", "retrying", "failed", "skipped"

_EVENT_FOR_STATUS: dict[str, str] = {
    RequestStatus.AUTO_APPROVED: WebhookEvent.REQUEST_DECIDED,
    RequestStatus.DENIED: WebhookEvent.REQUEST_DECIDED,
    RequestStatus.APPROVED: WebhookEvent.REQUEST_DECIDED,
    RequestStatus.REJECTED: WebhookEvent.REQUEST_DECIDED,
    RequestStatus.WITHDRAWN: WebhookEvent.REQUEST_DECIDED,
    RequestStatus.COMPLETED: WebhookEvent.REQUEST_COMPLETED,
    RequestStatus.FAILED: WebhookEvent.REQUEST_FAILED,
}


class EndpointInvalid(DomainError):
    code = NotificationErrorCode.ENDPOINT_INVALID


# --- signing -------------------------------------------------------------------------------------


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-Amend-Signature value for a body sent at a time."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str, timestamp: str, body: bytes, signature: str, *, now: float | None = None
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent (no replays)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - sent) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature or "")


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


# --- endpoints -----------------------------------------------------------------------------------


def check_endpoint_url(url: str) -> str:
    """The URL, if webhooks may be sent to it: https:// on a public address (or anywhere in development)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    allow_private = bool(settings.WEBHOOK_ALLOW_PRIVATE_URLS)
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname or len(url) > 500:
        raise EndpointInvalid(_("Use an https:// address of at most 500 characters."), field="url")
    if parts.username or parts.password:
        raise EndpointInvalid(_("Leave user names and passwords out of the address."), field="url")
    if not allow_private:
        try:
            egress.checked_address(parts.hostname, parts.port or 443, allow_private=False)
        except egress.AddressRefused:
            raise EndpointInvalid(
                _("The address must be reachable on the public internet."), field="url"
            ) from None
    return url


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events))
    if not chosen:
        raise EndpointInvalid(_("Choose at least one event."), field="events")
    unknown = [event for event in chosen if event not in WebhookEvent.values]
    if unknown:
        raise EndpointInvalid(
            _("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}, field="events"
        )
    return chosen


def store_endpoints(*, store: Store) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.for_store(store).order_by("created_at", "id"))


def access_endpoint(*, store: Store, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.for_store(store).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(_("No such webhook endpoint."))
    return endpoint


def create_endpoint(
    *, store: Store, actor: User | None, url: str, events: Iterable[str], description: str = ""
) -> WebhookEndpoint:
    """Add an endpoint with a new signing secret."""
    url = check_endpoint_url(url)
    chosen = _clean_events(events)
    if WebhookEndpoint.objects.for_store(store).count() >= MAX_ENDPOINTS_PER_STORE:
        raise EndpointInvalid(
            _("A store can have at most %(n)s endpoints.") % {"n": MAX_ENDPOINTS_PER_STORE},
            code=CommonErrorCode.TOO_MANY,
        )
    endpoint = WebhookEndpoint(
        store=store, url=url, events=chosen, description=description.strip()[:200], created_by=actor
    )
    endpoint.set_secret(new_secret())
    endpoint.save()
    _audit(store, actor, "webhook_endpoint_created", url)
    return endpoint


def update_endpoint(
    *,
    store: Store,
    actor: User | None,
    endpoint_id: int,
    url: str,
    events: Iterable[str],
    description: str = "",
    active: bool = True,
) -> WebhookEndpoint:
    endpoint = access_endpoint(store=store, endpoint_id=endpoint_id)
    endpoint.url = check_endpoint_url(url)
    endpoint.events = _clean_events(events)
    endpoint.description = description.strip()[:200]
    endpoint.active = active
    endpoint.save(update_fields=["url", "events", "description", "active", "updated_at"])
    _audit(store, actor, "webhook_endpoint_changed", endpoint.url)
    return endpoint


def rotate_endpoint_secret(*, store: Store, actor: User | None, endpoint_id: int) -> WebhookEndpoint:
    endpoint = access_endpoint(store=store, endpoint_id=endpoint_id)
    endpoint.set_secret(new_secret())
    endpoint.save(update_fields=["secret_encrypted", "updated_at"])
    _audit(store, actor, "webhook_secret_rotated", endpoint.url)
    return endpoint


def delete_endpoint(*, store: Store, actor: User | None, endpoint_id: int) -> None:
    endpoint = access_endpoint(store=store, endpoint_id=endpoint_id)
    WebhookEndpoint.objects.for_store(store).filter(pk=endpoint.pk).delete()
    _audit(store, actor, "webhook_endpoint_deleted", endpoint.url)


def _audit(store: Store, actor: User | None, action: str, subject: str) -> None:

    record_store_event(store=store, actor=actor, action=action, subject=subject[:200])


def endpoint_log(*, store: Store, endpoint: WebhookEndpoint, limit: int = 50) -> list[OutgoingWebhook]:
    """The endpoint's latest deliveries, newest first, each with its tries."""
    return list(
        OutgoingWebhook.objects.for_store(store)
        .filter(endpoint=endpoint)
        .prefetch_related("attempt_log")
        .order_by("-created_at", "-id")[:limit]
    )


# --- events --------------------------------------------------------------------------------------


def request_payload(request: OrderRequest) -> dict[str, Any]:
    """What a webhook says about a request (the same fields the API's request has, in short)."""
    decision = request.decision or {}
    return {
        "id": request.pk,
        "order_id": request.order_id,
        "order_name": request.order.name if OrderRequest.order.is_cached(request) else None,
        "kind": request.kind,
        "status": request.status,
        "resolution": request.resolution,
        "reason_code": request.reason_code,
        "refund_method": request.refund_method,
        "currency": request.currency,
        "fee": str(request.fee),
        "refund_amount": str(request.refund_amount),
        "outcome": decision.get("outcome", ""),
        "requester_kind": request.requester_kind,
        "requested_at": request.requested_at,
        "decided_by": request.decided_by_label,
        "decided_at": request.decided_at,
        "completed_at": request.completed_at,
        "last_error": request.last_error,
    }


def _queue(
    store_id: int, endpoints: list[WebhookEndpoint], event: str, data: dict[str, Any], *, send: bool = True
) -> list[OutgoingWebhook]:
    now = timezone.now()
    rows = []
    for endpoint in endpoints:
        row = OutgoingWebhook(store_id=store_id, endpoint=endpoint, event=event, next_attempt_at=now)
        row.payload = json.loads(
            json.dumps(
                {"id": str(row.event_id), "type": event, "created_at": now, "data": data},
                cls=DjangoJSONEncoder,
            )
        )
        rows.append(row)
    OutgoingWebhook.objects.bulk_create(rows)
    for row in rows if send else ():
        enqueue_delivery(store_id=store_id, webhook_id=row.pk)
    return rows


def queue_request_event(request: OrderRequest, event: str) -> None:
    """Owe the event to every active endpoint of the store that wants it (in the caller's transaction)."""
    endpoints = list(
        WebhookEndpoint.objects.for_store(request.store_id).filter(active=True, events__contains=[event])
    )
    if endpoints:
        _queue(request.store_id, endpoints, event, {"request": request_payload(request)})


def queue_requests_event(requests: Sequence[OrderRequest], event: str) -> None:
    """`queue_request_event` for many requests of one store: the endpoints are read once."""
    if not requests:
        return
    store_id = requests[0].store_id
    endpoints = list(
        WebhookEndpoint.objects.for_store(store_id).filter(active=True, events__contains=[event])
    )
    if endpoints:
        for request in requests:
            _queue(store_id, endpoints, event, {"request": request_payload(request)})


def on_requests_created(requests: Sequence[OrderRequest]) -> None:
    """`on_request_created` for many requests of one store recorded together."""
    queue_requests_event(requests, WebhookEvent.REQUEST_CREATED)


def on_requests_moved(requests: Sequence[OrderRequest], to_status: str) -> None:
    """`on_request_moved` for many requests of one store moved together."""
    event = _EVENT_FOR_STATUS.get(to_status)
    if event is not None:
        queue_requests_event(requests, event)


def on_request_created(request: OrderRequest) -> None:
    """Called when a request is recorded, before the policy decides it."""
    queue_request_event(request, WebhookEvent.REQUEST_CREATED)


def on_request_moved(request: OrderRequest, to_status: str) -> None:
    """Called by every status change of a request: owe the event it means, if any."""
    event = _EVENT_FOR_STATUS.get(to_status)
    if event is not None:
        queue_request_event(request, event)


def send_test_webhook(*, store: Store, endpoint_id: int) -> OutgoingWebhook:
    """Send a `ping` event to the endpoint now (the "send test" button); it shows in the delivery log."""
    endpoint = access_endpoint(store=store, endpoint_id=endpoint_id)
    with transaction.atomic():
        (ping,) = _queue(
            store.pk, [endpoint], PING_EVENT, {"message": "Hello from Amend.", "store": store.slug}
        )
    return ping


def ping_endpoint(*, store: Store, endpoint_id: int) -> WebhookDeliveryAttempt | None:
    """Send a `ping` while the person who pressed "send test" waits, and return its real attempt.

    The row is written first, so a process that dies mid-call leaves it to the sweep.
    """
    endpoint = access_endpoint(store=store, endpoint_id=endpoint_id)
    data = {"message": "Hello from Amend.", "store": store.slug}
    (ping,) = _queue(store.pk, [endpoint], PING_EVENT, data, send=False)
    deliver_webhook(store=store, webhook_id=ping.pk)
    return WebhookDeliveryAttempt.objects.for_store(store).filter(webhook=ping).order_by("-number").first()


# --- delivery ------------------------------------------------------------------------------------


def _send(store_id: int, webhook_id: int, countdown: float | None) -> None:
    # The row still says the delivery is owed; the sweep sends it once the broker is back.
    send_task("notifications.deliver_webhook", (store_id, webhook_id), countdown=countdown)


def enqueue_delivery(*, store_id: int, webhook_id: int, countdown: float | None = None) -> None:
    """Send the webhook from a worker once the current transaction commits."""
    transaction.on_commit(lambda: _send(store_id, webhook_id, countdown))


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter after the n-th failed try (1-based)."""
    return backoff(
        attempt,
        base=float(settings.WEBHOOK_RETRY_BASE_SECONDS),
        cap=float(settings.WEBHOOK_RETRY_MAX_SECONDS),
    )


def _lease() -> timedelta:
    return timedelta(seconds=float(settings.WEBHOOK_TIMEOUT_SECONDS) + 60)


def _post(endpoint: WebhookEndpoint, webhook: OutgoingWebhook) -> tuple[int | None, str, str]:
    """POST the signed event; (status code, start of the answer, error). Runs outside any transaction."""
    body = json.dumps(webhook.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Amend-Webhooks/1",
        EVENT_HEADER: webhook.event,
        DELIVERY_HEADER: str(webhook.event_id),
        TIMESTAMP_HEADER: str(timestamp),
    }
    try:
        check_endpoint_url(endpoint.url)
        headers[SIGNATURE_HEADER] = sign(endpoint.secret, timestamp, body)
        response = egress.post(
            endpoint.url,
            content=body,
            headers=headers,
            timeout=float(settings.WEBHOOK_TIMEOUT_SECONDS),
            allow_private=bool(settings.WEBHOOK_ALLOW_PRIVATE_URLS),
        )
    except EndpointInvalid as error:
        return None, "", error.message
    except egress.AddressRefused as error:
        return None, "", str(error)[:500]
    except SecretUnreadable as error:
        return None, "", str(error)
    except httpx.HTTPError as error:
        return None, "", f"{type(error).__name__}: {error}"[:500]
    return response.status_code, response.text[:2000], ""


def deliver_webhook(*, store: Store, webhook_id: int, now: datetime | None = None) -> str:
    """Try to send one owed webhook; on failure, schedule the next try or give up."""
    now = now or timezone.now()
    with transaction.atomic():
        webhook = (
            OutgoingWebhook.objects.for_store(store)
            .select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk=webhook_id)
            .first()
        )
        if webhook is None or webhook.status != OutgoingWebhook.Status.PENDING:
            return SKIPPED
        if not webhook.endpoint.active and webhook.event != PING_EVENT:
            webhook.status, webhook.last_error = OutgoingWebhook.Status.FAILED, "The endpoint was turned off."
            webhook.next_attempt_at = None
            webhook.save(update_fields=["status", "last_error", "next_attempt_at"])
            return FAILED
        webhook.attempts += 1
        # A lease: if this worker dies mid-call, the sweep sends the webhook again once it runs out.
        webhook.next_attempt_at = now + _lease()
        webhook.save(update_fields=["attempts", "next_attempt_at"])
    started = time.perf_counter()
    status_code, answer, error = _post(webhook.endpoint, webhook)
    duration_ms = int((time.perf_counter() - started) * 1000)
    return _record(store, webhook, status_code, answer, error, duration_ms)


def _record(
    store: Store, webhook: OutgoingWebhook, status_code: int | None, answer: str, error: str, duration_ms: int
) -> str:
    now = timezone.now()
    ok = status_code is not None and 200 <= status_code < 300
    outcome = DELIVERED if ok else RETRYING
    retry_in: float | None = None
    with transaction.atomic():
        fields: dict[str, Any] = {"last_status_code": status_code, "last_error": error or ""}
        if ok:
            fields.update(status=OutgoingWebhook.Status.DELIVERED, delivered_at=now, next_attempt_at=None)
        elif webhook.attempts >= int(settings.WEBHOOK_MAX_ATTEMPTS) or webhook.event == PING_EVENT:
            # A test is sent once: its result is what the person pressing the button wants to see.
            fields.update(status=OutgoingWebhook.Status.FAILED, next_attempt_at=None)
            outcome = FAILED
        else:
            retry_in = backoff_seconds(webhook.attempts)
            fields.update(next_attempt_at=now + timedelta(seconds=retry_in))
            enqueue_delivery(store_id=store.pk, webhook_id=webhook.pk, countdown=retry_in)
        OutgoingWebhook.objects.for_store(store).filter(pk=webhook.pk).update(**fields)
        WebhookDeliveryAttempt.objects.create(
            store=store,
            webhook=webhook,
            number=webhook.attempts,
            at=now,
            status_code=status_code,
            duration_ms=duration_ms,
            error=error,
            response_body=answer,
            retry_in_seconds=retry_in,
        )
    return outcome


def reencrypt_webhook_secrets() -> int:
    """Re-encrypt every endpoint's signing secret with the first FIELD_ENCRYPTION_KEYS key."""
    count = 0
    # A maintenance sweep across stores: each row is rewritten as it is, under its own store.
    for endpoint in WebhookEndpoint.objects.dangerously_unscoped().only("pk", "store_id", "secret_encrypted"):
        WebhookEndpoint.objects.for_store(endpoint.store_id).filter(pk=endpoint.pk).update(
            secret_encrypted=reencrypt_secret(endpoint.secret_encrypted)
        )
        count += 1
    return count


def sweep_outgoing_webhooks(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send webhooks whose try is overdue (a lost task, a killed worker) to a worker again."""
    now = now or timezone.now()
    overdue = now - timedelta(seconds=60)
    # A system sweep across stores: each row is re-read under its own store by the task.
    rows = list(
        OutgoingWebhook.objects.dangerously_unscoped()
        .filter(status=OutgoingWebhook.Status.PENDING, next_attempt_at__lt=overdue)
        .order_by("next_attempt_at")
        .values_list("store_id", "pk", "next_attempt_at")[:limit]
    )
    sent = 0
    for store_id, webhook_id, due in rows:
        claimed = (
            OutgoingWebhook.objects.for_store(store_id)
            .filter(pk=webhook_id, status=OutgoingWebhook.Status.PENDING, next_attempt_at=due)
            .update(next_attempt_at=now + _lease())
        )
        if claimed:
            _send(store_id, webhook_id, None)
            sent += 1
    return sent
