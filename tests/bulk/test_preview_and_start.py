"""Choosing orders for a bulk cancellation: by filter or pasted numbers, what it would do, and starting."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cancellations.bulk.selectors import OrderFilters, preview_bulk_cancel
from cancellations.bulk.services import start_bulk_cancel
from cancellations.models import BulkCancelItem, BulkCancelJob, LineItem, OrderRequest
from cancellations.requests.actors import Actor
from cancellations.requests.errors import InvalidRequest
from cancellations.requests.submission import submit_request
from tenants.errors import PermissionDenied
from tenants.roles import Role
from tests.bulk.helpers import orders, staff, start
from tests.factories import make_order
from tests.requests.helpers import review_everything

pytestmark = pytest.mark.django_db


def test_a_filter_chooses_open_orders_and_totals_what_would_be_refunded(store_a, store_b):
    # given: three open paid orders, one unpaid, one cancelled, one shipped, and store B's own
    paid = orders(store_a, 3)
    unpaid = make_order(store_a, financial_status="authorized")
    make_order(store_a, cancelled_at=timezone.now())
    make_order(store_a, fulfillment_status="fulfilled")
    make_order(store_b)

    preview = preview_bulk_cancel(store=store_a, filters=OrderFilters())

    # then: the default filter (open orders) leaves cancelled and shipped ones out
    assert {order.pk for order in preview.eligible} == {order.pk for order in [*paid, unpaid]}
    assert preview.refund_total == sum(order.total for order in paid)  # nothing was paid for the unpaid one
    assert preview.refund_by_currency == {"USD": sum(order.total for order in paid)}
    assert preview.ineligible == ()


def test_filters_narrow_by_tag_risk_dates_and_total(store_a):
    now = timezone.now()
    match = make_order(store_a, tags=["vip"], risk_level="high", placed_at=now - timedelta(days=2))
    make_order(store_a, tags=["other"], risk_level="high", placed_at=now - timedelta(days=2))
    make_order(store_a, tags=["vip"], risk_level="low", placed_at=now - timedelta(days=2))
    make_order(store_a, tags=["vip"], risk_level="high", placed_at=now - timedelta(days=30))
    cheap = make_order(store_a, tags=["vip"], risk_level="high", placed_at=now - timedelta(days=2), lines=1)

    filters = OrderFilters(
        status="any",
        tag="vip",
        risk="high",
        placed_from=date.today() - timedelta(days=5),
        placed_to=date.today(),
        total_min=Decimal("30.00"),
    )
    preview = preview_bulk_cancel(store=store_a, filters=filters)

    assert [order.pk for order in preview.eligible] == [match.pk]
    assert cheap.total < Decimal("30.00")
    assert "vip" in preview.description


def test_with_any_status_the_orders_that_cannot_be_cancelled_are_listed_with_why(store_a):
    make_order(store_a, cancelled_at=timezone.now(), name="#C1")
    make_order(store_a, fulfillment_status="fulfilled", name="#S1")
    partly = make_order(store_a, name="#S2")
    LineItem.objects.for_store(store_a).filter(order=partly).update(fulfilled_quantity=1)
    waiting = make_order(store_a, name="#R1")
    review_everything(store_a)
    request = submit_request(
        store=store_a, order=waiting, actor=Actor.customer(waiting.email), kind="cancel", idempotency_key="k1"
    )
    assert request.status == "pending_review"
    fine = make_order(store_a, name="#OK1")

    preview = preview_bulk_cancel(store=store_a, filters=OrderFilters(status="any"))

    assert [order.pk for order in preview.eligible] == [fine.pk]
    why = {row.name: row.code for row in preview.ineligible}
    assert why == {"#C1": "already_cancelled", "#S1": "shipped", "#S2": "shipped", "#R1": "request_open"}
    messages = dict((message, count) for message, count, _rows in preview.ineligible_by_reason())
    assert messages["Already cancelled."] == 1
    assert any(f"request {request.pk}" in message for message in messages)


def test_pasted_numbers_find_this_stores_orders_and_report_the_rest_without_touching_them(store_a, store_b):
    mine = make_order(store_a, name="#5001", number=5001)
    also_mine = make_order(store_a, name="#5002", number=5002)
    theirs = make_order(store_b, name="#7001", number=7001)

    preview = preview_bulk_cancel(store=store_a, order_numbers="#5001\n5002, 5001 ; #7001\n99999 nonsense")

    assert [order.pk for order in preview.eligible] == [mine.pk, also_mine.pk]
    # store B's number is as unknown here as one that exists nowhere: nothing says it exists elsewhere
    assert preview.unknown_numbers == ("7001", "99999", "nonsense")
    job = start(store_a, staff(store_a), order_numbers="#5001 #7001 99999")
    assert set(job.unknown_numbers) == {"7001", "99999"}
    assert not BulkCancelItem.objects.for_store(store_b).exists()
    assert not OrderRequest.objects.for_store(store_b).filter(order=theirs).exists()
    assert BulkCancelItem.objects.for_store(store_a).filter(job=job).count() == 1


def test_starting_records_every_chosen_order_and_skips_the_ineligible_with_their_reason(store_a):
    good = orders(store_a, 2)
    done = make_order(store_a, cancelled_at=timezone.now())
    actor = staff(store_a)

    job = start(store_a, actor, filters=OrderFilters(status="any"), reason="fraud", refund_method="none")

    items = {item.order_id: item for item in BulkCancelItem.objects.for_store(store_a).filter(job=job)}
    assert set(items) == {*(order.pk for order in good), done.pk}
    assert items[done.pk].status == "skipped" and items[done.pk].message == "Already cancelled."
    assert {items[order.pk].status for order in good} == {"pending"}
    assert (job.status, job.total_count, job.skipped_count) == ("queued", 3, 1)
    assert job.refund_total == Decimal("0.00")  # no refund asked for
    assert job.created_by == actor.user and job.history[0]["action"] == "started"


def test_the_same_start_key_starts_one_job(store_a):
    orders(store_a, 2)
    actor = staff(store_a)
    first = start_bulk_cancel(store=store_a, actor=actor, start_key="same", filters=OrderFilters())
    second = start_bulk_cancel(store=store_a, actor=actor, start_key="same", filters=OrderFilters())
    assert first.pk == second.pk
    assert BulkCancelJob.objects.for_store(store_a).count() == 1


def test_an_order_already_in_a_running_job_is_not_taken_by_another(store_a):
    order = make_order(store_a)
    actor = staff(store_a)
    first = start(store_a, actor)

    preview = preview_bulk_cancel(store=store_a, filters=OrderFilters())

    assert preview.count == 0
    assert preview.ineligible[0].order_id == order.pk
    assert f"#{first.pk}" in preview.ineligible[0].message
    with pytest.raises(InvalidRequest) as error:
        start(store_a, actor)
    assert error.value.code == "nothing_to_cancel"


@pytest.mark.parametrize("role", [Role.VIEWER])
def test_a_role_without_decide_cannot_start(store_a, role):
    orders(store_a, 1)
    with pytest.raises(PermissionDenied):
        start(store_a, staff(store_a, role))
    with pytest.raises(PermissionDenied):
        start(store_a, Actor.system())


def test_wrong_settings_and_selections_are_refused(store_a):
    orders(store_a, 1)
    actor = staff(store_a)
    for kwargs, code in (
        ({"reason": "boredom"}, "reason_invalid"),
        ({"refund_method": "cash"}, "refund_method_invalid"),
        ({"staff_note": "x" * 256}, "note_too_long"),
    ):
        with pytest.raises(InvalidRequest) as error:
            start(store_a, actor, **kwargs)
        assert error.value.code == code
    with pytest.raises(InvalidRequest):
        preview_bulk_cancel(store=store_a, order_numbers="  ,, ")
    with pytest.raises(InvalidRequest):
        OrderFilters(total_min=Decimal("10"), total_max=Decimal("5"))


def test_a_shopify_store_must_be_connected_first(fake_shopify, db):
    from tests.fakeshopify.fixtures import make_shopify_store

    store = make_shopify_store(fake_shopify, connected=False)
    make_order(store)
    with pytest.raises(InvalidRequest) as error:
        start(store, staff(store))
    assert error.value.code == "platform_not_connected"
