"""decide(): each rule, for each action, as a table of (policy, order, action) -> outcome and reasons."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cancellations.policy import (
    RULE_ACTIONS,
    Action,
    ExclusionScope,
    OrderFacts,
    Outcome,
    StorePolicy,
    decide,
)
from tests.policy.builders import PLACED, facts, line, with_rule

NOW = PLACED + timedelta(minutes=10)
DEFAULT = StorePolicy()
# Every action switched on, so each rule can be shown on each of them.
ALL_ON = DEFAULT
for _action in RULE_ACTIONS:
    ALL_ON = with_rule(ALL_ON, _action, enabled=True)

ALLOWED, REVIEW, REFUSED = Outcome.ALLOWED, Outcome.NEEDS_APPROVAL, Outcome.NOT_ALLOWED
EDITS = (Action.EDIT_ADDRESS, Action.EDIT_QUANTITY, Action.SWAP_VARIANT, Action.REMOVE_LINE)


@dataclass
class Case:
    id: str
    action: Action
    outcome: Outcome
    codes: tuple[str, ...] = ()
    policy: StorePolicy = ALL_ON
    order: OrderFacts = field(default_factory=facts)
    now: datetime = NOW
    kwargs: dict[str, Any] = field(default_factory=dict)
    excluded: tuple[int, ...] = ()


CASES = [
    # --- on or off
    *(Case(f"{a.value}-on", a, ALLOWED) for a in RULE_ACTIONS),
    *(
        Case(f"{a.value}-off", a, REFUSED, ("action_disabled",), policy=with_rule(ALL_ON, a, enabled=False))
        for a in RULE_ACTIONS
    ),
    Case(
        "new-store-defaults-item-edits-off",
        Action.SWAP_VARIANT,
        REFUSED,
        ("action_disabled",),
        policy=DEFAULT,
    ),
    Case("new-store-defaults-cancel-on", Action.CANCEL, ALLOWED, policy=DEFAULT),
    # --- already cancelled: nothing but a reorder
    *(
        Case(f"{a.value}-cancelled", a, REFUSED, ("already_cancelled",), order=facts(cancelled_at=PLACED))
        for a in (Action.CANCEL, *EDITS)
    ),
    Case(
        "reorder-of-a-cancelled-order",
        Action.REORDER,
        ALLOWED,
        order=facts(cancelled_at=PLACED, financial_status="refunded", fulfillment_status="restocked"),
    ),
    # --- shipped orders: never cancelled here, never edited once fully shipped
    Case(
        "cancel-fulfilled",
        Action.CANCEL,
        REFUSED,
        ("fulfilled", "status_not_eligible"),
        order=facts(fulfillment_status="fulfilled", lines=(line(1, fulfilled_quantity=1),)),
    ),
    Case(
        "cancel-one-unit-shipped-status-lagging",
        Action.CANCEL,
        REFUSED,
        ("fulfilled",),
        order=facts(lines=(line(1, quantity=2, fulfilled_quantity=1), line(2))),
    ),
    *(
        Case(
            f"{a.value}-fully-shipped",
            a,
            REFUSED,
            ("fulfilled",),
            policy=with_rule(ALL_ON, a, fulfillment_statuses=("unfulfilled", "partial")),
            order=facts(lines=(line(1, fulfilled_quantity=1), line(2, fulfilled_quantity=1))),
            # Line actions also say which lines have shipped.
            excluded=() if a == Action.EDIT_ADDRESS else (1, 2),
        )
        for a in EDITS
    ),
    Case(
        "reorder-of-a-shipped-order",
        Action.REORDER,
        ALLOWED,
        order=facts(fulfillment_status="fulfilled", lines=(line(1, fulfilled_quantity=1),)),
    ),
    # --- payment and shipping statuses
    Case(
        "cancel-refunded-not-eligible",
        Action.CANCEL,
        REFUSED,
        ("status_not_eligible",),
        order=facts(financial_status="refunded"),
    ),
    Case(
        "cancel-only-when-paid",
        Action.CANCEL,
        REFUSED,
        ("status_not_eligible",),
        policy=with_rule(ALL_ON, Action.CANCEL, financial_statuses=("paid",)),
        order=facts(financial_status="pending"),
    ),
    Case(
        "address-partly-shipped-not-listed",
        Action.EDIT_ADDRESS,
        REFUSED,
        ("status_not_eligible", "window_closed"),
        order=facts(fulfillment_status="partial", lines=(line(1, fulfilled_quantity=1), line(2))),
    ),
    Case(
        "address-partly-shipped-listed-and-no-time-limit",
        Action.EDIT_ADDRESS,
        ALLOWED,
        policy=with_rule(
            ALL_ON,
            Action.EDIT_ADDRESS,
            fulfillment_statuses=("unfulfilled", "partial"),
            window={"kind": "always"},
        ),
        order=facts(fulfillment_status="partial", lines=(line(1, fulfilled_quantity=1), line(2))),
    ),
    # --- orders excluded by tag or risk
    *(
        Case(
            f"{a.value}-tag-excluded",
            a,
            REFUSED,
            ("order_tag_excluded",),
            policy=with_rule(ALL_ON, a, order_exclusions={"tags": ("Wholesale",)}),
            order=facts(tags=("vip", "wholesale")),
        )
        for a in RULE_ACTIONS
    ),
    Case(
        "tag-not-matching",
        Action.CANCEL,
        ALLOWED,
        policy=with_rule(ALL_ON, Action.CANCEL, order_exclusions={"tags": ("wholesale",)}),
        order=facts(tags=("wholesale-2",)),
    ),
    *(
        Case(
            f"{a.value}-risk-excluded",
            a,
            REFUSED,
            ("risk_excluded",),
            policy=with_rule(ALL_ON, a, order_exclusions={"risk_levels": ("high",)}),
            order=facts(risk_level="high"),
        )
        for a in RULE_ACTIONS
    ),
    Case(
        "medium-risk-when-only-high-excluded",
        Action.CANCEL,
        ALLOWED,
        policy=with_rule(ALL_ON, Action.CANCEL, order_exclusions={"risk_levels": ("high",)}),
        order=facts(risk_level="medium"),
    ),
    # --- products excluded: the whole action
    *(
        Case(
            f"{a.value}-product-type-blocks-action",
            a,
            REFUSED,
            ("product_excluded",),
            policy=with_rule(
                ALL_ON,
                a,
                product_exclusions={"product_types": ("Gift Card",), "scope": ExclusionScope.ORDER},
            ),
            order=facts(lines=(line(1, product_type="gift card"), line(2))),
            kwargs={"lines": [2]}
            if a in (Action.EDIT_QUANTITY, Action.SWAP_VARIANT, Action.REMOVE_LINE)
            else {},
        )
        for a in RULE_ACTIONS
    ),
    # --- products excluded: only those lines
    Case(
        "cancel-leaves-a-made-to-order-line-out",
        Action.CANCEL,
        ALLOWED,
        policy=with_rule(ALL_ON, Action.CANCEL, product_exclusions={"product_tags": ("made-to-order",)}),
        order=facts(lines=(line(1, product_tags=("Made-To-Order",)), line(2))),
        excluded=(1,),
    ),
    Case(
        "cancel-every-line-excluded",
        Action.CANCEL,
        REFUSED,
        ("product_excluded",),
        policy=with_rule(ALL_ON, Action.CANCEL, product_exclusions={"skus": ("SKU-1", "sku-2")}),
        excluded=(1, 2),
    ),
    Case(
        "remove-the-excluded-line",
        Action.REMOVE_LINE,
        REFUSED,
        ("product_excluded",),
        policy=with_rule(ALL_ON, Action.REMOVE_LINE, product_exclusions={"skus": ("SKU-1",)}),
        kwargs={"lines": [1]},
        excluded=(1,),
    ),
    Case(
        "remove-another-line",
        Action.REMOVE_LINE,
        ALLOWED,
        policy=with_rule(ALL_ON, Action.REMOVE_LINE, product_exclusions={"skus": ("SKU-1",)}),
        kwargs={"lines": [2]},
    ),
    Case(
        "reorder-leaves-excluded-line-out",
        Action.REORDER,
        ALLOWED,
        policy=with_rule(ALL_ON, Action.REORDER, product_exclusions={"product_types": ("Sample",)}),
        order=facts(lines=(line(1), line(2, product_type="sample"))),
        excluded=(2,),
    ),
    Case(
        "address-per-line-exclusion-blocks-whole-order",
        Action.EDIT_ADDRESS,
        REFUSED,
        ("product_excluded",),
        policy=with_rule(ALL_ON, Action.EDIT_ADDRESS, product_exclusions={"product_tags": ("freight",)}),
        order=facts(lines=(line(1, product_tags=("freight",)), line(2))),
    ),
    # --- line actions and shipped lines
    Case(
        "swap-a-partly-shipped-line",
        Action.SWAP_VARIANT,
        REFUSED,
        ("line_fulfilled",),
        policy=with_rule(
            ALL_ON, Action.SWAP_VARIANT, window={"kind": "always"}, fulfillment_statuses=("partial",)
        ),
        order=facts(fulfillment_status="partial", lines=(line(1, quantity=3, fulfilled_quantity=1), line(2))),
        kwargs={"lines": [1]},
        excluded=(1,),
    ),
    Case(
        "quantity-of-a-partly-shipped-line",
        Action.EDIT_QUANTITY,
        ALLOWED,
        policy=with_rule(
            ALL_ON, Action.EDIT_QUANTITY, window={"kind": "always"}, fulfillment_statuses=("partial",)
        ),
        order=facts(fulfillment_status="partial", lines=(line(1, quantity=3, fulfilled_quantity=1), line(2))),
        kwargs={"lines": [1]},
    ),
    Case(
        "remove-all-lines-of-partly-shipped-order",
        Action.REMOVE_LINE,
        ALLOWED,
        policy=with_rule(
            ALL_ON, Action.REMOVE_LINE, window={"kind": "always"}, fulfillment_statuses=("partial",)
        ),
        order=facts(fulfillment_status="partial", lines=(line(1, fulfilled_quantity=1), line(2))),
        excluded=(1,),
    ),
    Case("line-not-in-order", Action.REMOVE_LINE, REFUSED, ("line_not_found",), kwargs={"lines": [99]}),
    Case("no-lines-chosen", Action.EDIT_QUANTITY, REFUSED, ("no_lines",), kwargs={"lines": []}),
    # --- cancellation reasons
    Case("cancel-with-a-listed-reason", Action.CANCEL, ALLOWED, kwargs={"reason": "changed_mind"}),
    Case(
        "cancel-with-an-unknown-reason",
        Action.CANCEL,
        REFUSED,
        ("reason_unknown",),
        kwargs={"reason": "bored"},
    ),
    # --- approval rules
    *(
        Case(
            f"{a.value}-always-review",
            a,
            REVIEW,
            ("always_review",),
            policy=with_rule(ALL_ON, a, approval={"always": True}),
        )
        for a in RULE_ACTIONS
    ),
    Case(
        "over-value",
        Action.CANCEL,
        REVIEW,
        ("over_value",),
        policy=with_rule(ALL_ON, Action.CANCEL, approval={"over_value": Decimal("99.99")}),
    ),
    Case(
        "exactly-at-the-value-limit",
        Action.CANCEL,
        ALLOWED,
        policy=with_rule(ALL_ON, Action.CANCEL, approval={"over_value": Decimal("100.00")}),
    ),
    Case(
        "medium-risk-review",
        Action.CANCEL,
        REVIEW,
        ("risk_review",),
        policy=with_rule(ALL_ON, Action.CANCEL, approval={"risk_levels": ("medium", "high")}),
        order=facts(risk_level="medium"),
    ),
    Case(
        "low-risk-no-review",
        Action.CANCEL,
        ALLOWED,
        policy=with_rule(ALL_ON, Action.CANCEL, approval={"risk_levels": ("medium", "high")}),
        order=facts(risk_level="low"),
    ),
    Case(
        "address-default-reviews-high-risk",
        Action.EDIT_ADDRESS,
        REVIEW,
        ("risk_review",),
        order=facts(risk_level="high"),
    ),
    Case(
        "discount-used",
        Action.CANCEL,
        REVIEW,
        ("discount_used",),
        policy=with_rule(ALL_ON, Action.CANCEL, approval={"discount_used": True}),
        order=facts(discount_codes=("SUMMER10",)),
    ),
    Case(
        "no-discount-used",
        Action.CANCEL,
        ALLOWED,
        policy=with_rule(ALL_ON, Action.CANCEL, approval={"discount_used": True}),
    ),
    Case(
        "several-review-reasons",
        Action.CANCEL,
        REVIEW,
        ("always_review", "over_value", "discount_used"),
        policy=with_rule(
            ALL_ON,
            Action.CANCEL,
            approval={"always": True, "over_value": Decimal("10"), "discount_used": True},
        ),
        order=facts(discount_codes=("X",)),
    ),
    Case(
        "refusal-outranks-review",
        Action.CANCEL,
        REFUSED,
        ("status_not_eligible",),
        policy=with_rule(ALL_ON, Action.CANCEL, approval={"always": True}),
        order=facts(financial_status="voided"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_decide(case: Case) -> None:
    decision = decide(policy=case.policy, order=case.order, action=case.action, now=case.now, **case.kwargs)

    assert decision.outcome == case.outcome, decision.trace
    assert decision.codes == case.codes
    assert decision.excluded_lines == case.excluded
    assert decision.action == case.action


def test_case_ids_are_unique() -> None:
    assert len({case.id for case in CASES}) == len(CASES)


def test_every_reason_has_a_customer_message() -> None:
    order = facts(cancelled_at=PLACED, financial_status="voided", tags=("x",), risk_level="high")
    policy = with_rule(ALL_ON, Action.CANCEL, order_exclusions={"tags": ("x",), "risk_levels": ("high",)})

    decision = decide(policy=policy, order=order, action="cancel", now=NOW)

    assert decision.codes == (
        "already_cancelled",
        "status_not_eligible",
        "order_tag_excluded",
        "risk_excluded",
    )
    for reason in decision.reasons:
        assert reason.message and reason.message != reason.code
    # A flagged customer is not told why.
    assert "risk" not in decision.reasons[-1].message.lower()


def test_lines_lists_what_the_action_applies_to() -> None:
    policy = with_rule(ALL_ON, Action.REMOVE_LINE, product_exclusions={"skus": ("SKU-2",)})
    order = facts(lines=(line(1), line(2), line(3)))

    decision = decide(policy=policy, order=order, action=Action.REMOVE_LINE, now=NOW, lines=[3, 2, 3])

    assert decision.lines == (3,)
    assert decision.excluded_lines == (2,)
    assert decision.line_reason(2).code == "product_excluded"
    assert decision.line_reason(3) is None


def test_the_trace_records_every_rule_for_staff() -> None:
    policy = with_rule(ALL_ON, Action.CANCEL, approval={"over_value": Decimal("50")})

    decision = decide(policy=policy, order=facts(), action="cancel", now=NOW)

    rules = {check.rule: check for check in decision.trace}
    assert {"enabled", "not_cancelled", "nothing_shipped", "financial_status", "window", "over_value"} <= set(
        rules
    )
    assert rules["over_value"].passed is False
    assert "100.00 > 50" in rules["over_value"].detail
    assert rules["financial_status"].passed is True


def test_decision_to_dict_is_json_ready() -> None:
    policy = with_rule(ALL_ON, Action.CANCEL, product_exclusions={"skus": ("SKU-1",)})

    data = decide(policy=policy, order=facts(), action="cancel", now=NOW).to_dict()

    assert data["outcome"] == "allowed"
    assert data["excluded_lines"] == [{"id": 1, "code": "product_excluded"}]
    assert data["window_closes_at"] is None
    assert all(set(check) == {"rule", "passed", "detail"} for check in data["trace"])


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        decide(policy=ALL_ON, order=facts(), action="cancel", now=NOW.replace(tzinfo=None))


@pytest.mark.django_db
def test_decide_runs_no_queries(django_assert_num_queries) -> None:
    # (The other tests here have no database at all, so a query would fail them too.)
    with django_assert_num_queries(0):
        for action in Action:
            decide(policy=replace(ALL_ON), order=facts(), action=action, now=NOW)
