"""Requests made by a rule: a cancellation it approves itself, or one it holds for staff to decide.

A rule's request goes through the same life as a customer's (a row, an event for every move, the
queue, execution with one idempotency key) with the rule as requester. It is not decided by the store's
policy: the policy says what customers may do to their own orders, while a rule is the store's own
decision (a store that does not let customers cancel high-risk orders still wants its fraud rule to).
So a rule's request moves submitted -> pending_review ("held by rule"); a cancel rule then approves it
as the rule, and execution carries it out; a hold leaves it for staff (decision 0040).

The rule's cancel options (reason, refund, restock, notify, staff note) are kept on its `RuleMatch`;
`cancellations.requests.selectors.cancel_options_for` gives them to whoever builds the platform call for
the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from cancellations.models import (
    PAID_STATES,
    ActorKind,
    AutomationRule,
    Order,
    OrderRequest,
    RefundMethod,
    RequestKind,
    RequestNote,
    RequestStatus,
    Resolution,
)
from cancellations.models.requests import OPEN_STATUSES
from cancellations.notifications import services as notifications
from cancellations.platforms.base import CancelReason
from cancellations.policy import Outcome
from cancellations.policy.services import current_policy
from cancellations.requests.actors import Actor
from cancellations.requests.execution import enqueue_execution
from cancellations.requests.lifecycle import open_request, queued_until, record_event, transition
from tenants.errors import NotFound
from tenants.models import Store

S = RequestStatus
ZERO = Decimal("0.00")

CREATED, EXISTING, ALREADY_OPEN = "created", "existing", "already_open"


@dataclass(frozen=True)
class RuleRequest:
    request: OrderRequest
    # created: this call made it; existing: the same key made it before; already_open: the order had
    # an open cancellation (a customer's, or another rule's), which is left as it is.
    status: str


def rule_actor(rule: AutomationRule) -> Actor:
    return Actor.rule(rule.pk, rule.name)


def _decision(rule: AutomationRule, kind: str) -> dict[str, Any]:
    return {
        "action": RequestKind.CANCEL.value,
        "outcome": Outcome.NEEDS_APPROVAL.value,
        "reasons": [{"code": f"rule_{kind}", "message": f"{rule.name} (rule {rule.pk})"}],
        "trace": [],
        "rule": {"id": rule.pk, "name": rule.name, "action": kind},
    }


def _refund_amount(order: Order, refund: str) -> Decimal:
    if refund == RefundMethod.NONE or order.financial_status not in PAID_STATES:
        return ZERO
    return max(order.total - order.refunded, ZERO)


def _note(request: OrderRequest, actor: Actor, text: str, now: datetime) -> None:
    note = RequestNote.objects.create(
        store_id=request.store_id,
        request=request,
        author=None,
        author_label=actor.label[:200],
        text=text[:5000],
        created_at=now,
    )
    record_event(
        request, actor, "note_added", request.status, request.status, now=now, data={"note_id": note.pk}
    )


def request_by_rule(
    *,
    store: Store,
    order: Order,
    rule: AutomationRule,
    action: Mapping[str, Any],
    idempotency_key: str,
    now: datetime | None = None,
) -> RuleRequest:
    """Make the cancellation request a rule's `cancel` or `hold` action asks for (in the caller's
    transaction, or its own); the same key returns the first request."""
    kind = str(action["type"])
    if kind not in ("cancel", "hold"):
        raise ValueError(f"not a request action: {kind}")
    now = now or timezone.now()
    actor = rule_actor(rule)
    with transaction.atomic():
        # Requests for one order take turns on its row, as customer submits do (requests.submission).
        locked = Order.objects.for_store(store).select_for_update().filter(pk=order.pk).first()
        if locked is None:
            raise NotFound("No such order.")
        existing = OrderRequest.objects.for_store(store).filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return RuleRequest(existing, EXISTING)
        already_open = (
            OrderRequest.objects.for_store(store)
            .filter(order_id=locked.pk, kind=RequestKind.CANCEL, status__in=OPEN_STATUSES)
            .first()
        )
        if already_open is not None:
            return RuleRequest(already_open, ALREADY_OPEN)
        refund = (
            str(action.get("refund") or RefundMethod.ORIGINAL) if kind == "cancel" else RefundMethod.ORIGINAL
        )
        _policy, version = current_policy(store=store)
        data = {"rule_id": rule.pk, "rule": rule.name, "action": kind}
        request, _submitted = open_request(
            actor=actor,
            now=now,
            data=data,
            store=store,
            order=locked,
            kind=RequestKind.CANCEL,
            reason_code=str(action.get("reason") or CancelReason.OTHER) if kind == "cancel" else "",
            refund_method=refund,
            currency=locked.currency,
            refund_amount=_refund_amount(locked, refund),
            decision=_decision(rule, kind),
            policy_version=version,
            requester_kind=ActorKind.RULE,
            requester_label=actor.label[:200],
            idempotency_key=idempotency_key,
        )
        held = transition(request, S.PENDING_REVIEW, actor=actor, action="held_by_rule", now=now, data=data)
        note = str(action.get("note") or action.get("staff_note") or "")
        if note:
            _note(request, actor, note, now)
        if kind == "hold":
            notifications.queue_staff_alerts(request, held)
            return RuleRequest(request, CREATED)
        approved = transition(
            request,
            S.APPROVED,
            actor=actor,
            action="approved",
            now=now,
            data=data,
            resolution=Resolution.APPROVED,
            decided_by_label=actor.label[:200],
            decided_at=now,
            next_attempt_at=queued_until(now),
        )
        enqueue_execution(store_id=store.pk, request_id=request.pk)
        if action.get("notify"):
            notifications.queue_customer_email(request, approved, "approved")
    return RuleRequest(request, CREATED)
