"""POST /webhooks/shopify/: signed deliveries are stored once and processed; nothing else gets in."""

from __future__ import annotations

import json

import pytest

from cancellations.models import (
    ComplianceRequest,
    Order,
    PlatformConnection,
    Product,
    Variant,
    WebhookDelivery,
)
from cancellations.platforms.base import TransientPlatformError
from cancellations.platforms.shopify.client import ShopifyClient
from cancellations.platforms.shopify.signing import webhook_signature
from cancellations.webhooks import inbox as webhooks
from cancellations.webhooks.tasks import drain_inbox_task
from tests.cancellations.samples import orders_create_body, rest_order
from tests.fakeshopify.fixtures import make_shopify_store
from tests.integrations.webhook_client import body_of, deliver

pytestmark = pytest.mark.django_db

SAMPLE_ORDER_ID = "gid://shopify/Order/820982911946154508"


@pytest.fixture
def send(client, django_capture_on_commit_callbacks):
    """Deliver a webhook and run what it enqueued on commit (the processing task, eager in tests)."""

    def _send(shop: str, topic: str, body: bytes, **options):
        with django_capture_on_commit_callbacks(execute=True):
            return deliver(client, shop, topic, body, **options)

    return _send


def _orders(store):
    return Order.objects.for_store(store)


def test_a_signed_orders_create_sample_is_stored_processed_and_mirrored(client, shopify_store, send):
    response = send(shopify_store.platform_domain, "orders/create", orders_create_body(), webhook_id="w-1")

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.for_store(shopify_store).get()
    assert (delivery.webhook_id, delivery.topic, delivery.status, delivery.attempts) == (
        "w-1",
        "orders/create",
        "processed",
        1,
    )
    assert delivery.body.encode() == orders_create_body()
    assert delivery.api_version == "2026-07"
    assert _orders(shopify_store).get().platform_id == SAMPLE_ORDER_ID


def test_a_bad_signature_is_refused_with_401_and_nothing_is_stored(client, shopify_store, send):
    body = orders_create_body()
    forged = send(shopify_store.platform_domain, "orders/create", body, secret="not-the-app-secret")
    unsigned = send(shopify_store.platform_domain, "orders/create", body, signature="")
    tampered = send(
        shopify_store.platform_domain,
        "orders/create",
        body.replace(b"jon@doe.ca", b"eve@evil.example"),
        signature=webhook_signature(body, "shpss_amendtest0123456789abcdef0123456789"),
    )

    assert [forged.status_code, unsigned.status_code, tampered.status_code] == [401, 401, 401]
    assert WebhookDelivery.objects.for_store(shopify_store).count() == 0
    assert _orders(shopify_store).count() == 0


def test_with_no_app_secret_configured_every_webhook_is_refused(client, shopify_store, settings, send):
    settings.SHOPIFY_API_SECRET = ""
    response = send(shopify_store.platform_domain, "orders/create", orders_create_body(), secret="")
    assert response.status_code == 401
    assert WebhookDelivery.objects.for_store(shopify_store).count() == 0


def test_during_a_secret_rotation_the_previous_secret_still_verifies(client, shopify_store, settings, send):
    settings.SHOPIFY_API_PREVIOUS_SECRET = "the-old-secret"
    response = send(
        shopify_store.platform_domain, "orders/create", orders_create_body(), secret="the-old-secret"
    )
    assert response.status_code == 200
    assert _orders(shopify_store).count() == 1


def test_a_duplicate_webhook_id_is_acknowledged_and_does_nothing(client, shopify_store, send, monkeypatch):
    processed = []
    real = webhooks._process_locked
    monkeypatch.setattr(webhooks, "_process_locked", lambda *a: processed.append(a) or real(*a))
    body = orders_create_body()

    first = send(shopify_store.platform_domain, "orders/create", body, webhook_id="same")
    again = send(shopify_store.platform_domain, "orders/create", body, webhook_id="same")

    assert first.status_code == again.status_code == 200
    assert WebhookDelivery.objects.for_store(shopify_store).count() == 1
    assert len(processed) == 1
    assert _orders(shopify_store).get().version == 1


