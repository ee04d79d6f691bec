"""The EU right of withdrawal: available until the period after delivery ends, for stores that offer it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from cancellations.policy import (
    Action,
    ExclusionScope,
    Outcome,
    ProductExclusions,
    StorePolicy,
    WithdrawalSettings,
    decide,
)
from tests.policy.builders import PLACED, facts, line

TICK = timedelta(microseconds=1)
STOCKHOLM = "Europe/Stockholm"
OFFERED = replace(StorePolicy(), withdrawal=WithdrawalSettings(enabled=True))


def delivered(at: datetime, **fields) -> dict:
    return {
        "fulfillment_status": "fulfilled",
        "lines": (line(1, fulfilled_quantity=1), line(2, fulfilled_quantity=1)),
        "delivered_at": at,
        "timezone": STOCKHOLM,
        **fields,
    }


# delivered at (UTC) -> the withdrawal period ends (UTC), for the default 14 days in Stockholm.
DEADLINES = [
    # Wednesday 10 June: the 14th day is Wednesday 24 June, which ends at midnight local time (22:00 UTC).
    ("weekday", datetime(2026, 6, 10, 15, 0, tzinfo=UTC), datetime(2026, 6, 24, 22, 0, tzinfo=UTC)),
    # 22:30 UTC on 10 June is already 11 June in Stockholm: the count starts from the local day.
    ("late-evening", datetime(2026, 6, 10, 22, 30, tzinfo=UTC), datetime(2026, 6, 25, 22, 0, tzinfo=UTC)),
    # Saturday 13 June + 14 days is a Saturday: the period runs to the end of Monday 29 June.
    ("ends-on-saturday", datetime(2026, 6, 13, 10, 0, tzinfo=UTC), datetime(2026, 6, 29, 22, 0, tzinfo=UTC)),
    ("ends-on-sunday", datetime(2026, 6, 14, 10, 0, tzinfo=UTC), datetime(2026, 6, 29, 22, 0, tzinfo=UTC)),
    # Delivered in summer time, ends in winter time: midnight local is 23:00 UTC.
    ("across-fall-back", datetime(2026, 10, 20, 10, 0, tzinfo=UTC), datetime(2026, 11, 3, 23, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize(("delivered_at", "ends"), [d[1:] for d in DEADLINES], ids=[d[0] for d in DEADLINES])
def test_withdrawal_is_available_until_the_period_after_delivery_ends(delivered_at, ends) -> None:
    order = facts(**delivered(delivered_at))

    last_moment = decide(policy=OFFERED, order=order, action="withdrawal", now=ends - TICK)
    too_late = decide(policy=OFFERED, order=order, action="withdrawal", now=ends)

    assert last_moment.outcome == Outcome.ALLOWED
    assert last_moment.window_closes_at == ends
    assert too_late.outcome == Outcome.NOT_ALLOWED
    assert too_late.codes == ("window_closed",)


def test_a_store_can_offer_a_longer_period() -> None:
    policy = replace(OFFERED, withdrawal=WithdrawalSettings(enabled=True, period_days=30))
    order = facts(**delivered(datetime(2026, 6, 10, 15, 0, tzinfo=UTC)))

    decision = decide(policy=policy, order=order, action="withdrawal", now=datetime(2026, 7, 1, tzinfo=UTC))

    assert decision.allowed
    assert decision.window_closes_at == datetime(2026, 7, 10, 22, 0, tzinfo=UTC)


def test_a_period_below_the_legal_minimum_is_never_applied() -> None:
    policy = replace(OFFERED, withdrawal=WithdrawalSettings(enabled=True, period_days=3))
    order = facts(**delivered(datetime(2026, 6, 10, 15, 0, tzinfo=UTC)))

    decision = decide(policy=policy, order=order, action="withdrawal", now=datetime(2026, 6, 20, tzinfo=UTC))

    assert decision.allowed
    assert decision.window_closes_at == datetime(2026, 6, 24, 22, 0, tzinfo=UTC)


def test_before_the_goods_ship_withdrawal_is_open_with_no_end_yet() -> None:
    decision = decide(policy=OFFERED, order=facts(), action="withdrawal", now=PLACED + timedelta(days=60))

    assert decision.allowed
    assert decision.window_closes_at is None


def test_shipped_without_a_known_delivery_date_goes_to_review() -> None:
    order = facts(fulfillment_status="fulfilled", lines=(line(1, fulfilled_quantity=1),))

    decision = decide(policy=OFFERED, order=order, action="withdrawal", now=PLACED + timedelta(days=3))

    assert decision.outcome == Outcome.NEEDS_APPROVAL
    assert decision.codes == ("delivery_unknown",)


@pytest.mark.parametrize(
    ("policy", "order_fields", "codes"),
    [
        (StorePolicy(), {}, ("action_disabled",)),
        (OFFERED, {"cancelled_at": PLACED}, ("already_cancelled",)),
    ],
    ids=["store-does-not-offer-it", "order-cancelled"],
)
def test_withdrawal_not_available(policy, order_fields, codes) -> None:
    decision = decide(policy=policy, order=facts(**order_fields), action=Action.WITHDRAWAL, now=PLACED)

    assert decision.outcome == Outcome.NOT_ALLOWED
    assert decision.codes == codes


def test_payment_status_and_shipping_do_not_limit_withdrawal() -> None:
    order = facts(financial_status="pending", **delivered(PLACED + timedelta(days=2)))

    assert decide(policy=OFFERED, order=order, action="withdrawal", now=PLACED + timedelta(days=5)).allowed


def test_exempt_goods_are_left_out_of_a_withdrawal() -> None:
    exempt = ProductExclusions(product_tags=("made-to-order",), scope=ExclusionScope.LINES)
    policy = replace(OFFERED, withdrawal=WithdrawalSettings(enabled=True, exclusions=exempt))
    some = facts(lines=(line(1, product_tags=("made-to-order",)), line(2)))
    all_exempt = facts(lines=(line(1, product_tags=("made-to-order",)),))

    partly = decide(policy=policy, order=some, action="withdrawal", now=PLACED)
    none = decide(policy=policy, order=all_exempt, action="withdrawal", now=PLACED)

    assert partly.allowed and partly.lines == (2,) and partly.excluded_lines == (1,)
    assert none.outcome == Outcome.NOT_ALLOWED and none.codes == ("product_excluded",)
