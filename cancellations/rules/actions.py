"""Rule actions: what a matching rule does, and the checks on how a store may set them up.

An action is a dict `{"type": <code>, ...}`:

- `cancel`: `reason` (a platform cancel reason), `refund` (original | store_credit | none),
  `restock`, `notify` (tell the customer) and `staff_note` (at most 255 characters, Shopify's limit);
- `hold`: a cancellation request waiting in the queue for staff, `note` for them;
- `tag`: `tag` added to the order;
- `notify_staff`: an email to the staff who decide requests, with `message`.

A rule has one action of each type at most, and never both `cancel` and `hold`. The engine runs them
in a fixed order (tag, then cancel or hold, then notify staff) so the email can name the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cancellations.models import RefundMethod
from cancellations.platforms.base import STAFF_NOTE_MAX, CancelReason
from cancellations.rules.errors import RuleFieldError

MAX_TAG = 100
MAX_NOTE = 1000
ACTION_ORDER = ("tag", "cancel", "hold", "notify_staff")

CANCEL_REASONS: tuple[tuple[str, Promise], ...] = (
    (CancelReason.FRAUD.value, _("Fraud")),
    (CancelReason.INVENTORY.value, _("Out of stock")),
    (CancelReason.DECLINED.value, _("Payment declined")),
    (CancelReason.STAFF.value, _("Staff decision")),
    (CancelReason.OTHER.value, _("Other")),
)
REFUND_CHOICES: tuple[tuple[str, Promise], ...] = tuple(
    (method.value, method.label) for method in RefundMethod
)


@dataclass(frozen=True)
class ActionType:
    code: str
    label: Promise


ACTION_TYPES: dict[str, ActionType] = {
    t.code: t
    for t in (
        ActionType("cancel", _("Cancel the order")),
        ActionType("hold", _("Hold for review in the queue")),
        ActionType("tag", _("Add a tag to the order")),
        ActionType("notify_staff", _("Email the staff who decide requests")),
    )
}


def _text(raw: Any, where: str, limit: int, *, required: bool = False) -> str:
    text = str(raw if raw is not None else "").strip()
    if required and not text:
        raise RuleFieldError(where, _("This is required."))
    if len(text) > limit:
        raise RuleFieldError(where, _("At most %(limit)s characters.") % {"limit": limit})
    return text


def _choice(raw: Any, where: str, choices: tuple[tuple[str, Promise], ...], default: str) -> str:
    value = str(raw or default)
    if value not in {code for code, _label in choices}:
        raise RuleFieldError(where, _("Choose from the values offered."))
    return value


def clean_action(raw: Any, where: str = "action") -> dict[str, Any]:
    """One action checked and in its stored shape, or RuleFieldError."""
    if not isinstance(raw, Mapping):
        raise RuleFieldError(where, _("An action must be an object."))
    kind = str(raw.get("type", ""))
    if kind not in ACTION_TYPES:
        raise RuleFieldError(f"{where}.type", _("Unknown action."))
    if kind == "cancel":
        return {
            "type": kind,
            "reason": _choice(raw.get("reason"), f"{where}.reason", CANCEL_REASONS, CancelReason.OTHER),
            "refund": _choice(raw.get("refund"), f"{where}.refund", REFUND_CHOICES, RefundMethod.ORIGINAL),
            "restock": bool(raw.get("restock", True)),
            "notify": bool(raw.get("notify", False)),
            "staff_note": _text(raw.get("staff_note"), f"{where}.staff_note", STAFF_NOTE_MAX),
        }
    if kind == "hold":
        return {"type": kind, "note": _text(raw.get("note"), f"{where}.note", MAX_NOTE)}
    if kind == "tag":
        tag = _text(raw.get("tag"), f"{where}.tag", MAX_TAG, required=True)
        if "," in tag:
            raise RuleFieldError(f"{where}.tag", _("A tag cannot contain a comma."))
        return {"type": kind, "tag": tag}
    return {"type": kind, "message": _text(raw.get("message"), f"{where}.message", MAX_NOTE)}


def clean_actions(raw: Any) -> list[dict[str, Any]]:
    """A rule's actions checked, in the order they run."""
    if not isinstance(raw, list | tuple):
        raise RuleFieldError("actions", _("Give a list of actions."))
    cleaned = [clean_action(item, f"actions.{i}") for i, item in enumerate(raw)]
    kinds = [action["type"] for action in cleaned]
    if len(set(kinds)) != len(kinds):
        raise RuleFieldError("actions", _("Each action can be used once per rule."))
    if "cancel" in kinds and "hold" in kinds:
        raise RuleFieldError("actions", _("A rule either cancels an order or holds it, not both."))
    return sorted(cleaned, key=lambda action: ACTION_ORDER.index(action["type"]))


def describe_action(action: Mapping[str, Any]) -> str:
    """A one-line description for the rule list and the match log."""
    kind = ACTION_TYPES.get(str(action.get("type")))
    label = str(kind.label) if kind else str(action.get("type"))
    if action.get("type") == "tag":
        return f"{label}: {action.get('tag', '')}"
    if action.get("type") == "cancel":
        reasons = dict(CANCEL_REASONS)
        return f"{label} ({reasons.get(str(action.get('reason')), action.get('reason'))})"
    return label
