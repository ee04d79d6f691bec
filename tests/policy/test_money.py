"""Restocking fees and refund summaries: Decimal, two places, half up."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from cancellations.policy import (
    FeeKind,
    FeeSettings,
    RefundOption,
    RefundSettings,
    StorePolicy,
    refund_summary,
    restocking_fee,
    round_money,
)

D = Decimal


def with_fees(**fields) -> StorePolicy:
    return replace(StorePolicy(), fees=FeeSettings(**fields))


@pytest.mark.parametrize(
    ("fees", "total", "reason", "expected"),
    [
        ({}, D("100.00"), None, D("0.00")),
        ({"kind": FeeKind.PERCENT, "percent": D("10")}, D("100.00"), None, D("10.00")),
        # 2.5 % of 10.10 is 0.2525: half up to 0.25; of 10.30 is 0.2575: up to 0.26.
        ({"kind": FeeKind.PERCENT, "percent": D("2.5")}, D("10.10"), None, D("0.25")),
        ({"kind": FeeKind.PERCENT, "percent": D("2.5")}, D("10.30"), None, D("0.26")),
        # 0.005 exactly rounds up, never to even.
        ({"kind": FeeKind.PERCENT, "percent": D("5")}, D("0.10"), None, D("0.01")),
        ({"kind": FeeKind.FIXED, "fixed": D("4.95")}, D("100.00"), None, D("4.95")),
        ({"kind": FeeKind.PERCENT, "percent": D("10"), "minimum": D("5")}, D("20.00"), None, D("5.00")),
        ({"kind": FeeKind.PERCENT, "percent": D("10"), "maximum": D("15")}, D("500.00"), None, D("15.00")),
        # A minimum above the order's total keeps the whole total, never more.
        ({"kind": FeeKind.FIXED, "fixed": D("9.00"), "minimum": D("9.00")}, D("6.50"), None, D("6.50")),
        (
            {"kind": FeeKind.PERCENT, "percent": D("10"), "waived_reasons": ("wrong_item",)},
            D("100"),
            "wrong_item",
            D("0.00"),
        ),
        (
            {"kind": FeeKind.PERCENT, "percent": D("10"), "waived_reasons": ("wrong_item",)},
            D("100"),
            "changed_mind",
            D("10.00"),
        ),
        ({"kind": FeeKind.PERCENT, "percent": D("10")}, D("0.00"), None, D("0.00")),
        ({"kind": FeeKind.FIXED, "fixed": D("3")}, D("-5.00"), None, D("0.00")),
    ],
    ids=[
        "no-fee",
        "percent",
        "half-up-down",
        "half-up-up",
        "half-up-at-half-a-cent",
        "fixed",
        "minimum",
        "maximum",
        "capped-at-total",
        "waived-reason",
        "reason-not-waived",
        "nothing-to-refund",
        "negative-total",
    ],
)
def test_restocking_fee(fees, total, reason, expected) -> None:
    fee = restocking_fee(with_fees(**fees), total, reason)

    assert fee == expected
    assert fee.as_tuple().exponent == -2


def test_round_money_is_half_up_to_two_places() -> None:
    assert round_money(D("1.005")) == D("1.01")
    assert round_money(D("1.0049")) == D("1.00")
    assert round_money(D("-1.005")) == D("-1.01")


def test_refund_to_the_original_method_minus_the_fee() -> None:
    policy = with_fees(kind=FeeKind.PERCENT, percent=D("10"))

    summary = refund_summary(policy, refundable=D("59.90"), reason="changed_mind")

    assert summary.method == RefundOption.ORIGINAL
    assert summary.choices == (RefundOption.ORIGINAL,)
    assert (summary.refundable, summary.fee, summary.amount) == (D("59.90"), D("5.99"), D("53.91"))
    assert summary.store_credit_bonus == D("0.00")
    assert summary.total == D("53.91")


def test_store_credit_with_a_bonus() -> None:
    policy = replace(
        StorePolicy(),
        refunds=RefundSettings(method=RefundOption.STORE_CREDIT, store_credit_bonus_percent=D("10")),
    )

    summary = refund_summary(policy, refundable=D("45.55"), choice=RefundOption.ORIGINAL)

    # The store decides: the customer's pick is ignored.
    assert summary.method == RefundOption.STORE_CREDIT
    assert summary.store_credit_bonus == D("4.56")
    assert summary.total == D("50.11")


@pytest.mark.parametrize(
    ("choice", "method"),
    [
        (None, RefundOption.ORIGINAL),
        ("store_credit", RefundOption.STORE_CREDIT),
        ("bitcoin", RefundOption.ORIGINAL),
    ],
)
def test_the_customer_chooses_when_the_store_lets_them(choice, method) -> None:
    policy = replace(
        StorePolicy(),
        refunds=RefundSettings(method=RefundOption.CUSTOMER_CHOICE, store_credit_bonus_percent=D("5")),
    )

    summary = refund_summary(policy, refundable=D("100"), choice=choice)

    assert summary.choices == (RefundOption.ORIGINAL, RefundOption.STORE_CREDIT)
    assert summary.method == method
    assert summary.store_credit_bonus == (D("5.00") if method == RefundOption.STORE_CREDIT else D("0.00"))


def test_a_withdrawal_is_refunded_in_full_to_the_original_method_by_default() -> None:
    policy = replace(
        with_fees(kind=FeeKind.FIXED, fixed=D("10")),
        refunds=RefundSettings(method=RefundOption.STORE_CREDIT, store_credit_bonus_percent=D("10")),
    )

    default = refund_summary(policy, refundable=D("80.00"), action="withdrawal")
    chosen = refund_summary(policy, refundable=D("80.00"), action="withdrawal", choice="store_credit")

    assert (default.method, default.fee, default.total) == (RefundOption.ORIGINAL, D("0.00"), D("80.00"))
    assert (chosen.method, chosen.fee, chosen.total) == (RefundOption.STORE_CREDIT, D("0.00"), D("88.00"))


def test_refund_summary_to_dict() -> None:
    data = refund_summary(StorePolicy(), refundable=D("12.3")).to_dict()

    assert data == {
        "method": "original",
        "choices": ["original"],
        "refundable": "12.30",
        "fee": "0.00",
        "amount": "12.30",
        "store_credit_bonus": "0.00",
        "total": "12.30",
    }


@pytest.mark.parametrize(
    ("refundable", "fee"), [(D("30.00"), D("2.00")), (D("200.00"), D("10.00")), (D("600.00"), D("15.00"))]
)
def test_the_merchant_guide_example(refundable, fee) -> None:
    # docs/policy.md, "Fees and refunds".
    policy = replace(
        with_fees(kind=FeeKind.PERCENT, percent=D("5"), minimum=D("2.00"), maximum=D("15.00")),
        refunds=RefundSettings(method=RefundOption.STORE_CREDIT, store_credit_bonus_percent=D("10")),
    )

    summary = refund_summary(policy, refundable=refundable)

    assert summary.fee == fee
    if refundable == D("200.00"):
        assert (summary.amount, summary.store_credit_bonus, summary.total) == (
            D("190.00"),
            D("19.00"),
            D("209.00"),
        )
