"""Time windows: exactly at the edge, grace periods, daily cut-offs in the store's zone across DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cancellations.policy import Action, Outcome, StorePolicy, WindowKind, decide
from tests.policy.builders import PLACED, facts, line, minutes_window, with_rule

TICK = timedelta(microseconds=1)
STOCKHOLM = "Europe/Stockholm"


def cutoff_policy(cutoff: str, grace_minutes: int = 0) -> StorePolicy:
    return with_rule(
        StorePolicy(),
        Action.CANCEL,
        window={"kind": WindowKind.DAILY_CUTOFF, "cutoff": cutoff},
        approval={"grace_minutes": grace_minutes},
    )


@pytest.mark.parametrize(
    ("now", "outcome", "codes"),
    [
        (PLACED, Outcome.ALLOWED, ()),
        (PLACED + timedelta(minutes=60) - TICK, Outcome.ALLOWED, ()),
        (PLACED + timedelta(minutes=60), Outcome.NOT_ALLOWED, ("window_closed",)),
        (PLACED + timedelta(days=30), Outcome.NOT_ALLOWED, ("window_closed",)),
    ],
    ids=["at-placing", "last-microsecond", "exactly-at-close", "long-after"],
)
def test_minutes_window_edges(now, outcome, codes) -> None:
    decision = decide(policy=minutes_window(60), order=facts(), action="cancel", now=now)

    assert (decision.outcome, decision.codes) == (outcome, codes)
    assert decision.window_closes_at == PLACED + timedelta(minutes=60)
    assert decision.grace_ends_at is None


@pytest.mark.parametrize(
    ("offset", "outcome", "codes"),
    [
        (timedelta(minutes=60) - TICK, Outcome.ALLOWED, ()),
        (timedelta(minutes=60), Outcome.NEEDS_APPROVAL, ("grace_period",)),
        (timedelta(minutes=90) - TICK, Outcome.NEEDS_APPROVAL, ("grace_period",)),
        (timedelta(minutes=90), Outcome.NOT_ALLOWED, ("window_closed",)),
    ],
    ids=["in-window", "grace-starts", "grace-last-microsecond", "grace-over"],
)
def test_grace_period_after_the_window(offset, outcome, codes) -> None:
    decision = decide(
        policy=minutes_window(60, grace_minutes=30), order=facts(), action="cancel", now=PLACED + offset
    )

    assert (decision.outcome, decision.codes) == (outcome, codes)
    assert decision.window_closes_at == PLACED + timedelta(minutes=60)
    assert decision.grace_ends_at == PLACED + timedelta(minutes=90)


def test_grace_period_adds_to_other_review_reasons() -> None:
    policy = minutes_window(60, grace_minutes=30, always=True)

    decision = decide(policy=policy, order=facts(), action="cancel", now=PLACED + timedelta(minutes=70))

    assert decision.codes == ("grace_period", "always_review")


def test_until_fulfilment_closes_when_the_first_item_ships() -> None:
    policy = with_rule(StorePolicy(), Action.EDIT_ADDRESS, fulfillment_statuses=("unfulfilled", "partial"))
    unshipped = facts()
    one_shipped = facts(lines=(line(1, fulfilled_quantity=1), line(2)))

    before = decide(policy=policy, order=unshipped, action="edit_address", now=PLACED + timedelta(days=40))
    after = decide(policy=policy, order=one_shipped, action="edit_address", now=PLACED)

    assert before.outcome == Outcome.ALLOWED and before.window_closes_at is None
    assert after.outcome == Outcome.NOT_ALLOWED and after.codes == ("window_closed",)


# (placed at, UTC; cut-off, Stockholm wall clock) -> closes at, UTC
CUTOFF_CASES = [
    # Summer time (UTC+2): 11:00 local, before the 14:00 cut-off.
    (
        "before-cutoff",
        datetime(2026, 6, 10, 9, 0, tzinfo=UTC),
        "14:00",
        datetime(2026, 6, 10, 12, 0, tzinfo=UTC),
    ),
    (
        "after-cutoff",
        datetime(2026, 6, 10, 13, 0, tzinfo=UTC),
        "14:00",
        datetime(2026, 6, 11, 12, 0, tzinfo=UTC),
    ),
    (
        "exactly-at-cutoff",
        datetime(2026, 6, 10, 12, 0, tzinfo=UTC),
        "14:00",
        datetime(2026, 6, 11, 12, 0, tzinfo=UTC),
    ),
    # Local date differs from the UTC date: 00:30 on 11 June in Stockholm is 22:30 UTC on 10 June.
    (
        "local-next-day",
        datetime(2026, 6, 10, 22, 30, tzinfo=UTC),
        "14:00",
        datetime(2026, 6, 11, 12, 0, tzinfo=UTC),
    ),
    # Spring forward, 29 March 2026: placed Saturday 15:00 CET, closes Sunday 14:00 CEST (22 hours later).
    (
        "spring-forward",
        datetime(2026, 3, 28, 14, 0, tzinfo=UTC),
        "14:00",
        datetime(2026, 3, 29, 12, 0, tzinfo=UTC),
    ),
    # Fall back, 25 October 2026: placed Saturday 16:00 CEST, closes Sunday 14:00 CET (23 hours later).
    (
        "fall-back",
        datetime(2026, 10, 24, 14, 0, tzinfo=UTC),
        "14:00",
        datetime(2026, 10, 25, 13, 0, tzinfo=UTC),
    ),
    # A cut-off inside the skipped hour (02:30 never happens on 29 March) falls just after the gap.
    (
        "cutoff-in-the-gap",
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
        "02:30",
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
    ),
    # A cut-off in the repeated hour (02:30 happens twice on 25 October) is its first occurrence.
    (
        "cutoff-in-the-fold",
        datetime(2026, 10, 24, 22, 0, tzinfo=UTC),
        "02:30",
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    ),
    (
        "midnight-cutoff",
        datetime(2026, 6, 10, 9, 0, tzinfo=UTC),
        "00:00",
        datetime(2026, 6, 10, 22, 0, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize(
    ("placed", "cutoff", "closes"), [c[1:] for c in CUTOFF_CASES], ids=[c[0] for c in CUTOFF_CASES]
)
def test_daily_cutoff_in_the_store_time_zone(placed, cutoff, closes) -> None:
    order = facts(placed_at=placed, timezone=STOCKHOLM)
    policy = cutoff_policy(cutoff)

    just_before = decide(policy=policy, order=order, action="cancel", now=closes - TICK)
    at_close = decide(policy=policy, order=order, action="cancel", now=closes)

    assert just_before.window_closes_at == closes
    assert just_before.outcome == Outcome.ALLOWED
    assert at_close.outcome == Outcome.NOT_ALLOWED
    assert at_close.codes == ("window_closed",)


def test_the_same_cutoff_means_another_moment_in_another_zone() -> None:
    placed = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)

    in_utc = decide(policy=cutoff_policy("14:00"), order=facts(placed_at=placed), action="cancel", now=placed)
    in_sydney = decide(
        policy=cutoff_policy("14:00"),
        order=facts(placed_at=placed, timezone="Australia/Sydney"),
        action="cancel",
        now=placed,
    )

    assert in_utc.window_closes_at == datetime(2026, 6, 10, 14, 0, tzinfo=UTC)
    # 09:00 UTC is 19:00 in Sydney (UTC+10 in June): the next 14:00 there is tomorrow, 04:00 UTC.
    assert in_sydney.window_closes_at == datetime(2026, 6, 11, 4, 0, tzinfo=UTC)


def test_grace_after_a_daily_cutoff_across_the_spring_change() -> None:
    order = facts(placed_at=datetime(2026, 3, 28, 14, 0, tzinfo=UTC), timezone=STOCKHOLM)
    policy = cutoff_policy("14:00", grace_minutes=120)

    decision = decide(
        policy=policy, order=order, action="cancel", now=datetime(2026, 3, 29, 13, 0, tzinfo=UTC)
    )

    assert decision.outcome == Outcome.NEEDS_APPROVAL
    assert decision.grace_ends_at == datetime(2026, 3, 29, 14, 0, tzinfo=UTC)


def test_now_in_any_zone_means_the_same_instant() -> None:
    from zoneinfo import ZoneInfo

    closes = PLACED + timedelta(minutes=60)
    local_now = (closes - TICK).astimezone(ZoneInfo(STOCKHOLM))

    decision = decide(
        policy=minutes_window(60), order=facts(timezone=STOCKHOLM), action="cancel", now=local_now
    )

    assert decision.outcome == Outcome.ALLOWED


def test_a_malformed_window_fails_closed() -> None:
    # validate() refuses these; a policy built in code without validating still never opens a window.
    no_minutes = with_rule(StorePolicy(), Action.CANCEL, window={"kind": WindowKind.MINUTES})
    bad_cutoff = cutoff_policy("25:99")
    unknown_zone = facts(timezone="Mars/Olympus")

    for policy in (no_minutes, bad_cutoff):
        decision = decide(policy=policy, order=facts(), action="cancel", now=PLACED)
        assert decision.codes == ("window_closed",)
    assert decide(policy=cutoff_policy("14:00"), order=unknown_zone, action="cancel", now=PLACED).allowed
