"""Services that create and decide order requests. Views, the API, rules and tasks all call these.

Every status change follows one recipe (STYLE #6): in a transaction, lock the request row, re-read it,
return early if it is already where it should go, check the move against `TRANSITIONS`, write with
`update_fields`, append a `RequestEvent`, and leave side effects (execution, emails) to `on_commit`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cancellations import outgoing_webhooks
from cancellations.actors import Actor
from cancellations.models import (
    FinancialStatus,
    LineItem,
    Order,
    OrderRequest,
    RequestChange,
    RequestEvent,
    RequestKind,
    RequestNote,
    RequestStatus,
    Resolution,
    Variant,
)
from cancellations.models.requests import OPEN_STATUSES, can_transition
from cancellations.policy import (
    OUTCOME_RANK,
    Action,
    Decision,
    Outcome,
    RuleCheck,
    StorePolicy,
    decide,
    order_facts,
    refund_summary,
)
from cancellations.policy_services import current_policy
from cancellations.request_access import access_request
from cancellations.request_errors import (
    AlreadyDecided,
    IdempotencyKeyReused,
    InvalidRequest,
    RequestAlreadyOpen,
    TransitionNotAllowed,
)
from tenants.access import staff_access
from tenants.errors import NotFound, PermissionDenied
from tenants.models import Store, User
from tenants.roles import Scope

__all__ = [
    "AlreadyDecided",
    "ChangeInput",
    "IdempotencyKeyReused",
    "InvalidRequest",
    "RequestAlreadyOpen",
    "TransitionNotAllowed",
    "add_request_note",
    "approve_request",
    "assign_request",
    "preview_action",
    "reject_request",
    "retry_request",
    "submit_request",
    "withdraw_request",
]

S = RequestStatus
ZERO = Decimal("0.00")
PAID_STATES = {FinancialStatus.PAID, FinancialStatus.PARTIALLY_PAID, FinancialStatus.PARTIALLY_REFUNDED}
_CHANGE_ACTIONS: dict[str, Action] = {
    RequestChange.Kind.ADDRESS: Action.EDIT_ADDRESS,
    RequestChange.Kind.QUANTITY: Action.EDIT_QUANTITY,
    RequestChange.Kind.SWAP: Action.SWAP_VARIANT,
    RequestChange.Kind.REMOVE: Action.REMOVE_LINE,
}
_EDIT_ACTIONS = tuple(_CHANGE_ACTIONS.values())


@dataclasses.dataclass(frozen=True)
class ChangeInput:
    """One change the customer asks for. `line_id` is a LineItem id of the order."""

    kind: str
    line_id: int | None = None
    variant_id: str = ""
    quantity: int | None = None
    address: Mapping[str, Any] | None = None

    @classmethod
    def coerce(cls, value: ChangeInput | Mapping[str, Any]) -> ChangeInput:
        if isinstance(value, ChangeInput):
            return value
        if not isinstance(value, Mapping):
            raise InvalidRequest("A change must be a mapping.", code="change_invalid")
        line = value.get("line_id", value.get("line"))
        return cls(
            kind=str(value.get("kind", "")),
            line_id=int(getattr(line, "pk", line)) if line not in (None, "") else None,
            variant_id=str(value.get("variant_id") or ""),
            quantity=int(value["quantity"]) if value.get("quantity") not in (None, "") else None,
            address=value.get("address"),
        )


# --- deciding ------------------------------------------------------------------------------------


def _actions_for(kind: str, changes: Sequence[RequestChange]) -> list[tuple[Action, list[int] | None]]:
    if kind == RequestKind.CANCEL:
        return [(Action.CANCEL, None)]
    if kind == RequestKind.REORDER:
        return [(Action.REORDER, None)]
    if kind == RequestKind.WITHDRAWAL:
        return [(Action.WITHDRAWAL, None)]
    if kind == RequestKind.EDIT:
        if not changes:
            return [(action, None) for action in _EDIT_ACTIONS]
        return [
            (_CHANGE_ACTIONS[change.kind], [change.line_id] if change.line_id else None) for change in changes
        ]
    return [(Action(kind), None)]


def _combine(decisions: Sequence[Decision], *, strictest: bool) -> Decision:
    """One decision for several actions: the strictest (a submitted edit) or the most lenient (a preview)."""
    if len(decisions) == 1:
        return decisions[0]
    pick = max if strictest else min
    chosen = pick(decisions, key=lambda d: OUTCOME_RANK[d.outcome])
    same = [d for d in decisions if d.outcome == chosen.outcome]
    reasons = tuple(dict.fromkeys(reason for d in same for reason in d.reasons))
    closes = [d.window_closes_at for d in decisions if d.window_closes_at is not None]
    trace = tuple(
        RuleCheck(f"{d.action.value}.{check.rule}", check.passed, check.detail)
        for d in decisions
        for check in d.trace
    )
    return dataclasses.replace(
        chosen,
        reasons=reasons,
        window_closes_at=min(closes) if closes else None,
        lines=tuple(dict.fromkeys(line for d in decisions for line in d.lines)),
        trace=trace,
    )


def _decide(
    *,
    store: Store,
    order: Order,
    kind: str,
    changes: Sequence[RequestChange],
    lines: Sequence[int] | None,
    reason_code: str | None,
    now: datetime,
    strictest: bool = True,
) -> tuple[Decision, StorePolicy, int]:
    policy, version = current_policy(store=store)
    if not Order.store.is_cached(order):
        order.store = store
    facts = order_facts(order)
    decisions = [
        decide(
            policy=policy,
            order=facts,
            action=action,
            now=now,
            lines=action_lines if action_lines is not None else lines,
            reason=reason_code if action == Action.CANCEL else None,
        )
        for action, action_lines in _actions_for(kind, changes)
    ]
    return _combine(decisions, strictest=strictest), policy, version


def preview_action(
    *,
    store: Store,
    order: Order,
    kind: str,
    now: datetime | None = None,
    lines: Sequence[int] | None = None,
    reason_code: str | None = None,
) -> Decision:
    """What the policy says about this action on this order now; writes nothing.

    `kind` is a RequestKind (for "edit": whether any edit is offered) or a policy Action such as
    "edit_address" for one kind of edit.
    """
    if order.store_id != store.pk:
        raise NotFound("No such order.")
    if kind not in RequestKind.values and kind not in Action.values:
        raise InvalidRequest("Unknown kind of request.", code="kind_invalid", field="kind")
    decision, _policy, _version = _decide(
        store=store,
        order=order,
        kind=kind,
        changes=(),
        lines=lines,
        reason_code=reason_code,
        now=now or timezone.now(),
        strictest=False,
    )
    return decision


# --- submitting ----------------------------------------------------------------------------------


def _build_changes(store: Store, order: Order, kind: str, changes: Iterable[Any]) -> list[RequestChange]:
    inputs = [ChangeInput.coerce(change) for change in changes]
    if kind == RequestKind.EDIT and not inputs:
        raise InvalidRequest("Say what should change.", code="changes_required", field="changes")
    if kind in (RequestKind.CANCEL, RequestKind.WITHDRAWAL) and inputs:
        raise InvalidRequest("A cancellation applies to the whole order.", code="changes_not_allowed")
    lines = {line.pk: line for line in order.line_items.all()}
    built: list[RequestChange] = []
    for position, change in enumerate(inputs):
        built.append(_build_change(store, order, kind, change, position, lines))
    return built


def _build_change(
    store: Store, order: Order, kind: str, change: ChangeInput, position: int, lines: dict[int, LineItem]
) -> RequestChange:
    row = RequestChange(store=store, position=position, kind=change.kind)
    if kind == RequestKind.REORDER:
        # A reorder may name other quantities or variants: each change is one line of the new order.
        if not change.variant_id or not change.quantity or change.quantity < 1:
            raise InvalidRequest("A reorder line needs an item and a quantity.", code="change_invalid")
        row.kind, row.variant_platform_id, row.quantity = (
            RequestChange.Kind.QUANTITY,
            change.variant_id,
            change.quantity,
        )
        return row
    if change.kind not in _CHANGE_ACTIONS:
        raise InvalidRequest("Unknown kind of change.", code="change_invalid", field="changes")
    if change.kind == RequestChange.Kind.ADDRESS:
        address = dict(change.address or {})
        if not address.get("address1") or not address.get("country_code"):
            raise InvalidRequest("The new address needs a street and a country.", code="address_invalid")
        row.address = {key: str(value) for key, value in address.items() if value not in (None, "")}
        return row
    line = lines.get(change.line_id or 0)
    if line is None:
        raise InvalidRequest("That item is not part of this order.", code="line_not_found", field="changes")
    row.line, row.line_platform_id = line, line.platform_id
    if change.kind == RequestChange.Kind.QUANTITY:
        if change.quantity is None or change.quantity < 0:
            raise InvalidRequest("Choose a quantity.", code="quantity_invalid", field="changes")
        row.quantity = change.quantity
        row.price_difference = (change.quantity - line.quantity) * line.unit_price
    elif change.kind == RequestChange.Kind.SWAP:
        variant = Variant.objects.for_store(store).filter(platform_id=change.variant_id).first()
        if variant is None or not change.variant_id:
            raise InvalidRequest("That option is not sold.", code="variant_not_found", field="changes")
        row.variant_platform_id = variant.platform_id
        row.quantity = change.quantity or line.quantity
        row.price_difference = variant.price * row.quantity - line.line_total
    else:
        row.price_difference = -line.line_total
    return row


def _money(
    policy: StorePolicy,
    order: Order,
    kind: str,
    changes: Sequence[RequestChange],
    reason_code: str | None,
    refund_method: str | None,
) -> tuple[str, Decimal, Decimal]:
    """(refund method, fee, refund amount) the request is made with."""
    paid = order.financial_status in PAID_STATES
    if kind in (RequestKind.CANCEL, RequestKind.WITHDRAWAL):
        refundable = order.total - order.refunded if paid else ZERO
        summary = refund_summary(
            policy,
            refundable=refundable,
            reason=reason_code,
            choice=refund_method,
            action=Action.CANCEL if kind == RequestKind.CANCEL else Action.WITHDRAWAL,
        )
        return summary.method.value, summary.fee, summary.total
    if kind == RequestKind.EDIT:
        difference = sum((change.price_difference for change in changes), ZERO)
        return "original", ZERO, -difference if paid and difference < 0 else ZERO
    return "", ZERO, ZERO


def _same_request(existing: OrderRequest, order: Order, kind: str) -> OrderRequest:
    if existing.order_id != order.pk or existing.kind != kind:
        raise IdempotencyKeyReused("This request key was already used for another request.")
    return existing


def submit_request(
    *,
    store: Store,
    order: Order,
    actor: Actor,
    kind: str,
    idempotency_key: str,
    reason_code: str = "",
    reason_text: str = "",
    changes: Sequence[ChangeInput | Mapping[str, Any]] = (),
    refund_method: str | None = None,
    retention_offer_shown: bool = False,
    retention_offer_accepted: bool = False,
    now: datetime | None = None,
) -> OrderRequest:
    """Record a request, decide it by the store's policy, and start it (approved), queue it or deny it.

    The same idempotency key returns the first request; another open request of the same kind for the
    order raises RequestAlreadyOpen carrying it.
    """
    if order.store_id != store.pk:
        raise NotFound("No such order.")
    if kind not in RequestKind.values:
        raise InvalidRequest("Unknown kind of request.", code="kind_invalid", field="kind")
    key = (idempotency_key or "").strip()
    if not key or len(key) > 200:
        raise InvalidRequest("A request key of 1 to 200 characters is required.", code="key_invalid")
    existing = OrderRequest.objects.for_store(store).filter(idempotency_key=key).first()
    if existing is not None:
        return _same_request(existing, order, kind)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            # Submits for one order take turns on its row, so the second one sees what the first wrote.
            locked = Order.objects.for_store(store).select_for_update().filter(pk=order.pk).first()
            if locked is None:
                raise NotFound("No such order.")
            locked.store = store
            return _submit_locked(
                store=store,
                order=locked,
                actor=actor,
                kind=kind,
                key=key,
                reason_code=reason_code,
                reason_text=reason_text,
                changes=changes,
                refund_method=refund_method,
                retention=(retention_offer_shown, retention_offer_accepted),
                now=now,
            )
    except IntegrityError:
        # Only reachable if a writer skipped the order lock; the constraints still hold the line.
        existing = OrderRequest.objects.for_store(store).filter(idempotency_key=key).first()
        if existing is not None:
            return _same_request(existing, order, kind)
        open_request = _open_request(store, order, kind)
        if open_request is not None:
            raise RequestAlreadyOpen(open_request) from None
        raise


def _open_request(store: Store, order: Order, kind: str) -> OrderRequest | None:
    return (
        OrderRequest.objects.for_store(store)
        .filter(order_id=order.pk, kind=kind, status__in=OPEN_STATUSES)
        .select_related("order")
        .first()
    )


def _submit_locked(
    *,
    store: Store,
    order: Order,
    actor: Actor,
    kind: str,
    key: str,
    reason_code: str,
    reason_text: str,
    changes: Sequence[ChangeInput | Mapping[str, Any]],
    refund_method: str | None,
    retention: tuple[bool, bool],
    now: datetime,
) -> OrderRequest:
    from cancellations import notifications
    from cancellations.execution import enqueue_execution

    existing = OrderRequest.objects.for_store(store).filter(idempotency_key=key).first()
    if existing is not None:
        return _same_request(existing, order, kind)
    open_request = _open_request(store, order, kind)
    if open_request is not None:
        raise RequestAlreadyOpen(open_request)
    built = _build_changes(store, order, kind, changes)
    decision, policy, version = _decide(
        store=store,
        order=order,
        kind=kind,
        changes=built,
        lines=None,
        reason_code=reason_code or None,
        now=now,
    )
    method, fee, refund_amount = _money(policy, order, kind, built, reason_code or None, refund_method)
    request = OrderRequest.objects.create(
        store=store,
        order=order,
        kind=kind,
        status=S.SUBMITTED,
        reason_code=reason_code,
        reason_text=reason_text,
        refund_method=method,
        currency=order.currency,
        fee=fee,
        refund_amount=refund_amount,
        retention_offer_shown=retention[0],
        retention_offer_accepted=retention[1],
        decision=decision.to_dict(),
        policy_version=version,
        requested_by=actor.user,
        requester_kind=actor.kind,
        requester_label=actor.label[:200],
        requested_at=now,
        idempotency_key=key,
    )
    for change in built:
        change.request = request
    RequestChange.objects.bulk_create(built)
    outgoing_webhooks.on_request_created(request)
    submitted = record_event(
        request, actor, "submitted", "", S.SUBMITTED, now=now, data={"outcome": decision.outcome}
    )
    policy_actor = Actor.system()
    policy_label = f"policy v{version}"
    # A withdrawal is never carried out on its own: the goods come back first, then the store refunds.
    auto_approve = decision.outcome == Outcome.ALLOWED and kind != RequestKind.WITHDRAWAL
    if auto_approve:
        event = _move(
            request,
            S.AUTO_APPROVED,
            actor=dataclasses.replace(policy_actor, label=policy_label),
            action="auto_approved",
            now=now,
            resolution=Resolution.AUTO_APPROVED,
            decided_by_label=policy_label,
            decided_at=now,
            next_attempt_at=queued_until(now),
        )
        enqueue_execution(store_id=store.pk, request_id=request.pk)
        notifications.queue_customer_email(request, event, "approved")
    elif decision.outcome in (Outcome.NEEDS_APPROVAL, Outcome.ALLOWED):
        event = _move(
            request,
            S.PENDING_REVIEW,
            actor=dataclasses.replace(policy_actor, label=policy_label),
            action="queued",
            now=now,
        )
        notifications.queue_customer_email(request, event, "received")
        notifications.queue_staff_alerts(request, event)
    else:
        reasons = "; ".join(reason.message for reason in decision.reasons)
        event = _move(
            request,
            S.DENIED,
            actor=dataclasses.replace(policy_actor, label=policy_label),
            action="denied",
            now=now,
            resolution=Resolution.DENIED,
            decided_by_label=policy_label,
            decided_at=now,
            customer_message=reasons,
        )
    if kind == RequestKind.WITHDRAWAL:
        # The law asks for an acknowledgement of receipt whatever happens next (Art. 11a(3)).
        notifications.queue_customer_email(request, submitted, "withdrawal_received")
    return request


# --- the transition recipe -----------------------------------------------------------------------


def queued_until(now: datetime) -> datetime:
    """When work sent to a worker now counts as lost if it has not started: the sweep sends it again."""
    return now + timedelta(seconds=float(settings.REQUEST_EXECUTION_LEASE_SECONDS))


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
    """Append an event to the request's log (in the caller's transaction)."""
    return RequestEvent.objects.create(
        store_id=request.store_id,
        request=request,
        at=now or timezone.now(),
        actor_kind=actor.kind,
        actor=actor.user,
        actor_label=actor.label[:200],
        action=action,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
    )


def _move(
    request: OrderRequest,
    to_status: str,
    *,
    actor: Actor,
    action: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> RequestEvent:
    """Change the status of a locked request by the table, write the fields named, and log the move."""
    if not can_transition(request.status, to_status):
        raise TransitionNotAllowed(request, to_status)
    from_status = request.status
    request.status = to_status
    for name, value in fields.items():
        setattr(request, name, value)
    request.save(update_fields=["status", *fields, "updated_at"])
    outgoing_webhooks.on_request_moved(request, to_status)
    return record_event(request, actor, action, from_status, to_status, now=now, data=data)


def transition_request(
    request: OrderRequest,
    to_status: str,
    *,
    actor: Actor,
    action: str,
    now: datetime | None = None,
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> RequestEvent:
    """The recipe's write step for other modules (execution): the caller holds the row lock."""
    return _move(
        request, to_status, actor=actor, action=action, now=now or timezone.now(), data=data, **fields
    )


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
            f"These cannot be changed: {', '.join(sorted(unknown))}.", code="override_invalid"
        )
    changed: dict[str, Any] = {}
    if "refund_method" in overrides:
        method = str(overrides["refund_method"])
        if method not in ("original", "store_credit", "none"):
            raise InvalidRequest("Unknown refund method.", code="override_invalid", field="refund_method")
        changed["refund_method"] = method
    for name in ("fee", "refund_amount"):
        if name in overrides:
            try:
                amount = Decimal(str(overrides[name])).quantize(Decimal("0.01"))
            except ArithmeticError:
                raise InvalidRequest("Give an amount.", code="override_invalid", field=name) from None
            if amount < 0:
                raise InvalidRequest("An amount cannot be negative.", code="override_invalid", field=name)
            changed[name] = amount
    choices = {name: bool(overrides[name]) for name in ("restock", "notify_customer") if name in overrides}
    if choices:
        changed["decision"] = {**(request.decision or {}), **choices}
    return changed


