"""Running a store's rules on an order event, and previewing a rule on recent orders.

Rules run in order of position. A rule that matches records a `RuleMatch` first, then acts, in one
transaction; the match is unique per (store, rule, order, event key), so when the same event is
handled twice at once (two webhook deliveries, a retried task) the second insert waits for the first
and then finds it: the rule has acted once. A rule in dry-run records what it would have done and does
nothing, and does not stop later rules either (a rule on trial must not change what the live ones do).
Cancelled orders are left alone: there is nothing left for a rule to do to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from cancellations.models import AutomationRule, Order, RuleMatch, RuleTrigger
from cancellations.rules.conditions import Evaluation, evaluate, needed_days, needs_forwarders
from cancellations.rules.effects import carry_out
from cancellations.rules.facts import RecentOrders, order_facts, recent_order_counts, rule_context
from tenants.errors import NotFound
from tenants.models import Store
from tenants.services import record_store_event

PREVIEW_DAYS = 30
PREVIEW_LIMIT = 200


def rules_for_trigger(*, store: Store, trigger: str) -> list[AutomationRule]:
    """The store's switched-on rules for a trigger, in the order they run."""
    return list(
        AutomationRule.objects.for_store(store)
        .filter(enabled=True, triggers__contains=[trigger])
        .order_by("position", "id")
    )


def has_rules_for(*, store: Store, trigger: str) -> bool:
    return AutomationRule.objects.for_store(store).filter(enabled=True, triggers__contains=[trigger]).exists()


def run_rules(
    *, store: Store, order: Order, trigger: str, event_key: str, now: datetime | None = None
) -> list[RuleMatch]:
    """Run the store's rules for one order event; the matches of this event (new or found)."""
    if trigger not in RuleTrigger.values:
        raise ValueError(f"unknown trigger {trigger!r}")
    if order.store_id != store.pk:
        raise NotFound("No such order.")
    event_key = event_key[:200]
    rules = rules_for_trigger(store=store, trigger=trigger)
    if not rules:
        return []
    current = Order.objects.for_store(store).filter(pk=order.pk).prefetch_related("line_items").first()
    if current is None or current.is_cancelled:
        return []
    order = current
    now = now or timezone.now()
    days = set().union(*(needed_days(rule.conditions) for rule in rules))
    facts = order_facts(order, recent_orders=recent_order_counts(store=store, order=order, days=days))
    context = rule_context(store=store, with_forwarders=any(needs_forwarders(r.conditions) for r in rules))
    matches: list[RuleMatch] = []
    for rule in rules:
        evaluation = evaluate(match=rule.match, conditions=rule.conditions, order=facts, context=context)
        if not evaluation.matched:
            continue
        match, tag_added = _match(
            store=store,
            rule=rule,
            order=order,
            trigger=trigger,
            event_key=event_key,
            evaluation=evaluation,
            now=now,
        )
        matches.append(match)
        if tag_added:
            # A later rule sees the tag an earlier one added.
            facts = replace(facts, tags=(*facts.tags, tag_added))
        if rule.stop_after_match and not match.dry_run:
            break
    return matches


def _match(
    *,
    store: Store,
    rule: AutomationRule,
    order: Order,
    trigger: str,
    event_key: str,
    evaluation: Evaluation,
    now: datetime,
) -> tuple[RuleMatch, str]:
    with transaction.atomic():
        try:
            with transaction.atomic():
                # Concurrent handlers of one event meet here: the unique (store, rule, order, event_key)
                # makes the second insert wait for the first transaction, then fail.
                match = RuleMatch.objects.create(
                    store=store,
                    rule=rule,
                    order=order,
                    trigger=trigger,
                    event_key=event_key,
                    matched_at=now,
                    dry_run=rule.dry_run,
                    outcome=RuleMatch.Outcome.DRY_RUN if rule.dry_run else RuleMatch.Outcome.ACTED,
                    conditions=evaluation.to_list(),
                )
        except IntegrityError:
            found = RuleMatch.objects.for_store(store).get(rule=rule, order=order, event_key=event_key)
            return found, ""
        done = carry_out(store=store, rule=rule, order=order, match=match, now=now)
        match.actions = done.actions
        match.request = done.request
        if done.failed:
            match.outcome = RuleMatch.Outcome.PARTLY
        match.save(update_fields=["actions", "request", "outcome"])
        if not match.dry_run:
            record_store_event(
                store=store,
                actor=None,
                action="rule.matched",
                subject=f"{rule.name} · {order.name}",
                data={
                    "rule_id": rule.pk,
                    "order_id": order.pk,
                    "event": event_key,
                    "actions": [f"{a['type']}: {a.get('result', '')}" for a in done.actions],
                },
            )
    return match, done.tag_added


# --- preview -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewRow:
    order: Order
    evaluation: Evaluation


@dataclass(frozen=True)
class Preview:
    since: datetime
    scanned: int
    matched: int
    rows: tuple[PreviewRow, ...]  # the newest matches, at most PREVIEW_LIMIT

    @property
    def truncated(self) -> bool:
        return self.matched > len(self.rows)


def preview_rule(
    *,
    store: Store,
    match: str,
    conditions: Sequence[dict],
    days: int = PREVIEW_DAYS,
    now: datetime | None = None,
    limit: int = PREVIEW_LIMIT,
) -> Preview:
    """Which of the store's orders of the last `days` days (not cancelled) these conditions match now.

    Triggers are not considered: the preview answers "which orders is this rule about".
    """
    now = now or timezone.now()
    since = now - timedelta(days=days)
    wanted_days = needed_days(conditions)
    recent = (
        RecentOrders.load(store=store, since=since - timedelta(days=max(wanted_days)))
        if wanted_days
        else RecentOrders(())
    )
    context = rule_context(store=store, with_forwarders=needs_forwarders(conditions))
    orders = (
        Order.objects.for_store(store)
        .filter(placed_at__gte=since, placed_at__lte=now, cancelled_at__isnull=True)
        .prefetch_related("line_items")
        .order_by("-placed_at", "-id")
    )
    scanned = matched = 0
    rows: list[PreviewRow] = []
    for order in orders.iterator(chunk_size=500):
        scanned += 1
        facts = order_facts(
            order, lines=order.line_items.all(), recent_orders=recent.counts(order, wanted_days)
        )
        evaluation = evaluate(match=match, conditions=conditions, order=facts, context=context)
        if evaluation.matched:
            matched += 1
            if len(rows) < limit:
                rows.append(PreviewRow(order=order, evaluation=evaluation))
    return Preview(since=since, scanned=scanned, matched=matched, rows=tuple(rows))
