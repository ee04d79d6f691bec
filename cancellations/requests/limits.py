"""The policy's caps against abuse: edit sessions per order, cancellations per customer and period.

Only customers are capped (staff, rules and integrations act for the store). A cap reached is a
`LimitReached` with the store's own message (policy `limits.messages`, in the customer's language)
or a plain default, and a stable code for the API.

An edit session is a row (`EditSession`): the first save of an edit by a person opens one; a save by
the same person within `EDIT_SESSION_MINUTES` of the session's last save joins it; a longer pause
opens a new one. The cap counts sessions, not saves (a customer fixing a typo twice is one session).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cancellations.models import EditSession, Order, OrderRequest, RequestKind, RequestStatus
from cancellations.policy import StorePolicy
from cancellations.policy.services import current_policy
from cancellations.requests.actors import Actor
from cancellations.requests.errors import LimitReached, RequestErrorCode
from tenants.models import Store

S = RequestStatus
# Requests that did not become a cancellation do not count against the customer.
_NOT_COUNTED = (S.DENIED, S.REJECTED, S.WITHDRAWN)


def session_gap() -> timedelta:
    return timedelta(minutes=float(settings.EDIT_SESSION_MINUTES))


def editor_of(actor: Actor) -> str:
    """Who a session belongs to: the signed-in user, else the email the actor is known by."""
    return f"user:{actor.user.pk}" if actor.user is not None else f"email:{actor.label}"[:254]


def _message(policy: StorePolicy, default: str) -> str:
    return policy.limits.message(translation.get_language() or "en") or default


def cancellation_refusal(
    *, store: Store, order: Order, policy: StorePolicy, now: datetime
) -> LimitReached | None:
    """Why the customer may not cancel another order now (the store's cap), or None."""
    cap = policy.limits.cancellations_per_customer
    if cap is None:
        return None
    same_customer = Q(order__email=order.email) if order.email else Q(pk__in=[])
    if order.customer_id:
        same_customer |= Q(order__customer_id=order.customer_id)
    since = now - timedelta(days=policy.limits.cancellation_period_days)
    made = (
        OrderRequest.objects.for_store(store)
        .filter(same_customer, kind=RequestKind.CANCEL, requested_at__gte=since)
        .exclude(status__in=_NOT_COUNTED)
        .count()
    )
    if made < cap:
        return None
    return LimitReached(
        _message(
            policy,
            _("You have reached this store's limit of cancellations for now. Please contact the store."),
        ),
        code=RequestErrorCode.CANCELLATION_LIMIT_REACHED,
    )


def check_cancellation_limit(*, store: Store, order: Order, policy: StorePolicy, now: datetime) -> None:
    """Refuse a customer's cancellation past the store's cap for this customer in the period."""
    refusal = cancellation_refusal(store=store, order=order, policy=policy, now=now)
    if refusal is not None:
        raise refusal


def _current_session(store: Store, order: Order, editor: str, now: datetime) -> EditSession | None:
    sessions = EditSession.objects.for_store(store).filter(order_id=order.pk, editor=editor)
    return sessions.filter(last_save_at__gte=now - session_gap()).order_by("-last_save_at").first()


def edit_session_refusal(
    *, store: Store, order: Order, actor: Actor, policy: StorePolicy, now: datetime
) -> LimitReached | None:
    """Why this person may not start another edit session on the order (the store's cap), or None."""
    cap = policy.limits.edit_sessions_per_order
    if cap is None or _current_session(store, order, editor_of(actor), now) is not None:
        return None
    if EditSession.objects.for_store(store).filter(order_id=order.pk).count() < cap:
        return None
    return LimitReached(
        _message(
            policy,
            _("This order has been changed as often as the store allows. Please contact the store."),
        ),
        code=RequestErrorCode.EDIT_SESSION_LIMIT_REACHED,
    )


def join_edit_session(
    *, store: Store, order: Order, actor: Actor, policy: StorePolicy, now: datetime
) -> EditSession:
    """The session this save belongs to (opened if need be), or LimitReached past the store's cap.

    Called with the order's row locked, so two saves at once do not both open a session.
    """
    editor = editor_of(actor)
    session = _current_session(store, order, editor, now)
    if session is None:
        refusal = edit_session_refusal(store=store, order=order, actor=actor, policy=policy, now=now)
        if refusal is not None:
            raise refusal
        session = EditSession(store=store, order=order, editor=editor, started_at=now)
    session.last_save_at = now
    session.saves += 1
    session.notify_after = now + session_gap()
    session.save()
    return session


def limit_refusal(*, store: Store, order: Order, actor: Actor, kind: str, now: datetime | None = None) -> str:
    """For the customer's pages: the store's message when a cap stops this request now, else ""."""
    if not actor.is_customer:
        return ""
    now = now or timezone.now()
    policy, _version = current_policy(store=store)
    refusal = None
    if kind == RequestKind.CANCEL:
        refusal = cancellation_refusal(store=store, order=order, policy=policy, now=now)
    elif kind == RequestKind.EDIT:
        refusal = edit_session_refusal(store=store, order=order, actor=actor, policy=policy, now=now)
    return refusal.message if refusal else ""
