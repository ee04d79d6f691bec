"""validate(): one clear, field-addressed message for each way a policy can be wrong."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.functional import Promise

from cancellations.policy import (
    CancelReason,
    FeeKind,
    FeeSettings,
    ReasonSettings,
    RefundOption,
    RefundSettings,
    RetentionKind,
    RetentionOffer,
    StorePolicy,
    WindowKind,
    WithdrawalSettings,
    reason_errors,
)
from cancellations.policy.validation import validate_policy
from tests.policy.builders import with_rule

BASE = StorePolicy()
D = Decimal


def reasons(*choices: CancelReason, **fields) -> StorePolicy:
    return replace(BASE, reasons=ReasonSettings(choices=choices, **fields))


CASES = [
    (
        "grace-without-window",
        with_rule(BASE, "cancel", approval={"grace_minutes": 30}),
        "actions.cancel.approval.grace_minutes",
        "grace_without_window",
        "Grace period needs a time window (minutes after the order, or a daily cut-off).",
    ),
    (
        "negative-grace",
        with_rule(
            BASE, "cancel", window={"kind": WindowKind.MINUTES, "minutes": 60}, approval={"grace_minutes": -1}
        ),
        "actions.cancel.approval.grace_minutes",
        "negative",
        "A grace period cannot be negative.",
    ),
    (
        "grace-too-long",
        with_rule(
            BASE,
            "cancel",
            window={"kind": WindowKind.MINUTES, "minutes": 60},
            approval={"grace_minutes": 10**6},
        ),
        "actions.cancel.approval.grace_minutes",
        "out_of_range",
        "Use a grace period of at most 365 days.",
    ),
    (
        "minutes-missing",
        with_rule(BASE, "edit_address", window={"kind": WindowKind.MINUTES}),
        "actions.edit_address.window.minutes",
        "required",
        "Give the window a length in minutes.",
    ),
    (
        "minutes-zero",
        with_rule(BASE, "cancel", window={"kind": WindowKind.MINUTES, "minutes": 0}),
        "actions.cancel.window.minutes",
        "out_of_range",
        "Use a window from 1 minute to 365 days.",
    ),
    (
        "cutoff-missing",
        with_rule(BASE, "cancel", window={"kind": WindowKind.DAILY_CUTOFF}),
        "actions.cancel.window.cutoff",
        "required",
        "Give a daily cut-off time, e.g. 14:00.",
    ),
    *(
        (
            f"cutoff-{bad}",
            with_rule(BASE, "cancel", window={"kind": WindowKind.DAILY_CUTOFF, "cutoff": bad}),
            "actions.cancel.window.cutoff",
            "invalid_time",
            "Use a 24-hour time like 14:00.",
        )
        for bad in ("2pm", "24:00", "9:30", "14:60", "14:00:00")
    ),
    (
        "unknown-financial-status",
        with_rule(BASE, "cancel", financial_statuses=("paid", "settled")),
        "actions.cancel.financial_statuses",
        "unknown_status",
        "Unknown payment status “settled”.",
    ),
    (
        "unknown-fulfillment-status",
        with_rule(BASE, "reorder", fulfillment_statuses=("delivered",)),
        "actions.reorder.fulfillment_statuses",
        "unknown_status",
        "Unknown shipping status “delivered”.",
    ),
    (
        "no-financial-status",
        with_rule(BASE, "cancel", financial_statuses=()),
        "actions.cancel.financial_statuses",
        "required",
        "Choose at least one payment status, or turn this action off.",
    ),
    (
        "no-fulfillment-status",
        with_rule(BASE, "cancel", fulfillment_statuses=()),
        "actions.cancel.fulfillment_statuses",
        "required",
        "Choose at least one shipping status, or turn this action off.",
    ),
    (
        "cancel-shipped",
        with_rule(BASE, "cancel", fulfillment_statuses=("unfulfilled", "partial")),
        "actions.cancel.fulfillment_statuses",
        "shipped_not_cancellable",
        "Orders that have shipped cannot be cancelled here; remove “Partly shipped” and “Shipped”.",
    ),
    (
        "edit-shipped",
        with_rule(BASE, "swap_variant", fulfillment_statuses=("fulfilled",)),
        "actions.swap_variant.fulfillment_statuses",
        "shipped_not_editable",
        "Orders that have shipped cannot be changed here; remove “Shipped”.",
    ),
    (
        "unknown-excluded-risk",
        with_rule(BASE, "cancel", order_exclusions={"risk_levels": ("extreme",)}),
        "actions.cancel.order_exclusions.risk_levels",
        "unknown_risk_level",
        "Unknown risk level “extreme”.",
    ),
    (
        "unknown-review-risk",
        with_rule(BASE, "cancel", approval={"risk_levels": ("HIGH",)}),
        "actions.cancel.approval.risk_levels",
        "unknown_risk_level",
        "Unknown risk level “HIGH”.",
    ),
    (
        "negative-order-value",
        with_rule(BASE, "cancel", approval={"over_value": D("-1")}),
        "actions.cancel.approval.over_value",
        "negative",
        "Use an amount of zero or more.",
    ),
    (
        "order-value-too-precise",
        with_rule(BASE, "cancel", approval={"over_value": D("10.001")}),
        "actions.cancel.approval.over_value",
        "too_precise",
        "Use at most two decimal places.",
    ),
    (
        "duplicate-reason",
        reasons(CancelReason("late", {"en": "Late"}), CancelReason("late", {"en": "Too late"})),
        "reasons.choices.1.code",
        "duplicate_reason",
        "The code “late” is used by another reason.",
    ),
    (
        "reason-code-missing",
        reasons(CancelReason("", {"en": "Late"})),
        "reasons.choices.0.code",
        "required",
        "Give the reason a code.",
    ),
    (
        "reason-code-format",
        reasons(CancelReason("Too Late!", {"en": "Late"})),
        "reasons.choices.0.code",
        "invalid_code",
        "Use at most 40 lowercase letters, digits and underscores, e.g. changed_mind.",
    ),
    (
        "reason-label-missing",
        reasons(CancelReason("late", {"en": " "})),
        "reasons.choices.0.labels",
        "required",
        "Give the reason a label.",
    ),
    (
        "reason-label-language",
        reasons(CancelReason("late", {"en": "Late", "xx": "?"})),
        "reasons.choices.0.labels.xx",
        "unknown_language",
        "Unknown language “xx”.",
    ),
    (
        "required-reason-with-nothing-to-give",
        reasons(required=True, free_text=False),
        "reasons.required",
        "nothing_to_give",
        "A required reason needs reasons to choose from or a box for the customer's own words.",
    ),
    (
        "retention-code-missing",
        replace(BASE, retention=RetentionOffer(kind=RetentionKind.DISCOUNT_CODE)),
        "retention.discount_code",
        "required",
        "Give the discount code to offer.",
    ),
    (
        "retention-code-spaces",
        replace(BASE, retention=RetentionOffer(kind=RetentionKind.DISCOUNT_CODE, discount_code="STAY 10")),
        "retention.discount_code",
        "invalid_code",
        "A discount code cannot contain spaces.",
    ),
    (
        "retention-message-language",
        replace(BASE, retention=RetentionOffer(kind=RetentionKind.SUGGEST_EDIT, messages={"fr": "Non"})),
        "retention.messages.fr",
        "unknown_language",
        "Unknown language “fr”.",
    ),
    (
        "percent-above-100",
        replace(BASE, fees=FeeSettings(kind=FeeKind.PERCENT, percent=D("120"))),
        "fees.percent",
        "out_of_range",
        "Use a percentage from 0 to 100.",
    ),
    (
        "percent-negative",
        replace(BASE, fees=FeeSettings(kind=FeeKind.PERCENT, percent=D("-1"))),
        "fees.percent",
        "out_of_range",
        "Use a percentage from 0 to 100.",
    ),
    (
        "fixed-negative",
        replace(BASE, fees=FeeSettings(kind=FeeKind.FIXED, fixed=D("-2"))),
        "fees.fixed",
        "negative",
        "Use an amount of zero or more.",
    ),
    (
        "max-below-min",
        replace(
            BASE, fees=FeeSettings(kind=FeeKind.PERCENT, percent=D("5"), minimum=D("10"), maximum=D("5"))
        ),
        "fees.maximum",
        "max_below_min",
        "Maximum fee is below the minimum.",
    ),
    (
        "minimum-too-precise",
        replace(BASE, fees=FeeSettings(kind=FeeKind.FIXED, fixed=D("1"), minimum=D("0.005"))),
        "fees.minimum",
        "too_precise",
        "Use at most two decimal places.",
    ),
    (
        "waived-unknown-reason",
        replace(BASE, fees=FeeSettings(kind=FeeKind.FIXED, fixed=D("5"), waived_reasons=("damaged",))),
        "fees.waived_reasons",
        "unknown_reason",
        "“damaged” is not one of the store's reasons.",
    ),
    (
        "bonus-out-of-range",
        replace(
            BASE,
            refunds=RefundSettings(method=RefundOption.STORE_CREDIT, store_credit_bonus_percent=D("101")),
        ),
        "refunds.store_credit_bonus_percent",
        "out_of_range",
        "Use a percentage from 0 to 100.",
    ),
    (
        "bonus-without-store-credit",
        replace(
            BASE, refunds=RefundSettings(method=RefundOption.ORIGINAL, store_credit_bonus_percent=D("10"))
        ),
        "refunds.store_credit_bonus_percent",
        "bonus_without_store_credit",
        "A store-credit bonus needs store credit as a refund method.",
    ),
    (
        "withdrawal-below-legal-minimum",
        replace(BASE, withdrawal=WithdrawalSettings(enabled=True, period_days=7)),
        "withdrawal.period_days",
        "below_legal_minimum",
        "The legal withdrawal period is at least 14 days.",
    ),
    (
        "withdrawal-too-long",
        replace(BASE, withdrawal=WithdrawalSettings(enabled=True, period_days=400)),
        "withdrawal.period_days",
        "out_of_range",
        "Use a withdrawal period of at most 365 days.",
    ),
]


@pytest.mark.parametrize(
    ("policy", "field", "code", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_problem_has_one_clear_message(policy, field, code, message) -> None:
    with translation.override("en"):
        errors = validate_policy(policy)

        assert [(e.field, e.code, str(e.message)) for e in errors] == [(field, code, message)]
        assert errors[0].to_dict() == {"field": field, "code": code, "message": message}


def test_valid_variations_pass() -> None:
    policy = replace(
        with_rule(
            BASE,
            "cancel",
            window={"kind": WindowKind.DAILY_CUTOFF, "cutoff": "23:59"},
            approval={"grace_minutes": 60, "over_value": D("500.00"), "risk_levels": ("", "medium", "high")},
            order_exclusions={"tags": ("wholesale",), "risk_levels": ("high",)},
        ),
        fees=FeeSettings(
            kind=FeeKind.PERCENT,
            percent=D("100"),
            minimum=D("5.00"),
            maximum=D("5.00"),
            waived_reasons=("wrong_item",),
        ),
        refunds=RefundSettings(method=RefundOption.CUSTOMER_CHOICE, store_credit_bonus_percent=D("12.5")),
        retention=RetentionOffer(
            kind=RetentionKind.DISCOUNT_CODE, discount_code="STAY10", messages={"sv": "Stanna!"}
        ),
        withdrawal=WithdrawalSettings(enabled=True, period_days=14),
    )

    assert validate_policy(policy) == []


def test_a_disabled_action_may_have_no_statuses() -> None:
    assert (
        validate_policy(
            with_rule(BASE, "swap_variant", enabled=False, financial_statuses=(), fulfillment_statuses=())
        )
        == []
    )


def test_messages_are_translated_when_shown_not_when_checked() -> None:
    with translation.override("sv"):
        errors = validate_policy(with_rule(BASE, "cancel", approval={"grace_minutes": 30}))
        errors += validate_policy(with_rule(BASE, "cancel", financial_statuses=("nope",)))

    # Lazy messages render in the language active where they are shown (the page's, the API caller's).
    assert all(isinstance(error.message, Promise) for error in errors)
    with translation.override("en"):
        assert str(errors[0].message).startswith("Grace period needs a time window")
        assert str(errors[1].message) == "Unknown payment status “nope”."


def test_every_problem_is_reported_at_once() -> None:
    policy = replace(
        with_rule(BASE, "cancel", approval={"grace_minutes": 5}, financial_statuses=("nope",)),
        fees=FeeSettings(kind=FeeKind.PERCENT, percent=D("200")),
    )

    fields = [error.field for error in validate_policy(policy)]

    assert fields == [
        "actions.cancel.financial_statuses",
        "actions.cancel.approval.grace_minutes",
        "fees.percent",
    ]


def only_reasons(**fields) -> StorePolicy:
    return replace(BASE, reasons=replace(BASE.reasons, **fields))


@pytest.mark.parametrize(
    ("policy", "code", "text", "expected"),
    [
        (BASE, "changed_mind", "", []),
        (BASE, "changed_mind", "Found a better one", []),
        (BASE, None, "Just because", []),
        (BASE, None, "  ", [("reason", "required", "Please tell us why you are cancelling.")]),
        (BASE, "bored", "", [("reason", "reason_unknown", "Please choose one of the reasons listed.")]),
        (only_reasons(required=False), None, "", []),
        (
            only_reasons(free_text=False),
            None,
            "Because",
            [
                ("reason", "required", "Please tell us why you are cancelling."),
                ("reason_text", "not_accepted", "The store does not take a written reason."),
            ],
        ),
        (BASE, "other", "x" * 1001, [("reason_text", "too_long", "Please keep it under 1000 characters.")]),
    ],
    ids=[
        "code",
        "code-and-text",
        "text-only",
        "nothing",
        "unknown-code",
        "optional",
        "no-free-text",
        "too-long",
    ],
)
def test_the_customers_reason(policy, code, text, expected) -> None:
    with translation.override("en"):
        errors = [(e.field, e.code, str(e.message)) for e in reason_errors(policy, code=code, text=text)]

    assert errors == expected