def test_the_same_webhook_id_in_two_stores_is_two_deliveries(client, fake_shopify, shopify_store, send):
    other = make_shopify_store(fake_shopify)
    send(shopify_store.platform_domain, "orders/create", orders_create_body(), webhook_id="w")
    send(other.platform_domain, "orders/create", orders_create_body(), webhook_id="w")
    assert WebhookDelivery.objects.for_store(shopify_store).count() == 1
    assert WebhookDelivery.objects.for_store(other).count() == 1
    assert _orders(other).get().store_id == other.pk


def test_an_older_update_arriving_late_never_overwrites_a_newer_one(client, shopify_store, send):
    newer = rest_order() | {"updated_at": "2026-11-26T10:05:00Z", "tags": "vip, second"}
    older = rest_order() | {"updated_at": "2026-11-26T10:00:00Z", "tags": "first"}

    send(shopify_store.platform_domain, "orders/updated", body_of(newer))
    send(shopify_store.platform_domain, "orders/create", body_of(older))

    order = _orders(shopify_store).get()
    assert order.tags == ["vip", "second"]
    assert order.version == 1
    assert list(WebhookDelivery.objects.for_store(shopify_store).values_list("status", flat=True)) == [
        "processed",
        "processed",
    ]


def test_a_newer_update_changes_the_mirror_and_raises_its_version(client, shopify_store, send):
    send(
        shopify_store.platform_domain,
        "orders/create",
        body_of(rest_order() | {"updated_at": "2026-11-26T10:00:00Z"}),
    )
    cancelled = rest_order() | {
        "updated_at": "2026-11-26T11:00:00Z",
        "cancelled_at": "2026-11-26T11:00:00Z",
        "cancel_reason": "customer",
    }
    send(shopify_store.platform_domain, "orders/cancelled", body_of(cancelled))

    order = _orders(shopify_store).get()
    assert order.is_cancelled
    assert order.version == 2


def test_an_unprocessable_payload_is_kept_with_its_error_and_can_be_replayed(
    shopify_store, send, monkeypatch, django_capture_on_commit_callbacks
):
    # given a delivery our code cannot handle yet
    def broken(store, payload, delivery):
        raise KeyError("shipping_lines")

    monkeypatch.setitem(webhooks.HANDLERS, "orders/create", broken)
    response = send(shopify_store.platform_domain, "orders/create", orders_create_body())

    # then Shopify still gets its 200, and the delivery is kept, failed, with the error
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.for_store(shopify_store).get()
    assert delivery.status == "failed"
    assert "KeyError" in delivery.error and "shipping_lines" in delivery.error
    assert delivery.body.encode() == orders_create_body()
    assert _orders(shopify_store).count() == 0

    # when the code is fixed and the delivery replayed, it is processed from the stored body
    monkeypatch.setitem(webhooks.HANDLERS, "orders/create", webhooks._order)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.replay_webhook_deliveries(store=shopify_store) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("processed", 2, "")
    assert _orders(shopify_store).count() == 1


def test_a_payload_missing_what_an_order_needs_fails_with_a_readable_error(client, shopify_store, send):
    send(
        shopify_store.platform_domain,
        "orders/create",
        body_of({"id": 5, "created_at": "2026-01-01T00:00:00Z"}),
    )
    delivery = WebhookDelivery.objects.for_store(shopify_store).get()
    assert delivery.status == "failed"
    assert "The order has no currency." in delivery.error


def test_a_topic_we_do_not_process_is_stored_and_marked_ignored(client, shopify_store, send):
    send(shopify_store.platform_domain, "themes/publish", body_of({"id": 1}))
    assert WebhookDelivery.objects.for_store(shopify_store).get().status == "ignored"


def test_missing_headers_and_unknown_shops(client, fake_shopify, shopify_store, send):
    body = orders_create_body()
    no_topic = client.post(
        "/webhooks/shopify/",
        data=body,
        content_type="application/json",
        HTTP_X_SHOPIFY_HMAC_SHA256=webhook_signature(body, "shpss_amendtest0123456789abcdef0123456789"),
    )
    unknown = send("nobody-here.myshopify.com", "orders/create", body)
    not_a_shop = send("evil.example.com", "orders/create", body)

    assert no_topic.status_code == 400
    assert unknown.status_code == 200  # signed by our app: acknowledged so Shopify stops retrying
    assert not_a_shop.status_code == 400
    assert WebhookDelivery.objects.dangerously_unscoped().count() == 0


def test_only_post_is_accepted(client, shopify_store):
    assert client.get("/webhooks/shopify/").status_code == 405


