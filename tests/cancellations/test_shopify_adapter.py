"""The Shopify adapter against a Shopify-like server: effects once per key, throttling, retries, failures."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from decimal import Decimal

import pytest

from cancellations.models import Order, PlatformConnection, PlatformEffect
from cancellations.platforms import get_adapter
from cancellations.platforms.base import (
    Address,
    CancelRequest,
    CancelResult,
    ChangeAddress,
    EditRequest,
    EffectStatus,
    PermanentPlatformError,
    PlatformAdapter,
    ReorderRequest,
    SetQuantity,
    SwapVariant,
    TransientPlatformError,
)
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.shopify import documents
from cancellations.platforms.shopify.adapter import ShopifyAdapter
from cancellations.platforms.shopify.client import ShopifyClient
from cancellations.platforms.shopify.connections import SHOPIFY_WEBHOOK_TOPICS, register_shopify_webhooks

pytestmark = pytest.mark.django_db


def _shop(fake, store):
    return fake.shops[store.platform_domain]


def _adapter(store, fake, **client_options) -> tuple[ShopifyAdapter, list[float]]:
    """An adapter whose client records its waits instead of sleeping."""
    waits: list[float] = []
    client = ShopifyClient(
        shop=store.platform_domain,
        access_token=_shop(fake, store).token,
        sleep=waits.append,
        **client_options,
    )
    return ShopifyAdapter(store, client=client), waits


def wait_for_completion(  # polls as a worker does: until the job reports done
    adapter: PlatformAdapter,
    result: CancelResult,
    *,
    idempotency_key: str,
    timeout: float = 30.0,
    interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> CancelResult:
    """Poll a pending effect until it completes; TransientPlatformError if it has not within `timeout`."""
    deadline = time.monotonic() + timeout
    while result.status == EffectStatus.PENDING:
        if time.monotonic() >= deadline:
            raise TransientPlatformError(
                "The platform has not finished the cancellation yet.",
                code=PlatformErrorCode.JOB_UNFINISHED,
                retry_after=interval,
            )
        sleep(interval)
        result = adapter.poll_job(result.job_id, idempotency_key=idempotency_key)
    return result


def test_fetch_order_maps_totals_lines_and_the_risk_assessment(fake_shopify, shopify_store):
    order = fake_shopify.add_order(
        shopify_store.platform_domain,
        lines=[("gid://shopify/ProductVariant/11", 3, "12.50")],
        risk={
            "recommendation": "INVESTIGATE",
            "assessments": [{"riskLevel": "LOW"}, {"riskLevel": "MEDIUM"}],
        },
    )

    snapshot = get_adapter(shopify_store).fetch_order(order["id"], idempotency_key="fetch-1")

    assert (snapshot.platform_id, snapshot.total, snapshot.financial_status) == (
        order["id"],
        Decimal("42.50"),
        "paid",
    )
    assert (snapshot.risk_level, snapshot.risk_recommendation) == ("medium", "investigate")
    assert [(line.variant_id, line.quantity, line.unit_price) for line in snapshot.lines] == [
        ("gid://shopify/ProductVariant/11", 3, Decimal("12.50"))
    ]
    assert snapshot.shipping_address["city"] == "Springfield"


def test_a_cancel_returns_a_job_that_is_polled_to_completion_and_happens_once(fake_shopify, shopify_store):
    order = fake_shopify.add_order(shopify_store.platform_domain)
    fake_shopify.job_ticks = 2
    adapter = get_adapter(shopify_store)
    request = CancelRequest(order["id"], staff_note="Customer asked by email")

    started = adapter.cancel(request, idempotency_key="req-7:cancel")
    again = adapter.cancel(request, idempotency_key="req-7:cancel")
    done = wait_for_completion(adapter, started, idempotency_key="req-7:cancel", sleep=lambda _: None)

    assert started.status == EffectStatus.PENDING and started.job_id.startswith("gid://shopify/Job/")
    assert again.replayed and again.job_id == started.job_id
    assert done.status == EffectStatus.COMPLETED
    assert done.refunded == Decimal("25.00")
    assert _shop(fake_shopify, shopify_store).calls.count("AmendOrderCancel") == 1
    job = next(iter(_shop(fake_shopify, shopify_store).jobs.values()))
    assert (job["reason"], job["refund"], job["restock"], job["note"]) == (
        "CUSTOMER",
        True,
        True,
        "Customer asked by email",
    )
    # the order as Shopify now has it comes back, for the caller to write to the mirror at once
    # (without waiting for the orders/cancelled webhook); the adapter itself leaves the mirror alone
    assert done.order is not None and done.order.cancelled_at is not None
    assert not Order.objects.for_store(shopify_store).filter(platform_id=order["id"]).exists()
    assert adapter.poll_job(started.job_id, idempotency_key="req-7:cancel").replayed


def test_a_cancel_whose_answer_was_lost_is_not_sent_twice_when_retried(fake_shopify, shopify_store):
    order = fake_shopify.add_order(shopify_store.platform_domain)
    fake_shopify.lose_next_answer(shopify_store.platform_domain)
    adapter = get_adapter(shopify_store)
    request = CancelRequest(order["id"])

    # the cancel went through on Shopify, but the answer never reached us
    with pytest.raises(TransientPlatformError):
        adapter.cancel(request, idempotency_key="lost")
    assert PlatformEffect.objects.for_store(shopify_store).get().status == "started"

    # the retry looks before it acts, and finds the order cancelled
    retried = get_adapter(shopify_store).cancel(request, idempotency_key="lost")

    assert retried.status == EffectStatus.COMPLETED and retried.replayed
    assert _shop(fake_shopify, shopify_store).calls.count("AmendOrderCancel") == 1


def test_a_cancel_shopify_refuses_fails_permanently_and_leaves_no_claim(fake_shopify, shopify_store):
    order = fake_shopify.add_order(shopify_store.platform_domain, displayFulfillmentStatus="FULFILLED")

    with pytest.raises(PermanentPlatformError) as refused:
        get_adapter(shopify_store).cancel(CancelRequest(order["id"]), idempotency_key="no")

    assert refused.value.code == "shopify_invalid"
    assert "fulfilled" in refused.value.message
    assert PlatformEffect.objects.for_store(shopify_store).count() == 0


def test_an_edit_changes_quantities_variants_and_address_once(fake_shopify, shopify_store):
    domain = shopify_store.platform_domain
    order = fake_shopify.add_order(
        domain,
        lines=[
            ("gid://shopify/ProductVariant/1", 2, "10.00"),
            ("gid://shopify/ProductVariant/2", 1, "30.00"),
        ],
    )
    fake_shopify.shops[domain].prices["gid://shopify/ProductVariant/3"] = Decimal("35.00")
    first, second = order["lineItems"]["nodes"]
    request = EditRequest(
        order["id"],
        (
            SetQuantity(first["id"], 1),
            SwapVariant(second["id"], "gid://shopify/ProductVariant/3"),
            ChangeAddress(
                Address(
                    first_name="Ann",
                    last_name="Buyer",
                    address1="Elm St 9",
                    city="Lexington",
                    country_code="US",
                )
            ),
        ),
    )
    adapter = get_adapter(shopify_store)

    result = adapter.edit(request, idempotency_key="edit-1")
    again = adapter.edit(request, idempotency_key="edit-1")

    assert again.replayed and again.total == result.total
    assert (result.total, result.balance) == (Decimal("50.00"), Decimal("-5.00"))
    after = fake_shopify.order(domain, order["id"])
    live = [
        (line["variant"]["id"], line["currentQuantity"])
        for line in after["lineItems"]["nodes"]
        if line["currentQuantity"]
    ]
    assert live == [("gid://shopify/ProductVariant/1", 1), ("gid://shopify/ProductVariant/3", 1)]
    assert after["shippingAddress"]["city"] == "Lexington"
    assert _shop(fake_shopify, shopify_store).calls.count("AmendOrderEditCommit") == 1


def test_an_edit_whose_commit_answer_was_lost_is_not_applied_twice(fake_shopify, shopify_store):
    domain = shopify_store.platform_domain
    order = fake_shopify.add_order(domain, lines=[("gid://shopify/ProductVariant/1", 1, "10.00")])
    fake_shopify.shops[domain].prices["gid://shopify/ProductVariant/4"] = Decimal("10.00")
    line = order["lineItems"]["nodes"][0]
    request = EditRequest(order["id"], (SwapVariant(line["id"], "gid://shopify/ProductVariant/4"),))
    adapter = get_adapter(shopify_store)
    shop = _shop(fake_shopify, shopify_store)

    # begin, add and set-quantity answer; the commit is carried out but its answer is lost
    real_calls = []

    def lose_commit_answer():
        real_calls.append(True)
        if shop.calls and shop.calls[-1] == "AmendOrderEditSetQuantity":
            fake_shopify.lose_next_answer(domain)

    original = adapter.client.execute

    def execute(document, variables=None, **kw):
        lose_commit_answer()
        return original(document, variables, **kw)

    adapter.client.execute = execute
    with pytest.raises(TransientPlatformError):
        adapter.edit(request, idempotency_key="edit-lost")

    retried = get_adapter(shopify_store).edit(request, idempotency_key="edit-lost")

    assert retried.status == EffectStatus.COMPLETED
    variants = [
        n["variant"]["id"]
        for n in fake_shopify.order(domain, order["id"])["lineItems"]["nodes"]
        if n["currentQuantity"]
    ]
    assert variants == ["gid://shopify/ProductVariant/4"]
    assert shop.calls.count("AmendOrderEditCommit") == 1


def test_editing_a_shipped_line_is_refused_before_shopify_is_asked(fake_shopify, shopify_store):
    order = fake_shopify.add_order(shopify_store.platform_domain)
    line = order["lineItems"]["nodes"][0]
    line["unfulfilledQuantity"] = 0

    with pytest.raises(PermanentPlatformError) as refused:
        get_adapter(shopify_store).edit(
            EditRequest(order["id"], (SetQuantity(line["id"], 1),)), idempotency_key="e"
        )

    assert refused.value.code == "line_fulfilled"
    assert "AmendOrderEditBegin" not in _shop(fake_shopify, shopify_store).calls
    assert PlatformEffect.objects.for_store(shopify_store).count() == 0


def test_a_reorder_makes_one_draft_order_with_an_invoice_link_even_if_the_answer_is_lost(
    fake_shopify, shopify_store
):
    domain = shopify_store.platform_domain
    order = fake_shopify.add_order(domain, lines=[("gid://shopify/ProductVariant/5", 2, "10.00")])
    fake_shopify.lose_next_answer(domain)
    request = ReorderRequest(order["id"])

    with pytest.raises(TransientPlatformError):
        get_adapter(shopify_store).create_reorder(request, idempotency_key="again-1")
    result = get_adapter(shopify_store).create_reorder(request, idempotency_key="again-1")

    drafts = _shop(fake_shopify, shopify_store).drafts
    assert len(drafts) == 1
    assert result.platform_id == drafts[0]["id"] and result.url.endswith(drafts[0]["id"].rsplit("/", 1)[-1])
    assert result.name == drafts[0]["name"]  # the draft's own name ("#D12"), as the customer sees it
    assert drafts[0]["input"]["lineItems"] == [{"variantId": "gid://shopify/ProductVariant/5", "quantity": 2}]
    assert drafts[0]["input"]["email"] == "ann@example.com"


def test_the_client_waits_for_rate_limit_points_instead_of_being_throttled(fake_shopify, shopify_store):
    order = fake_shopify.add_order(shopify_store.platform_domain)
    adapter, waits = _adapter(shopify_store, fake_shopify)
    adapter.fetch_order(order["id"], idempotency_key="a")  # learns what the query requests
    assert waits == []

    # given another process's last answer left the shared bucket empty, refilling so fast that the
    # query's requested cost is back in a fifth of a second
    rate = documents.COSTS["AmendFetchOrder"] * 5
    adapter.client._note_cost(
        "", {"throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 0, "restoreRate": rate}}
    )
    adapter.fetch_order(order["id"], idempotency_key="b")

    # then the client waited about 0.2 s before sending, and Shopify never had to throttle it
    assert len(waits) == 1 and 0.15 < waits[0] <= 0.2
    assert _shop(fake_shopify, shopify_store).calls.count("AmendFetchOrder") == 2


def test_a_wait_longer_than_a_worker_should_block_becomes_a_transient_error_with_retry_after(
    fake_shopify, shopify_store
):
    adapter, waits = _adapter(shopify_store, fake_shopify, max_wait=1)
    adapter.client._note_cost(
        "", {"throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 0, "restoreRate": 0.1}}
    )

    with pytest.raises(TransientPlatformError) as throttled:
        adapter.fetch_order("gid://shopify/Order/1", idempotency_key="slow")

    assert throttled.value.code == "platform_throttled"
    assert throttled.value.retry_after > 1
    assert waits == []


def test_a_throttled_answer_is_waited_out_and_retried(fake_shopify, shopify_store):
    order = fake_shopify.add_order(shopify_store.platform_domain)
    fake_shopify.set_bucket(shopify_store.platform_domain, maximum=1000, available=1, restore_rate=5000)
    adapter, _ = _adapter(shopify_store, fake_shopify)
    real_sleep_calls = []

    def sleep(seconds: float) -> None:
        real_sleep_calls.append(seconds)
        import time

        time.sleep(seconds)

    adapter.client.sleep = sleep

    snapshot = adapter.fetch_order(order["id"], idempotency_key="t")

    assert snapshot.platform_id == order["id"]
    assert (
        _shop(fake_shopify, shopify_store).calls.count("AmendFetchOrder") == 1
    )  # the throttled try is not counted
    assert real_sleep_calls and all(s <= 0.1 for s in real_sleep_calls)


def test_server_errors_are_retried_with_backoff_then_given_up_as_transient(fake_shopify, shopify_store):
    order = fake_shopify.add_order(shopify_store.platform_domain)
    adapter, waits = _adapter(shopify_store, fake_shopify, max_attempts=4, backoff_base=0.5)
    fake_shopify.fail_next(shopify_store.platform_domain, 502, 503)

    assert adapter.fetch_order(order["id"], idempotency_key="ok").platform_id == order["id"]
    assert len(waits) == 2 and all(0 <= w <= 0.5 * 2**i for i, w in enumerate(waits))

    fake_shopify.fail_next(shopify_store.platform_domain, 500, 500, 500, 500)
    with pytest.raises(TransientPlatformError) as gave_up:
        adapter.fetch_order(order["id"], idempotency_key="down")
    assert gave_up.value.code == "platform_unavailable"


def test_a_mutation_is_not_retried_after_an_error_that_may_have_carried_it_out(fake_shopify, shopify_store):
    order = fake_shopify.add_order(shopify_store.platform_domain)
    adapter, waits = _adapter(shopify_store, fake_shopify)
    fake_shopify.fail_next(shopify_store.platform_domain, 500)

    with pytest.raises(TransientPlatformError):
        adapter.cancel(CancelRequest(order["id"]), idempotency_key="m")

    assert waits == []


def test_a_revoked_token_is_a_permanent_error_and_an_unconnected_store_says_so(fake_shopify, shopify_store):
    order = fake_shopify.add_order(shopify_store.platform_domain)
    _shop(fake_shopify, shopify_store).access_tokens.clear()  # revoked on Shopify's side
    with pytest.raises(PermanentPlatformError) as unauthorized:
        get_adapter(shopify_store).fetch_order(order["id"], idempotency_key="x")
    assert unauthorized.value.code == "platform_unauthorized"

    PlatformConnection.objects.for_store(shopify_store).update(status="uninstalled")
    with pytest.raises(PermanentPlatformError) as unconnected:
        get_adapter(shopify_store).fetch_order(order["id"], idempotency_key="y")
    assert unconnected.value.code == "platform_not_connected"


def test_webhook_subscriptions_are_registered_once_per_topic(fake_shopify, shopify_store):
    register_shopify_webhooks(store=shopify_store)
    register_shopify_webhooks(store=shopify_store)  # again: "already taken" is fine

    subscriptions = _shop(fake_shopify, shopify_store).subscriptions
    assert sorted(topic for topic, _ in subscriptions) == sorted(SHOPIFY_WEBHOOK_TOPICS)
    assert {uri for _, uri in subscriptions} == {"https://amend.example.com/webhooks/shopify/"}
    assert PlatformConnection.objects.for_store(shopify_store).get().webhooks_registered_at is not None


def test_the_access_token_never_reaches_a_log_line(fake_shopify, shopify_store, caplog):
    caplog.set_level(logging.DEBUG)
    token = _shop(fake_shopify, shopify_store).token
    order = fake_shopify.add_order(shopify_store.platform_domain)
    fake_shopify.fail_next(shopify_store.platform_domain, 503)
    adapter = get_adapter(shopify_store)

    adapter.fetch_order(order["id"], idempotency_key="log")
    adapter.cancel(CancelRequest(order["id"]), idempotency_key="log-cancel")
    connection = PlatformConnection.objects.for_store(shopify_store).get()

    assert caplog.records, "nothing was logged, so this test would prove nothing"
    assert all(token not in record.getMessage() for record in caplog.records)
    assert (
        token not in repr(connection) and token not in str(connection) and token not in repr(adapter.client)
    )
    assert token not in connection.access_token_encrypted
    assert connection.access_token == token


def test_a_query_costing_more_than_the_whole_bucket_fails_at_once_and_is_not_resent(
    fake_shopify, shopify_store
):
    order = fake_shopify.add_order(shopify_store.platform_domain)
    # A bucket of 5 points can never hold tagsAdd's 12 (10 for the mutation, 1 for each object).
    fake_shopify.set_bucket(shopify_store.platform_domain, maximum=5, available=5, restore_rate=1)
    adapter, waits = _adapter(shopify_store, fake_shopify)

    with pytest.raises(PermanentPlatformError) as refused:
        adapter.client.execute(
            "mutation AmendTagsAdd($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) "
            "{ node { id } userErrors { field message } } }",
            {"id": order["id"], "tags": ["x"]},
        )

    assert refused.value.code == "platform_query_too_costly"
    assert "12" in refused.value.message and "5" in refused.value.message
    assert waits == []  # not waited for, not sent again


def test_a_throttled_call_is_never_resent_at_once(fake_shopify, shopify_store, monkeypatch):
    order = fake_shopify.add_order(shopify_store.platform_domain)
    fake_shopify.set_bucket(shopify_store.platform_domain, maximum=1000, available=0, restore_rate=10000)
    adapter, _ = _adapter(shopify_store, fake_shopify)
    # A report that already shows the bucket full again (it is a little behind): no wait would be owed.
    monkeypatch.setattr(adapter.client, "_seconds_until", lambda cost: 0.0)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    adapter.client.sleep = sleep

    adapter.fetch_order(order["id"], idempotency_key="t")

    assert waits and all(wait >= 0.05 for wait in waits)
