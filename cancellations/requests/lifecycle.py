"""The request lifecycle: the one module that writes `OrderRequest.status` (STYLE #5 and #6).

Every path a request takes (a customer's submit, staff deciding, a rule, bulk cancellation, execution
on the platform) moves it through here, one row or many rows at a time. Each move is checked against
`TRANSITIONS`, written with the fields it carries, logged as a `RequestEvent` in the caller's
transaction, and owes the same after-commit effects (the store's outgoing webhooks), whichever path
made it. The caller holds the row lock (`access_request(..., lock=True)` or a `select_for_update`)
and decides what else happens (emails, execution); `tests/requests/test_one_status_writer.py` checks
that no other module writes a status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.utils import timezone

from cancellations.models import OrderRequest, RequestEvent, RequestStatus
from cancellations.models.requests import can_transition
from cancellations.notifications import webhooks as outgoing
from cancellations.requests.actors import Actor
from cancellations.requests.errors import TransitionNotAllowed

S = RequestStatus

__all__ = [
    "Step",
    "open_request",
    "open_requests",
    "queued_until",
    "record_event",
    "transition",
    "transition_many",
]


def queued_until(now: datetime) -> datetime:
    """When work sent to a worker now counts as lost if it has not started: the sweep sends it again."""
    return now + timedelta(seconds=float(settings.REQUEST_EXECUTION_LEASE_SECONDS))


def _event(
    request: OrderRequest,
    actor: Actor,
    action: str,
    from_status: str,
    to_status: str,
    now: datetime,
    data: dict[str, Any] | None,
) -> RequestEvent:
    return RequestEvent(
        store_id=request.store_id,
        request=request,
        at=now,
        actor_kind=actor.kind,
        actor=actor.user,
        actor_label=actor.label[:200],
        action=action,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
    )


def record_event(
    request: OrderRequest,
    actor: Actor,
    action: str,
    from_status: str,
    to_status: str,
    *,
    now: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> RequestEvent:
    """Append an event to the request's log (in the caller's transaction); the status is not touched."""
    event = _event(request, actor, action, from_status, to_status, now or timezone.now(), data)
    event.save()
    return event


# --- opening requests ----------------------------------------------------------------------------


def open_request(
    *, actor: Actor, now: datetime, data: dict[str, Any] | None = None, **fields: Any
) -> tuple[OrderRequest, RequestEvent]:
    """Record a new request as submitted (with its "submitted" event); owes `request.created`."""
    if "status" in fields:
        raise ValueError("a request is opened as submitted; move it with transition()")
    request = OrderRequest.objects.create(status=S.SUBMITTED, requested_at=now, **fields)
    outgoing.on_request_created(request)
    return request, record_event(request, actor, "submitted", "", S.SUBMITTED, now=now, data=data)


@dataclass(frozen=True)
class Step:
    """One move of a path many requests take together: who made it, what it is called, where it goes."""

    action: str
    to_status: str
    actor: Actor
    fields: Mapping[str, Any] | None = None


def open_requests(
    requests: Sequence[OrderRequest],
    *,
    path: Sequence[Step],
    now: datetime,
    data: Callable[[OrderRequest, Step], dict[str, Any]] | None = None,
) -> list[OrderRequest]:
    """Record many new (unsaved) requests at once and walk each along `path`, as one by one would.

    The path starts at submitted; every step is checked against the table before anything is written.
    The rows are inserted at the path's end with each step's fields, with one event per step and
    request, and owe the same webhooks as `open_request` followed by `transition` for each step.
    """
    status: str = S.SUBMITTED
    for step in path:
        if not can_transition(status, step.to_status):
            raise ValueError(f"a request cannot move from {status} to {step.to_status}")
        status = step.to_status
    for request in requests:
        # django-stubs types pk as a saved row's int; an unsaved request's is None.
        if cast("int | None", request.pk) is not None:
            raise ValueError("open_requests records new requests only")
        request.status = status
        request.requested_at = request.requested_at or now
        for step in path:
            for name, value in (step.fields or {}).items():
                setattr(request, name, value)
    created = OrderRequest.objects.bulk_create(list(requests))
    submitted = Step("submitted", S.SUBMITTED, Actor.system())
    events: list[RequestEvent] = []
    for request in created:
        before = ""
        for index, step in enumerate(path):
            if index == 0:
                first = data(request, submitted) if data else None
                events.append(_event(request, _requester(request), "submitted", "", S.SUBMITTED, now, first))
                before = S.SUBMITTED
            events.append(
                _event(
                    request,
                    step.actor,
                    step.action,
                    before,
                    step.to_status,
                    now,
                    data(request, step) if data else None,
                )
            )
            before = step.to_status
    RequestEvent.objects.bulk_create(events)
    outgoing.on_requests_created(created)
    for step in path:
        outgoing.on_requests_moved(created, step.to_status)
    return created


def _requester(request: OrderRequest) -> Actor:
    return Actor(kind=request.requester_kind, user=request.requested_by, label=request.requester_label)


# --- moving requests -----------------------------------------------------------------------------


def transition(
    request: OrderRequest,
    to_status: str,
    *,
    actor: Actor,
    action: str,
    now: datetime | None = None,
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> RequestEvent:
    """Move a locked request by the table, write the fields named, log the move and owe its webhook."""
    if not can_transition(request.status, to_status):
        raise TransitionNotAllowed(request, to_status)
    from_status = request.status
    request.status = to_status
    for name, value in fields.items():
        setattr(request, name, value)
    request.save(update_fields=["status", *fields, "updated_at"])
    outgoing.on_request_moved(request, to_status)
    return record_event(request, actor, action, from_status, to_status, now=now, data=data)


def transition_many(
    requests: Sequence[OrderRequest],
    to_status: str,
    *,
    actor: Actor,
    action: str,
    now: datetime,
    data: Callable[[OrderRequest], dict[str, Any]] | None = None,
    fields: Callable[[OrderRequest], Mapping[str, Any]] | Mapping[str, Any] | None = None,
) -> list[RequestEvent]:
    """Move many locked requests at once, as `transition` moves one: checked, written, logged, owed.

    `fields` (the same for all, or per request) are written with the status in one bulk update.
    """
    for request in requests:
        if not can_transition(request.status, to_status):
            raise TransitionNotAllowed(request, to_status)
    names: set[str] = set()
    events: list[RequestEvent] = []
    for request in requests:
        values = fields(request) if callable(fields) else (fields or {})
        names.update(values)
        from_status = request.status
        request.status = to_status
        request.updated_at = now
        for name, value in values.items():
            setattr(request, name, value)
        events.append(
            _event(request, actor, action, from_status, to_status, now, data(request) if data else None)
        )
    if requests:
        OrderRequest.objects.for_store(requests[0].store_id).update_each(
            list(requests), ["status", *sorted(names), "updated_at"]
        )
        RequestEvent.objects.bulk_create(events)
        outgoing.on_requests_moved(requests, to_status)
    return events
