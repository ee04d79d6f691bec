"""What the extensions are told of an order: the same answers the customer portal's order page gives.

The actions come from `offered_actions` (the portal's order page), the refund from `refund_summary`
(the portal's cancel flow), the reasons from the store's policy, so a customer sees the same thing in
Shopify's customer account as in Amend's portal. Money is a string, times are ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cancellations.models import Order, OrderRequest, RequestStatus
from cancellations.models.requests import OPEN_STATUSES
from cancellations.orders.access import make_order_link_token
from cancellations.policy import Outcome, StorePolicy, refund_summary
from cancellations.requests.selectors import requests_for_order
from portal.customer.actions import OfferedAction, offered_actions, withdrawal_offer
from tenants.models import Store

# What the customer is told once a cancel is sent, by where the request stands.
_STARTED = (RequestStatus.AUTO_APPROVED, RequestStatus.APPROVED, RequestStatus.EXECUTING)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def refundable(order: Order) -> Decimal:
    return max(order.total - order.refunded, Decimal("0.00"))


def portal_url(store: Store, order: Order) -> str:
    """The order in Amend's own portal, opened by its signed link (no second sign-in)."""
    token = make_order_link_token(order)
    path = reverse("customer:order_link", kwargs={"store_slug": store.slug, "token": token})
    return f"{settings.SITE_URL}{path}"


def _action(offer: OfferedAction) -> dict[str, Any]:
    return {
        "key": offer.key,
        "label": offer.label,
        "available": offer.available,
        "needs_approval": offer.needs_approval,
        "until": _iso(offer.decision.window_closes_at) if offer.available else None,
        "reasons": offer.reasons,
    }


def actions_for(policy: StorePolicy, order: Order, now: datetime) -> list[OfferedAction]:
    offers = offered_actions(policy=policy, order=order, now=now)
    withdrawal = withdrawal_offer(policy=policy, order=order, now=now)
    return [*offers, withdrawal] if withdrawal is not None else offers


def changeable_until(offers: list[OfferedAction]) -> tuple[bool, str | None]:
    """Whether anything can still be done, and until when at the latest (None: no time limit known)."""
    available = [offer for offer in offers if offer.available and offer.key != "reorder"]
    if not available:
        return False, None
    closes = [offer.decision.window_closes_at for offer in available]
    if any(moment is None for moment in closes):
        return True, None
    return True, _iso(max(moment for moment in closes if moment is not None))


def _request(request: OrderRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "kind": request.kind,
        "status": request.status,
        "status_label": request.get_status_display(),
    }


def order_summary(order: Order) -> dict[str, Any]:
    return {
        "id": order.platform_id,
        "name": order.name,
        "currency": order.currency,
        "total": str(order.total),
        "cancelled": order.is_cancelled,
    }


def order_payload(
    *, store: Store, order: Order, policy: StorePolicy, reason: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Everything the order action and the order status block show of one order."""
    now = now or timezone.now()
    offers = actions_for(policy, order, now)
    cancel = next(offer for offer in offers if offer.key == "cancel")
    language = get_language() or store.locale
    summary = refund_summary(policy, refundable=refundable(order), reason=reason or None)
    can_change, until = changeable_until(offers)
    open_requests = [r for r in requests_for_order(store=store, order=order) if r.status in OPEN_STATUSES]
    return {
        "order": order_summary(order),
        "can_act": any(offer.available for offer in offers),
        "can_change": can_change,  # something besides ordering again: what the order action offers
        "changeable_until": until if can_change else None,
        "actions": [_action(offer) for offer in offers],
        "cancel": {
            **_action(cancel),
            "reason_required": policy.reasons.required,
            "free_text": policy.reasons.free_text,
            "reason_choices": [{"code": r.code, "label": r.label(language)} for r in policy.reasons.choices],
            "refund": summary.to_dict(),
        },
        "open_requests": [_request(r) for r in open_requests],
        "portal_url": portal_url(store, order),
    }


def thank_you_payload(*, store: Store, order: Order, policy: StorePolicy) -> dict[str, Any]:
    """What the thank-you page block says: until when the order can still be changed."""
    can_change, until = changeable_until(actions_for(policy, order, timezone.now()))
    return {
        "order": order_summary(order),
        "can_change": can_change,
        "changeable_until": until,
        "portal_url": portal_url(store, order),
    }


def submitted_payload(request: OrderRequest) -> dict[str, Any]:
    """The request a cancel made, with one sentence for the customer on what happens next."""
    if request.status in _STARTED or request.status == RequestStatus.COMPLETED:
        message = _("Your order is being cancelled. We will email you when it is done.")
    elif request.status == RequestStatus.PENDING_REVIEW:
        message = _("Your request was sent to the store. We will email you when they have decided.")
    elif request.status == RequestStatus.DENIED:
        message = request.customer_message or _("The store's policy does not allow this cancellation.")
    else:
        message = request.get_status_display()
    return {**_request(request), "message": message, "outcome": _outcome(request)}


def _outcome(request: OrderRequest) -> str:
    if request.status == RequestStatus.DENIED:
        return str(Outcome.NOT_ALLOWED)
    if request.status == RequestStatus.PENDING_REVIEW:
        return str(Outcome.NEEDS_APPROVAL)
    return str(Outcome.ALLOWED)
