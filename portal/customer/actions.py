"""What a customer can do with an order now: each action, until when, or why not, in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations.models import Order
from cancellations.policy import (
    Action,
    Decision,
    Outcome,
    StorePolicy,
    WindowKind,
    combine,
    decide,
    order_facts,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# The actions the order page offers, in order, with the policy actions behind each.
ACTIONS: tuple[tuple[str, StrPromise, tuple[Action, ...]], ...] = (
    ("cancel", _("Cancel order"), (Action.CANCEL,)),
    ("edit_address", _("Change delivery address"), (Action.EDIT_ADDRESS,)),
    (
        "edit_items",
        _("Change items"),
        (Action.EDIT_QUANTITY, Action.SWAP_VARIANT, Action.REMOVE_LINE, Action.ADD_ITEM),
    ),
    ("reorder", _("Order again"), (Action.REORDER,)),
)


@dataclass(frozen=True)
class OfferedAction:
    key: str
    label: str
    decision: Decision
    now: datetime
    # The window is "until the store starts shipping": no date is known, only that it ends then.
    until_shipped: bool = False

    @property
    def available(self) -> bool:
        return self.decision.outcome != Outcome.NOT_ALLOWED

    @property
    def needs_approval(self) -> bool:
        return self.decision.outcome == Outcome.NEEDS_APPROVAL

    @property
    def time_left(self) -> timedelta | None:
        closes = self.decision.window_closes_at
        if closes is None or self.decision.outcome == Outcome.NOT_ALLOWED:
            return None
        return max(closes - self.now, timedelta(0))

    @property
    def reasons(self) -> list[str]:
        return [reason.message for reason in self.decision.reasons]


def offered_actions(
    *, policy: StorePolicy, order: Order, now: datetime | None = None, delivered_at: datetime | None = None
) -> list[OfferedAction]:
    """Every action of the order page with the policy's answer now. No queries beyond the order's lines."""
    now = now or timezone.now()
    facts = order_facts(order, delivered_at=delivered_at or order.delivered_at)
    offered = []
    for key, label, actions in ACTIONS:
        decisions = [decide(policy=policy, order=facts, action=action, now=now) for action in actions]
        decision = combine(decisions, strictest=False)
        until_shipped = any(
            policy.rule_for(action).window.kind == WindowKind.UNTIL_FULFILLMENT for action in actions
        )
        offered.append(
            OfferedAction(key=key, label=str(label), decision=decision, now=now, until_shipped=until_shipped)
        )
    return offered


def withdrawal_offer(
    *, policy: StorePolicy, order: Order, now: datetime | None = None
) -> OfferedAction | None:
    """The EU right of withdrawal, when the store has switched it on; None when it has not."""
    if not policy.withdrawal.enabled:
        return None
    now = now or timezone.now()
    facts = order_facts(order, delivered_at=order.delivered_at)
    decision = decide(policy=policy, order=facts, action=Action.WITHDRAWAL, now=now)
    return OfferedAction(
        key="withdraw", label=str(_("Withdraw from contract here")), decision=decision, now=now
    )
