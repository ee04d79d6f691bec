"""The merchant's pages for API tokens and webhook endpoints."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cancellations.models import OutgoingWebhook, WebhookEndpoint
from tenants.models import ApiToken, StoreAuditEvent
from tenants.roles import Role
from tests.api.conftest import TokenClient
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, store_a):
    client.force_login(make_member(store_a, Role.ADMIN))
    return client


def _url(name: str, store, **kwargs) -> str:
    return reverse(f"merchant:{name}", kwargs={"store_slug": store.slug, **kwargs})


def test_a_token_made_on_the_page_is_shown_once_and_works(admin_client, store_a):
    response = admin_client.post(
        _url("tokens", store_a), {"name": "Helpdesk", "scopes": ["orders:read", "requests:read"]}
    )

    assert response.status_code == 201
    secret = re.search(r"amd_[a-z0-9]+_[A-Za-z0-9_-]+", response.content.decode()).group(0)
    assert TokenClient(secret).get(f"/api/v1/stores/{store_a.slug}/orders/").status_code == 200
    listing = admin_client.get(_url("tokens", store_a)).content.decode()
    assert "Helpdesk" in listing
    assert secret not in listing
    assert secret.split("_")[1] in listing  # the prefix tells tokens apart
    assert StoreAuditEvent.objects.for_store(store_a).filter(action="api_token_created").exists()


def test_a_token_needs_a_name_and_a_scope(admin_client, store_a):
    response = admin_client.post(_url("tokens", store_a), {"name": "", "scopes": []})

    assert response.status_code == 400
    assert ApiToken.objects.count() == 0


def test_a_token_is_revoked_on_the_page(admin_client, store_a):
    admin_client.post(_url("tokens", store_a), {"name": "Old", "scopes": ["orders:read"]})
    token = ApiToken.objects.get()

    response = admin_client.post(_url("token_revoke", store_a, token_id=token.pk))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_another_stores_token_cannot_be_revoked(admin_client, store_a, store_b):
    owner_b = make_member(store_b, Role.OWNER)
    client_b = TokenClient()
    client_b.force_login(owner_b)
    client_b.post(_url("tokens", store_b), {"name": "B", "scopes": ["orders:read"]})
    token_b = ApiToken.objects.get(store=store_b)

    response = admin_client.post(_url("token_revoke", store_a, token_id=token_b.pk))

    assert response.status_code == 404
    token_b.refresh_from_db()
    assert token_b.revoked_at is None


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AGENT])
def test_tokens_and_webhooks_are_for_admins_and_owners(client, store_a, role):
    client.force_login(make_member(store_a, role))

    assert client.get(_url("tokens", store_a)).status_code == 403
    assert client.get(_url("webhooks", store_a)).status_code == 403


def test_an_endpoint_is_added_tested_and_its_log_shown(
    admin_client, store_a, receiver, django_capture_on_commit_callbacks
):
    response = admin_client.post(
        _url("webhooks", store_a),
        {"url": receiver.url, "events": ["request.created", "request.decided"], "active": "on"},
    )
    endpoint = WebhookEndpoint.objects.for_store(store_a).get()
    # The signing secret is shown in full on this answer only, which no cache may keep.
    assert response.status_code == 201
    assert endpoint.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    later = admin_client.get(_url("webhook", store_a, endpoint_id=endpoint.pk))
    assert endpoint.secret not in later.content.decode()
    assert endpoint.secret[:12] in later.content.decode()
    assert "no-store" in later["Cache-Control"]

    with django_capture_on_commit_callbacks(execute=True):
        tested = admin_client.post(_url("webhook_test", store_a, endpoint_id=endpoint.pk))

    assert tested.status_code == 302
    assert len(receiver.received) == 1
    page = admin_client.get(_url("webhook", store_a, endpoint_id=endpoint.pk)).content.decode()
    assert "ping" in page
    assert "HTTP 200" in page


def test_an_endpoint_is_changed_rotated_and_removed(admin_client, store_a, receiver):
    admin_client.post(_url("webhooks", store_a), {"url": receiver.url, "events": ["request.failed"]})
    endpoint = WebhookEndpoint.objects.for_store(store_a).get()
    old_secret = endpoint.secret

    saved = admin_client.post(
        _url("webhook", store_a, endpoint_id=endpoint.pk),
        {"url": receiver.url, "events": ["request.completed"], "description": "ERP"},
    )
    rotated = admin_client.post(_url("webhook_rotate", store_a, endpoint_id=endpoint.pk))

    endpoint.refresh_from_db()
    assert endpoint.secret in rotated.content.decode() and "no-store" in rotated["Cache-Control"]
    assert (
        endpoint.secret
        not in admin_client.get(_url("webhook", store_a, endpoint_id=endpoint.pk)).content.decode()
    )
    assert saved.status_code == 302
    assert (endpoint.events, endpoint.description, endpoint.active) == (["request.completed"], "ERP", False)
    assert endpoint.secret != old_secret
    admin_client.post(_url("webhook_delete", store_a, endpoint_id=endpoint.pk))
    assert WebhookEndpoint.objects.for_store(store_a).count() == 0


def test_a_bad_address_is_shown_on_the_form(admin_client, store_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    response = admin_client.post(
        _url("webhooks", store_a), {"url": "http://127.0.0.1/hook", "events": ["request.created"]}
    )

    assert response.status_code == 400
    assert "https://" in response.content.decode()
    assert WebhookEndpoint.objects.for_store(store_a).count() == 0


def test_another_stores_endpoint_is_a_404_on_every_page(admin_client, store_a, store_b, receiver):
    from cancellations.notifications.webhooks import create_endpoint

    endpoint_b = create_endpoint(store=store_b, actor=None, url=receiver.url, events=["request.created"])

    for name in ("webhook", "webhook_test", "webhook_rotate", "webhook_delete"):
        response = admin_client.post(_url(name, store_a, endpoint_id=endpoint_b.pk))
        assert response.status_code == 404, name
    assert admin_client.get(_url("webhook", store_a, endpoint_id=endpoint_b.pk)).status_code == 404
    assert WebhookEndpoint.objects.for_store(store_b).get().secret == endpoint_b.secret
    assert OutgoingWebhook.objects.for_store(store_b).count() == 0


def test_the_test_ping_is_sent_at_once_and_its_real_answer_shown(admin_client, store_a, receiver):
    admin_client.post(_url("webhooks", store_a), {"url": receiver.url, "events": ["request.failed"]})
    endpoint = WebhookEndpoint.objects.for_store(store_a).get()
    receiver.script = [503]

    # No task runs here: the ping is sent while the page waits, so the answer is the real one.
    refused = admin_client.post(_url("webhook_test", store_a, endpoint_id=endpoint.pk), follow=True)
    delivered = admin_client.post(_url("webhook_test", store_a, endpoint_id=endpoint.pk), follow=True)

    assert len(receiver.received) == 2
    assert re.search(
        r"Test event refused: the endpoint answered HTTP 503 in \d+ ms", refused.content.decode()
    )
    page = delivered.content.decode()
    assert re.search(r"Test event delivered: the endpoint answered HTTP 200 in \d+ ms", page)
    assert "HTTP 503" in page and "HTTP 200" in page  # both attempts in the delivery log
    pings = OutgoingWebhook.objects.for_store(store_a).filter(event="ping").order_by("id")
    assert [(ping.status, ping.attempts) for ping in pings] == [("failed", 1), ("delivered", 1)]


def test_a_ping_to_an_endpoint_that_does_not_answer_shows_the_error(admin_client, store_a, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    admin_client.post(
        _url("webhooks", store_a), {"url": "http://127.0.0.1:9/hooks", "events": ["request.failed"]}
    )
    endpoint = WebhookEndpoint.objects.for_store(store_a).get()

    answer = admin_client.post(_url("webhook_test", store_a, endpoint_id=endpoint.pk), follow=True)

    assert "Test event not delivered: ConnectError" in answer.content.decode()


def test_another_stores_endpoint_cannot_be_pinged(client, store_a, store_b, receiver):
    theirs = WebhookEndpoint.objects.for_store(store_b).create(
        store=store_b, url=receiver.url, events=["request.failed"], secret_encrypted=""
    )
    client.force_login(make_member(store_a, Role.ADMIN))

    assert client.post(_url("webhook_test", store_a, endpoint_id=theirs.pk)).status_code == 404
    assert receiver.received == []
