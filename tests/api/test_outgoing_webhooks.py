"""Webhooks to a store's own endpoints: signed, retried with backoff, logged, and never another store's."""

from __future__ import annotations

import io
import json
import re
import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.utils import timezone

from cancellations.models import OutgoingWebhook, WebhookDeliveryAttempt, WebhookEndpoint
from cancellations.notifications import webhooks as hooks
from cancellations.policy import StorePolicy
from cancellations.policy.services import save_policy
from cancellations.requests.actors import Actor
from cancellations.requests.services import approve_request
from cancellations.requests.submission import submit_request
from tests.factories import make_order
from tests.requests.helpers import pending_request, scripted, staff_actor

pytestmark = pytest.mark.django_db

ALL_EVENTS = ["request.created", "request.decided", "request.completed", "request.failed"]


@pytest.fixture(autouse=True)
def _quick_retries(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 8
    settings.WEBHOOK_RETRY_MAX_SECONDS = 60
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    settings.WEBHOOK_TIMEOUT_SECONDS = 5


def _endpoint(store, url: str, events=ALL_EVENTS) -> WebhookEndpoint:
    return hooks.create_endpoint(store=store, actor=None, url=url, events=events)


def _types(receiver) -> list[str]:
    return [json.loads(hit.body)["type"] for hit in receiver.received]


# --- signing -------------------------------------------------------------------------------------


def test_a_signature_verifies_only_for_the_same_secret_body_and_a_recent_time():
    body = b'{"type":"request.created"}'
    now = int(time.time())
    signature = hooks.sign("whsec_one", now, body)

    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert hooks.verify_signature("whsec_one", str(now), body, signature)
    assert not hooks.verify_signature("whsec_two", str(now), body, signature)
    assert not hooks.verify_signature("whsec_one", str(now), body + b" ", signature)
    assert not hooks.verify_signature("whsec_one", str(now - 1), body, signature)
    assert not hooks.verify_signature("whsec_one", str(now), body, signature, now=now + 301)
    assert not hooks.verify_signature("whsec_one", "yesterday", body, signature)


def test_events_of_a_request_arrive_signed(store_a, receiver, django_capture_on_commit_callbacks):
    endpoint = _endpoint(store_a, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        request = pending_request(store_a)
        auto = make_order(store_a, financial_status="paid")
    with django_capture_on_commit_callbacks(execute=True):
        save_policy(store=store_a, actor=None, policy=StorePolicy())
    with django_capture_on_commit_callbacks(execute=True):
        submit_request(
            store=store_a, order=auto, actor=Actor.customer(auto.email), kind="cancel", idempotency_key="k"
        )

    # Waiting for review is not a decision; approval by the policy is, and so is carrying it out.
    assert _types(receiver) == ["request.created", "request.created", "request.decided", "request.completed"]
    for hit in receiver.received:
        assert hit.headers["Content-Type"] == "application/json"
        assert hooks.verify_signature(
            endpoint.secret, hit.headers["X-Amend-Timestamp"], hit.body, hit.headers["X-Amend-Signature"]
        )
    created, _created, decided, _completed = (json.loads(hit.body) for hit in receiver.received)
    assert created["data"]["request"]["id"] == request.pk
    assert created["data"]["request"]["status"] == "submitted"
    assert created["data"]["request"]["outcome"] == "needs_approval"
    assert decided["data"]["request"]["status"] == "auto_approved"
    assert decided["data"]["request"]["resolution"] == "auto_approved"
    assert receiver.received[0].headers["X-Amend-Event"] == "request.created"
    assert receiver.received[0].headers["X-Amend-Delivery"] == created["id"]
    assert OutgoingWebhook.objects.for_store(store_a).filter(status="delivered").count() == 4


def test_approval_then_execution_sends_decided_and_completed(
    store_a, receiver, django_capture_on_commit_callbacks
):
    request = pending_request(store_a)
    _endpoint(store_a, receiver.url, events=["request.decided", "request.completed"])

    with django_capture_on_commit_callbacks(execute=True):
        approve_request(store=store_a, request_id=request.pk, actor=staff_actor(store_a))

    assert _types(receiver) == ["request.decided", "request.completed"]
    completed = json.loads(receiver.received[1].body)["data"]["request"]
    assert completed["status"] == "completed"
    assert completed["resolution"] == "approved"


def test_a_request_the_platform_refuses_sends_failed(
    settings, store_a, receiver, django_capture_on_commit_callbacks
):
    request = pending_request(store_a)
    _endpoint(store_a, receiver.url, events=["request.failed"])

    with scripted(settings, "permanent"), django_capture_on_commit_callbacks(execute=True):
        approve_request(store=store_a, request_id=request.pk, actor=staff_actor(store_a))

    assert _types(receiver) == ["request.failed"]
    failed = json.loads(receiver.received[0].body)["data"]["request"]
    assert failed["status"] == "failed"
    assert "order is locked" in failed["last_error"]


def test_an_endpoint_gets_only_the_events_it_asked_for(store_a, receiver, django_capture_on_commit_callbacks):
    _endpoint(store_a, receiver.url, events=["request.failed"])

    with django_capture_on_commit_callbacks(execute=True):
        pending_request(store_a)

    assert receiver.received == []
    assert OutgoingWebhook.objects.for_store(store_a).count() == 0


def test_another_stores_requests_never_reach_this_stores_endpoint(
    store_a, store_b, receiver, django_capture_on_commit_callbacks
):
    _endpoint(store_a, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        pending_request(store_b, make_order(store_b))

    assert receiver.received == []


def test_a_turned_off_endpoint_gets_nothing(store_a, receiver, django_capture_on_commit_callbacks):
    endpoint = _endpoint(store_a, receiver.url)
    hooks.update_endpoint(
        store=store_a, actor=None, endpoint_id=endpoint.pk, url=endpoint.url, events=ALL_EVENTS, active=False
    )

    with django_capture_on_commit_callbacks(execute=True):
        pending_request(store_a)

    assert receiver.received == []


# --- retries and the delivery log ----------------------------------------------------------------


def test_a_failing_endpoint_is_retried_with_growing_delays_until_it_answers(
    store_a, receiver, django_capture_on_commit_callbacks
):
    _endpoint(store_a, receiver.url, events=["request.created"])
    receiver.script = [500, 503, 502]

    with django_capture_on_commit_callbacks(execute=True):
        pending_request(store_a)

    webhook = OutgoingWebhook.objects.for_store(store_a).get()
    assert webhook.status == "delivered"
    assert webhook.attempts == 4
    attempts = list(WebhookDeliveryAttempt.objects.for_store(store_a).filter(webhook=webhook))
    assert [a.status_code for a in attempts] == [500, 503, 502, 200]
    assert [a.number for a in attempts] == [1, 2, 3, 4]
    assert attempts[0].response_body == "try later"
    delays = [a.retry_in_seconds for a in attempts]
    # base 8 s: after try n the wait is jittered within [8 * 2^(n-1) / 2, 8 * 2^(n-1)].
    assert 4 <= delays[0] <= 8 and 8 <= delays[1] <= 16 and 16 <= delays[2] <= 32
    assert delays[3] is None
    # Every try of one event is the same delivery, signed afresh.
    assert len({hit.headers["X-Amend-Delivery"] for hit in receiver.received}) == 1


def test_the_backoff_is_capped(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 100

    assert all(50 <= hooks.backoff_seconds(10) <= 100 for _ in range(20))


def test_after_the_last_try_the_webhook_is_given_up(store_a, receiver, django_capture_on_commit_callbacks):
    _endpoint(store_a, receiver.url, events=["request.created"])
    receiver.script = [500] * 10

    with django_capture_on_commit_callbacks(execute=True):
        pending_request(store_a)

    webhook = OutgoingWebhook.objects.for_store(store_a).get()
    assert (webhook.status, webhook.attempts, webhook.next_attempt_at) == ("failed", 4, None)
    assert len(receiver.received) == 4


def test_an_endpoint_that_does_not_answer_is_logged_with_the_error(
    store_a, django_capture_on_commit_callbacks
):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    _endpoint(store_a, f"http://127.0.0.1:{closed_port}/nobody", events=["request.created"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pending_request(store_a)
    callbacks[0]()  # the first try only; the retry is left for later

    webhook = OutgoingWebhook.objects.for_store(store_a).get()
    assert webhook.status == "pending"
    assert webhook.next_attempt_at > timezone.now()
    attempt = WebhookDeliveryAttempt.objects.for_store(store_a).get()
    assert attempt.status_code is None
    assert "ConnectError" in attempt.error


def test_the_sweep_sends_overdue_webhooks_again(store_a, receiver, django_capture_on_commit_callbacks):
    _endpoint(store_a, receiver.url, events=["request.created"])
    with django_capture_on_commit_callbacks(execute=False):
        pending_request(store_a)  # the task is lost: its on-commit send never runs
    assert receiver.received == []

    assert hooks.sweep_outgoing_webhooks(now=timezone.now() + timedelta(seconds=30)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        sent = hooks.sweep_outgoing_webhooks(now=timezone.now() + timedelta(minutes=5))

    assert sent == 1
    assert _types(receiver) == ["request.created"]
    assert OutgoingWebhook.objects.for_store(store_a).get().status == "delivered"


def test_a_delivery_already_made_is_not_sent_twice(store_a, receiver, django_capture_on_commit_callbacks):
    _endpoint(store_a, receiver.url, events=["request.created"])
    with django_capture_on_commit_callbacks(execute=True):
        pending_request(store_a)
    webhook = OutgoingWebhook.objects.for_store(store_a).get()

    assert hooks.deliver_webhook(store=store_a, webhook_id=webhook.pk) == hooks.SKIPPED
    assert len(receiver.received) == 1


def test_send_test_pings_the_endpoint_once(store_a, receiver, django_capture_on_commit_callbacks):
    endpoint = _endpoint(store_a, receiver.url)
    receiver.script = [500]

    with django_capture_on_commit_callbacks(execute=True):
        ping = hooks.send_test_webhook(store=store_a, endpoint_id=endpoint.pk)

    ping.refresh_from_db()
    assert _types(receiver) == ["ping"]
    # A test is not retried: the person who pressed the button sees the answer in the log.
    assert (ping.status, ping.attempts, ping.last_status_code) == ("failed", 1, 500)


# --- endpoints -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest",
        "https://[::1]/hook",
        "https://user:pw@example.com/hook",
        "ftp://example.com/hook",
    ],
)
def test_in_production_only_public_https_addresses_are_taken(settings, store_a, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    with pytest.raises(hooks.EndpointInvalid) as error:
        hooks.create_endpoint(store=store_a, actor=None, url=url, events=ALL_EVENTS)

    assert error.value.field == "url"


def test_the_secret_is_encrypted_at_rest(store_a, receiver):
    endpoint = _endpoint(store_a, receiver.url)
    stored = WebhookEndpoint.objects.for_store(store_a).values_list("secret_encrypted", flat=True).get()

    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret not in stored


def test_unknown_events_and_no_events_are_refused(store_a, receiver):
    for events in ([], ["order.created"]):
        with pytest.raises(hooks.EndpointInvalid) as error:
            hooks.create_endpoint(store=store_a, actor=None, url=receiver.url, events=events)
        assert error.value.field == "events"


def test_the_readme_s_verification_example_accepts_a_real_delivery(
    store_a, receiver, django_capture_on_commit_callbacks
):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = re.search(r"```python\n(import hashlib\n.*?)```", readme, re.S).group(1)
    namespace: dict = {}
    exec(compile(example, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    endpoint = _endpoint(store_a, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        hooks.send_test_webhook(store=store_a, endpoint_id=endpoint.pk)

    hit = receiver.received[0]
    timestamp, signature = hit.headers["X-Amend-Timestamp"], hit.headers["X-Amend-Signature"]
    assert namespace["verify"](endpoint.secret, hit.body, timestamp, signature)
    assert not namespace["verify"](endpoint.secret, hit.body + b" ", timestamp, signature)
    assert not namespace["verify"]("whsec_other", hit.body, timestamp, signature)


def test_secrets_survive_a_key_rotation(settings, store_a, receiver):
    secret = _endpoint(store_a, receiver.url).secret
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

    call_command("rotate_webhook_secrets", stdout=io.StringIO())
    settings.FIELD_ENCRYPTION_KEYS = [new_key]

    assert WebhookEndpoint.objects.for_store(store_a).get().secret == secret


def test_an_unreadable_secret_is_logged_not_sent(
    settings, store_a, receiver, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(store_a, receiver.url)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with django_capture_on_commit_callbacks(execute=True):
        ping = hooks.send_test_webhook(store=store_a, endpoint_id=endpoint.pk)

    assert receiver.received == []
    attempt = WebhookDeliveryAttempt.objects.for_store(store_a).get(webhook=ping)
    assert "FIELD_ENCRYPTION_KEYS" in attempt.error
