"""A request's status as its pages follow it without a reload (portal/static/portal/live_status.js).

The customer's request page and the staff request page carry `data-status-url`, a small store-scoped
JSON answer; the script reads it every few seconds until the request is final and updates the
status badge. Another store's request is a 404 there as everywhere.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

from cancellations.models import OrderRequest, RequestStatus
from cancellations.models.requests import FINAL_STATUSES

_TONES = {
    RequestStatus.COMPLETED: "ok",
    RequestStatus.APPROVED: "ok",
    RequestStatus.AUTO_APPROVED: "ok",
    RequestStatus.PENDING_REVIEW: "warn",
    RequestStatus.EXECUTING: "warn",
    RequestStatus.SUBMITTED: "warn",
    RequestStatus.DENIED: "bad",
    RequestStatus.REJECTED: "bad",
    RequestStatus.FAILED: "bad",
}


def status_tone(status: str) -> str:
    """The badge colour of a status: ok, warn, bad, or "" (neutral)."""
    return _TONES.get(status, "")  # type: ignore[call-overload]  # a str looked up among StrEnum keys


def status_answer(order_request: OrderRequest) -> JsonResponse:
    """`{"status", "label", "tone", "final"}`, never cached: the page asks again until it is final."""
    payload: dict[str, Any] = {
        "status": order_request.status,
        "label": str(order_request.get_status_display()),
        "tone": status_tone(order_request.status),
        "final": order_request.status in FINAL_STATUSES,
    }
    response = JsonResponse(payload)
    response["Cache-Control"] = "no-store"
    return response
