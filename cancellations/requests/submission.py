"""Submitting a request: what the policy says of an action now, and a customer's (or staff's) request.

`preview_action` answers the order page ("can I cancel, until when, why not"); `submit_request` records
a request, decides it by the store's policy and moves it on through the lifecycle (approved and sent to
execution, put before staff, or denied).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from cancellations.models import (
    PAID_STATES,
    LineItem,
    Order,
    OrderRequest,
    RequestChange,
    RequestKind,
    RequestStatus,
    Resolution,
    Variant,
)
from cancellations.models.requests import OPEN_STATUSES
from cancellations.notifications import services as notifications
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.policy import (
    Action,
    Decision,
    Outcome,
    StorePolicy,
    combine,
    decide,
    order_facts,
    refund_summary,
)
from cancellations.policy.services import current_policy
from cancellations.requests.actors import Actor
from cancellations.requests.additions import build_addition, check_additions
from cancellations.requests.errors import (
    IdempotencyKeyReused,
    InvalidRequest,
    RequestAlreadyOpen,
    RequestErrorCode,
)
from cancellations.requests.execution import enqueue_execution
from cancellations.requests.lifecycle import open_request, queued_until, transition
from cancellations.requests.limits import check_cancellation_limit, join_edit_session
from cancellations.requests.pricing import EditEstimate, estimate_edit
from tenants.errors import NotFound
from tenants.models import Store

S = RequestStatus
ZERO = Decimal("0.00")
_CHANGE_ACTIONS: dict[str, Action] = {
    RequestChange.Kind.ADDRESS: Action.EDIT_ADDRESS,
    RequestChange.Kind.QUANTITY: Action.EDIT_QUANTITY,
    RequestChange.Kind.SWAP: Action.SWAP_VARIANT,
    RequestChange.Kind.REMOVE: Action.REMOVE_LINE,
    RequestChange.Kind.ADD: Action.ADD_ITEM,
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
            raise InvalidRequest("A change must be a mapping.", code=RequestErrorCode.CHANGE_INVALID)
        line = value.get("line_id", value.get("line"))
        return cls(
            kind=str(value.get("kind", "")),
            line_id=int(line.pk if isinstance(line, LineItem) else line) if line not in (None, "") else None,
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
    return combine(decisions, strictest=strictest), policy, version


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
        raise InvalidRequest("Unknown kind of request.", code=RequestErrorCode.KIND_INVALID, field="kind")
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


def preview_edit(*, store: Store, order: Order, changes: Sequence[ChangeInput]) -> EditEstimate:
    """The new total and the difference these item changes would make; writes nothing.

    Raises InvalidRequest for a change that could not be submitted either.
    """
    if order.store_id != store.pk:
        raise NotFound("No such order.")
    return estimate_edit(order, _build_changes(store, order, RequestKind.EDIT, changes))


# --- submitting ----------------------------------------------------------------------------------


def _build_changes(store: Store, order: Order, kind: str, changes: Iterable[Any]) -> list[RequestChange]:
    inputs = [ChangeInput.coerce(change) for change in changes]
    if kind == RequestKind.EDIT and not inputs:
        raise InvalidRequest(
            "Say what should change.", code=RequestErrorCode.CHANGES_REQUIRED, field="changes"
        )
    if kind in (RequestKind.CANCEL, RequestKind.WITHDRAWAL) and inputs:
        raise InvalidRequest(
            "A cancellation applies to the whole order.", code=RequestErrorCode.CHANGES_NOT_ALLOWED
        )
    lines = {line.pk: line for line in order.line_items.all()}
    policy, _version = current_policy(store=store)
    built: list[RequestChange] = []
    for position, change in enumerate(inputs):
        if change.kind == RequestChange.Kind.ADD and kind == RequestKind.EDIT:
            row = RequestChange(store=store, position=position, kind=change.kind)
            added = build_addition(
                store=store,
                policy=policy,
                row=row,
                variant_id=change.variant_id,
                quantity=change.quantity,
                lines=list(lines.values()),
            )
            built.append(added)
            continue
        built.append(_build_change(store, order, kind, change, position, lines))
    check_additions(policy, built)
    return built


def _build_change(
    store: Store, order: Order, kind: str, change: ChangeInput, position: int, lines: dict[int, LineItem]
) -> RequestChange:
    row = RequestChange(store=store, position=position, kind=change.kind)
    if kind == RequestKind.REORDER:
        # A reorder may name other quantities or variants: each change is one line of the new order.
        if not change.variant_id or not change.quantity or change.quantity < 1:
            raise InvalidRequest(
                "A reorder line needs an item and a quantity.", code=RequestErrorCode.CHANGE_INVALID
            )
        row.kind, row.variant_platform_id, row.quantity = (
            RequestChange.Kind.QUANTITY,
            change.variant_id,
            change.quantity,
        )
        return row
    if change.kind not in _CHANGE_ACTIONS:
        raise InvalidRequest("Unknown kind of change.", code=RequestErrorCode.CHANGE_INVALID, field="changes")
    if change.kind == RequestChange.Kind.ADDRESS:
        address = dict(change.address or {})
        if not address.get("address1") or not address.get("country_code"):
            raise InvalidRequest(
                "The new address needs a street and a country.", code=RequestErrorCode.ADDRESS_INVALID
            )
        row.address = {key: str(value) for key, value in address.items() if value not in (None, "")}
        row.before = {"address": dict(order.shipping_address or {})}
        return row
    line = lines.get(change.line_id or 0)
    if line is None:
        raise InvalidRequest(
            "That item is not part of this order.", code=PlatformErrorCode.LINE_NOT_FOUND, field="changes"
        )
    row.line, row.line_platform_id = line, line.platform_id
    row.before = {"title": line.title, "variant_title": line.variant_title, "quantity": line.quantity}
    if change.kind == RequestChange.Kind.QUANTITY:
        if change.quantity is None or change.quantity < 0:
            raise InvalidRequest(
                "Choose a quantity.", code=PlatformErrorCode.QUANTITY_INVALID, field="changes"
            )
        row.quantity = change.quantity
        row.price_difference = (change.quantity - line.quantity) * line.unit_price
    elif change.kind == RequestChange.Kind.SWAP:
        variant = Variant.objects.for_store(store).filter(platform_id=change.variant_id).first()
        if variant is None or not change.variant_id:
            raise InvalidRequest(
                "That option is not sold.", code=PlatformErrorCode.VARIANT_NOT_FOUND, field="changes"
            )
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
) -> tuple[str, Decimal, Decimal, Decimal, Decimal]:
    """(refund method, fee, refund amount, amount owed, store-credit bonus) the request is made with."""
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
        return summary.method.value, summary.fee, summary.amount, ZERO, summary.store_credit_bonus
    if kind == RequestKind.EDIT:
        estimate = estimate_edit(order, changes)
        return "original", ZERO, estimate.refund, estimate.owed, ZERO
    return "", ZERO, ZERO, ZERO, ZERO


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
        raise InvalidRequest("Unknown kind of request.", code=RequestErrorCode.KIND_INVALID, field="kind")
    key = (idempotency_key or "").strip()
    if not key or len(key) > 200:
        raise InvalidRequest(
            "A request key of 1 to 200 characters is required.", code=RequestErrorCode.KEY_INVALID
        )
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
        already_open = _open_request(store, order, kind)
        if already_open is not None:
            raise RequestAlreadyOpen(already_open) from None
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

    existing = OrderRequest.objects.for_store(store).filter(idempotency_key=key).first()
    if existing is not None:
        return _same_request(existing, order, kind)
    already_open = _open_request(store, order, kind)
    if already_open is not None:
        raise RequestAlreadyOpen(already_open)
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
    session = None
    # The store's caps on what one customer may ask (a request the policy refuses anyway is not one).
    capped = actor.is_customer and decision.outcome != Outcome.NOT_ALLOWED
    if capped and kind == RequestKind.CANCEL:
        check_cancellation_limit(store=store, order=order, policy=policy, now=now)
    elif capped and kind == RequestKind.EDIT:
        session = join_edit_session(store=store, order=order, actor=actor, policy=policy, now=now)
    method, fee, refund_amount, owed, bonus = _money(
        policy, order, kind, built, reason_code or None, refund_method
    )
    request, submitted = open_request(
        actor=actor,
        now=now,
        data={"outcome": decision.outcome},
        store=store,
        order=order,
        kind=kind,
        reason_code=reason_code,
        reason_text=reason_text,
        refund_method=method,
        currency=order.currency,
        fee=fee,
        refund_amount=refund_amount,
        amount_owed=owed,
        store_credit_bonus=bonus,
        edit_session=session,
        retention_offer_shown=retention[0],
        retention_offer_accepted=retention[1],
        decision=decision.to_dict(),
        policy_version=version,
        requested_by=actor.user,
        requester_kind=actor.kind,
        requester_label=actor.label[:200],
        idempotency_key=key,
    )
    for change in built:
        change.request = request
    RequestChange.objects.bulk_create(built)
    policy_actor = Actor.system()
    policy_label = f"policy v{version}"
    # A withdrawal is never carried out on its own: the goods come back first, then the store refunds.
    auto_approve = decision.outcome == Outcome.ALLOWED and kind != RequestKind.WITHDRAWAL
    if auto_approve:
        event = transition(
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
        event = transition(
            request,
            S.PENDING_REVIEW,
            actor=dataclasses.replace(policy_actor, label=policy_label),
            action="queued",
            now=now,
        )
        notifications.queue_customer_email(request, event, "received")
        if session is None:
            # A customer's edits reach staff once per edit session (notifications/edit_sessions.py).
            notifications.queue_staff_alerts(request, event)
    else:
        reasons = "; ".join(reason.message for reason in decision.reasons)
        event = transition(
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
