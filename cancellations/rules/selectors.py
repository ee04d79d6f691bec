"""Reading a store's rules, their matches and its freight-forwarder list (always by store)."""

from __future__ import annotations

from django.db.models import QuerySet

from cancellations.models import (
    AutomationRule,
    FreightForwarderAddress,
    RuleMatch,
)
from tenants.errors import NotFound
from tenants.models import Store


def access_rule(*, store: Store, rule_id: int, lock: bool = False) -> AutomationRule:
    """The store's rule with this id (locked until the transaction ends when `lock`), or NotFound."""
    rules = AutomationRule.objects.for_store(store)
    if lock:
        rules = rules.select_for_update()
    rule = rules.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound("No such rule.")
    return rule


def store_rules(*, store: Store) -> QuerySet[AutomationRule]:
    """The store's rules in the order they run."""
    return AutomationRule.objects.for_store(store).order_by("position", "id")


def rule_matches(*, store: Store, rule: AutomationRule) -> QuerySet[RuleMatch]:
    """A rule's matches, newest first, with their orders and requests."""
    return (
        RuleMatch.objects.for_store(store)
        .filter(rule_id=rule.pk)
        .select_related("order", "request")
        .order_by("-matched_at", "-id")
    )


def forwarders(*, store: Store) -> QuerySet[FreightForwarderAddress]:
    return FreightForwarderAddress.objects.for_store(store).order_by(
        "country_code", "label", "address1", "id"
    )


def access_forwarder(*, store: Store, forwarder_id: int) -> FreightForwarderAddress:
    entry = FreightForwarderAddress.objects.for_store(store).filter(pk=forwarder_id).first()
    if entry is None:
        raise NotFound("No such address.")
    return entry
