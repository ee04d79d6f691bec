"""Deciding requests: staff approve, reject, assign, note and retry; the customer withdraws.

Each follows the transition recipe (STYLE #6) through `cancellations.requests.lifecycle`: in a
transaction, lock the request row, re-read it, return early if it is already where it should go, move
it by the table with an event, and leave side effects (execution, emails) to `on_commit`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from cancellations.models import (
    OrderRequest,
    RequestNote,
    RequestStatus,
    Resolution,
)
from cancellations.notifications import services as notifications
from cancellations.requests.access import access_request
from cancellations.requests.actors import Actor
from cancellations.requests.errors import (
    AlreadyDecided,
    InvalidRequest,
    RequestErrorCode,
    TransitionNotAllowed,
)
from cancellations.requests.execution import enqueue_execution
from cancellations.requests.lifecycle import queued_until, record_event, transition
from cancellations.requests.selectors import execution_choice
from tenants.access import staff_access
from tenants.errors import CommonErrorCode, DomainError, NotFound, PermissionDenied
from tenants.models import Store, User
from tenants.roles import Scope

S = RequestStatus


def _require(actor: Actor, scope: str) -> None:
    if not actor.may(scope):
        raise PermissionDenied("Your role in this store does not allow this.")


def _same_decider(request: OrderRequest, actor: Actor) -> bool:
    if actor.user is not None:
        return request.decided_by_id == actor.user.pk
    return bool(actor.label) and request.decided_by_label == actor.label[:200]


def _refuse_decision(request: OrderRequest, to_status: str) -> None:
    if request.resolution:
        raise AlreadyDecided(request)
    raise TransitionNotAllowed(request, to_status)


def _decision_overrides(request: OrderRequest, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """What staff changed on approval: refund method, fee, amount refunded, restocking, telling the customer.

    Restocking and telling the customer are kept in the decision, where execution and notifications
    read them (`execution_choice`).
    """
    if not overrides:
        return {}
    allowed = {"refund_method", "fee", "refund_amount", "restock", "notify_customer"}
    unknown = set(overrides) - allowed
    if unknown:
        raise InvalidRequest(
            f"These cannot be changed: {', '.join(sorted(unknown))}.", code=RequestErrorCode.OVERRIDE_INVALID
        )
    changed: dict[str, Any] = {}
    if "refund_method" in overrides:
        method = str(overrides["refund_method"])
        if method not in ("original", "store_credit", "none"):
            raise InvalidRequest(
                "Unknown refund method.", code=RequestErrorCode.OVERRIDE_INVALID, field="refund_method"
            )
        changed["refund_method"] = method
    for name in ("fee", "refund_amount"):
        if name in overrides:
            try:
                amount = Decimal(str(overrides[name])).quantize(Decimal("0.01"))
            except ArithmeticError:
                raise InvalidRequest(
                    "Give an amount.", code=RequestErrorCode.OVERRIDE_INVALID, field=name
                ) from None
            if amount < 0:
                raise InvalidRequest(
                    "An amount cannot be negative.", code=RequestErrorCode.OVERRIDE_INVALID, field=name
                )
            changed[name] = amount
    choices = {name: bool(overrides[name]) for name in ("restock", "notify_customer") if name in overrides}
    if choices:
        changed["decision"] = {**(request.decision or {}), **choices}
    return changed


# --- decisions by staff, withdrawal by the customer --------------------------------------------


def approve_request(
    *, store: Store, request_id: int, actor: Actor, overrides: Mapping[str, Any] | None = None
) -> OrderRequest:
    """Approve a request waiting for review and queue it for execution."""

    _require(actor, Scope.REQUESTS_DECIDE)
    now = timezone.now()
    with transaction.atomic():
        request = access_request(store=store, request_id=request_id, lock=True)
        if request.status != S.PENDING_REVIEW:
            if request.resolution == Resolution.APPROVED and _same_decider(request, actor):
                return request
            _refuse_decision(request, S.APPROVED)
        changed = _decision_overrides(request, overrides)
        before = {name: str(getattr(request, name)) for name in changed if name != "decision"}
        shown = {name: v for name, v in changed.items() if name != "decision"}
        shown.update(
            {k: v for k, v in changed.get("decision", {}).items() if k in ("restock", "notify_customer")}
        )
        before.update({k: str(execution_choice(request, k)) for k in shown if k not in before})
        event = transition(
            request,
            S.APPROVED,
            actor=actor,
            action="approved",
            now=now,
            data={"overrides": {name: {"before": before[name], "after": str(v)} for name, v in shown.items()}}
            if changed
            else None,
            resolution=Resolution.APPROVED,
            decided_by=actor.user,
            decided_by_label=actor.label[:200],
            decided_at=now,
            next_attempt_at=queued_until(now),
            **changed,
        )
        enqueue_execution(store_id=store.pk, request_id=request.pk)
        notifications.queue_customer_email(request, event, "approved")
    return request


def reject_request(*, store: Store, request_id: int, actor: Actor, message: str) -> OrderRequest:
    """Reject a request waiting for review; `message` is the store's reason, sent to the customer."""

    _require(actor, Scope.REQUESTS_DECIDE)
    message = (message or "").strip()
    if not message:
        raise InvalidRequest(
            "Tell the customer why.", code=RequestErrorCode.MESSAGE_REQUIRED, field="message"
        )
    now = timezone.now()
    with transaction.atomic():
        request = access_request(store=store, request_id=request_id, lock=True)
        if request.status != S.PENDING_REVIEW:
            if request.resolution == Resolution.REJECTED and _same_decider(request, actor):
                return request
            _refuse_decision(request, S.REJECTED)
        event = transition(
            request,
            S.REJECTED,
            actor=actor,
            action="rejected",
            now=now,
            data={"message": message},
            resolution=Resolution.REJECTED,
            decided_by=actor.user,
            decided_by_label=actor.label[:200],
            decided_at=now,
            customer_message=message,
        )
        notifications.queue_customer_email(request, event, "rejected")
    return request


