"""Setting up a store's rules and its freight-forwarder list. Pages and the API call these.

Every change is checked here (conditions and actions by their own cleaners) and written to the store's
audit log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from cancellations.models import AutomationRule, FreightForwarderAddress, RuleMatchMode, RuleTrigger
from cancellations.rules.actions import clean_actions
from cancellations.rules.conditions import clean_conditions
from cancellations.rules.errors import RuleErrorCode, RuleFieldError, RuleInvalid
from cancellations.rules.normalise import normalise_address
from cancellations.rules.selectors import access_forwarder, access_rule
from tenants.models import Store, User
from tenants.services import record_store_event

RULE_FIELDS = ("name", "triggers", "match", "conditions", "actions", "enabled", "dry_run", "stop_after_match")
MAX_RULES = 100
MAX_FORWARDERS = 5000


def clean_rule(values: Mapping[str, Any]) -> dict[str, Any]:
    """A rule's fields checked and in their stored shape, or RuleInvalid naming the field."""
    name = str(values.get("name") or "").strip()
    if not name:
        raise RuleFieldError("name", _("Give the rule a name."))
    if len(name) > 120:
        raise RuleFieldError("name", _("At most 120 characters."))
    triggers = values.get("triggers") or []
    if isinstance(triggers, str) or not isinstance(triggers, Iterable):
        raise RuleFieldError("triggers", _("Give a list of triggers."))
    triggers = [str(t) for t in triggers]
    if not triggers:
        raise RuleFieldError("triggers", _("Choose when the rule runs."))
    if set(triggers) - set(RuleTrigger.values):
        raise RuleFieldError("triggers", _("Unknown trigger."))
    match = str(values.get("match") or RuleMatchMode.ALL)
    if match not in RuleMatchMode.values:
        raise RuleFieldError("match", _("Choose all or any."))
    conditions = clean_conditions(values.get("conditions", []))
    if not conditions:
        raise RuleFieldError("conditions", _("Add at least one condition."))
    actions = clean_actions(values.get("actions", []))
    if not actions:
        raise RuleFieldError("actions", _("Add at least one action."))
    return {
        "name": name,
        "triggers": [t for t in RuleTrigger.values if t in triggers],
        "match": match,
        "conditions": conditions,
        "actions": actions,
        "enabled": bool(values.get("enabled", False)),
        "dry_run": bool(values.get("dry_run", False)),
        "stop_after_match": bool(values.get("stop_after_match", False)),
    }


def _lock_store(store: Store) -> None:
    # Changes to one store's rule list take turns on the store row, so positions stay a sequence.
    Store.objects.select_for_update().filter(pk=store.pk).first()


def create_rule(*, store: Store, actor: User | None, values: Mapping[str, Any]) -> AutomationRule:
    """Add a rule at the end of the store's list."""
    fields = clean_rule(values)
    with transaction.atomic():
        _lock_store(store)
        rules = AutomationRule.objects.for_store(store)
        if rules.count() >= MAX_RULES:
            raise RuleInvalid(
                str(_("A store can have at most 100 rules.")), code=RuleErrorCode.TOO_MANY_RULES
            )
        last = rules.aggregate(last=Max("position"))["last"]
        rule = AutomationRule.objects.create(
            store=store,
            position=0 if last is None else last + 1,
            created_by=actor,
            updated_by=actor,
            **fields,
        )
        record_store_event(
            store=store, actor=actor, action="rule.created", subject=rule.name, data={"rule_id": rule.pk}
        )
    return rule


def update_rule(
    *, store: Store, rule_id: int, actor: User | None, values: Mapping[str, Any]
) -> AutomationRule:
    """Replace a rule's settings; the audit log names the fields that changed."""
    fields = clean_rule(values)
    with transaction.atomic():
        rule = access_rule(store=store, rule_id=rule_id, lock=True)
        changed = [name for name, value in fields.items() if getattr(rule, name) != value]
        if not changed:
            return rule
        for name in changed:
            setattr(rule, name, fields[name])
        rule.updated_by = actor
        rule.save(update_fields=[*changed, "updated_by", "updated_at"])
        record_store_event(
            store=store,
            actor=actor,
            action="rule.updated",
            subject=rule.name,
            data={"rule_id": rule.pk, "changed": changed},
        )
    return rule


