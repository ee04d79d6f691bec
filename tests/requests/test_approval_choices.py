"""Staff may approve without restocking the items or without emailing the customer."""

from dataclasses import replace

import pytest
from django.core import mail

from cancellations.models import InventoryAdjustment, OrderRequest
from cancellations.policy import DEFAULT_POLICY
from cancellations.requests.actors import Actor
from cancellations.requests.services import approve_request
from cancellations.requests.submission import submit_request
from tenants.access import staff_access
from tenants.roles import Role
from tests.customer.conftest import set_policy
from tests.factories import make_member, make_order, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(store_a):
    set_policy(
        store_a,
        cancel=replace(DEFAULT_POLICY.cancel, approval=replace(DEFAULT_POLICY.cancel.approval, always=True)),
    )
    order = make_order(store_a, email="ann@example.com", lines=1)
    variant = make_product(store_a).variants.first()
    order.line_items.update(variant_id=variant.platform_id, product_id=variant.product.platform_id)
    request = submit_request(
        store=store_a,
        order=order,
        actor=Actor.customer("ann@example.com"),
        kind="cancel",
        idempotency_key="k1",
    )
    agent = Actor.staff(staff_access(user=make_member(store_a, Role.AGENT), store=store_a))
    return request, agent


def test_approving_without_email_tells_the_customer_nothing(
    store_a, waiting, django_capture_on_commit_callbacks
):
    request, agent = waiting
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approve_request(
            store=store_a, request_id=request.pk, actor=agent, overrides={"notify_customer": False}
        )
    request = OrderRequest.objects.for_store(store_a).get(pk=request.pk)
    assert request.status == "completed"
    assert [m.to for m in mail.outbox if "ann@example.com" in m.to] == []


@pytest.mark.parametrize(("overrides", "restocked"), [(None, True), ({"restock": False}, False)])
def test_restocking_follows_the_choice(
    store_a, waiting, overrides, restocked, django_capture_on_commit_callbacks
):
    request, agent = waiting
    with django_capture_on_commit_callbacks(execute=True):
        approve_request(store=store_a, request_id=request.pk, actor=agent, overrides=overrides)
    assert OrderRequest.objects.for_store(store_a).get(pk=request.pk).status == "completed"
    assert InventoryAdjustment.objects.for_store(store_a).exists() is restocked


def test_the_choices_are_recorded_on_the_approval(store_a, waiting, django_capture_on_commit_callbacks):
    request, agent = waiting
    with django_capture_on_commit_callbacks(execute=True):
        approve_request(store=store_a, request_id=request.pk, actor=agent, overrides={"restock": False})
    event = OrderRequest.objects.for_store(store_a).get(pk=request.pk).events.get(action="approved")
    assert event.data["overrides"]["restock"] == {"before": "True", "after": "False"}


def test_the_restocking_fee_is_kept_from_the_refund(store_a, django_capture_on_commit_callbacks):
    from decimal import Decimal

    from cancellations.models import Order, Refund
    from cancellations.policy import FeeKind

    set_policy(store_a, fees=replace(DEFAULT_POLICY.fees, kind=FeeKind.FIXED, fixed=Decimal("5.00")))
    order = make_order(store_a, email="ann@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        request = submit_request(
            store=store_a,
            order=order,
            actor=Actor.customer("ann@example.com"),
            kind="cancel",
            idempotency_key="fee-1",
        )
    request.refresh_from_db()
    assert (request.status, request.fee) == ("completed", Decimal("5.00"))
    refund = Refund.objects.for_store(store_a).get(order=order)
    assert refund.amount == order.total - Decimal("5.00")
    assert Order.objects.for_store(store_a).get(pk=order.pk).financial_status == "partially_refunded"
