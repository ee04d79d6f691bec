"""Reads of order requests that several callers share; every one is scoped to a store."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from cancellations.models import (
    ActorKind,
    Order,
    OrderRequest,
    RefundMethod,
    RequestChange,
    RequestEvent,
    RequestNote,
    RuleMatch,
)
from cancellations.platforms.base import CancelReason, CancelRequest
from cancellations.requests.access import access_request
from tenants.errors import NotFound
from tenants.models import Store


def requests_for_order(*, store: Store, order: Order | int) -> QuerySet[OrderRequest]:
    """An order's requests, newest first, with their edit lines."""
    if isinstance(order, int):
        rows = OrderRequest.objects.for_store(store).filter(order_id=order).select_related("order")
    else:
        if order.store_id != store.pk:
            raise NotFound("No such order.")
        rows = order.requests.for_store(store)  # each row's .order is this one, not joined in again
    return (
        rows.select_related("decided_by", "assigned_to")
        .prefetch_related(
            Prefetch("changes", queryset=RequestChange.objects.for_store(store).order_by("position"))
        )
        .order_by("-requested_at", "-id")
    )


def customer_requests(*, store: Store, emails: Iterable[str]) -> QuerySet[OrderRequest]:
    """Every request on the orders a customer (by their verified emails) placed at this store."""
    return (
        OrderRequest.objects.for_store(store)
        .filter(order__email__in=[email.lower() for email in emails])
        .select_related("order")
        .prefetch_related(
            Prefetch("changes", queryset=RequestChange.objects.for_store(store).order_by("position"))
        )
        .order_by("-requested_at", "-id")
    )


def request_queue(*, store: Store, statuses: Iterable[str] | None = None) -> QuerySet[OrderRequest]:
    """The store's requests (by default every one), newest first, for the staff queue."""
    requests = OrderRequest.objects.for_store(store).select_related("order", "assigned_to", "decided_by")
    if statuses is not None:
        requests = requests.filter(status__in=list(statuses))
    return requests.order_by("-requested_at", "-id")


@dataclass(frozen=True)
class Timeline:
    request: OrderRequest
    events: list[RequestEvent]
    notes: list[RequestNote]
    changes: list[RequestChange]


def request_timeline(*, store: Store, request_id: int) -> Timeline:
    """A request with its events (oldest first), staff notes and edit lines; NotFound if not this store's."""
    request = access_request(store=store, request_id=request_id)
    return Timeline(
        request=request,
        events=list(
            RequestEvent.objects.for_store(store)
            .filter(request=request)
            .select_related("actor")
            .order_by("at", "id")
        ),
        notes=list(RequestNote.objects.for_store(store).filter(request=request).select_related("author")),
        changes=list(RequestChange.objects.for_store(store).filter(request=request).order_by("position")),
    )


def execution_choice(request: OrderRequest, name: str, default: bool = True) -> bool:
    """A staff choice made on approval ("restock", "notify_customer"); `default` when none was made."""
    value = (request.decision or {}).get(name)
    return default if value is None else bool(value)


@dataclass(frozen=True)
class CancelOptions:
    reason: CancelReason
    refund: RefundMethod
    restock: bool
    notify_customer: bool
    staff_note: str

    def cancel_request(self, order_platform_id: str) -> CancelRequest:
        return CancelRequest(
            order_platform_id,
            reason=self.reason,
            refund=self.refund,
            restock=self.restock,
            notify_customer=self.notify_customer,
            staff_note=self.staff_note,
        )


def cancel_options_for(*, store: Store, request: OrderRequest) -> CancelOptions | None:
    """How the rule that made this request asked for the cancellation; None if no rule's cancel did.

    The rule's cancel options are kept on its `RuleMatch` (cancellations.rules.requests).
    """
    if request.requester_kind != ActorKind.RULE or request.store_id != store.pk:
        return None
    match = (
        RuleMatch.objects.for_store(store).filter(request_id=request.pk).order_by("matched_at", "id").first()
    )
    action = next((a for a in (match.actions if match else []) if a.get("type") == "cancel"), None)
    if action is None:
        return None
    return CancelOptions(
        reason=CancelReason(action.get("reason") or CancelReason.OTHER),
        refund=RefundMethod(action.get("refund") or RefundMethod.ORIGINAL),
        restock=bool(action.get("restock", True)),
        notify_customer=bool(action.get("notify", False)),
        staff_note=str(action.get("staff_note") or ""),
    )