# How many requests one bulk decision may take (the queue page and the API).
MAX_BULK_DECISION = 500


@dataclass(frozen=True)
class BulkOutcome:
    """What happened to one request of a bulk decision.

    `outcome` is "decided", "already_decided" (someone else decided it first: `error` says who, how,
    when), "not_found" (not a request of this store) or "error" (`error` says why).
    """

    request_id: int
    outcome: str
    error: DomainError | None = None


def decide_requests(
    *, store: Store, request_ids: Iterable[int], actor: Actor, approve: bool, message: str = ""
) -> list[BulkOutcome]:
    """Approve, or reject with `message`, each chosen request in its own transaction.

    A request that someone else decided, or that is not this store's, does not undo the others; each
    gets its own outcome, in the order given (duplicates once). An actor without the decide scope, a
    rejection without a message or more than MAX_BULK_DECISION requests is refused as a whole.
    """
    _require(actor, Scope.REQUESTS_DECIDE)
    ids = list(dict.fromkeys(int(request_id) for request_id in request_ids))
    if not ids:
        raise InvalidRequest(
            "Choose at least one request.", code=RequestErrorCode.REQUEST_IDS_REQUIRED, field="request_ids"
        )
    if len(ids) > MAX_BULK_DECISION:
        raise InvalidRequest(
            f"Choose at most {MAX_BULK_DECISION} requests at a time.",
            code=CommonErrorCode.TOO_MANY,
            field="request_ids",
        )
    message = (message or "").strip()
    if not approve and not message:
        raise InvalidRequest(
            "Tell the customers why.", code=RequestErrorCode.MESSAGE_REQUIRED, field="message"
        )
    outcomes: list[BulkOutcome] = []
    for request_id in ids:
        try:
            if approve:
                approve_request(store=store, request_id=request_id, actor=actor)
            else:
                reject_request(store=store, request_id=request_id, actor=actor, message=message)
            outcomes.append(BulkOutcome(request_id, "decided"))
        except AlreadyDecided as error:
            outcomes.append(BulkOutcome(request_id, "already_decided", error))
        except NotFound as error:
            outcomes.append(BulkOutcome(request_id, "not_found", error))
        except PermissionDenied:
            raise
        except DomainError as error:
            outcomes.append(BulkOutcome(request_id, "error", error))
    return outcomes


