"""A small, hand-built store whose every insight is known exactly, and another store that must not leak.

Store A runs on Stockholm time (UTC+1 in November). The period is 8-14 November 2026, the previous
period 1-7 November. The numbers each insight should give are worked out in the comments below.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from cancellations.insights.rollups import refresh_rollups
from cancellations.models import LineItem, Order, OrderRequest, RetentionOutcome
from tenants.models import Store, User
from tenants.roles import Role
from tests.factories import make_member

STOCKHOLM = ZoneInfo("Europe/Stockholm")
START, END = date(2026, 11, 8), date(2026, 11, 14)
PREVIOUS_START, PREVIOUS_END = date(2026, 11, 1), date(2026, 11, 7)
_seq = itertools.count(1)


def local(
    day: int, hour: int = 12, minute: int = 0, *, month: int = 11, tz: ZoneInfo = STOCKHOLM
) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=tz)


def add_order(
    store: Store,
    placed_at: datetime,
    total: str,
    *,
    cancelled_after: timedelta | None = None,
    lines: tuple[tuple[str, str, str], ...] = (),
) -> Order:
    """An order with the given total and lines (title, product type, price)."""
    n = next(_seq)
    order = Order.objects.create(
        store=store,
        platform_id=f"insights-{n}",
        name=f"#I{n}",
        placed_at=placed_at,
        currency=store.currency,
        total=Decimal(total),
        subtotal=Decimal(total),
        cancelled_at=placed_at + cancelled_after if cancelled_after else None,
    )
    for position, (title, product_type, price) in enumerate(lines):
        LineItem.objects.create(
            store=store,
            order=order,
            platform_id=f"{n}-{position}",
            title=title,
            product_type=product_type,
            quantity=1,
            unit_price=Decimal(price),
            position=position,
        )
    return order


def add_request(
    store: Store,
    order: Order,
    requested_at: datetime,
    *,
    kind: str = "cancel",
    status: str,
    resolution: str = "",
    decided_after: timedelta | None = None,
    decided_by: User | None = None,
    reason_code: str = "",
    refund: str = "0.00",
    fee: str = "0.00",
    offer_shown: bool = False,
) -> OrderRequest:
    return OrderRequest.objects.create(
        store=store,
        order=order,
        kind=kind,
        status=status,
        resolution=resolution,
        reason_code=reason_code,
        requested_at=requested_at,
        decided_at=requested_at + decided_after if decided_after is not None else None,
        decided_by=decided_by,
        requester_kind="customer",
        refund_amount=Decimal(refund),
        fee=Decimal(fee),
        currency=store.currency,
        retention_offer_shown=offer_shown,
        idempotency_key=f"insights-request-{next(_seq)}",
    )


def add_kept(store: Store, order: Order, accepted_at: datetime) -> RetentionOutcome:
    return RetentionOutcome.objects.create(
        store=store,
        order=order,
        offer_kind="discount_code",
        discount_code="KEEP10",
        accepted_at=accepted_at,
        order_total=order.total,
        currency=order.currency,
    )


@dataclass
class Dataset:
    store: Store
    other: Store
    staff: User
    orders: dict[str, Order]


@pytest.fixture
def dataset(store_a: Store, store_b: Store) -> Dataset:
    store_a.timezone = "Europe/Stockholm"
    store_a.save(update_fields=["timezone"])
    staff = make_member(store_a, Role.AGENT)
    s = store_a
    o = {
        # This period: placed 4 (O1, O2, O3, O5), value 430; cancelled 3 (O1, O3, O5), value 380.
        # 00:30 on the 8th in Stockholm is 23:30 on the 7th in UTC: it belongs to this period.
        "O1": add_order(
            s,
            local(8, 0, 30),
            "100.00",
            cancelled_after=timedelta(minutes=30),
            lines=(("Mug", "Kitchen", "40.00"), ("Tee", "Apparel", "60.00")),
        ),
        "O2": add_order(s, local(10), "50.00", lines=(("Mug", "Kitchen", "50.00"),)),
        # The last half hour of the period.
        "O3": add_order(
            s,
            local(14, 23, 30),
            "200.00",
            cancelled_after=timedelta(days=2),
            lines=(("Tee", "Apparel", "200.00"),),
        ),
        "O5": add_order(s, local(12), "80.00", cancelled_after=timedelta(days=10)),
        # Ten minutes after the period: never counted in it (though in UTC it is still the 14th).
        "O4": add_order(s, local(15, 0, 10), "999.00", cancelled_after=timedelta(hours=1)),
        # Previous period: placed 2, value 50; cancelled 1 (P1), value 20.
        "P1": add_order(
            s, local(3), "20.00", cancelled_after=timedelta(hours=3), lines=(("Mug", "Kitchen", "20.00"),)
        ),
        "P2": add_order(s, local(7, 23, 59), "30.00", lines=(("Lamp", "", "30.00"),)),
    }
    # Requests of this period: R1-R6 (R7 is made after it); of the previous period: Q1, Q2.
    add_request(
        s,
        o["O1"],
        local(8, 0, 35),
        status="completed",
        resolution="auto_approved",
        decided_after=timedelta(0),
        reason_code="changed_mind",
        refund="100.00",
    )
    add_request(
        s,
        o["O3"],
        local(14, 23, 45),
        status="completed",
        resolution="approved",
        decided_after=timedelta(hours=2),
        decided_by=staff,
        reason_code="found_cheaper",
        refund="190.00",
        fee="10.00",
        offer_shown=True,
    )
    add_request(
        s,
        o["O2"],
        local(10, 13),
        status="rejected",
        resolution="rejected",
        decided_after=timedelta(hours=4),
        decided_by=staff,
        reason_code="changed_mind",
        offer_shown=True,
    )
    # Approved by an automation rule: no staff user on it.
    add_request(
        s,
        o["O5"],
        local(12, 10),
        status="completed",
        resolution="approved",
        decided_after=timedelta(hours=1),
        refund="80.00",
    )
    add_request(s, o["O2"], local(11), kind="edit", status="pending_review")
    add_request(
        s,
        o["O2"],
        local(13),
        kind="withdrawal",
        status="withdrawn",
        resolution="withdrawn",
        decided_after=timedelta(hours=5),
    )
    add_request(
        s,
        o["O4"],
        local(15, 1),
        status="completed",
        resolution="auto_approved",
        decided_after=timedelta(0),
        reason_code="changed_mind",
        refund="999.00",
    )
    add_request(
        s,
        o["P1"],
        local(3, 12, 5),
        status="completed",
        resolution="auto_approved",
        decided_after=timedelta(0),
        reason_code="changed_mind",
        refund="20.00",
    )
    add_request(
        s,
        o["P2"],
        local(7, 23, 30),
        status="rejected",
        resolution="rejected",
        decided_after=timedelta(hours=10),
        decided_by=staff,
        reason_code="found_cheaper",
        offer_shown=True,
    )
    # Kept after an offer: O2 (this period); O5 was kept, then cancelled all the same; P2 (before).
    add_kept(s, o["O2"], local(10, 12, 30))
    add_kept(s, o["O5"], local(12, 11))
    add_kept(s, o["P2"], local(5))

    # Store B, in the same days: nothing of it may show up in store A's figures.
    b_order = add_order(
        store_b,
        local(10),
        "5000.00",
        cancelled_after=timedelta(minutes=5),
        lines=(("Mug", "Kitchen", "5000"),),
    )
    add_request(
        store_b,
        b_order,
        local(10, 12, 1),
        status="completed",
        resolution="approved",
        decided_after=timedelta(days=3),
        reason_code="changed_mind",
        refund="5000.00",
        fee="50.00",
        offer_shown=True,
    )
    add_kept(store_b, add_order(store_b, local(11), "700.00"), local(11, 13))
    return Dataset(store=store_a, other=store_b, staff=staff, orders=o)


@pytest.fixture(params=["live", "rolled_up", "partly_rolled_up"])
def rollups(request, dataset: Dataset) -> str:
    """Each insight must give the same figures from the source tables, from rollups, or from both."""
    if request.param == "rolled_up":
        for store in (dataset.store, dataset.other):
            refresh_rollups(store=store, now=local(20))
    elif request.param == "partly_rolled_up":
        # Through the 11th from the rollups, the rest of this period live.
        refresh_rollups(store=dataset.store, now=local(12, 8))
    return request.param
