"""Emails about requests (in the store's language, text and HTML), staff alerts and digests, Slack."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import formats, timezone, translation

from cancellations.models import Notification, StoreNotificationSettings
from cancellations.notifications.services import (
    NotificationNotSent,
    send_notification,
    send_staff_digests,
    set_slack_webhook,
    set_staff_notification_mode,
    slack_webhook_url,
)
from cancellations.policy import StorePolicy, WithdrawalSettings
from cancellations.policy.services import save_policy
from cancellations.requests.actors import Actor
from cancellations.requests.services import approve_request, reject_request
from cancellations.requests.submission import submit_request
from tenants.errors import DomainError
from tenants.roles import Role
from tests.factories import make_member, make_order
from tests.requests.helpers import key, pending_request, scripted, staff_actor

pytestmark = pytest.mark.django_db


def _send_all(store) -> None:
    for notification in Notification.objects.for_store(store).filter(status="pending"):
        send_notification(store=store, notification_id=notification.pk)


def _mail_to(address: str) -> list[mail.EmailMultiAlternatives]:
    return [message for message in mail.outbox if address in message.to]


@pytest.mark.parametrize(
    ("store_fixture", "subject", "body"),
    [
        ("store_a", "we have received your request for order", "The store will review it"),
        ("store_b", "vi har tagit emot din begäran för", "Butiken granskar den"),
    ],
)
def test_request_received_in_the_stores_language_as_text_and_html(request, store_fixture, subject, body):
    store = request.getfixturevalue(store_fixture)
    submitted = pending_request(store)

    _send_all(store)

    (message,) = _mail_to(submitted.order.email)
    assert subject in message.subject and submitted.order.name in message.subject
    assert message.subject.startswith(store.name)
    assert body in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and body in html
    assert store.accent_colour in html  # branded by the store
    assert f"/s/{store.slug}/o/" in message.body  # a link that opens the order


@pytest.mark.parametrize(
    ("store_fixture", "approved", "rejected", "reason_label", "completed", "refunded"),
    [
        (
            "store_a",
            "has been approved",
            "was not approved",
            "The store's reason:",
            "has been carried out",
            "will be refunded to you",
        ),
        (
            "store_b",
            "har godkänts",
            "godkändes inte",
            "Butikens motivering",
            "har genomförts",
            "betalas tillbaka",
        ),
    ],
)
def test_approved_rejected_and_completed_emails(
    request, settings, store_fixture, approved, rejected, reason_label, completed, refunded
):
    store = request.getfixturevalue(store_fixture)
    staff = staff_actor(store)
    yes, no = pending_request(store), pending_request(store)
    with scripted(settings):
        approve_request(store=store, request_id=yes.pk, actor=staff)
        from cancellations.requests.execution import execute_request

        execute_request(store=store, request_id=yes.pk)
    reject_request(store=store, request_id=no.pk, actor=staff, message="Redan packad / Already packed")
    mail.outbox.clear()

    _send_all(store)

    subjects = [m.subject for m in _mail_to(yes.order.email)]
    assert any(approved in s for s in subjects) and any(completed in s for s in subjects)
    done = next(m for m in _mail_to(yes.order.email) if completed in m.subject)
    with translation.override(store.locale):
        amount = formats.localize(yes.order.total)
    assert refunded in done.body and amount in done.body
    (rejection,) = [m for m in _mail_to(no.order.email) if rejected in m.subject]
    assert reason_label in rejection.body and "Redan packad / Already packed" in rejection.body
    assert "Redan packad / Already packed" in rejection.alternatives[0][0]


@pytest.mark.parametrize(
    ("store_fixture", "subject", "statement"),
    [
        ("store_a", "acknowledgement of your withdrawal", "I hereby withdraw from my contract"),
        ("store_b", "ångrat köpet", "frånträder mitt avtal"),
    ],
)
def test_a_withdrawal_is_acknowledged_with_the_statement_and_the_time_of_receipt(
    request, store_fixture, subject, statement
):
    store = request.getfixturevalue(store_fixture)
    save_policy(store=store, actor=None, policy=StorePolicy(withdrawal=WithdrawalSettings(enabled=True)))
    order = make_order(store, customer_name="Ann Buyer")
    received_at = timezone.now().replace(microsecond=0)

    withdrawal = submit_request(
        store=store,
        order=order,
        actor=Actor.customer(order.email),
        kind="withdrawal",
        idempotency_key=key(),
        reason_text="Does not fit",
        now=received_at,
    )
    _send_all(store)

    ack = next(m for m in _mail_to(order.email) if subject in m.subject.lower() or subject in m.subject)
    local = timezone.localtime(received_at, timezone=__import__("zoneinfo").ZoneInfo(store.timezone))
    for part in (ack.body, ack.alternatives[0][0]):
        assert statement in part
        assert local.strftime("%Y-%m-%d %H:%M:%S") in part and store.timezone in part
        assert order.name in part and "Does not fit" in part and "Ann Buyer" in part
        for line in order.line_items.all():
            assert line.title in part
    assert withdrawal.kind == "withdrawal"


def test_an_email_is_sent_once_however_often_its_task_runs(store_a):
    submitted = pending_request(store_a)
    notification = Notification.objects.for_store(store_a).get(request=submitted, channel="customer_email")

    for _ in range(3):
        send_notification(store=store_a, notification_id=notification.pk)

    assert len(_mail_to(submitted.order.email)) == 1
    notification.refresh_from_db()
    assert notification.status == "sent" and notification.attempts == 1


def test_staff_hear_at_once_by_default_and_a_digest_when_they_ask(store_a):
    eager = make_member(store_a, Role.AGENT)
    digest = make_member(store_a, Role.ADMIN)
    make_member(store_a, Role.VIEWER)
    set_staff_notification_mode(store=store_a, user=digest, mode="digest")
    first, second = pending_request(store_a), pending_request(store_a)

    _send_all(store_a)
    staff_mail = [m for m in mail.outbox if m.to != [first.order.email]]

    assert sorted(m.to[0] for m in staff_mail) == [eager.email, eager.email]
    assert all("Waiting for review" in m.subject for m in staff_mail)
    assert send_staff_digests() == 1
    (summary,) = _mail_to(digest.email)
    assert "2 requests waiting for review" in summary.subject
    assert first.order.name in summary.body and second.order.name in summary.body
    # nothing new within the hour: no second digest
    assert send_staff_digests(now=timezone.now() + timedelta(minutes=10)) == 0


class _Slack(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slack() -> Iterator[str]:
    _Slack.received, _Slack.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret"
    server.shutdown()
    server.server_close()


def test_a_stores_slack_hears_of_new_requests_and_the_url_is_kept_secret(store_a, slack, caplog):
    set_slack_webhook(store=store_a, url=slack)
    row = StoreNotificationSettings.objects.for_store(store_a).get()
    assert slack not in row.slack_webhook_url_encrypted and slack_webhook_url(store=store_a) == slack

    submitted = pending_request(store_a)
    _send_all(store_a)

    (message,) = _Slack.received
    assert submitted.order.name in message["text"] and store_a.name in message["text"]
    assert slack not in caplog.text


def test_slack_being_down_is_retried_and_a_refusal_is_kept(store_a, slack):
    set_slack_webhook(store=store_a, url=slack)
    pending_request(store_a)
    notification = Notification.objects.for_store(store_a).get(channel="slack")

    _Slack.status = 503
    with pytest.raises(NotificationNotSent):
        send_notification(store=store_a, notification_id=notification.pk)
    _Slack.status = 404
    send_notification(store=store_a, notification_id=notification.pk)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", 2)
    assert "404" in notification.last_error and slack not in notification.last_error


def test_a_slack_url_must_be_a_web_address(store_a, settings):
    settings.PRODUCTION = True
    with pytest.raises(DomainError):
        set_slack_webhook(store=store_a, url="http://hooks.example.com/x")
    with pytest.raises(DomainError):
        set_slack_webhook(store=store_a, url="not a url")
    assert set_slack_webhook(store=store_a, url="").has_slack is False


def test_notifications_of_another_store_are_not_sent(store_a, store_b):
    theirs = pending_request(store_b)
    notification = Notification.objects.for_store(store_b).get(request=theirs, channel="customer_email")

    assert send_notification(store=store_a, notification_id=notification.pk) is None
    assert mail.outbox == []
