"""Store credit with a bonus instead of a refund: once on the platform, a balance in the built-in store,
the customer's choice in words, and the revenue kept in Insights."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cancellations.insights.summary import insights_summary
from cancellations.models import Order, PlatformEffect, StoreCreditEntry
from cancellations.orders.services import sync_order_from_platform
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.policy import DEFAULT_POLICY, RefundOption, RefundSettings
from cancellations.policy.services import save_policy
from cancellations.requests.actors import Actor
from cancellations.requests.execution import COMPLETED, FAILED, PENDING, execute_request, poll_platform_job
from cancellations.requests.submission import submit_request
from tests.factories import make_order
from tests.fakeshopify import store_credit
from tests.fakeshopify.server import GRANTED_SCOPES

pytestmark = pytest.mark.django_db

TEN_PERCENT = RefundSettings(method=RefundOption.CUSTOMER_CHOICE, store_credit_bonus_percent=Decimal("10"))


def _policy(store, refunds=TEN_PERCENT):
    save_policy(store=store, actor=None, policy=replace(DEFAULT_POLICY, refunds=refunds))


def _run(store, request):
    outcomes = [execute_request(store=store, request_id=request.pk)]
    while outcomes[-1] == PENDING and len(outcomes) < 8:
        outcomes.append(poll_platform_job(store=store, request_id=request.pk))
    return outcomes


def _cancel(store, order, key, method="store_credit"):
    return submit_request(
        store=store,
        order=order,
        actor=Actor.customer(order.email),
        kind="cancel",
        idempotency_key=key,
        refund_method=method,
    )


def _shopify_order(fake, store, **overrides):
    remote = fake.add_order(store.platform_domain, **overrides)
    sync_order_from_platform(store=store, order_platform_id=remote["id"])
    return Order.objects.for_store(store).get(platform_id=remote["id"])


def _insights(store):
    today = timezone.now().astimezone(timezone.get_current_timezone()).date()
    summary = insights_summary(store=store, start=today - timedelta(days=1), end=today + timedelta(days=1))
    return summary["refunds_and_fees"]


def test_on_shopify_the_refund_goes_to_store_credit_and_the_10_percent_bonus_is_credited_once(
    fake_shopify, shopify_store
):
    # given an order of 25.00 and a policy letting the customer choose store credit with a 10% bonus
    _policy(shopify_store)
    order = _shopify_order(fake_shopify, shopify_store)
    customer = order.customer_id
    request = _cancel(shopify_store, order, "credit-1")
    assert (request.refund_method, request.refund_amount, request.store_credit_bonus) == (
        "store_credit",
        Decimal("25.00"),
        Decimal("2.50"),
    )

    # when it is carried out, and carried out again (a duplicated task)
    assert _run(shopify_store, request)[-1] == COMPLETED
    assert execute_request(store=shopify_store, request_id=request.pk) == "skipped"

    # then Shopify cancelled with the refund to store credit, and credited the bonus once
    shop = fake_shopify.shops[shopify_store.platform_domain]
    (job,) = shop.jobs.values()
    assert job["store_credit"] and job["refund"]
    assert shop.store_credit_calls == [{"id": customer, "amount": Decimal("2.50"), "currency": "USD"}]
    assert store_credit.balance(shop, customer) == Decimal("27.50")
    request.refresh_from_db()
    assert request.status == "completed"
    assert request.result["store_credit_bonus"] == "2.50"
    effects = PlatformEffect.objects.for_store(shopify_store)
    assert set(effects.values_list("idempotency_key", "operation")) == {
        (request.platform_key, "cancel"),
        (f"{request.platform_key}:bonus", "credit"),
    }
    # and Insights counts the 25.00 refunded as credit as revenue kept
    money = _insights(shopify_store)
    assert money["kept_as_store_credit"]["current"] == "25.00"


def test_a_lost_answer_to_the_bonus_is_looked_up_not_credited_twice(fake_shopify, shopify_store):
    _policy(shopify_store)
    order = _shopify_order(fake_shopify, shopify_store)
    request = _cancel(shopify_store, order, "credit-lost")
    assert execute_request(store=shopify_store, request_id=request.pk) == PENDING
    # the credit (the next mutation) is made, but its answer never arrives
    fake_shopify.lose_next_answer(shopify_store.platform_domain)

    outcomes = [poll_platform_job(store=shopify_store, request_id=request.pk)]
    while outcomes[-1] not in (COMPLETED, FAILED) and len(outcomes) < 8:
        outcomes.append(poll_platform_job(store=shopify_store, request_id=request.pk))

    shop = fake_shopify.shops[shopify_store.platform_domain]
    assert outcomes[0] == "retrying" and outcomes[-1] == COMPLETED
    assert len(shop.store_credit_calls) == 1
    assert store_credit.balance(shop, order.customer_id) == Decimal("27.50")


def test_without_the_store_credit_scope_the_bonus_fails_the_request_and_says_why(fake_shopify, shopify_store):
    _policy(shopify_store)
    shop = fake_shopify.shops[shopify_store.platform_domain]
    shop.scopes = set(GRANTED_SCOPES.split(",")) - {store_credit.WRITE_SCOPE}
    order = _shopify_order(fake_shopify, shopify_store)
    request = _cancel(shopify_store, order, "credit-scope")

    assert _run(shopify_store, request)[-1] == FAILED
    request.refresh_from_db()
    assert request.last_error_code == PlatformErrorCode.PLATFORM_FORBIDDEN
    assert shop.store_credit_calls == []
    # the cancel itself stands: the refund is on the customer's store credit, only the bonus is owed
    assert store_credit.balance(shop, order.customer_id) == Decimal("25.00")


def test_a_guest_order_on_shopify_gets_no_bonus_and_staff_are_told(fake_shopify, shopify_store):
    _policy(shopify_store)
    order = _shopify_order(fake_shopify, shopify_store, customer=None)
    request = _cancel(shopify_store, order, "credit-guest")
    assert _run(shopify_store, request)[-1] == FAILED
    request.refresh_from_db()
    assert request.last_error_code == PlatformErrorCode.STORE_CREDIT_NO_CUSTOMER


def test_the_fake_refuses_a_credit_in_another_currency_than_the_account(fake_shopify, shopify_store):
    shop = fake_shopify.shops[shopify_store.platform_domain]
    _shopify_order(fake_shopify, shopify_store)
    account = store_credit.account_for(shop, "gid://shopify/Customer/501", "USD")
    shop.currencies.add("EUR")
    answer = store_credit.account_credit(
        shop, account["id"], {"creditAmount": {"amount": "5.00", "currencyCode": "EUR"}}
    )
    assert answer["userErrors"][0]["code"] == "MISMATCHING_CURRENCY"
    unknown = store_credit.account_credit(
        shop, "gid://shopify/Customer/999", {"creditAmount": {"amount": "5.00", "currencyCode": "USD"}}
    )
    assert unknown["userErrors"][0]["code"] == "OWNER_NOT_FOUND"


def test_in_the_built_in_store_the_credit_and_bonus_are_recorded_once_and_shown_to_the_customer(
    client, store_a, store_b
):
    from allauth.account.models import EmailAddress

    from tests.factories import make_user

    # given a fixed bonus of 5.00 on top of 10%
    _policy(store_a, replace(TEN_PERCENT, store_credit_bonus_fixed=Decimal("5.00")))
    order = make_order(store_a, email="ann@example.com", lines=1)  # 19.90
    other = make_order(store_b, email="ann@example.com", lines=1)
    request = _cancel(store_a, order, "builtin-credit")
    assert request.store_credit_bonus == Decimal("6.99")

    assert _run(store_a, request)[-1] == COMPLETED
    # a retry finds both effects in the ledger
    from cancellations.requests.store_credit import with_bonus

    request.refresh_from_db()
    from cancellations.platforms.builtin import BuiltinAdapter

    with_bonus(BuiltinAdapter(store_a), request, {"status": "completed"})

    entries = StoreCreditEntry.objects.for_store(store_a)
    assert sorted(entries.values_list("kind", "amount", "email")) == [
        ("bonus", Decimal("6.99"), "ann@example.com"),
        ("refund", Decimal("19.90"), "ann@example.com"),
    ]
    assert not StoreCreditEntry.objects.for_store(store_b).exists()
    assert other.refunded == Decimal("0.00")

    # the customer sees their balance on their orders page, at this store only
    ann = make_user("ann@example.com")
    EmailAddress.objects.create(user=ann, email="ann@example.com", verified=True, primary=True)
    client.force_login(ann)
    page = client.get("/s/alpha-shop/orders/").content.decode()
    assert "Your store credit:" in page and "26.89" in page
    assert "Your store credit:" not in client.get("/s/bravo-shop/orders/").content.decode()
    # and the request page says it in words
    words = client.get(f"/s/alpha-shop/orders/{order.pk}/requests/{request.pk}/").content.decode()
    assert "Store credit: 19.90 USD + bonus 6.99 USD = 26.89 USD" in words


def test_the_cancel_page_offers_both_ways_with_their_amounts(client, store_a):
    from allauth.account.models import EmailAddress

    from tests.factories import make_user

    _policy(store_a)
    order = make_order(store_a, email="bo@example.com", lines=1)
    bo = make_user("bo@example.com")
    EmailAddress.objects.create(user=bo, email="bo@example.com", verified=True, primary=True)
    client.force_login(bo)
    url = f"/s/alpha-shop/orders/{order.pk}/cancel/"
    page = client.post(url, {"step": "reason", "reason": "changed_mind", "submit_key": "k"}).content.decode()
    assert "Refund to original payment: 19.90 USD" in page
    assert "Store credit: 19.90 USD + bonus 1.99 USD = 21.89 USD" in page

    done = client.post(
        url, {"step": "confirm", "reason": "changed_mind", "refund_method": "store_credit", "submit_key": "k"}
    )
    assert done.status_code == 302
    from cancellations.models import OrderRequest

    chosen = OrderRequest.objects.for_store(store_a).get(order=order)
    assert (chosen.refund_method, chosen.store_credit_bonus) == ("store_credit", Decimal("1.99"))


def test_a_request_refunded_to_the_original_payment_keeps_no_revenue(store_a):
    _policy(store_a)
    order = make_order(store_a, email="cy@example.com", lines=1)
    request = _cancel(store_a, order, "original-1", method="original")
    assert request.store_credit_bonus == Decimal("0.00")
    assert _run(store_a, request)[-1] == COMPLETED
    assert not StoreCreditEntry.objects.for_store(store_a).exists()
    assert _insights(store_a)["kept_as_store_credit"]["current"] == "0.00"