def _customer_owns(request: OrderRequest, actor: Actor) -> bool:
    email = request.order.email.lower()
    if actor.user is not None:
        if request.requested_by_id == actor.user.pk or actor.user.email.lower() == email:
            return True
        return EmailAddress.objects.filter(user=actor.user, email__iexact=email, verified=True).exists()
    return bool(email) and actor.label.lower() == email


def withdraw_request(*, store: Store, request_id: int, actor: Actor) -> OrderRequest:
    """The customer takes back a request the store has not decided yet."""
    if not actor.is_customer:
        raise PermissionDenied("Only the customer can withdraw their request; staff reject it instead.")
    now = timezone.now()
    with transaction.atomic():
        request = access_request(store=store, request_id=request_id, lock=True)
        if not _customer_owns(request, actor):
            raise NotFound("No such request.")
        if request.status == S.WITHDRAWN:
            return request
        if request.status != S.PENDING_REVIEW:
            _refuse_decision(request, S.WITHDRAWN)
        transition(
            request,
            S.WITHDRAWN,
            actor=actor,
            action="withdrawn",
            now=now,
            resolution=Resolution.WITHDRAWN,
            decided_by=actor.user,
            decided_by_label=actor.label[:200],
            decided_at=now,
        )
    return request


def retry_request(*, store: Store, request_id: int, actor: Actor) -> OrderRequest:
    """Try a failed request on the platform again (same idempotency key, so never twice)."""

    _require(actor, Scope.REQUESTS_DECIDE)
    now = timezone.now()
    with transaction.atomic():
        request = access_request(store=store, request_id=request_id, lock=True)
        if request.status in (S.EXECUTING, S.COMPLETED):
            return request
        transition(
            request,
            S.EXECUTING,
            actor=actor,
            action="retried",
            now=now,
            data={"previous_error": request.last_error, "previous_attempts": request.attempts},
            attempts=0,
            next_attempt_at=queued_until(now),
            platform_job_id="",
        )
        enqueue_execution(store_id=store.pk, request_id=request.pk)
    return request


def assign_request(*, store: Store, request_id: int, actor: Actor, assignee: User | None) -> OrderRequest:
    """Give a request to one staff member (None: to nobody)."""
    _require(actor, Scope.REQUESTS_DECIDE)
    if assignee is not None and staff_access(user=assignee, store=store) is None:
        raise InvalidRequest(
            "That person is not on the store's staff.",
            code=RequestErrorCode.ASSIGNEE_INVALID,
            field="assignee",
        )
    with transaction.atomic():
        request = access_request(store=store, request_id=request_id, lock=True)
        if request.assigned_to_id == (assignee.pk if assignee else None):
            return request
        before = request.assigned_to.email if request.assigned_to else ""
        request.assigned_to = assignee
        request.save(update_fields=["assigned_to", "updated_at"])
        record_event(
            request,
            actor,
            "assigned",
            request.status,
            request.status,
            data={"before": before, "after": assignee.email if assignee else ""},
        )
    return request


def add_request_note(*, store: Store, request_id: int, actor: Actor, text: str) -> RequestNote:
    """Add an internal note to a request (staff only; customers never see notes)."""
    _require(actor, Scope.REQUESTS_READ)
    text = (text or "").strip()
    if not text:
        raise InvalidRequest("Write something.", code=RequestErrorCode.NOTE_EMPTY, field="text")
    with transaction.atomic():
        request = access_request(store=store, request_id=request_id, lock=True)
        note = RequestNote.objects.create(
            store=store, request=request, author=actor.user, author_label=actor.label[:200], text=text[:5000]
        )
        record_event(request, actor, "note_added", request.status, request.status, data={"note_id": note.pk})
    return note
