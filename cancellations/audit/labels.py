"""The audit log in words: a label per action (store set-up changes and request events)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cancellations.orders.describe import EVENT_LABELS, event_label

# What each store-level action (StoreAuditEvent.action) did, for the reader of the audit log.
STORE_ACTION_LABELS: dict[str, Promise] = {
    "agency.granted": _("Agency given access"),
    "agency.revoked": _("Agency access revoked"),
    "domain.added": _("Domain added"),
    "domain.removed": _("Domain removed"),
    "domain.verified": _("Domain verified"),
    "domain.failed": _("Domain check failed"),
    "domain.lost": _("Domain no longer proven"),
    "forwarder.added": _("Freight forwarder address added"),
    "forwarder.removed": _("Freight forwarder address removed"),
    "policy.saved": _("Policy saved"),
    "policy.restored": _("Earlier policy version restored"),
    "queue.response_target_changed": _("Response target changed"),
    "rule.created": _("Automation rule created"),
    "rule.deleted": _("Automation rule deleted"),
    "rule.matched": _("Automation rule matched"),
    "rule.moved": _("Automation rules reordered"),
    "rule.switched": _("Automation rule switched on or off"),
    "rule.updated": _("Automation rule changed"),
    "store.created": _("Store created"),
    "store.logo_changed": _("Logo changed"),
    "store.settings_changed": _("Settings changed"),
    "team.invitation_cancelled": _("Invitation cancelled"),
    "team.invited": _("Team member invited"),
    "team.joined": _("Team member joined"),
    "team.removed": _("Team member removed"),
    "team.role_changed": _("Team member's role changed"),
}


def action_label(action: str) -> str:
    """An audit entry's action in words (request events and store set-up changes alike)."""
    label = STORE_ACTION_LABELS.get(action)
    if label is not None:
        return str(label)
    return event_label(action)


__all__ = ["EVENT_LABELS", "STORE_ACTION_LABELS", "action_label"]
