"""Tasks of the automation rules."""

from __future__ import annotations

from celery import shared_task

from cancellations.core.workers import store_or_none
from cancellations.rules.intake import run_rules_for_order


@shared_task(name="rules.run")
def run_rules_task(store_id: int, order_id: int, trigger: str, event_key: str) -> int:
    """Run the store's rules on one order event; a rule that already acted on the event does nothing."""
    store = store_or_none(store_id)
    if store is None:
        return 0
    return run_rules_for_order(store=store, order_id=order_id, trigger=trigger, event_key=event_key)
