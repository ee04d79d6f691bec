"""Adding items to an open order: from the products the policy allows, at their own price (no discount
code reaches them), within the policy's maximum, decided like every other change, and paid for."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from cancellations.models import BuiltinPayment, Order, RequestChange, Variant
from cancellations.orders.catalogue import addable_variants
from cancellations.orders.services import sync_order_from_platform
from cancellations.platforms.builtin_payments import pay
from cancellations.policy import DEFAULT_POLICY, AdditionSettings
from cancellations.policy.validation import validate_policy
from cancellations.requests.actors import Actor
from cancellations.requests.errors import InvalidRequest, RequestErrorCode
from cancellations.requests.execution import COMPLETED, execute_request
from cancellations.requests.submission import ChangeInput, preview_edit, submit_request
from tests.customer.conftest import set_policy
from tests.factories import make_order, make_product

pytestmark = pytest.mark.django_db


def _allow_additions(store, *, review=False, tag="add-on", max_items=2):
    rule = replace(DEFAULT_POLICY.add_item, enabled=True)
    if review:
        rule = replace(rule, approval=replace(rule.approval, always=True))
    set_policy(store, add_item=rule, additions=AdditionSettings(tag=tag, max_items=max_items))


def _add_on(store, *, tags=("add-on",), price="15.00", stock=5):
    product = make_product(store, title="Gift Wrap", variants=1, tags=list(tags))
    variant = product.variants.get()
    variant.price, variant.inventory_quantity = Decimal(price), stock
    variant.save(update_fields=["price", "inventory_quantity"])
    return variant


def _order(store):
    order = make_order(store, lines=1, email="ann@example.com", discount_codes=["WELCOME10"])
    line = order.line_items.get()
    line.unit_price, line.quantity, line.total_discount = Decimal("120.00"), 2, Decimal("24.00")
    line.save(update_fields=["unit_price", "quantity", "total_discount"])
    order.subtotal = order.total = Decimal("216.00")
    order.save(update_fields=["subtotal", "total"])
    return order


def _add(store, order, variant_id, quantity=1, key="add-1", **extra_changes):
    return submit_request(
        store=store,
        order=order,
        actor=Actor.customer(order.email),
        kind="edit",
        idempotency_key=key,
        changes=[
            {"kind": "add", "variant_id": variant_id, "quantity": quantity},
            *extra_changes.get("more", []),
        ],
    )


def test_an_added_item_is_charged_at_its_own_price_owed_and_paid(store_a, django_capture_on_commit_callbacks):
    # given a paid order with a discount, and a store that lets customers add its gift wrap
    _allow_additions(store_a)
    wrap = _add_on(store_a)
    order = _order(store_a)

    estimate = preview_edit(
        store=store_a, order=order, changes=[ChangeInput(kind="add", variant_id=wrap.platform_id, quantity=2)]
    )
    assert (
        estimate.difference == Decimal("30.00") and estimate.owed == Decimal("30.00") and estimate.added == 1
    )

    # when the customer adds two, and the policy approves it
    with django_capture_on_commit_callbacks(execute=True):
        request = _add(store_a, order, wrap.platform_id, quantity=2)
    request.refresh_from_db()

    # then the order carries them at full price, the stock moved, and the difference is owed by a link
    assert request.status == "completed"
    order.refresh_from_db()
    added = order.line_items.get(variant_id=wrap.platform_id)
    assert (added.quantity, added.unit_price, added.total_discount) == (2, Decimal("15.00"), 0)
    assert order.total == Decimal("246.00") and order.financial_status == "partially_paid"
    assert Variant.objects.for_store(store_a).get(pk=wrap.pk).inventory_quantity == 3
    assert request.amount_owed == Decimal("30.00") and request.payment_url
    pay(store=store_a, token=BuiltinPayment.objects.for_store(store_a).get(order=order).token)
    assert Order.objects.for_store(store_a).get(pk=order.pk).financial_status == "paid"


def test_the_policy_decides_whether_an_addition_is_reviewed(store_a):
    _allow_additions(store_a, review=True)
    wrap = _add_on(store_a)
    request = _add(store_a, _order(store_a), wrap.platform_id)
    assert request.status == "pending_review"
    assert RequestChange.objects.for_store(store_a).get(request=request).kind == "add"


def test_without_the_policy_allowing_it_an_addition_is_denied(store_a):
    set_policy(store_a, additions=AdditionSettings(tag="add-on"))  # add_item stays off
    wrap = _add_on(store_a)
    assert _add(store_a, _order(store_a), wrap.platform_id).status == "denied"


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("untagged", RequestErrorCode.ITEM_NOT_ADDABLE),
        ("out_of_stock", RequestErrorCode.ITEM_NOT_ADDABLE),
        ("on_the_order", RequestErrorCode.ITEM_NOT_ADDABLE),
        ("too_many", RequestErrorCode.TOO_MANY_ADDED),
        ("other_store", RequestErrorCode.ITEM_NOT_ADDABLE),
    ],
)
def test_what_may_not_be_added_is_refused_and_nothing_is_recorded(store_a, store_b, case, code):
    _allow_additions(store_a, max_items=2)
    order = _order(store_a)
    variant = {
        "untagged": lambda: _add_on(store_a, tags=("other",)),
        "out_of_stock": lambda: _add_on(store_a, stock=0),
        "on_the_order": lambda: _add_on(store_a),
        "too_many": lambda: _add_on(store_a),
        "other_store": lambda: _add_on(store_b),
    }[case]()
    if case == "on_the_order":
        line = order.line_items.get()
        line.variant_id = variant.platform_id
        line.save(update_fields=["variant_id"])
    with pytest.raises(InvalidRequest) as refused:
        _add(store_a, order, variant.platform_id, quantity=3 if case == "too_many" else 1)
    assert refused.value.code == code
    assert not RequestChange.objects.for_store(store_a).exists()


def test_the_most_added_items_is_from_1_to_20():
    for bad in (0, 21):
        policy = replace(DEFAULT_POLICY, additions=AdditionSettings(tag="add-on", max_items=bad))
        assert [error.field for error in validate_policy(policy)] == ["additions.max_items"]
    assert validate_policy(replace(DEFAULT_POLICY, additions=AdditionSettings(tag="", max_items=20))) == []


def test_shopify_adds_in_the_same_edit_session_and_commits_once(fake_shopify, shopify_store):
    # given a shop with a tagged product, found by Amend's product search within the cost limit
    _allow_additions(shopify_store)
    set_policy(
        shopify_store,
        add_item=replace(DEFAULT_POLICY.add_item, enabled=True),
        edit_quantity=replace(DEFAULT_POLICY.cancel),
        additions=AdditionSettings(tag="add-on", max_items=2),
    )
    domain = shopify_store.platform_domain
    fake_shopify.add_product(
        domain,
        title="Gift Wrap",
        tags=["add-on"],
        variants=[("gid://shopify/ProductVariant/88", "Red", "15.00", 9)],
    )
    fake_shopify.add_product(
        domain, title="Other", tags=["x"], variants=[("gid://shopify/ProductVariant/89", "", "5.00", 9)]
    )
    (found,) = addable_variants(store=shopify_store, tag="add-on")
    assert (found.platform_id, found.price, found.product.title) == (
        "gid://shopify/ProductVariant/88",
        Decimal("15.00"),
        "Gift Wrap",
    )
    remote = fake_shopify.add_order(domain, lines=[("gid://shopify/ProductVariant/7", 2, "120.00")])
    sync_order_from_platform(store=shopify_store, order_platform_id=remote["id"])
    order = Order.objects.for_store(shopify_store).get(platform_id=remote["id"])
    line = order.line_items.get()

    # when the customer adds one and keeps one fewer of what they had, in one request
    request = _add(
        shopify_store,
        order,
        found.platform_id,
        key="shop-add-1",
        more=[{"kind": "quantity", "line_id": line.pk, "quantity": 3}],
    )
    assert request.amount_owed == Decimal("135.00")
    assert execute_request(store=shopify_store, request_id=request.pk) == COMPLETED

    # then one edit session did both, committed once, and Shopify sent its invoice
    shop = fake_shopify.shops[domain]
    assert shop.calls.count("AmendOrderEditBegin") == 1 and shop.calls.count("AmendOrderEditCommit") == 1
    assert shop.calls.count("AmendOrderEditAddVariant") == 1 and shop.invoices_sent == [remote["id"]]
    sync_order_from_platform(store=shopify_store, order_platform_id=remote["id"])
    added = (
        Order.objects.for_store(shopify_store).get(pk=order.pk).line_items.get(variant_id=found.platform_id)
    )
    assert (added.quantity, added.unit_price, added.total_discount) == (1, Decimal("15.00"), 0)
    request.refresh_from_db()
    assert request.amount_owed == Decimal("135.00") and "/invoices/" in request.payment_url
    fake_shopify.pay_outstanding(domain, remote["id"])
    sync_order_from_platform(store=shopify_store, order_platform_id=remote["id"])
    request.refresh_from_db()
    assert request.order.financial_status == "paid" and not request.payment_due
