"""Hypothesis strategies: valid policies (built valid, not filtered), order snapshots, times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from cancellations.policy import (
    RULE_ACTIONS,
    Action,
    ActionRule,
    ApprovalRules,
    ExclusionScope,
    FeeKind,
    FeeSettings,
    LineFacts,
    OrderExclusions,
    OrderFacts,
    ProductExclusions,
    RefundOption,
    RefundSettings,
    StorePolicy,
    Window,
    WindowKind,
    WithdrawalSettings,
)
from cancellations.policy.choices import FINANCIAL_STATUSES, FULFILLMENT_STATUSES, RISK_LEVELS

ZONES = ("UTC", "Europe/Stockholm", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham")
TAGS = ("vip", "Wholesale", "gift", "made-to-order", "fragile")
TYPES = ("Shirt", "Gift Card", "Sample", "")
SKUS = ("A-1", "A-2", "b-3", "")
START = datetime(2026, 1, 1, tzinfo=UTC)

# Whole cents as Decimal (generating from integers is much faster than st.decimals).
money = st.integers(min_value=0, max_value=1_000_000).map(lambda cents: Decimal(cents).scaleb(-2))
percent = st.integers(min_value=0, max_value=10_000).map(lambda hundredths: Decimal(hundredths).scaleb(-2))
moments = st.integers(min_value=0, max_value=365 * 24 * 3600).map(lambda s: START + timedelta(seconds=s))


def _subset(values: tuple[str, ...], *, min_size: int = 0) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(values), min_size=min_size, max_size=len(values), unique=True).map(tuple)


windows = st.one_of(
    st.builds(Window, kind=st.just(WindowKind.ALWAYS)),
    st.builds(Window, kind=st.just(WindowKind.UNTIL_FULFILLMENT)),
    st.builds(Window, kind=st.just(WindowKind.MINUTES), minutes=st.integers(1, 60 * 24 * 30)),
    st.builds(
        Window,
        kind=st.just(WindowKind.DAILY_CUTOFF),
        cutoff=st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda hm: f"{hm[0]:02d}:{hm[1]:02d}"),
    ),
)
product_exclusions = st.builds(
    ProductExclusions,
    product_types=_subset(TYPES[:3]),
    product_tags=_subset(TAGS),
    skus=_subset(SKUS[:3]),
    scope=st.sampled_from(ExclusionScope),
)


@st.composite
def action_rules(draw: st.DrawFn, action: Action) -> ActionRule:
    window = draw(windows)
    shipped_ok = {
        Action.CANCEL: ("unfulfilled", "restocked"),
        Action.REORDER: FULFILLMENT_STATUSES,
    }.get(action, ("unfulfilled", "partial", "restocked"))
    approval = ApprovalRules(
        always=draw(st.booleans()),
        over_value=draw(st.none() | money),
        risk_levels=draw(_subset(RISK_LEVELS)),
        discount_used=draw(st.booleans()),
        grace_minutes=draw(st.integers(0, 24 * 60)) if window.is_timed else 0,
    )
    return ActionRule(
        enabled=draw(st.booleans()),
        window=window,
        financial_statuses=draw(_subset(FINANCIAL_STATUSES, min_size=1)),
        fulfillment_statuses=draw(_subset(shipped_ok, min_size=1)),
        product_exclusions=draw(product_exclusions),
        order_exclusions=OrderExclusions(tags=draw(_subset(TAGS)), risk_levels=draw(_subset(RISK_LEVELS))),
        approval=approval,
    )


@st.composite
def fee_settings(draw: st.DrawFn) -> FeeSettings:
    minimum = draw(st.none() | money)
    maximum = draw(st.none() | money)
    if minimum is not None and maximum is not None and maximum < minimum:
        minimum, maximum = maximum, minimum
    return FeeSettings(
        kind=draw(st.sampled_from(FeeKind)),
        percent=draw(percent),
        fixed=draw(money),
        minimum=minimum,
        maximum=maximum,
        waived_reasons=draw(_subset(("changed_mind", "wrong_item", "other"))),
    )


@st.composite
def policies(draw: st.DrawFn, vary: Action | None = None) -> StorePolicy:
    """A valid policy; with `vary`, only that action's rule (or withdrawal) is drawn, which is faster."""
    rules = {
        action.value: draw(action_rules(action)) if vary in (None, action) else StorePolicy().rule_for(action)
        for action in RULE_ACTIONS
    }
    method = draw(st.sampled_from(RefundOption))
    bonus = Decimal("0") if method == RefundOption.ORIGINAL else draw(percent)
    return StorePolicy(
        **rules,
        fees=draw(fee_settings()),
        refunds=RefundSettings(method=method, store_credit_bonus_percent=bonus),
        withdrawal=WithdrawalSettings(
            enabled=draw(st.booleans()),
            period_days=draw(st.integers(14, 365)),
            exclusions=draw(product_exclusions),
        ),
    )


@st.composite
def lines(draw: st.DrawFn, line_id: int) -> LineFacts:
    quantity = draw(st.integers(0, 3))
    return LineFacts(
        id=line_id,
        quantity=quantity,
        fulfilled_quantity=draw(st.integers(0, quantity)),
        sku=draw(st.sampled_from(SKUS)),
        product_type=draw(st.sampled_from(TYPES)),
        product_tags=draw(_subset(TAGS)),
    )


@st.composite
def orders(draw: st.DrawFn, *, shipped: bool | None = None) -> OrderFacts:
    """An order snapshot; `shipped=True` makes at least one unit ship, False none."""
    count = draw(st.integers(0 if shipped is not True else 1, 4))
    order_lines = [draw(lines(i + 1)) for i in range(count)]
    if shipped is False:
        order_lines = [LineFacts(**{**_as_dict(line), "fulfilled_quantity": 0}) for line in order_lines]
    status = draw(st.sampled_from(FULFILLMENT_STATUSES))
    if shipped is True:
        first = order_lines[0]
        quantity = max(first.quantity, 1)
        order_lines[0] = LineFacts(
            **{**_as_dict(first), "quantity": quantity, "fulfilled_quantity": quantity}
        )
        status = draw(st.sampled_from(("partial", "fulfilled", "unfulfilled")))
    elif shipped is False:
        status = draw(st.sampled_from(("unfulfilled", "restocked")))
    placed = draw(moments)
    return OrderFacts(
        placed_at=placed,
        total=draw(money),
        financial_status=draw(st.sampled_from(FINANCIAL_STATUSES)),
        fulfillment_status=status,
        timezone=draw(st.sampled_from(ZONES)),
        cancelled_at=draw(st.none() | st.just(placed + timedelta(hours=1))),
        risk_level=draw(st.sampled_from(RISK_LEVELS)),
        tags=draw(_subset(TAGS)),
        discount_codes=draw(_subset(("SUMMER10", "VIP"))),
        lines=tuple(order_lines),
        delivered_at=draw(
            st.none() | st.integers(0, 20 * 24 * 3600).map(lambda s: placed + timedelta(seconds=s))
        ),
    )


def _as_dict(line: LineFacts) -> dict:
    return {name: getattr(line, name) for name in LineFacts.__slots__}


# Seconds after the order was placed (from a day before, for a clock that runs behind, to 60 days after).
offsets = st.integers(min_value=-24 * 3600, max_value=60 * 24 * 3600).map(lambda s: timedelta(seconds=s))
actions = st.sampled_from(Action)


@st.composite
def policy_and_action(draw: st.DrawFn) -> tuple[StorePolicy, Action]:
    """An action and a policy whose rule for that action is generated (the rest are defaults)."""
    action = draw(actions)
    return draw(policies(vary=action)), action