def set_rule_switches(
    *,
    store: Store,
    rule_id: int,
    actor: User | None,
    enabled: bool | None = None,
    dry_run: bool | None = None,
) -> AutomationRule:
    """Switch a rule on or off, or in or out of dry-run."""
    with transaction.atomic():
        rule = access_rule(store=store, rule_id=rule_id, lock=True)
        wanted = {"enabled": enabled, "dry_run": dry_run}
        changed = {
            name: value
            for name, value in wanted.items()
            if value is not None and getattr(rule, name) != value
        }
        if not changed:
            return rule
        for name, value in changed.items():
            setattr(rule, name, value)
        rule.updated_by = actor
        rule.save(update_fields=[*changed, "updated_by", "updated_at"])
        record_store_event(
            store=store,
            actor=actor,
            action="rule.switched",
            subject=rule.name,
            data={"rule_id": rule.pk, **changed},
        )
    return rule


def move_rule(*, store: Store, rule_id: int, actor: User | None, offset: int) -> AutomationRule:
    """Move a rule earlier (negative offset) or later in the order rules run; positions become 0..n-1."""
    with transaction.atomic():
        _lock_store(store)
        access_rule(store=store, rule_id=rule_id)  # NotFound for another store's rule
        rules = list(AutomationRule.objects.for_store(store).order_by("position", "id"))
        index = next(i for i, rule in enumerate(rules) if rule.pk == rule_id)
        target = max(0, min(len(rules) - 1, index + offset))
        moved = rules.pop(index)
        rules.insert(target, moved)
        for position, rule in enumerate(rules):
            if rule.position != position:
                rule.position = position
                rule.save(update_fields=["position"])
        if target != index:
            record_store_event(
                store=store,
                actor=actor,
                action="rule.moved",
                subject=moved.name,
                data={"rule_id": moved.pk, "position": target + 1},
            )
    return moved


def delete_rule(*, store: Store, rule_id: int, actor: User | None) -> None:
    """Delete a rule and its match log (the requests it made keep their own history)."""
    with transaction.atomic():
        rule = access_rule(store=store, rule_id=rule_id, lock=True)
        record_store_event(
            store=store, actor=actor, action="rule.deleted", subject=rule.name, data={"rule_id": rule.pk}
        )
        rule.delete()


# --- the freight-forwarder list ------------------------------------------------------------------


def add_forwarder(*, store: Store, actor: User | None, values: Mapping[str, Any]) -> FreightForwarderAddress:
    """Add an address to the store's freight-forwarder list (one that reads the same is refused)."""
    fields = {
        name: str(values.get(name) or "").strip()
        for name in ("label", "address1", "address2", "city", "zip", "country_code")
    }
    fields["country_code"] = fields["country_code"].upper()
    if not fields["address1"]:
        raise RuleFieldError("address1", _("Give the street address."))
    if len(fields["country_code"]) != 2 or not fields["country_code"].isalpha():
        raise RuleFieldError("country_code", _("Use a two-letter country code, e.g. US."))
    entry = FreightForwarderAddress(store=store, created_by=actor, **fields)
    normalised = normalise_address(entry.as_mirror())
    if not normalised.street:
        raise RuleFieldError("address1", _("Give a street address with a street name or number."))
    entry.normalised = normalised.key[:600]
    try:
        with transaction.atomic():
            if FreightForwarderAddress.objects.for_store(store).count() >= MAX_FORWARDERS:
                raise RuleInvalid(
                    str(_("The list is full (5000 addresses).")), code=RuleErrorCode.TOO_MANY_FORWARDERS
                )
            entry.save()
            record_store_event(
                store=store,
                actor=actor,
                action="forwarder.added",
                subject=fields["label"] or fields["address1"],
                data={"forwarder_id": entry.pk},
            )
    except IntegrityError:
        raise RuleFieldError("address1", _("This address is on the list already.")) from None
    return entry


def remove_forwarder(*, store: Store, actor: User | None, forwarder_id: int) -> None:
    with transaction.atomic():
        entry = access_forwarder(store=store, forwarder_id=forwarder_id)
        record_store_event(
            store=store,
            actor=actor,
            action="forwarder.removed",
            subject=entry.label or entry.address1,
            data={"forwarder_id": entry.pk},
        )
        entry.delete()
