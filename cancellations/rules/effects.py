"""Carrying out a matching rule's actions (or, in dry-run, describing what they would do)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cancellations.models import AutomationRule, Order, OrderRequest, RuleMatch
from cancellations.orders.tags import add_order_tag
from cancellations.rules.requests import request_by_rule
from tenants.errors import DomainError
from tenants.models import Membership, Store
from tenants.roles import ROLE_SCOPES, Scope

logger = logging.getLogger(__name__)


@dataclass
class ActionsOutcome:
    actions: list[dict[str, Any]] = field(default_factory=list)
    request: OrderRequest | None = None
    tag_added: str = ""
    failed: bool = False


def request_key(match: RuleMatch) -> str:
    """The idempotency key of the request a match makes: one request per match, so per order event."""
    return f"rule-match-{match.pk}"


def carry_out(
    *, store: Store, rule: AutomationRule, order: Order, match: RuleMatch, now: datetime
) -> ActionsOutcome:
    """Do the rule's actions for this match (in the caller's transaction), recording each one's result."""
    outcome = ActionsOutcome()
    for action in rule.actions:
        entry: dict[str, Any] = dict(action)
        if match.dry_run:
            entry["result"] = "would_do"
            outcome.actions.append(entry)
            continue
        try:
            _do(
                store=store,
                rule=rule,
                order=order,
                match=match,
                action=action,
                entry=entry,
                outcome=outcome,
                now=now,
            )
        except DomainError as error:
            entry.update(result="failed", error=error.message[:500], code=error.code)
            outcome.failed = True
        outcome.actions.append(entry)
    return outcome


def _do(
    *,
    store: Store,
    rule: AutomationRule,
    order: Order,
    match: RuleMatch,
    action: Mapping[str, Any],
    entry: dict[str, Any],
    outcome: ActionsOutcome,
    now: datetime,
) -> None:
    kind = action["type"]
    if kind == "tag":
        added = add_order_tag(store=store, order_id=order.pk, tag=str(action["tag"]))
        entry["result"] = "added" if added else "already_tagged"
        if added:
            outcome.tag_added = str(action["tag"])
    elif kind in ("cancel", "hold"):
        made = request_by_rule(
            store=store, order=order, rule=rule, action=action, idempotency_key=request_key(match), now=now
        )
        entry.update(result=made.status, request_id=made.request.pk)
        outcome.request = made.request
    elif kind == "notify_staff":
        recipients = staff_to_notify(store=store)
        entry.update(result="emailed", recipients=len(recipients))
        store_id, order_id, message = store.pk, order.pk, str(action.get("message") or "")
        rule_name, request = rule.name, outcome.request
        transaction.on_commit(
            lambda: _send_staff_email(
                store_id=store_id,
                order_id=order_id,
                rule_name=rule_name,
                message=message,
                request_id=request.pk if request else None,
                recipients=recipients,
            )
        )


def staff_to_notify(*, store: Store) -> list[str]:
    """The emails of the store's staff whose role lets them decide requests."""
    roles = [role for role, scopes in ROLE_SCOPES.items() if Scope.REQUESTS_DECIDE in scopes]
    memberships = (
        Membership.objects.for_store(store)
        .filter(role__in=roles, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__email")
    )
    return list(dict.fromkeys(membership.user.email for membership in memberships))


def _send_staff_email(
    *,
    store_id: int,
    order_id: int,
    rule_name: str,
    message: str,
    request_id: int | None,
    recipients: list[str],
) -> None:
    store = Store.objects.filter(pk=store_id).first()
    order = Order.objects.for_store(store_id).filter(pk=order_id).first() if store else None
    if store is None or order is None or not recipients:
        return
    base = settings.SITE_URL
    context = {
        "store": store,
        "order": order,
        "rule_name": rule_name,
        "message": message,
        "order_url": base
        + reverse("merchant:order", kwargs={"store_slug": store.slug, "order_id": order.pk}),
        "request_id": request_id,
    }
    with translation.override(store.locale or settings.LANGUAGE_CODE):
        subject = _("Rule %(rule)s matched order %(order)s") % {"rule": rule_name, "order": order.name}
        text = render_to_string("email/rule_matched.txt", context)
        html = render_to_string("email/rule_matched.html", context)
    # One email per person, so no one sees who else was told.
    for recipient in recipients:
        mail = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [recipient])
        mail.attach_alternative(html, "text/html")
        try:
            mail.send()
        except Exception:
            logger.warning("could not email %s about rule %s", recipient, rule_name, exc_info=True)
