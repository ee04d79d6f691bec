"""The policy's JSON form: complete, round-trips, tolerant of old or partial data, strict about types."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from cancellations.policy import (
    RULE_ACTIONS,
    Action,
    CancelReason,
    FeeKind,
    FeeSettings,
    RefundOption,
    StorePolicy,
    WindowKind,
)
from cancellations.policy.errors import PolicyDataError
from cancellations.policy.validation import validate_policy
from tests.policy.builders import with_rule


def test_the_default_policy_is_a_sensible_start() -> None:
    policy = StorePolicy()

    assert validate_policy(policy) == []
    assert policy.cancel.enabled and policy.edit_address.enabled and policy.reorder.enabled
    assert (
        not policy.edit_quantity.enabled
        and not policy.swap_variant.enabled
        and not policy.remove_line.enabled
    )
    assert policy.cancel.window.kind == WindowKind.UNTIL_FULFILLMENT
    assert policy.withdrawal.enabled is False and policy.withdrawal.period_days == 14
    assert policy.refunds.method == RefundOption.ORIGINAL
    assert [reason.code for reason in policy.reasons.choices][-1] == "other"
    assert all({"en", "sv"} <= set(reason.labels) for reason in policy.reasons.choices)


def test_to_dict_is_json_and_round_trips() -> None:
    policy = replace(
        with_rule(
            StorePolicy(),
            "cancel",
            window={"kind": WindowKind.DAILY_CUTOFF, "cutoff": "14:00"},
            approval={"over_value": Decimal("250.00"), "grace_minutes": 30},
        ),
        fees=FeeSettings(kind=FeeKind.PERCENT, percent=Decimal("7.5"), minimum=Decimal("2.00")),
    )

    text = json.dumps(policy.to_dict())
    again = StorePolicy.from_dict(json.loads(text))

    assert again == policy
    assert again.to_dict() == policy.to_dict()
    assert json.loads(text)["schema"] == 1
    assert set(json.loads(text)["actions"]) == {action.value for action in RULE_ACTIONS}


def test_missing_keys_take_defaults_and_unknown_keys_are_ignored() -> None:
    data = {
        "actions": {"cancel": {"window": {"kind": "minutes", "minutes": 45}}},
        "fees": {"kind": "fixed", "fixed": "3.50"},
        "a_setting_from_the_future": {"x": 1},
    }

    policy = StorePolicy.from_dict(data)

    assert policy.cancel.window.minutes == 45
    assert policy.cancel.enabled is True  # from the default cancel rule, not a generic one
    assert policy.cancel.financial_statuses == StorePolicy().cancel.financial_statuses
    assert policy.edit_address == StorePolicy().edit_address
    assert policy.fees.fixed == Decimal("3.50")
    assert StorePolicy.from_dict({}) == StorePolicy()
    assert StorePolicy.from_dict(None) == StorePolicy()


def test_numbers_from_a_json_client_are_accepted() -> None:
    policy = StorePolicy.from_dict(
        {"fees": {"percent": 12.5, "minimum": 1}, "withdrawal": {"period_days": "30"}}
    )

    assert policy.fees.percent == Decimal("12.5")
    assert policy.fees.minimum == Decimal("1")
    assert policy.withdrawal.period_days == 30


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"actions": {"cancel": {"enabled": "yes"}}}, "actions.cancel.enabled"),
        ({"actions": {"cancel": {"window": {"kind": "fortnightly"}}}}, "actions.cancel.window.kind"),
        ({"actions": {"cancel": {"window": {"minutes": "soon"}}}}, "actions.cancel.window.minutes"),
        ({"actions": {"cancel": {"window": []}}}, "actions.cancel.window"),
        ({"actions": {"reorder": {"financial_statuses": "paid"}}}, "actions.reorder.financial_statuses"),
        ({"fees": {"percent": "ten"}}, "fees.percent"),
        ({"fees": {"maximum": "Infinity"}}, "fees.maximum"),
        ({"reasons": {"choices": [{"code": "x", "labels": ["en"]}]}}, "reasons.choices.0.labels"),
        ({"reasons": {"choices": ["changed_mind"]}}, "reasons.choices.0"),
        ({"refunds": {"method": "cash"}}, "refunds.method"),
    ],
)
def test_values_of_the_wrong_kind_name_their_field(data, field) -> None:
    with pytest.raises(PolicyDataError) as raised:
        StorePolicy.from_dict(data)

    assert raised.value.field == field
    assert raised.value.code == "policy_data_invalid"


def test_rule_for_each_action() -> None:
    policy = StorePolicy()

    assert [policy.rule_for(action) for action in RULE_ACTIONS] == [
        policy.cancel,
        policy.edit_address,
        policy.edit_quantity,
        policy.swap_variant,
        policy.remove_line,
        policy.add_item,
        policy.reorder,
    ]
    with pytest.raises(ValueError, match="withdrawal"):
        policy.rule_for(Action.WITHDRAWAL)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("sv", "Jag har ångrat mig"), ("sv-SE", "Jag har ångrat mig"), ("de", "I changed my mind")],
)
def test_reason_labels_fall_back_to_english(language, expected) -> None:
    assert StorePolicy().reasons.get("changed_mind").label(language) == expected


def test_a_reason_without_labels_shows_its_code() -> None:
    assert CancelReason("late").label("sv") == "late"
