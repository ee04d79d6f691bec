"""A webhook received by the web process is processed by a real worker, through the real broker."""

from __future__ import annotations

import pytest

from cancellations.models import Order, WebhookDelivery
from tests.cancellations.samples import orders_create_body
from tests.fakeshopify.fixtures import make_shopify_store
from tests.integrations.webhook_client import deliver
from tests.worker import running_worker, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_a_delivery_is_processed_by_a_worker_exactly_once(client, fake_shopify):
    store = make_shopify_store(fake_shopify)
    with running_worker():
        # Shopify's retry of the same delivery arrives while the first is being processed
        for _ in range(3):
            assert (
                deliver(
                    client, store.platform_domain, "orders/create", orders_create_body(), webhook_id="w"
                ).status_code
                == 200
            )

        assert wait_until(
            lambda: WebhookDelivery.objects.for_store(store).filter(status="processed").exists(), timeout=60
        )
    delivery = WebhookDelivery.objects.for_store(store).get()
    assert delivery.attempts == 1
    assert Order.objects.for_store(store).count() == 1
