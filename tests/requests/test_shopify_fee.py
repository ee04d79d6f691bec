"""A restocking fee kept on Shopify: the cancel refunds nothing, then one refund of the rest less the fee."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core import mail

from cancellations.models import Notification, Order, PlatformEffect
from cancellations.notifications.services import send_notification
from cancellations.orders.services import sync_order_from_platform
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.shopify import refunds
from cancellations.policy import DEFAULT_POLICY, FeeKind, StorePolicy, WithdrawalSettings
from cancellations.policy.services import save_policy
from cancellations.requests.actors import Actor
from cancellations.requests.execution import (
    COMPLETED,
    FAILED,
    PENDING,
    RETRYING,
    execute_request,
    poll_platform_job,
)
from cancellations.requests.services import approve_request
from cancellations.requests.submission import submit_request
from tests.requests.helpers import staff_actor

pytestmark = pytest.mark.django_db

FIVE_PERCENT = replace(DEFAULT_POLICY.fees, kind=FeeKind.PERCENT, percent=Decimal("5"))


def _policy(store, **changes):
    save_policy(store=store, actor=None, policy=replace(DEFAULT_POLICY, **changes))


def _mirrored_order(fake, store, **overrides):
    remote = fake.add_order(store.platform_domain, **overrides)
    sync_order_from_platform(store=store, order_platform_id=remote["id"])
    return Order.objects.for_store(store).get(platform_id=remote["id"])


def _cancel(store, order, key="fee-1"):
    return submit_request(
        store=store, order=order, actor=Actor.customer(order.email), kind="cancel", idempotency_key=key
    )


def _run(store, request):
    """Execute the request and look at the cancel job until it settles, as the workers would."""
    outcomes = [execute_request(store=store, request_id=request.pk)]
    while outcomes[-1] == PENDING and len(outcomes) < 8:
        outcomes.append(poll_platform_job(store=store, request_id=request.pk))
    return outcomes


def _shop(fake, store):
    return fake.shops[store.platform_domain]


def test_a_five_percent_fee_cancels_without_a_refund_then_refunds_95_percent_once(
    fake_shopify, shopify_store, client
):
    # given an order of 25.00 (two items of 10.00 and 5.00 shipping) and a 5% restocking fee
    _policy(shopify_store, fees=FIVE_PERCENT)
    order = _mirrored_order(fake_shopify, shopify_store)
    request = _cancel(shopify_store, order)
    assert request.fee == Decimal("1.25")

    # when it is carried out
    assert _run(shopify_store, request)[-1] == COMPLETED

    # then Shopify cancelled it leaving the money alone, and one refund of 23.75 followed
    shop = _shop(fake_shopify, shopify_store)
    cancel_call = [c for c in shop.calls if c == "AmendOrderCancel"]
    assert len(cancel_call) == 1 and not next(iter(shop.jobs.values()))["refund"]
    assert [r["amount"] for r in shop.refunds] == [Decimal("23.75")]
    transactions = shop.refunds[0]["input"]["transactions"]
    assert [(t["kind"], t["gateway"]) for t in transactions] == [("REFUND", "shopify_payments")]
    assert transactions[0]["parentId"].startswith("gid://shopify/OrderTransaction/")
    remote = fake_shopify.order(shopify_store.platform_domain, order.platform_id)
    assert remote["displayFinancialStatus"] == "PARTIALLY_REFUNDED" and remote["cancelledAt"]
    assert remote["totalRefundedSet"]["shopMoney"]["amount"] == "23.75"

    request.refresh_from_db()
    order.refresh_from_db()
    assert request.status == "completed"
    assert (request.fee, request.refund_amount) == (Decimal("1.25"), Decimal("23.75"))
    assert request.result["refunded"] == "23.75" and request.result["fee"] == "1.25"
    assert order.is_cancelled and order.refunded == Decimal("23.75")
    assert order.financial_status == "partially_refunded"
    # each step once under its own key
    keys = dict(PlatformEffect.objects.for_store(shopify_store).values_list("idempotency_key", "status"))
    assert keys == {
        f"{request.platform_key}:cancel": "completed",
        f"{request.platform_key}:refund": "completed",
    }
    # the customer is told the fee and the refund
    for notification in Notification.objects.for_store(shopify_store).filter(template="completed"):
        send_notification(store=shopify_store, notification_id=notification.pk)
    (email,) = [m for m in mail.outbox if m.to == [order.email]]
    assert "23.75 USD will be refunded" in email.body
    assert "A restocking fee of 1.25 USD was kept" in email.body
    # and so does the request page, opened by the email's link
    link = re.search(r"https://amend\.example\.com(/s/\S+/o/\S+/)", email.body).group(1)
    page = client.get(f"{link}requests/{request.pk}/")
    assert page.status_code == 200
    text = " ".join(page.content.decode().split())
    assert "Refund to the original payment method: 23.75" in text, text
    assert "restocking fee" in text and "1.25" in text

    # in the store's own language too
    from cancellations.notifications.services import render_request_email

    shopify_store.locale = "sv"
    shopify_store.save(update_fields=["locale"])
    request.refresh_from_db()
    _, swedish, _ = render_request_email(request, "completed")
    assert "23,75 USD betalas tillbaka" in swedish and "En returavgift på 1,25 USD" in swedish

    # and running it again changes nothing
    assert execute_request(store=shopify_store, request_id=request.pk) == "skipped"
    assert len(shop.refunds) == 1


def test_a_lost_refund_answer_and_a_killed_worker_still_refund_once(fake_shopify, shopify_store):
    _policy(shopify_store, fees=FIVE_PERCENT)
    order = _mirrored_order(fake_shopify, shopify_store)
    request = _cancel(shopify_store, order)
    shop = _shop(fake_shopify, shopify_store)

    assert execute_request(store=shopify_store, request_id=request.pk) == PENDING
    # Shopify makes the refund, but its answer never arrives
    fake_shopify.lose_next_answer(shopify_store.platform_domain)
    assert poll_platform_job(store=shopify_store, request_id=request.pk) == RETRYING
    assert len(shop.refunds) == 1
    refund = PlatformEffect.objects.for_store(shopify_store).get(
        idempotency_key=f"{request.platform_key}:refund"
    )
    assert refund.status == "started"  # outcome unknown, as after a worker killed mid-call

    # the next worker (a fresh adapter) looks at the order's refunds before sending again
    shop.calls.clear()
    assert poll_platform_job(store=shopify_store, request_id=request.pk) == COMPLETED

    assert len(shop.refunds) == 1 and "AmendRefundCreate" not in shop.calls
    # the refund went with Shopify's idempotency key for the ledger key, so a resend would be answered once
    assert shop.refunds[0]["key"] == refunds.shopify_key(shopify_store.pk, f"{request.platform_key}:refund")
    remote = fake_shopify.order(shopify_store.platform_domain, order.platform_id)
    assert remote["totalRefundedSet"]["shopMoney"]["amount"] == "23.75"
    request.refresh_from_db()
    assert request.status == "completed" and request.refund_amount == Decimal("23.75")
    assert request.result["replayed"] is True


def test_a_repeat_under_the_same_shopify_key_is_answered_with_the_first_refund(fake_shopify, shopify_store):
    from cancellations.platforms.shopify import documents
    from cancellations.platforms.shopify.adapter import ShopifyAdapter

    remote = fake_shopify.add_order(shopify_store.platform_domain)
    client = ShopifyAdapter(shopify_store).client
    sale = remote["payments"][0]
    refund_input = {
        "orderId": remote["id"],
        "transactions": [
            {
                "orderId": remote["id"],
                "gateway": sale["gateway"],
                "kind": "REFUND",
                "parentId": sale["id"],
                "amount": "23.75",
            }
        ],
    }
    key = refunds.shopify_key(shopify_store.pk, "amend-request-1:refund")

    first = client.execute(documents.REFUND_CREATE, {"input": refund_input, "idempotencyKey": key})
    again = client.execute(documents.REFUND_CREATE, {"input": refund_input, "idempotencyKey": key})
    other = dict(refund_input, note="something else")
    misused = client.execute(documents.REFUND_CREATE, {"input": other, "idempotencyKey": key})

    assert first["refundCreate"]["refund"]["id"] == again["refundCreate"]["refund"]["id"]
    assert misused["refundCreate"]["refund"] is None and misused["refundCreate"]["userErrors"]
    assert [r["amount"] for r in _shop(fake_shopify, shopify_store).refunds] == [Decimal("23.75")]
    assert remote["totalRefundedSet"]["shopMoney"]["amount"] == "23.75"
    assert key == refunds.shopify_key(shopify_store.pk, "amend-request-1:refund")  # stable per ledger key


def test_a_refund_shopify_refuses_is_reported_and_the_order_stays_cancelled(
    fake_shopify, shopify_store, settings
):
    _policy(shopify_store, fees=FIVE_PERCENT)
    order = _mirrored_order(fake_shopify, shopify_store)
    request = _cancel(shopify_store, order)
    fake_shopify.decline_next_refund(shopify_store.platform_domain, "The card issuer declined the refund.")

    outcomes = _run(shopify_store, request)

    assert outcomes[-1] == FAILED
    request.refresh_from_db()
    order.refresh_from_db()
    assert request.status == "failed" and request.last_error_code == PlatformErrorCode.REFUND_REFUSED
    assert "cancelled" in request.last_error and "The card issuer declined the refund." in request.last_error
    assert order.is_cancelled
    remote = fake_shopify.order(shopify_store.platform_domain, order.platform_id)
    assert remote["cancelledAt"] and remote["displayFinancialStatus"] == "PAID"
    assert _shop(fake_shopify, shopify_store).refunds == []

    # staff retry: the cancel is not asked again, the refund is made once
    agent = staff_actor(shopify_store)
    from cancellations.requests.services import retry_request

    retry_request(store=shopify_store, request_id=request.pk, actor=agent)
    assert _run(shopify_store, request)[-1] == COMPLETED
    shop = _shop(fake_shopify, shopify_store)
    assert shop.calls.count("AmendOrderCancel") == 1
    assert [r["amount"] for r in shop.refunds] == [Decimal("23.75")]


def test_a_withdrawal_is_refunded_in_full_by_the_cancel_itself(fake_shopify, shopify_store):
    save_policy(
        store=shopify_store,
        actor=None,
        policy=replace(StorePolicy(withdrawal=WithdrawalSettings(enabled=True)), fees=FIVE_PERCENT),
    )
    order = _mirrored_order(fake_shopify, shopify_store)
    withdrawal = submit_request(
        store=shopify_store,
        order=order,
        actor=Actor.customer(order.email),
        kind="withdrawal",
        idempotency_key="withdraw-1",
    )
    assert withdrawal.fee == Decimal("0.00")
    approve_request(store=shopify_store, request_id=withdrawal.pk, actor=staff_actor(shopify_store))

    assert _run(shopify_store, withdrawal)[-1] == COMPLETED

    shop = _shop(fake_shopify, shopify_store)
    assert shop.refunds == [] and "AmendRefundCreate" not in shop.calls
    assert next(iter(shop.jobs.values()))["refund"] is True
    remote = fake_shopify.order(shopify_store.platform_domain, order.platform_id)
    assert remote["displayFinancialStatus"] == "REFUNDED"
    assert remote["totalRefundedSet"]["shopMoney"]["amount"] == "25.00"
    keys = list(PlatformEffect.objects.for_store(shopify_store).values_list("idempotency_key", flat=True))
    assert keys == [withdrawal.platform_key]


def test_without_a_fee_the_cancel_refunds_in_full_as_before(fake_shopify, shopify_store):
    order = _mirrored_order(fake_shopify, shopify_store)
    request = _cancel(shopify_store, order)
    assert request.fee == Decimal("0.00")

    assert _run(shopify_store, request)[-1] == COMPLETED

    shop = _shop(fake_shopify, shopify_store)
    assert shop.refunds == [] and "AmendSuggestedRefund" not in shop.calls
    assert next(iter(shop.jobs.values()))["refund"] is True
    remote = fake_shopify.order(shopify_store.platform_domain, order.platform_id)
    assert remote["displayFinancialStatus"] == "REFUNDED"
    keys = list(PlatformEffect.objects.for_store(shopify_store).values_list("idempotency_key", flat=True))
    assert keys == [request.platform_key]


def test_the_fake_refuses_a_refund_of_more_than_is_refundable(fake_shopify, shopify_store):
    from cancellations.platforms.shopify import documents
    from cancellations.platforms.shopify.adapter import ShopifyAdapter

    remote = fake_shopify.add_order(shopify_store.platform_domain)
    client = ShopifyAdapter(shopify_store).client
    sale = remote["payments"][0]
    refund_input = {
        "orderId": remote["id"],
        "transactions": [
            {
                "orderId": remote["id"],
                "gateway": sale["gateway"],
                "kind": "REFUND",
                "parentId": sale["id"],
                "amount": "25.01",
            }
        ],
    }

    payload = client.execute(documents.REFUND_CREATE, {"input": refund_input, "idempotencyKey": "k-1"})

    assert payload["refundCreate"]["refund"] is None
    assert "exceeds" in payload["refundCreate"]["userErrors"][0]["message"]
    assert remote["totalRefundedSet"]["shopMoney"]["amount"] == "0.00"
    assert _shop(fake_shopify, shopify_store).refunds == []


def test_store_credit_less_the_fee_goes_to_the_customer_and_without_a_customer_it_is_refused(
    fake_shopify, shopify_store
):
    from cancellations.policy import RefundOption, RefundSettings

    _policy(shopify_store, fees=FIVE_PERCENT, refunds=RefundSettings(method=RefundOption.STORE_CREDIT))
    with_customer = _mirrored_order(fake_shopify, shopify_store, customer={"id": "gid://shopify/Customer/1"})
    guest = _mirrored_order(fake_shopify, shopify_store, customer=None)

    credited = _cancel(shopify_store, with_customer, key="credit-1")
    refused = _cancel(shopify_store, guest, key="credit-2")
    assert _run(shopify_store, credited)[-1] == COMPLETED
    assert _run(shopify_store, refused)[-1] == FAILED

    shop = _shop(fake_shopify, shopify_store)
    (refund,) = shop.refunds
    assert refund["order"] == with_customer.platform_id
    assert refund["input"]["refundMethods"] == [
        {"storeCreditRefund": {"amount": {"amount": "23.75", "currencyCode": "USD"}}}
    ]
    assert "transactions" not in refund["input"]
    credited.refresh_from_db()
    refused.refresh_from_db()
    assert credited.refund_amount == Decimal("23.75") and credited.fee == Decimal("1.25")
    assert refused.last_error_code == PlatformErrorCode.REFUND_REFUSED
    assert "Store credit can only be issued to a customer" in refused.last_error
    assert fake_shopify.order(shopify_store.platform_domain, guest.platform_id)["cancelledAt"]
