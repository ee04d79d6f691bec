"""The queue's rows, formatted once per page: a page of 500 rows renders without per-cell lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models

from cancellations.core.formatting import duration, money
from cancellations.models import OrderRequest, RequestStatus, RiskLevel
from cancellations.orders.describe import Describer
from cancellations.policy import ReasonSettings
from tenants.models import Store

# The badge of each status, as templates/includes/request_status.html draws it (inlined in the list).
STATUS_BADGES: dict[str, str] = {
    RequestStatus.COMPLETED: "badge--ok",
    RequestStatus.APPROVED: "badge--ok",
    RequestStatus.AUTO_APPROVED: "badge--ok",
    RequestStatus.PENDING_REVIEW: "badge--warn",
    RequestStatus.EXECUTING: "badge--warn",
    RequestStatus.SUBMITTED: "badge--warn",
    RequestStatus.DENIED: "badge--bad",
    RequestStatus.REJECTED: "badge--bad",
    RequestStatus.FAILED: "badge--bad",
}


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue, formatted here once: a page of 500 rows renders without per-cell lookups."""

    pk: str
    url: str
    kind: str
    # Every change on one line: "Merino Crew Sweater: S → M; Remove: Wool Cap".
    changes: str
    reason_code: str
    # The reason as the store's policy names it in the reader's language (the code if it has no label).
    reason: str
    order_name: str
    email: str
    value: str
    owed: str  # a difference the customer has still to pay, after a change was carried out
    risk_level: str
    risk: str
    status: str
    status_label: str
    status_badge: str
    requested_iso: str
    age: str
    late: bool
    assignee: str
    waiting: bool


def label_of(choices: type[models.TextChoices], value: str, cache: dict[tuple[str, str], str]) -> str:
    key = (choices.__name__, value)
    if key not in cache:
        try:
            cache[key] = str(choices(value).label)
        except ValueError:
            cache[key] = value
    return cache[key]


def queue_rows(
    store: Store,
    requests: list[OrderRequest],
    *,
    base_url: str,
    target: timedelta,
    now: datetime,
    reasons: ReasonSettings,
    language: str,
) -> list[QueueRow]:
    """The rows of one page of the queue, each request titled and its changes in words."""
    labels: dict[tuple[str, str], str] = {}
    describer = Describer(store, requests)
    rows = []
    for request in requests:
        order = request.order
        age = now - request.requested_at
        waiting = request.status == RequestStatus.PENDING_REVIEW
        rows.append(
            QueueRow(
                pk=str(request.pk),
                url=f"{base_url}{request.pk}/",
                kind=describer.title_of(request),
                changes=describer.summary_of(request),
                reason_code=request.reason_code,
                reason=reasons.label_of(request.reason_code, language) if request.reason_code else "",
                order_name=order.name,
                email=order.email,
                value=money(order.total, order.currency),
                owed=money(request.amount_owed, order.currency) if request.payment_due else "",
                risk_level=order.risk_level,
                risk=label_of(RiskLevel, order.risk_level, labels) if order.risk_level else "",
                status=request.status,
                status_label=label_of(RequestStatus, request.status, labels),
                status_badge=STATUS_BADGES.get(request.status, ""),
                requested_iso=request.requested_at.isoformat(),
                age=duration(age),
                late=waiting and age > target,
                assignee=request.assigned_to.email if request.assigned_to else "",
                waiting=waiting,
            )
        )
    return rows
