"""Builders for the queue tests: requests in a given state, and the queue's URLs."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from cancellations.models import Order, OrderRequest, RequestKind, RequestStatus
from tenants.models import Store, User
from tests.factories import make_order

_keys = itertools.count(1)


def make_request(
    store: Store,
    *,
    order: Order | None = None,
    kind: str = RequestKind.CANCEL,
    status: str = RequestStatus.PENDING_REVIEW,
    requested_at: datetime | None = None,
    reason_code: str = "changed_mind",
    assigned_to: User | None = None,
    **order_fields: Any,
) -> OrderRequest:
    """A request in a given state, written directly (the queue reads; how it got there is not its concern)."""
    order = order or make_order(store, **order_fields)
    return OrderRequest.objects.create(
        store=store,
        order=order,
        kind=kind,
        status=status,
        reason_code=reason_code,
        currency=order.currency,
        refund_amount=order.total,
        requester_kind="customer",
        requester_label=order.email,
        requested_at=requested_at or timezone.now() - timedelta(minutes=10),
        assigned_to=assigned_to,
        idempotency_key=f"queue-test-{next(_keys)}",
        decision={
            "outcome": "needs_approval",
            "reasons": [{"code": "always_review", "message": "The store reviews every cancellation."}],
            "trace": [{"rule": "cancel.approval.always", "passed": False, "detail": "always=True"}],
        },
        policy_version=1,
    )


def queue_url(store: Store) -> str:
    return f"/app/{store.slug}/queue/"


def request_url(store: Store, request: OrderRequest | int, action: str = "") -> str:
    pk = request if isinstance(request, int) else request.pk
    return f"/app/{store.slug}/queue/{pk}/" + (f"{action}/" if action else "")