def test_a_delivery_stored_while_the_broker_is_down_is_sent_again_by_the_sweep(
    client, shopify_store, send, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(drain_inbox_task, "apply_async", broker_down)
    response = send(shopify_store.platform_domain, "orders/create", orders_create_body())
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.for_store(shopify_store).get()
    assert delivery.status == "received"

    monkeypatch.undo()
    WebhookDelivery.objects.for_store(shopify_store).update(
        received_at=delivery.received_at.replace(year=2020)
    )
    assert webhooks.sweep_webhook_inbox() == 1
    delivery.refresh_from_db()
    assert delivery.status == "processed"


def test_products_are_mirrored_and_a_deleted_product_is_retired(client, shopify_store, send):
    product = {
        "id": 77,
        "title": "Hat",
        "status": "active",
        "updated_at": "2026-11-26T10:00:00Z",
        "variants": [
            {
                "id": 78,
                "title": "One size",
                "price": "20.00",
                "inventory_management": "shopify",
                "inventory_quantity": 4,
            }
        ],
    }
    send(shopify_store.platform_domain, "products/create", body_of(product))
    send(shopify_store.platform_domain, "products/delete", body_of({"id": 77}))

    mirrored = Product.objects.for_store(shopify_store).get()
    assert (mirrored.platform_id, mirrored.active) == ("gid://shopify/Product/77", False)
    variant = Variant.objects.for_store(shopify_store).get()
    assert (variant.inventory_quantity, variant.available) == (4, False)


def test_app_uninstalled_forgets_the_access_token(client, shopify_store, send):
    send(
        shopify_store.platform_domain,
        "app/uninstalled",
        body_of({"id": 1, "domain": shopify_store.platform_domain}),
    )
    connection = PlatformConnection.objects.for_store(shopify_store).get()
    assert connection.status == "uninstalled"
    assert connection.access_token_encrypted == ""
    assert not connection.is_active


def test_a_risk_assessment_change_reads_the_orders_risk_from_the_api(
    client, fake_shopify, shopify_store, send
):
    order = fake_shopify.add_order(
        shopify_store.platform_domain,
        risk={"recommendation": "CANCEL", "assessments": [{"riskLevel": "HIGH"}]},
    )
    send(
        shopify_store.platform_domain,
        "orders/risk_assessment_changed",
        body_of({"order_id": int(order["id"].rsplit("/", 1)[-1]), "risk_level": "high"}),
    )
    mirrored = _orders(shopify_store).get()
    assert (mirrored.risk_level, mirrored.risk_recommendation) == ("high", "cancel")


# --- the mandatory compliance topics ---


def _ingest_sample(send, store):
    send(store.platform_domain, "orders/create", orders_create_body())
    return _orders(store).get()


def test_customers_data_request_gathers_what_we_hold_about_the_customer(client, shopify_store, send):
    _ingest_sample(send, shopify_store)
    request = {
        "shop_id": 1,
        "shop_domain": shopify_store.platform_domain,
        "orders_requested": [820982911946154508],
        "customer": {"id": 115310627314723954, "email": "jon@doe.ca", "phone": None},
        "data_request": {"id": 9999},
    }
    response = send(shopify_store.platform_domain, "customers/data_request", body_of(request))

    assert response.status_code == 200
    compliance = ComplianceRequest.objects.for_store(shopify_store).get()
    assert compliance.kind == "customers/data_request" and compliance.completed_at
    assert [o["name"] for o in compliance.report["orders"]] == ["#9999"]
    assert compliance.report["orders"][0]["shipping_address"]["address1"] == "123 Shipping Street"


def test_customers_redact_erases_the_customers_personal_data_everywhere_we_keep_it(
    client, shopify_store, send
):
    _ingest_sample(send, shopify_store)
    from cancellations.models import OrderRequest
    from cancellations.requests.actors import Actor
    from cancellations.requests.submission import submit_request
    from tenants.models import StoreCustomer

    StoreCustomer.objects.create(store=shopify_store, email="jon@doe.ca")
    asked = submit_request(
        store=shopify_store,
        order=_orders(shopify_store).get(),
        actor=Actor.customer("jon@doe.ca"),
        kind="reorder",
        idempotency_key="r1",
        reason_text="Jon Doe, 123 Shipping Street",
    )
    request = {
        "shop_id": 1,
        "shop_domain": shopify_store.platform_domain,
        "customer": {"id": 115310627314723954, "email": "jon@doe.ca", "phone": None},
        "orders_to_redact": [820982911946154508],
    }
    send(shopify_store.platform_domain, "customers/redact", body_of(request))
    redacted = OrderRequest.objects.for_store(shopify_store).get(pk=asked.pk)
    assert (redacted.reason_text, redacted.requester_label) == ("", "redacted customer")
    assert "jon@doe.ca" not in {event.actor_label for event in redacted.events.all()}
    assert not StoreCustomer.objects.for_store(shopify_store).exists()

    order = _orders(shopify_store).get()
    assert (order.email, order.customer_name, order.shipping_address, order.billing_address) == (
        "",
        "",
        {},
        {},
    )
    for delivery in WebhookDelivery.objects.for_store(shopify_store):
        assert "jon@doe.ca" not in delivery.body
        assert "Shipping Street" not in delivery.body
    report = ComplianceRequest.objects.for_store(shopify_store).get(kind="customers/redact").report
    assert report == {
        "orders_redacted": 1,
        "webhook_bodies_redacted": 1,
        "requests_redacted": 1,
        "store_customers_removed": 1,
    }


def test_shop_redact_erases_the_shops_data_after_uninstall(
    client, fake_shopify, shopify_store, store_b, send
):
    _ingest_sample(send, shopify_store)
    other = make_shopify_store(fake_shopify)
    _ingest_sample(send, other)
    send(shopify_store.platform_domain, "app/uninstalled", body_of({"id": 1}))

    send(
        shopify_store.platform_domain,
        "shop/redact",
        body_of({"shop_id": 1, "shop_domain": shopify_store.platform_domain}),
    )

    assert _orders(shopify_store).count() == 0
    assert PlatformConnection.objects.for_store(shopify_store).count() == 0
    assert list(WebhookDelivery.objects.for_store(shopify_store).values_list("topic", flat=True)) == [
        "shop/redact"
    ]
    # the other shop is untouched
    assert _orders(other).count() == 1
    assert PlatformConnection.objects.for_store(other).get().is_active


def test_shop_redact_for_a_shop_that_installed_again_keeps_its_data(client, shopify_store, send):
    _ingest_sample(send, shopify_store)
    send(
        shopify_store.platform_domain,
        "shop/redact",
        body_of({"shop_id": 1, "shop_domain": shopify_store.platform_domain}),
    )
    assert _orders(shopify_store).count() == 1
    report = ComplianceRequest.objects.for_store(shopify_store).get().report
    assert report == {"skipped": "the app is installed again"}


def test_a_compliance_webhook_with_a_bad_signature_is_refused(client, shopify_store, send):
    _ingest_sample(send, shopify_store)
    body = body_of({"shop_id": 1, "shop_domain": shopify_store.platform_domain})
    response = send(shopify_store.platform_domain, "shop/redact", body, secret="forged")
    assert response.status_code == 401
    assert _orders(shopify_store).count() == 1
    assert json.loads(WebhookDelivery.objects.for_store(shopify_store).get().body)["id"] == 820982911946154508


def test_a_platform_outage_while_processing_is_recorded_and_retried_later(
    fake_shopify, shopify_store, monkeypatch
):
    monkeypatch.setattr(ShopifyClient, "_backoff", lambda self, attempt: 0.0)
    order = fake_shopify.add_order(shopify_store.platform_domain)
    body = body_of({"order_id": int(order["id"].rsplit("/", 1)[-1])})
    fake_shopify.fail_next(shopify_store.platform_domain, *[503] * 30)  # Shopify is down for a while
    delivery = webhooks.record_webhook(
        store_id=shopify_store.pk,
        webhook_id="risk-1",
        topic="orders/risk_assessment_changed",
        shop_domain=shopify_store.platform_domain,
        body=body,
    )
    with pytest.raises(TransientPlatformError):
        # the processing step itself: the task turns this into a retry with backoff
        webhooks.process_webhook_delivery(store=shopify_store, delivery_id=delivery.pk)

    delivery = WebhookDelivery.objects.for_store(shopify_store).get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.error == "TransientPlatformError: Shopify had a problem (503)."

    fake_shopify.shops[shopify_store.platform_domain].failures.clear()
    webhooks.process_webhook_delivery(store=shopify_store, delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("processed", 2)
    assert Order.objects.for_store(shopify_store).get().risk_level == "low"
