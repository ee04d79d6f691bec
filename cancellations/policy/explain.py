"""The policy's decision in words staff read: a label per outcome, reason and rule of `decide()`'s trace.

The codes stay the record (the request's `decision`, the API); these labels are what a page shows first,
in the reader's language, with the code beside them for anyone who needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cancellations.policy.choices import Action
from cancellations.policy.engine import Outcome

# What each reason means to staff (the customer's wording is engine.REASON_MESSAGES: never says "risk").
STAFF_REASON_LABELS: dict[str, Promise] = {
    "action_disabled": _("The policy does not offer this online."),
    "already_cancelled": _("The order was already cancelled."),
    "fulfilled": _("The order has already shipped."),
    "status_not_eligible": _("The order's payment or shipping status is not one the policy allows."),
    "order_tag_excluded": _("The order has a tag the policy excludes."),
    "risk_excluded": _("The order's fraud risk is one the policy excludes."),
    "product_excluded": _("An item is a product the policy excludes."),
    "line_fulfilled": _("The item has already shipped."),
    "line_not_found": _("The item is not part of the order."),
    "no_lines": _("No item was left to act on."),
    "reason_unknown": _("The reason is not one of the policy's reasons."),
    "window_closed": _("The time the policy allows has passed."),
    "always_review": _("The policy sends every request like this for review."),
    "over_value": _("The order's value is over the policy's review limit."),
    "risk_review": _("The order's fraud risk is one the policy reviews."),
    "discount_used": _("The order was placed with a discount code, which the policy reviews."),
    "grace_period": _("Asked in the grace period after the usual time, which the policy reviews."),
    "delivery_unknown": _("The order shipped but its delivery date is not known."),
}

# What each rule of the trace checks, as a statement that is true when the rule passed.
RULE_LABELS: dict[str, Promise] = {
    "enabled": _("The policy offers this online"),
    "not_cancelled": _("The order is not cancelled"),
    "nothing_shipped": _("Nothing has shipped yet"),
    "not_fully_shipped": _("Not everything has shipped"),
    "financial_status": _("The payment status is one the policy allows"),
    "fulfillment_status": _("The shipping status is one the policy allows"),
    "order_tags": _("The order has no excluded tag"),
    "order_risk": _("The order's fraud risk is not excluded"),
    "reason": _("The reason is one of the policy's"),
    "lines_in_order": _("Every item is part of the order"),
    "product_exclusions": _("No item is an excluded product"),
    "lines_remaining": _("Some item is left to act on"),
    "window": _("Within the time the policy allows"),
    "grace_period": _("Not in the grace period"),
    "always_review": _("The policy does not review every request"),
    "over_value": _("The order's value is within the review limit"),
    "risk_review": _("The order's fraud risk is not one the policy reviews"),
    "discount_used": _("No discount code was used"),
    "delivery_known": _("The delivery date is known"),
}

# Rules that send a request for review when they do not pass (the others refuse it).
REVIEW_RULES = frozenset(
    {"grace_period", "always_review", "over_value", "risk_review", "discount_used", "delivery_known"}
)


@dataclass(frozen=True)
class TraceLine:
    """One rule of a decision's trace, in words: what it checks, what came of it, and the raw record."""

    code: str
    label: str
    passed: bool
    result: str
    detail: str


def outcome_label(outcome: str) -> str:
    try:
        return str(Outcome(outcome).label)
    except ValueError:
        return outcome or "—"


def reason_label(code: str) -> str:
    return str(STAFF_REASON_LABELS.get(code, code))


def rule_label(rule: str) -> str:
    """A rule's label; a combined decision's rule ("edit_quantity.window") names its action first."""
    action, _sep, name = rule.rpartition(".")
    label = str(RULE_LABELS.get(name, name))
    if not action:
        return label
    try:
        return f"{Action(action).label}: {label}"
    except ValueError:
        return f"{action}: {label}"


def trace_lines(trace: list[dict[str, Any]] | None) -> list[TraceLine]:
    """A recorded trace (`Decision.to_dict()["trace"]`) as lines staff read."""
    lines = []
    for check in trace or []:
        rule = str(check.get("rule", ""))
        passed = bool(check.get("passed"))
        if passed:
            result = _("Yes")
        elif rule.rpartition(".")[2] in REVIEW_RULES:
            result = _("No: sent for review")
        else:
            result = _("No: not allowed")
        lines.append(TraceLine(rule, rule_label(rule), passed, str(result), str(check.get("detail", ""))))
    return lines
