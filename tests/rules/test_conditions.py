"""Every condition, on plain order snapshots: when it holds, when it does not, turned round, all/any."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cancellations.rules.conditions import (
    CONDITION_TYPES,
    LineFacts,
    OrderFacts,
    RuleContext,
    clean_condition,
    clean_conditions,
    evaluate,
    evaluate_condition,
)
from cancellations.rules.errors import RuleFieldError
from cancellations.rules.normalise import normalise_address

US = {"address1": "1 Elm St", "city": "Austin", "province_code": "TX", "zip": "73301", "country_code": "US"}
SE = {"address1": "Storgatan 1", "city": "Stockholm", "zip": "111 22", "country_code": "SE"}
FORWARDER = {"address1": "4100 NW 120th Ave", "zip": "33178", "country_code": "US"}

BASE = OrderFacts(
    email="ann@example.com",
    total=Decimal("120.00"),
    currency="USD",
    risk_level="low",
    risk_recommendation="accept",
    shipping_address=US,
    billing_address=US,
    tags=("vip",),
    discount_codes=(),
    payment_gateways=("shopify_payments",),
    lines=(LineFacts(product_type="Shoes", product_tags=("summer", "sale"), sku="SH-1"),),
    recent_orders={30: 1},
)
CONTEXT = RuleContext(forwarders=(normalise_address(FORWARDER),))


def _facts(**changes) -> OrderFacts:
    from dataclasses import replace

    return replace(BASE, **changes)


# (condition, an order it holds for, an order it does not hold for)
CASES = {
    "risk_level": ({"values": ["high", "medium"]}, _facts(risk_level="high"), _facts(risk_level="low")),
    "risk_recommendation": (
        {"values": ["cancel"]},
        _facts(risk_recommendation="cancel"),
        _facts(risk_recommendation="investigate"),
    ),
    "shipping_country": ({"values": ["se", "NO"]}, _facts(shipping_address=SE), _facts(shipping_address=US)),
    "shipping_region": (
        {"values": ["US-TX"]},
        _facts(),
        _facts(shipping_address={**US, "province_code": "CA"}),
    ),
    "freight_forwarder": (
        {},
        _facts(
            shipping_address={
                "address1": "4100 Northwest 120th Avenue",
                "address2": "Suite 881",
                "zip": "33178-0001",
                "country_code": "US",
            }
        ),
        _facts(),
    ),
    "billing_country_differs": ({}, _facts(billing_address=SE), _facts()),
    "email_domain": (
        {"values": ["@Mailinator.com"]},
        _facts(email="x@eu.mailinator.com"),
        _facts(email="x@notmailinator.com"),
    ),
    "total_above": ({"amount": "100"}, _facts(total=Decimal("100.01")), _facts(total=Decimal("100.00"))),
    "total_below": ({"amount": "100"}, _facts(total=Decimal("99.99")), _facts(total=Decimal("100.00"))),
    "order_tag": ({"values": ["VIP", "wholesale"]}, _facts(), _facts(tags=("retail",))),
    "product_type": ({"values": ["shoes"]}, _facts(), _facts(lines=(LineFacts(product_type="Hats"),))),
    "product_tag": ({"values": ["Sale"]}, _facts(), _facts(lines=(LineFacts(product_tags=("new",)),))),
    "sku": ({"values": ["sh-1", "SH-2"]}, _facts(), _facts(lines=(LineFacts(sku="SH-3"),))),
    "customer_orders": (
        {"days": 30, "at_least": 3},
        _facts(recent_orders={30: 3}),
        _facts(recent_orders={30: 2}),
    ),
    "payment_gateway": ({"values": ["Manual"]}, _facts(payment_gateways=("manual",)), _facts()),
    "discount_code": (
        {"values": ["welcome10"]},
        _facts(discount_codes=("WELCOME10",)),
        _facts(discount_codes=("OTHER",)),
    ),
}


def test_every_condition_type_has_a_case():
    assert set(CASES) == set(CONDITION_TYPES)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_condition_holds_and_fails_and_turns_round(kind):
    values, holds, fails = CASES[kind]
    condition = clean_condition({"type": kind, **values})
    assert evaluate_condition(condition, holds, CONTEXT).passed
    assert not evaluate_condition(condition, fails, CONTEXT).passed
    negated = {**condition, "negate": True}
    assert not evaluate_condition(negated, holds, CONTEXT).passed
    assert evaluate_condition(negated, fails, CONTEXT).passed


def test_a_discount_code_condition_without_codes_means_any_code():
    condition = clean_condition({"type": "discount_code", "values": ""})
    assert evaluate_condition(condition, _facts(discount_codes=("ANY",)), CONTEXT).passed
    assert not evaluate_condition(condition, _facts(discount_codes=()), CONTEXT).passed


def test_orders_without_a_billing_or_shipping_country_do_not_differ():
    condition = clean_condition({"type": "billing_country_differs"})
    assert not evaluate_condition(condition, _facts(billing_address={}), CONTEXT).passed


def test_the_forwarder_condition_says_which_listed_address_it_found():
    condition = clean_condition({"type": "freight_forwarder"})
    result = evaluate_condition(condition, CASES["freight_forwarder"][1], CONTEXT)
    assert result.passed and "4100" in result.detail
    assert not evaluate_condition(condition, CASES["freight_forwarder"][1], RuleContext()).passed


def test_all_needs_every_condition_and_any_needs_one():
    conditions = clean_conditions(
        [{"type": "risk_level", "values": ["high"]}, {"type": "shipping_country", "values": ["SE"]}]
    )
    high_in_us = _facts(risk_level="high")
    assert not evaluate(match="all", conditions=conditions, order=high_in_us, context=CONTEXT).matched
    assert evaluate(match="any", conditions=conditions, order=high_in_us, context=CONTEXT).matched
    both = _facts(risk_level="high", shipping_address=SE)
    result = evaluate(match="all", conditions=conditions, order=both, context=CONTEXT)
    assert result.matched
    assert [r["passed"] for r in result.to_list()] == [True, True]
    neither = _facts()
    assert not evaluate(match="any", conditions=conditions, order=neither, context=CONTEXT).matched


def test_a_rule_without_conditions_matches_nothing():
    assert not evaluate(match="all", conditions=[], order=BASE, context=CONTEXT).matched


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"type": "nope"}, "condition.type"),
        ({"type": "risk_level", "values": ["extreme"]}, "condition.values"),
        ({"type": "risk_level", "values": []}, "condition.values"),
        ({"type": "shipping_country", "values": ["Sweden"]}, "condition.values"),
        ({"type": "shipping_region", "values": ["California"]}, "condition.values"),
        ({"type": "total_above", "amount": "lots"}, "condition.amount"),
        ({"type": "total_below", "amount": "-1"}, "condition.amount"),
        ({"type": "customer_orders", "days": 0, "at_least": 2}, "condition.days"),
        ({"type": "customer_orders", "days": 30, "at_least": "x"}, "condition.at_least"),
        ({"type": "sku", "values": "x" * 300}, "condition.values"),
        ("risk_level", "condition"),
    ],
)
def test_invalid_conditions_are_refused_with_the_field_named(raw, field):
    with pytest.raises(RuleFieldError) as caught:
        clean_condition(raw)
    assert caught.value.field == field


def test_conditions_are_stored_in_one_shape():
    assert clean_condition({"type": "shipping_country", "values": "se, no ,SE"}) == {
        "type": "shipping_country",
        "negate": False,
        "values": ["SE", "NO"],
    }
    assert clean_condition({"type": "total_above", "amount": "99.5", "negate": 1}) == {
        "type": "total_above",
        "negate": True,
        "amount": "99.50",
    }
