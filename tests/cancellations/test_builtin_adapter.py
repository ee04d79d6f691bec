"""The built-in store carries out cancellations, edits and reorders exactly once per idempotency key."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections

from cancellations.models import InventoryAdjustment, Order, PlatformEffect, Refund, RefundMethod, Variant
from cancellations.platforms import get_adapter
from cancellations.platforms.base import (
    Address,
    CancelReason,
    CancelRequest,
    ChangeAddress,
    EditRequest,
    EffectStatus,
    PermanentPlatformError,
    RemoveLine,
    ReorderRequest,
    SetQuantity,
    SwapVariant,
)
from cancellations.platforms.builtin import BuiltinAdapter
from cancellations.platforms.shopify.adapter import ShopifyAdapter
from tests.cancellations.builders import builtin_order, catalogue_variant
from tests.factories import make_store

pytestmark = pytest.mark.django_db


def _stock(variant: Variant) -> int | None:
    variant.refresh_from_db()
    return variant.inventory_quantity


def test_the_registry_picks_the_adapter_of_the_stores_platform(store_a):
    shopify_store = make_store(platform="shopify", platform_domain="alpha.myshopify.com")
    assert isinstance(get_adapter(store_a), BuiltinAdapter)
    assert isinstance(get_adapter(shopify_store), ShopifyAdapter)


def test_cancelling_a_paid_order_refunds_it_restocks_it_and_tells_the_customer(
    store_a, mailoutbox, django_capture_on_commit_callbacks
):
    # given a paid order of two shirts, with 8 left in stock
    shirt = catalogue_variant(store_a, price="20.00", stock=8)
    order = builtin_order(store_a, (shirt, 2), shipping="5.00")
    adapter = get_adapter(store_a)

    # when it is cancelled
    with django_capture_on_commit_callbacks(execute=True):
        result = adapter.cancel(
            CancelRequest(order.platform_id, reason=CancelReason.CUSTOMER), idempotency_key="req-1:cancel"
        )

    # then the whole payment comes back, the shirts go back on the shelf and the customer hears of it
    assert result.status == EffectStatus.COMPLETED
    assert result.refunded == Decimal("45.00")
    assert not result.replayed
    order.refresh_from_db()
    assert order.cancelled_at is not None
    assert order.financial_status == "refunded"
    assert order.refunded == Decimal("45.00")
    assert order.version == 2
    assert [(r.amount, r.method) for r in Refund.objects.for_store(store_a)] == [
        (Decimal("45.00"), "original")
    ]
    assert _stock(shirt) == 10
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ann@example.com"]
    assert "cancelled" in mailoutbox[0].subject


def test_the_same_cancellation_twice_has_one_effect_and_replays_the_first_outcome(store_a):
    shirt = catalogue_variant(store_a, stock=8)
    order = builtin_order(store_a, (shirt, 2))
    adapter = get_adapter(store_a)
    request = CancelRequest(order.platform_id)

    first = adapter.cancel(request, idempotency_key="req-2:cancel")
    second = adapter.cancel(request, idempotency_key="req-2:cancel")

    assert second.replayed and not first.replayed
    assert second.refunded == first.refunded
    assert Refund.objects.for_store(store_a).count() == 1
    assert InventoryAdjustment.objects.for_store(store_a).count() == 1
    assert _stock(shirt) == 10
    assert PlatformEffect.objects.for_store(store_a).get().status == "completed"


def test_a_key_reused_for_a_different_request_is_refused(store_a):
    order = builtin_order(store_a, (catalogue_variant(store_a), 1))
    adapter = get_adapter(store_a)
    adapter.cancel(CancelRequest(order.platform_id), idempotency_key="req-3")

    with pytest.raises(PermanentPlatformError) as refused:
        adapter.cancel(CancelRequest(order.platform_id, restock=False), idempotency_key="req-3")

    assert refused.value.code == "idempotency_key_reused"


def test_an_unpaid_order_is_voided_without_a_refund_and_store_credit_is_recorded_as_such(store_a):
    unpaid = builtin_order(store_a, (catalogue_variant(store_a), 1), financial_status="authorized")
    paid = builtin_order(store_a, (catalogue_variant(store_a, price="30.00"), 1), shipping="0.00")
    adapter = get_adapter(store_a)

    adapter.cancel(CancelRequest(unpaid.platform_id), idempotency_key="a")
    adapter.cancel(CancelRequest(paid.platform_id, refund=RefundMethod.STORE_CREDIT), idempotency_key="b")

    unpaid.refresh_from_db()
    assert unpaid.financial_status == "voided"
    assert [(r.order_id, r.method, r.amount) for r in Refund.objects.for_store(store_a)] == [
        (paid.pk, "store_credit", Decimal("30.00"))
    ]


def test_a_refused_cancellation_leaves_nothing_behind_not_even_the_claimed_key(store_a):
    shirt = catalogue_variant(store_a, stock=5)
    order = builtin_order(store_a, (shirt, 1))
    order.line_items.update(fulfilled_quantity=1)
    adapter = get_adapter(store_a)

    with pytest.raises(PermanentPlatformError) as refused:
        adapter.cancel(CancelRequest(order.platform_id), idempotency_key="req-4")

    assert refused.value.code == "order_fulfilled"
    assert "shipped" in refused.value.message
    order.refresh_from_db()
    assert order.cancelled_at is None
    assert PlatformEffect.objects.for_store(store_a).count() == 0
    assert _stock(shirt) == 5


def test_an_order_cancelled_under_another_key_is_not_cancelled_again(store_a):
    order = builtin_order(store_a, (catalogue_variant(store_a), 1))
    adapter = get_adapter(store_a)
    adapter.cancel(CancelRequest(order.platform_id), idempotency_key="first")

    with pytest.raises(PermanentPlatformError) as refused:
        adapter.cancel(CancelRequest(order.platform_id), idempotency_key="second")

    assert refused.value.code == "order_already_cancelled"
    assert Refund.objects.for_store(store_a).count() == 1


def test_another_stores_order_does_not_exist_for_this_store(store_a, store_b):
    theirs = builtin_order(store_b, (catalogue_variant(store_b), 1))

    with pytest.raises(PermanentPlatformError) as refused:
        get_adapter(store_a).cancel(CancelRequest(theirs.platform_id), idempotency_key="x")

    assert refused.value.code == "order_not_found"
    theirs.refresh_from_db()
    assert theirs.cancelled_at is None


def test_a_missing_idempotency_key_is_refused(store_a):
    order = builtin_order(store_a, (catalogue_variant(store_a), 1))
    with pytest.raises(PermanentPlatformError) as refused:
        get_adapter(store_a).cancel(CancelRequest(order.platform_id), idempotency_key=" ")
    assert refused.value.code == "idempotency_key_missing"


def test_a_staff_note_longer_than_shopify_allows_is_refused_before_anything_happens():
    with pytest.raises(PermanentPlatformError) as refused:
        CancelRequest("gid://amend/Order/1", staff_note="x" * 256)
    assert refused.value.code == "staff_note_too_long"


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_same_cancellation_at_once_apply_it_once():
    # given one order and two threads (two database connections) with the same key
    store = make_store("race-shop")
    shirt = catalogue_variant(store, stock=3)
    order = builtin_order(store, (shirt, 1))
    results, errors = [], []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            results.append(
                get_adapter(store).cancel(CancelRequest(order.platform_id), idempotency_key="race")
            )
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then both return the same outcome, and the refund and restock happened once
    assert errors == []
    assert sorted(r.replayed for r in results) == [False, True]
    assert Refund.objects.for_store(store).count() == 1
    assert _stock(shirt) == 4


def test_lowering_a_quantity_refunds_the_difference_and_restocks_it(store_a):
    shirt = catalogue_variant(store_a, price="10.00", stock=0)
    order = builtin_order(store_a, (shirt, 3), shipping="5.00")
    line = order.line_items.get()

    result = get_adapter(store_a).edit(
        EditRequest(order.platform_id, (SetQuantity(line.platform_id, 1),)), idempotency_key="e1"
    )

    assert result.balance == Decimal("-20.00")
    assert result.total == Decimal("15.00")
    order.refresh_from_db()
    assert (order.subtotal, order.total, order.refunded) == (
        Decimal("10.00"),
        Decimal("15.00"),
        Decimal("20.00"),
    )
    assert order.financial_status == "partially_refunded"
    assert order.line_items.get().quantity == 1
    assert _stock(shirt) == 2


def test_swapping_a_variant_moves_stock_both_ways_and_prices_the_new_line(store_a):
    small = catalogue_variant(store_a, price="10.00", stock=0, title="S")
    large = catalogue_variant(store_a, price="12.00", stock=5, title="L")
    order = builtin_order(store_a, (small, 2), shipping="0.00")
    line = order.line_items.get()

    result = get_adapter(store_a).edit(
        EditRequest(order.platform_id, (SwapVariant(line.platform_id, large.platform_id),)),
        idempotency_key="e2",
    )

    [new_line] = order.line_items.all()
    assert (new_line.variant_id, new_line.quantity, new_line.unit_price) == (
        large.platform_id,
        2,
        Decimal("12.00"),
    )
    assert result.balance == Decimal("4.00")
    order.refresh_from_db()
    assert order.financial_status == "partially_paid"
    assert (_stock(small), _stock(large)) == (2, 3)


def test_an_edit_needing_more_stock_than_there_is_changes_nothing(store_a):
    shirt = catalogue_variant(store_a, stock=1)
    order = builtin_order(store_a, (shirt, 1))
    line = order.line_items.get()
    new_address = Address(
        first_name="Bo", last_name="Ek", address1="Ny gata 2", city="Lund", country_code="SE"
    )

    with pytest.raises(PermanentPlatformError) as refused:
        get_adapter(store_a).edit(
            EditRequest(order.platform_id, (ChangeAddress(new_address), SetQuantity(line.platform_id, 5))),
            idempotency_key="e3",
        )

    assert refused.value.code == "out_of_stock"
    order.refresh_from_db()
    assert order.shipping_address["city"] == "Stockholm"
    assert order.line_items.get().quantity == 1
    assert _stock(shirt) == 1


def test_an_address_change_and_a_removed_line_apply_together_once(store_a):
    keep, drop = catalogue_variant(store_a, stock=0), catalogue_variant(store_a, stock=0)
    order = builtin_order(store_a, (keep, 1), (drop, 1))
    drop_line = order.line_items.get(variant_id=drop.platform_id)
    new_address = Address(
        first_name="Bo", last_name="Ek", address1="Ny gata 2", city="Lund", country_code="SE"
    )
    request = EditRequest(order.platform_id, (ChangeAddress(new_address), RemoveLine(drop_line.platform_id)))
    adapter = get_adapter(store_a)

    adapter.edit(request, idempotency_key="e4")
    again = adapter.edit(request, idempotency_key="e4")

    assert again.replayed
    order.refresh_from_db()
    assert order.shipping_address == {
        "name": "Bo Ek",
        "first_name": "Bo",
        "last_name": "Ek",
        "address1": "Ny gata 2",
        "city": "Lund",
        "country_code": "SE",
    }
    assert [line.variant_id for line in order.line_items.all()] == [keep.platform_id]
    assert _stock(drop) == 1
    assert order.version == 2


def test_removing_every_line_is_refused_in_favour_of_cancelling(store_a):
    order = builtin_order(store_a, (catalogue_variant(store_a), 1))
    line = order.line_items.get()
    with pytest.raises(PermanentPlatformError) as refused:
        get_adapter(store_a).edit(
            EditRequest(order.platform_id, (RemoveLine(line.platform_id),)), idempotency_key="e5"
        )
    assert refused.value.code == "order_would_be_empty"
    assert order.line_items.count() == 1


def test_shipped_lines_and_cancelled_orders_cannot_be_edited(store_a):
    shirt = catalogue_variant(store_a)
    shipped = builtin_order(store_a, (shirt, 2))
    shipped.line_items.update(fulfilled_quantity=2)
    cancelled = builtin_order(store_a, (shirt, 1))
    adapter = get_adapter(store_a)
    adapter.cancel(CancelRequest(cancelled.platform_id), idempotency_key="c")

    with pytest.raises(PermanentPlatformError) as shipped_error:
        adapter.edit(
            EditRequest(shipped.platform_id, (SetQuantity(shipped.line_items.get().platform_id, 1),)),
            idempotency_key="e6",
        )
    with pytest.raises(PermanentPlatformError) as cancelled_error:
        adapter.edit(
            EditRequest(cancelled.platform_id, (SetQuantity(cancelled.line_items.get().platform_id, 2),)),
            idempotency_key="e7",
        )

    assert shipped_error.value.code == "line_fulfilled"
    assert cancelled_error.value.code == "order_cancelled"


def test_a_reorder_places_a_new_pending_order_with_the_same_items_once(store_a):
    shirt = catalogue_variant(store_a, price="10.00", stock=5)
    order = builtin_order(store_a, (shirt, 2), shipping="0.00")
    adapter = get_adapter(store_a)

    result = adapter.create_reorder(ReorderRequest(order.platform_id), idempotency_key="r1")
    again = adapter.create_reorder(ReorderRequest(order.platform_id), idempotency_key="r1")

    assert again.platform_id == result.platform_id and again.replayed
    reorder = Order.objects.for_store(store_a).get(platform_id=result.platform_id)
    assert reorder.pk != order.pk
    assert reorder.financial_status == "pending"
    assert reorder.number == order.number + 1
    assert reorder.email == order.email
    assert [(line.variant_id, line.quantity) for line in reorder.line_items.all()] == [(shirt.platform_id, 2)]
    assert reorder.total == Decimal("20.00")
    assert _stock(shirt) == 3


def test_a_reorder_of_items_no_longer_sold_is_refused(store_a):
    shirt = catalogue_variant(store_a)
    order = builtin_order(store_a, (shirt, 1))
    shirt.product.delete()

    with pytest.raises(PermanentPlatformError) as refused:
        get_adapter(store_a).create_reorder(ReorderRequest(order.platform_id), idempotency_key="r2")

    assert refused.value.code == "variant_not_found"


def test_fetching_a_builtin_order_describes_the_mirror(store_a):
    shirt = catalogue_variant(store_a, price="9.50")
    order = builtin_order(store_a, (shirt, 2))

    snapshot = get_adapter(store_a).fetch_order(order.platform_id, idempotency_key="f1")

    assert (snapshot.name, snapshot.total, snapshot.financial_status) == (
        order.name,
        Decimal("24.00"),
        "paid",
    )
    assert [(line.variant_id, line.quantity) for line in snapshot.lines] == [(shirt.platform_id, 2)]


def test_polling_a_builtin_effect_returns_its_recorded_outcome(store_a):
    order = builtin_order(store_a, (catalogue_variant(store_a), 1))
    adapter = get_adapter(store_a)
    adapter.cancel(CancelRequest(order.platform_id), idempotency_key="p1")

    assert adapter.poll_job("", idempotency_key="p1").status == EffectStatus.COMPLETED
    with pytest.raises(PermanentPlatformError):
        adapter.poll_job("", idempotency_key="never-ran")
