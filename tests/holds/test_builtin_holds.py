"""The built-in store: a held order is not fulfilled until released; staff and customers release
early; another store's hold is not found from anywhere."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.holds.selectors import access_hold, held_orders
from cancellations.holds.services import (
    hold_new_order,
    release_by_staff,
    release_for_customer,
    start_release,
    sweep_holds,
)
from cancellations.models import HoldStatus, ReleaseReason
from cancellations.platforms.base import PermanentPlatformError
from cancellations.platforms.builtin_fulfilment import fulfil_builtin_order
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.policy import DEFAULT_POLICY, FulfilmentHoldSettings, hold_until, order_facts
from tenants.errors import Conflict, NotFound
from tests.factories import make_member, make_order
from tests.holds.helpers import hold_of, hold_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(store_a, django_capture_on_commit_callbacks):
    hold_policy(store_a, cancel_minutes=45)
    order = make_order(store_a)
    with django_capture_on_commit_callbacks(execute=True):
        hold = hold_new_order(store=store_a, order=order)
    assert hold is not None
    return hold_of(order)


def test_a_held_built_in_order_is_not_fulfilled_until_the_window_closes(
    store_a, held, django_capture_on_commit_callbacks
):
    assert held.status == HoldStatus.HELD
    assert held.release_at == held.order.placed_at + timedelta(minutes=45)
    with pytest.raises(PermanentPlatformError) as refused:
        fulfil_builtin_order(store=store_a, order_id=held.order_id)
    assert refused.value.code == PlatformErrorCode.ORDER_ON_HOLD
    held.order.refresh_from_db()
    assert held.order.fulfillment_status == "unfulfilled"

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_holds(now=held.release_at + timedelta(seconds=1)) == 1
    assert hold_of(held.order).status == HoldStatus.RELEASED
    order = fulfil_builtin_order(store=store_a, order_id=held.order_id)
    assert order.fulfillment_status == "fulfilled"
    assert {line.fulfilled_quantity for line in order.line_items.all()} == {1}


def test_staff_release_early_once_and_then_the_order_ships(store_a, held, django_capture_on_commit_callbacks):
    staff = make_member(store_a, "agent")
    with django_capture_on_commit_callbacks(execute=True):
        release_by_staff(store=store_a, hold_id=held.pk, user_id=staff.pk)
    hold = hold_of(held.order)
    assert (hold.status, hold.release_reason, hold.released_by_id) == (
        HoldStatus.RELEASED,
        ReleaseReason.STAFF,
        staff.pk,
    )
    with pytest.raises(Conflict):
        release_by_staff(store=store_a, hold_id=held.pk, user_id=staff.pk)
    assert list(held_orders(store=store_a)) == []
    fulfil_builtin_order(store=store_a, order_id=held.order_id)


def test_the_customer_with_nothing_to_change_releases_the_hold(
    store_a, held, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        release_for_customer(store=store_a, order=held.order)
    assert hold_of(held.order).release_reason == ReleaseReason.CUSTOMER
    with pytest.raises(Conflict):
        release_for_customer(store=store_a, order=held.order)


def test_another_stores_hold_is_not_found(store_a, store_b, held):
    with pytest.raises(NotFound):
        access_hold(store=store_b, hold_id=held.pk)
    with pytest.raises(NotFound):
        release_by_staff(store=store_b, hold_id=held.pk, user_id=make_member(store_b, "owner").pk)
    assert not start_release(store=store_b, hold_id=held.pk, reason=ReleaseReason.STAFF)
    with pytest.raises(PermanentPlatformError):
        fulfil_builtin_order(store=store_b, order_id=held.order_id)
    assert list(held_orders(store=store_b)) == []
    assert hold_of(held.order).status == HoldStatus.HELD


def test_an_order_is_held_once(store_a, held):
    assert hold_new_order(store=store_a, order=held.order) == held
    assert held_orders(store=store_a).count() == 1


def test_nothing_is_held_for_a_shipped_or_cancelled_order_or_without_a_change_to_offer(store_a):
    hold_policy(store_a)
    assert hold_new_order(store=store_a, order=make_order(store_a, fulfillment_status="fulfilled")) is None
    assert hold_new_order(store=store_a, order=make_order(store_a, cancelled_at=timezone.now())) is None
    nothing_offered = replace(
        DEFAULT_POLICY,
        fulfilment_hold=FulfilmentHoldSettings(True, 120),
        cancel=replace(DEFAULT_POLICY.cancel, enabled=False),
        edit_address=replace(DEFAULT_POLICY.edit_address, enabled=False),
    )
    assert hold_until(policy=nothing_offered, order=order_facts(make_order(store_a))) is None


def test_the_sweep_finishes_a_release_or_a_hold_a_dead_worker_left_half_done(
    store_a, django_capture_on_commit_callbacks
):
    hold_policy(store_a)
    releasing, pending = make_order(store_a), make_order(store_a)
    with django_capture_on_commit_callbacks(execute=False):
        first = hold_new_order(store=store_a, order=releasing)
        second = hold_new_order(store=store_a, order=pending)
        assert first is not None and second is not None
        start_release(store=store_a, hold_id=first.pk, reason=ReleaseReason.STAFF)
    # Their tasks were lost with the worker; a minute passes.
    later = timezone.now() + timedelta(minutes=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_holds(now=timezone.now()) == 0  # not stale yet: their tasks may still come
        assert sweep_holds(now=later) == 2
    assert hold_of(releasing).status == HoldStatus.RELEASED
    assert hold_of(pending).status == HoldStatus.HELD
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_holds(now=later) == 0


def test_a_built_in_reorder_is_a_new_order_and_is_held(store_a, settings, django_capture_on_commit_callbacks):
    from cancellations.models import Order
    from cancellations.requests.actors import Actor
    from cancellations.requests.execution import execute_request
    from cancellations.requests.submission import submit_request
    from tests.factories import make_product
    from tests.requests.helpers import scripted

    hold_policy(store_a)
    variant = make_product(store_a).variants.first()
    order = make_order(store_a, fulfillment_status="fulfilled")
    order.line_items.update(variant_id=variant.platform_id)
    with scripted(settings), django_capture_on_commit_callbacks(execute=True):
        reorder = submit_request(
            store=store_a,
            order=order,
            actor=Actor.customer(order.email),
            kind="reorder",
            idempotency_key="re-hold-1",
        )
        execute_request(store=store_a, request_id=reorder.pk)
    reorder.refresh_from_db()
    assert reorder.status == "completed"
    new_order = Order.objects.for_store(store_a).get(platform_id=reorder.result["platform_id"])
    assert hold_of(new_order).status == HoldStatus.HELD
    assert not held_orders(store=store_a).filter(order=order).exists()
