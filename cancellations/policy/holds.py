"""Until when a new order's fulfilment is held: the end of its change window, as `decide()` sees it.

The window is the one the customer portal shows ("until when"): the latest moment any change the store
offers (cancel, address, items) closes without review. A window with no end of its own ("until
shipped", "always") is held for the policy's maximum, and no hold is longer than that maximum.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cancellations.policy.choices import Action
from cancellations.policy.engine import decide
from cancellations.policy.facts import OrderFacts
from cancellations.policy.schema import StorePolicy

# The actions a customer takes to change an order before it ships.
CHANGE_ACTIONS = (
    Action.CANCEL,
    Action.EDIT_ADDRESS,
    Action.EDIT_QUANTITY,
    Action.SWAP_VARIANT,
    Action.REMOVE_LINE,
)
# The longest hold a store may set: a week (the warehouse must ship in the end).
MAX_HOLD_MINUTES = 7 * 24 * 60


def hold_until(*, policy: StorePolicy, order: OrderFacts) -> datetime | None:
    """When the hold of a new order ends; None when the store holds nothing or offers no change."""
    settings = policy.fulfilment_hold
    if not settings.enabled or settings.max_minutes <= 0:
        return None
    placed = order.placed_at
    longest = placed + timedelta(minutes=min(settings.max_minutes, MAX_HOLD_MINUTES))
    ends: list[datetime] = []
    for action in CHANGE_ACTIONS:
        rule = policy.rule_for(action)
        if not rule.enabled:
            continue
        if not rule.window.is_timed:
            return longest
        closes = decide(policy=policy, order=order, action=action, now=placed).window_closes_at
        if closes is not None:
            ends.append(closes)
    if not ends:
        return None
    return min(max(ends), longest)
