"""Plain builders for decision tests: an order snapshot and policies changed one setting at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cancellations.policy import (
    Action,
    ActionRule,
    ApprovalRules,
    LineFacts,
    OrderExclusions,
    OrderFacts,
    ProductExclusions,
    StorePolicy,
    Window,
    WindowKind,
)

PLACED = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


def line(line_id: int, **fields: Any) -> LineFacts:
    fields.setdefault("quantity", 1)
    fields.setdefault("sku", f"SKU-{line_id}")
    return LineFacts(id=line_id, **fields)


def facts(**fields: Any) -> OrderFacts:
    """A paid, unshipped order of two lines placed at PLACED, unless told otherwise."""
    fields.setdefault("placed_at", PLACED)
    fields.setdefault("total", Decimal("100.00"))
    fields.setdefault("financial_status", "paid")
    fields.setdefault("lines", (line(1), line(2)))
    return OrderFacts(**fields)


def with_rule(policy: StorePolicy, action: Action | str, **changes: Any) -> StorePolicy:
    """The policy with one action's rule changed; window/approval/exclusions take keyword dicts too."""
    action = Action(action)
    rule: ActionRule = policy.rule_for(action)
    nested = {
        "window": Window,
        "approval": ApprovalRules,
        "product_exclusions": ProductExclusions,
        "order_exclusions": OrderExclusions,
    }
    for key, cls in nested.items():
        if isinstance(changes.get(key), dict):
            changes[key] = (
                replace(getattr(rule, key), **changes[key]) if key != "window" else cls(**changes[key])
            )
    return replace(policy, **{action.value: replace(rule, **changes)})


def minutes_window(minutes: int = 60, **approval: Any) -> StorePolicy:
    """The default policy with cancel open for `minutes` after the order, and the given approval rules."""
    return with_rule(
        StorePolicy(),
        Action.CANCEL,
        window={"kind": WindowKind.MINUTES, "minutes": minutes},
        approval=approval,
    )