def execution_choice(request: OrderRequest, name: str, default: bool = True) -> bool:
    """A staff choice made on approval ("restock", "notify_customer"); `default` when none was made."""
    value = (request.decision or {}).get(name)
    return default if value is None else bool(value)


# --- decisions by staff, withdrawal by the customer --------------------------------------------


def approve_request(
    *, store: Store, request_id: int, actor: Actor, overrides: Mapping[str, Any] | None = None
) -> OrderRequest:
    """Approve a request waiting for review and queue it for execution."""
    from cancellations import notifications
    from cancellations.execution import enqueue_execution

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
        event = _move(
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
    from cancellations import notifications

    _require(actor, Scope.REQUESTS_DECIDE)
    message = (message or "").strip()
    if not message:
        raise InvalidRequest("Tell the customer why.", code="message_required", field="message")
    now = timezone.now()
    with transaction.atomic():
        request = access_request(store=store, request_id=request_id, lock=True)
        if request.status != S.PENDING_REVIEW:
            if request.resolution == Resolution.REJECTED and _same_decider(request, actor):
                return request
            _refuse_decision(request, S.REJECTED)
        event = _move(
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
        _move(
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
    from cancellations.execution import enqueue_execution

    _require(actor, Scope.REQUESTS_DECIDE)
    now = timezone.now()
    with transaction.atomic():
        request = access_request(store=store, request_id=request_id, lock=True)
        if request.status in (S.EXECUTING, S.COMPLETED):
            return request
        _move(
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
            "That person is not on the store's staff.", code="assignee_invalid", field="assignee"
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
        raise InvalidRequest("Write something.", code="note_empty", field="text")
    with transaction.atomic():
        request = access_request(store=store, request_id=request_id, lock=True)
        note = RequestNote.objects.create(
            store=store, request=request, author=actor.user, author_label=actor.label[:200], text=text[:5000]
        )
        record_event(request, actor, "note_added", request.status, request.status, data={"note_id": note.pk})
    return note
