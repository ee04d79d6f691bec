"""Setting rules up: checks, positions, switches, moves, deletes, the forwarder list, the audit log."""

from __future__ import annotations

import pytest

from cancellations.models import AutomationRule, FreightForwarderAddress
from cancellations.rules.actions import clean_actions
from cancellations.rules.errors import RuleFieldError, RuleInvalid
from cancellations.rules.presets import PRESETS
from cancellations.rules.services import (
    add_forwarder,
    create_rule,
    delete_rule,
    move_rule,
    remove_forwarder,
    set_rule_switches,
    update_rule,
)
from tenants.errors import NotFound
from tenants.models import StoreAuditEvent
from tests.factories import make_user
from tests.rules.helpers import HIGH_RISK, make_rule

pytestmark = pytest.mark.django_db

VALID = {"name": "R", "triggers": ["order_created"], "conditions": [HIGH_RISK], "actions": [{"type": "hold"}]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"triggers": []}, "triggers"),
        ({"triggers": ["order_paid"]}, "triggers"),
        ({"match": "most"}, "match"),
        ({"conditions": []}, "conditions"),
        ({"conditions": [{"type": "risk_level", "values": ["nope"]}]}, "conditions.0.values"),
        ({"actions": []}, "actions"),
        ({"actions": [{"type": "explode"}]}, "actions.0.type"),
        ({"actions": [{"type": "tag", "tag": ""}]}, "actions.0.tag"),
        ({"actions": [{"type": "tag", "tag": "a,b"}]}, "actions.0.tag"),
        ({"actions": [{"type": "cancel", "refund": "cash"}]}, "actions.0.refund"),
        ({"actions": [{"type": "cancel", "staff_note": "x" * 256}]}, "actions.0.staff_note"),
        ({"actions": [{"type": "cancel"}, {"type": "hold"}]}, "actions"),
        ({"actions": [{"type": "tag", "tag": "a"}, {"type": "tag", "tag": "b"}]}, "actions"),
    ],
)
def test_invalid_rules_are_refused_naming_the_field(store_a, change, field):
    with pytest.raises(RuleFieldError) as caught:
        create_rule(store=store_a, actor=None, values={**VALID, **change})
    assert caught.value.field == field
    assert not AutomationRule.objects.for_store(store_a).exists()


def test_actions_are_stored_with_defaults_in_the_order_they_run():
    assert clean_actions([{"type": "notify_staff"}, {"type": "cancel"}, {"type": "tag", "tag": " x "}]) == [
        {"type": "tag", "tag": "x"},
        {
            "type": "cancel",
            "reason": "other",
            "refund": "original",
            "restock": True,
            "notify": False,
            "staff_note": "",
        },
        {"type": "notify_staff", "message": ""},
    ]


def test_new_rules_go_last_and_changes_are_in_the_audit_log(store_a):
    owner = make_user()
    first = create_rule(store=store_a, actor=owner, values=VALID)
    second = create_rule(store=store_a, actor=owner, values={**VALID, "name": "Second"})
    assert (first.position, second.position) == (0, 1)
    assert (second.created_by, second.enabled, second.dry_run) == (owner, False, False)

    updated = update_rule(store=store_a, rule_id=first.pk, actor=owner, values={**VALID, "match": "any"})
    assert updated.match == "any" and updated.updated_by == owner
    update_rule(store=store_a, rule_id=first.pk, actor=owner, values={**VALID, "match": "any"})  # no change

    actions = list(StoreAuditEvent.objects.for_store(store_a).order_by("id").values_list("action", "data"))
    assert [a for a, _ in actions] == ["rule.created", "rule.created", "rule.updated"]
    assert actions[2][1] == {"rule_id": first.pk, "changed": ["match"]}


def test_switches_and_moves(store_a):
    rules = [make_rule(store_a, name=name, enabled=False) for name in ("a", "b", "c")]
    set_rule_switches(store=store_a, rule_id=rules[1].pk, actor=None, enabled=True, dry_run=True)
    rules[1].refresh_from_db()
    assert rules[1].enabled and rules[1].dry_run

    move_rule(store=store_a, rule_id=rules[2].pk, actor=None, offset=-1)
    move_rule(store=store_a, rule_id=rules[2].pk, actor=None, offset=-1)
    move_rule(store=store_a, rule_id=rules[2].pk, actor=None, offset=-1)  # already first: stays
    order = list(
        AutomationRule.objects.for_store(store_a).order_by("position").values_list("name", "position")
    )
    assert order == [("c", 0), ("a", 1), ("b", 2)]
    switched = StoreAuditEvent.objects.for_store(store_a).get(action="rule.switched")
    assert switched.data == {"rule_id": rules[1].pk, "enabled": True, "dry_run": True}
    assert StoreAuditEvent.objects.for_store(store_a).filter(action="rule.moved").count() == 2


def test_another_stores_rule_cannot_be_changed(store_a, store_b):
    theirs = make_rule(store_b)
    for call in (
        lambda: update_rule(store=store_a, rule_id=theirs.pk, actor=None, values=VALID),
        lambda: set_rule_switches(store=store_a, rule_id=theirs.pk, actor=None, enabled=False),
        lambda: move_rule(store=store_a, rule_id=theirs.pk, actor=None, offset=1),
        lambda: delete_rule(store=store_a, rule_id=theirs.pk, actor=None),
    ):
        with pytest.raises(NotFound):
            call()
    theirs.refresh_from_db()
    assert theirs.enabled and theirs.name == "High risk"


def test_deleting_a_rule(store_a):
    rule = make_rule(store_a)
    delete_rule(store=store_a, rule_id=rule.pk, actor=None)
    assert not AutomationRule.objects.for_store(store_a).exists()
    assert StoreAuditEvent.objects.for_store(store_a).filter(action="rule.deleted").exists()


def test_a_forwarder_written_differently_is_the_same_entry(store_a, store_b):
    entry = add_forwarder(
        store=store_a,
        actor=None,
        values={"label": "Fwd", "address1": "Unit 5, 123 Main St.", "zip": "97229", "country_code": "us"},
    )
    assert entry.country_code == "US"
    with pytest.raises(RuleFieldError) as caught:
        add_forwarder(
            store=store_a,
            actor=None,
            values={"address1": "123 MAIN STREET #5", "zip": "97229", "country_code": "US"},
        )
    assert caught.value.field == "address1"
    # Each store keeps its own list.
    add_forwarder(
        store=store_b, actor=None, values={"address1": "123 Main St #5", "zip": "97229", "country_code": "US"}
    )
    with pytest.raises(NotFound):
        remove_forwarder(store=store_b, actor=None, forwarder_id=entry.pk)
    remove_forwarder(store=store_a, actor=None, forwarder_id=entry.pk)
    assert not FreightForwarderAddress.objects.for_store(store_a).exists()
    assert FreightForwarderAddress.objects.for_store(store_b).count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"address1": "", "country_code": "US"}, "address1"),
        ({"address1": "1 Main St", "country_code": "USA"}, "country_code"),
        ({"address1": "c/o Someone", "country_code": "US"}, "address1"),
    ],
)
def test_a_forwarder_needs_a_street_and_a_country(store_a, values, field):
    with pytest.raises(RuleInvalid) as caught:
        add_forwarder(store=store_a, actor=None, values=values)
    assert caught.value.field == field


@pytest.mark.parametrize("code", sorted(PRESETS))
def test_every_template_is_a_valid_rule_that_starts_switched_off(store_a, code):
    rule = create_rule(store=store_a, actor=None, values=PRESETS[code].initial())
    assert not rule.enabled
    assert rule.conditions and rule.actions
