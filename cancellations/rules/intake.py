"""Where order intake hands events to the rules: after the mirror recorded what the platform said.

An upsert that created the order is "order created"; one that changed it is "order updated"; a risk
assessment the platform announced is "risk assessed". A stale or unchanged description is no event at
all. Each event has a key: the trigger and the order's `platform_updated_at` (the platform's own
version of the order), or the webhook id when there is none, or for the risk webhook (whose assessment
need not change `updated_at`). The rules run in a task after the intake commits.
"""

from __future__ import annotations

import logging
from datetime import UTC
from functools import partial

from django.db import transaction

from cancellations.core.queueing import send_task
from cancellations.models import Order, RuleTrigger
from cancellations.orders.services import SyncOutcome
from cancellations.rules.engine import has_rules_for, run_rules
from tenants.models import Store

logger = logging.getLogger(__name__)


def order_events(
    *, outcome: SyncOutcome, webhook_id: str = "", risk_assessed: bool = False
) -> list[tuple[str, str]]:
    """The (trigger, event key) pairs an upsert's outcome amounts to."""
    if outcome.stale:
        return []
    order = outcome.order
    # In UTC: the same version read back from the database or straight from a payload is one key.
    updated = order.platform_updated_at
    stamp = updated.astimezone(UTC).isoformat() if updated else f"webhook-{webhook_id}"
    events: list[tuple[str, str]] = []
    if outcome.created:
        events.append((RuleTrigger.ORDER_CREATED, f"{RuleTrigger.ORDER_CREATED}:{stamp}"))
    elif outcome.changed:
        events.append((RuleTrigger.ORDER_UPDATED, f"{RuleTrigger.ORDER_UPDATED}:{stamp}"))
    if risk_assessed:
        events.append((RuleTrigger.RISK_ASSESSED, f"{RuleTrigger.RISK_ASSESSED}:{webhook_id or stamp}"))
    return events


def rules_after_sync(
    *, store: Store, outcome: SyncOutcome, webhook_id: str = "", risk_assessed: bool = False
) -> list[tuple[str, str]]:
    """Send the events of an upsert to the rules once the caller's transaction commits; the events sent."""
    sent = [
        (trigger, key)
        for trigger, key in order_events(outcome=outcome, webhook_id=webhook_id, risk_assessed=risk_assessed)
        if has_rules_for(store=store, trigger=trigger)
    ]
    for trigger, key in sent:
        transaction.on_commit(partial(_enqueue, store.pk, outcome.order.pk, trigger, key))
    return sent


def _enqueue(store_id: int, order_id: int, trigger: str, event_key: str) -> None:
    if not send_task("rules.run", (store_id, order_id, trigger, event_key)):
        # Intake runs in a worker already: rather than lose the event, run its rules here and now.
        logger.warning("could not send rules for order %s (%s); running them here", order_id, event_key)
        store = Store.objects.filter(pk=store_id).first()
        if store is not None:
            run_rules_for_order(store=store, order_id=order_id, trigger=trigger, event_key=event_key)


def run_rules_for_order(*, store: Store, order_id: int, trigger: str, event_key: str) -> int:
    """What the task does: run the rules on the store's order, if it still exists; matches made."""

    order = Order.objects.for_store(store).filter(pk=order_id).first()
    if order is None:
        return 0
    return len(run_rules(store=store, order=order, trigger=trigger, event_key=event_key))
