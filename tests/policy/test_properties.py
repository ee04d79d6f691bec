"""Properties of the decision and the money, over many generated policies and orders."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cancellations.policy import (
    APPROVAL_MESSAGES,
    BLOCKING_MESSAGES,
    OUTCOME_RANK,
    Action,
    Outcome,
    StorePolicy,
    decide,
    refund_summary,
    restocking_fee,
    validate_policy,
)
from tests.policy.strategies import actions, fee_settings, money, offsets, orders, policies, policy_and_action

PROPERTY = settings(max_examples=300, deadline=None, database=None)
# Whole policies are slow to generate; these properties need fewer of them to cover the settings.
WHOLE_POLICY = settings(max_examples=100, deadline=None, database=None)


@WHOLE_POLICY
@given(policy=policies())
def test_generated_policies_are_valid(policy: StorePolicy) -> None:
    # The strategies build valid policies; the other properties rely on it.
    assert validate_policy(policy) == []


@PROPERTY
@given(
    case=policy_and_action(),
    order=orders(),
    offset=offsets,
    chosen=st.none() | st.lists(st.integers(0, 6), max_size=4),
    reason=st.none() | st.sampled_from(("changed_mind", "other", "not-a-reason")),
)
def test_decide_never_raises_and_is_consistent(case, order, offset, chosen, reason) -> None:
    policy, action = case
    decision = decide(
        policy=policy, order=order, action=action, now=order.placed_at + offset, lines=chosen, reason=reason
    )

    if decision.outcome == Outcome.ALLOWED:
        assert decision.reasons == ()
    elif decision.outcome == Outcome.NEEDS_APPROVAL:
        assert decision.reasons and all(code in APPROVAL_MESSAGES for code in decision.codes)
    else:
        assert decision.reasons and all(code in BLOCKING_MESSAGES for code in decision.codes)
    order_line_ids = {line.id for line in order.lines}
    assert set(decision.lines) <= order_line_ids
    assert set(decision.excluded_lines) <= order_line_ids
    assert not set(decision.lines) & set(decision.excluded_lines)
    assert json.dumps(decision.to_dict())


@PROPERTY
@given(policy=policies(vary=Action.CANCEL), order=orders(shipped=True), offset=offsets)
def test_a_shipped_order_is_never_cancelled_here(policy, order, offset) -> None:
    decision = decide(policy=policy, order=order, action=Action.CANCEL, now=order.placed_at + offset)

    assert decision.outcome == Outcome.NOT_ALLOWED
    assert "fulfilled" in decision.codes


@PROPERTY
@given(case=policy_and_action(), order=orders(), earlier=offsets, later=st.integers(0, 90 * 24 * 3600))
def test_as_time_passes_an_outcome_only_gets_stricter(case, order, earlier, later) -> None:
    policy, action = case
    first_now = order.placed_at + earlier
    first = decide(policy=policy, order=order, action=action, now=first_now)
    second = decide(policy=policy, order=order, action=action, now=first_now + timedelta(seconds=later))

    assert OUTCOME_RANK[second.outcome] >= OUTCOME_RANK[first.outcome]
    # Once a window has closed it never reopens.
    if "window_closed" in first.codes:
        assert "window_closed" in second.codes
    # The window's end is a fact of the order, not of the moment asked.
    assert first.window_closes_at == second.window_closes_at
    assert first.grace_ends_at == second.grace_ends_at


@PROPERTY
@given(
    fees=fee_settings(), total=money | money.map(lambda amount: -amount), reason=st.none() | st.just("other")
)
def test_fees_stay_within_their_bounds_and_the_total(fees, total, reason) -> None:
    policy = StorePolicy(fees=fees)

    fee = restocking_fee(policy, total, reason)

    assert Decimal("0") <= fee <= max(total, Decimal("0"))
    assert fee == fee.quantize(Decimal("0.01"))
    if fee and fees.maximum is not None:
        assert fee <= fees.maximum
    if fees.minimum is not None and total >= fees.minimum and fee:
        assert fee >= fees.minimum


@PROPERTY
@given(
    policy=policies(vary=Action.WITHDRAWAL),
    refundable=money,
    action=actions,
    choice=st.none() | st.sampled_from(("original", "store_credit")),
)
def test_refunds_add_up(policy, refundable, action, choice) -> None:
    summary = refund_summary(policy, refundable=refundable, action=action, choice=choice)

    assert summary.fee + summary.amount == summary.refundable == refundable
    assert summary.amount >= 0
    assert summary.total == summary.amount + summary.store_credit_bonus
    assert summary.method in summary.choices
    if action == Action.WITHDRAWAL:
        assert summary.fee == 0


@WHOLE_POLICY
@given(policy=policies())
def test_json_round_trip(policy: StorePolicy) -> None:
    again = StorePolicy.from_dict(json.loads(json.dumps(policy.to_dict())))

    assert again == policy
    assert again.to_dict() == policy.to_dict()
