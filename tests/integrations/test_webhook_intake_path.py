"""Webhook deliveries are answered before the page middleware, and still only from the real thing."""

from __future__ import annotations

import pytest

from cancellations.models import WebhookDelivery
from tests.cancellations.samples import orders_create_body
from tests.integrations.webhook_client import deliver

pytestmark = pytest.mark.django_db


def test_a_delivery_is_stored_with_a_request_id_and_no_page_middleware(client, shopify_store):
    response = deliver(client, shopify_store.platform_domain, "orders/create", orders_create_body())

    assert response.status_code == 200
    assert WebhookDelivery.objects.for_store(shopify_store).count() == 1
    assert len(response["X-Request-ID"]) == 32  # the request log saw it
    # No session, CSRF or language work: nothing of a page's answer is on it.
    assert not response.cookies
    assert "Vary" not in response
    assert "Content-Language" not in response


def test_a_delivery_to_a_host_amend_does_not_serve_is_a_400_and_stores_nothing(client, shopify_store):
    response = deliver(
        client, shopify_store.platform_domain, "orders/create", orders_create_body(), HTTP_HOST="evil.example"
    )

    assert response.status_code == 400
    assert WebhookDelivery.objects.for_store(shopify_store).count() == 0


def test_other_methods_go_through_the_full_stack_and_are_refused(client, shopify_store):
    response = client.get("/webhooks/shopify/")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "Content-Security-Policy" in response  # the page middleware ran


def test_a_forged_delivery_is_still_a_401(client, shopify_store):
    response = deliver(
        client, shopify_store.platform_domain, "orders/create", orders_create_body(), secret="not-ours"
    )

    assert response.status_code == 401
    assert WebhookDelivery.objects.for_store(shopify_store).count() == 0
