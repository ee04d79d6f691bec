"""What a change that raises an order's total owes, and how it is paid: the built-in store's payment
link, Shopify's invoice and payment link, the request, the emails and the queue."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from django.core import mail

from cancellations.models import BuiltinPayment, Order
from cancellations.orders.services import sync_order_from_platform
from cancellations.platforms.builtin_payments import pay
from cancellations.policy import DEFAULT_POLICY
from cancellations.queue.selectors import QueueFilters, filtered_requests
from cancellations.requests.actors import Actor
from cancellations.requests.execution import COMPLETED, execute_request
from cancellations.requests.submission import ChangeInput, preview_edit, submit_request
from tenants.errors import NotFound
from tests.customer.conftest import set_policy
from tests.factories import make_order

pytestmark = pytest.mark.django_db


def _allow_item_changes(store):
    allowed = replace(DEFAULT_POLICY.cancel)
    set_policy(store, edit_quantity=allowed, swap_variant=allowed, remove_line=allowed)


def _order_of_240(store, **fields):
    """A paid order of two items at 120.00 (no tax, no shipping): 240.00."""
    order = make_order(store, lines=1, email="ann@example.com", **fields)
    line = order.line_items.get()
    line.unit_price, line.quantity = Decimal("120.00"), 2
    line.save(update_fields=["unit_price", "quantity"])
    order.subtotal = order.total = Decimal("240.00")
    order.save(update_fields=["subtotal", "total"])
    return order, line


def _three_of(store, order, line, key="more-1"):
    return submit_request(
        store=store,
        order=order,
        actor=Actor.customer(order.email),
        kind="edit",
        idempotency_key=key,
        changes=[{"kind": "quantity", "line_id": line.pk, "quantity": 3}],
    )


def test_the_new_total_and_the_difference_are_known_before_submitting(store_a, store_b):
    order, line = _order_of_240(store_a)
    order.tax = Decimal("24.00")  # tax follows the goods
    order.total = Decimal("264.00")
    order.save(update_fields=["tax", "total"])

    estimate = preview_edit(
        store=store_a, order=order, changes=[ChangeInput(kind="quantity", line_id=line.pk, quantity=3)]
    )

    assert (estimate.total, estimate.new_total, estimate.difference) == (
        Decimal("264.00"),
        Decimal("396.00"),
        Decimal("132.00"),
    )
    assert estimate.owed == Decimal("132.00") and estimate.refund == 0
    fewer = preview_edit(
        store=store_a, order=order, changes=[ChangeInput(kind="quantity", line_id=line.pk, quantity=1)]
    )
    assert fewer.refund == Decimal("132.00") and fewer.owed == 0
    with pytest.raises(NotFound):
        preview_edit(store=store_b, order=order, changes=[ChangeInput(kind="remove", line_id=line.pk)])


def test_an_unpaid_order_owes_nothing_extra_its_new_total_is_simply_due(store_a):
    order, line = _order_of_240(store_a, financial_status="pending")
    estimate = preview_edit(
        store=store_a, order=order, changes=[ChangeInput(kind="quantity", line_id=line.pk, quantity=3)]
    )
    assert estimate.new_total == Decimal("360.00") and estimate.owed == 0 and not estimate.paid


def test_a_quantity_increase_on_the_builtin_store_is_owed_by_a_link_and_paid(
    store_a, django_capture_on_commit_callbacks
):
    # given a paid order of 240.00 and a change to 360.00, allowed by the policy
    _allow_item_changes(store_a)
    order, line = _order_of_240(store_a)

    # when the customer asks (and the policy approves, and it is carried out)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        request = _three_of(store_a, order, line)
        assert request.amount_owed == Decimal("120.00")  # the estimate, before it is carried out
    assert callbacks
    request.refresh_from_db()
    assert request.status == "completed"

    # then 120.00 is owed, by a payment link of the built-in store
    request.refresh_from_db()
    order.refresh_from_db()
    assert order.total == Decimal("360.00") and order.financial_status == "partially_paid"
    assert request.amount_owed == Decimal("120.00") and request.payment_due
    payment = BuiltinPayment.objects.for_store(store_a).get(order=order)
    assert payment.amount == Decimal("120.00") and not payment.is_paid
    assert request.payment_url.endswith(f"/s/alpha-shop/pay/{payment.token}/")
    (done,) = [m for m in mail.outbox if "has been carried out" in m.body]
    assert "120.00 USD more than you paid" in done.body and request.payment_url in done.body
    unpaid = filtered_requests(store=store_a, filters=QueueFilters(status="", unpaid=True))
    assert list(unpaid) == [request]

    # when the customer pays (twice, as a double click would)
    pay(store=store_a, token=payment.token)
    pay(store=store_a, token=payment.token)

    # then the order is paid and nothing is owed any more
    order.refresh_from_db()
    request.refresh_from_db()
    assert order.financial_status == "paid" and not request.payment_due
    assert BuiltinPayment.objects.for_store(store_a).get(pk=payment.pk).is_paid
    assert not filtered_requests(store=store_a, filters=QueueFilters(status="", unpaid=True)).exists()


def test_the_received_email_states_what_will_be_owed(store_a, django_capture_on_commit_callbacks):
    set_policy(
        store_a,
        edit_quantity=replace(
            DEFAULT_POLICY.cancel, approval=replace(DEFAULT_POLICY.cancel.approval, always=True)
        ),
    )
    order, line = _order_of_240(store_a)
    with django_capture_on_commit_callbacks(execute=True):
        request = _three_of(store_a, order, line)
    assert request.status == "pending_review"
    (received,) = [m for m in mail.outbox if "We have received your request" in m.body]
    assert "you will pay about 120.00 USD more" in received.body


def test_a_decrease_states_the_refund(store_a, django_capture_on_commit_callbacks):
    _allow_item_changes(store_a)
    order, line = _order_of_240(store_a)
    with django_capture_on_commit_callbacks(execute=True):
        request = submit_request(
            store=store_a,
            order=order,
            actor=Actor.customer(order.email),
            kind="edit",
            idempotency_key="fewer-1",
            changes=[{"kind": "quantity", "line_id": line.pk, "quantity": 1}],
        )
        execute_request(store=store_a, request_id=request.pk)
    request.refresh_from_db()
    assert request.refund_amount == Decimal("120.00") and request.amount_owed == 0
    assert not BuiltinPayment.objects.for_store(store_a).exists()
    (done,) = [m for m in mail.outbox if "has been carried out" in m.body]
    assert "120.00 USD will be refunded to you" in done.body


def test_a_payment_link_of_one_store_is_not_found_in_another(store_a, store_b, client):
    _allow_item_changes(store_a)
    order, line = _order_of_240(store_a)
    request = _three_of(store_a, order, line)
    execute_request(store=store_a, request_id=request.pk)
    payment = BuiltinPayment.objects.for_store(store_a).get()

    with pytest.raises(NotFound):
        pay(store=store_b, token=payment.token)
    assert client.get(f"/s/bravo-shop/pay/{payment.token}/").status_code == 404
    assert client.post(f"/s/bravo-shop/pay/{payment.token}/").status_code == 404
    assert client.get("/s/alpha-shop/pay/not-a-token/").status_code == 404
    assert not BuiltinPayment.objects.for_store(store_a).get().is_paid

    page = client.get(f"/s/alpha-shop/pay/{payment.token}/").content.decode()
    assert "Pay 120.00 USD" in page
    assert client.post(f"/s/alpha-shop/pay/{payment.token}/").status_code == 302
    assert "Paid: 120.00 USD" in client.get(f"/s/alpha-shop/pay/{payment.token}/").content.decode()
    assert Order.objects.for_store(store_a).get(pk=order.pk).financial_status == "paid"


def test_shopify_sends_its_invoice_and_the_payment_link_is_shown(fake_shopify, shopify_store):
    _allow_item_changes(shopify_store)
    remote = fake_shopify.add_order(
        shopify_store.platform_domain, lines=[("gid://shopify/ProductVariant/7", 2, "120.00")]
    )
    sync_order_from_platform(store=shopify_store, order_platform_id=remote["id"])
    order = Order.objects.for_store(shopify_store).get(platform_id=remote["id"])
    line = order.line_items.get()

    request = _three_of(shopify_store, order, line, key="shop-more-1")
    assert request.amount_owed == Decimal("120.00")
    assert execute_request(store=shopify_store, request_id=request.pk) == COMPLETED

    shop = fake_shopify.shops[shopify_store.platform_domain]
    assert shop.invoices_sent == [remote["id"]]  # committed with notifyCustomer: Shopify's invoice
    request.refresh_from_db()
    assert request.amount_owed == Decimal("120.00")
    assert "/invoices/" in request.payment_url
    sync_order_from_platform(store=shopify_store, order_platform_id=remote["id"])
    request.refresh_from_db()
    assert request.order.financial_status == "partially_paid" and request.payment_due

    fake_shopify.pay_outstanding(shopify_store.platform_domain, remote["id"])
    sync_order_from_platform(store=shopify_store, order_platform_id=remote["id"])
    request.refresh_from_db()
    assert request.order.financial_status == "paid" and not request.payment_due


def test_a_shopify_change_that_costs_nothing_more_sends_no_invoice(fake_shopify, shopify_store):
    _allow_item_changes(shopify_store)
    remote = fake_shopify.add_order(
        shopify_store.platform_domain, lines=[("gid://shopify/ProductVariant/7", 2, "120.00")]
    )
    sync_order_from_platform(store=shopify_store, order_platform_id=remote["id"])
    order = Order.objects.for_store(shopify_store).get(platform_id=remote["id"])
    line = order.line_items.get()
    request = submit_request(
        store=shopify_store,
        order=order,
        actor=Actor.customer(order.email),
        kind="edit",
        idempotency_key="shop-fewer-1",
        changes=[{"kind": "quantity", "line_id": line.pk, "quantity": 1}],
    )
    assert execute_request(store=shopify_store, request_id=request.pk) == COMPLETED
    request.refresh_from_db()
    assert fake_shopify.shops[shopify_store.platform_domain].invoices_sent == []
    assert request.amount_owed == 0 and request.payment_url == ""
