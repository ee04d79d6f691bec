"""Customer emails come from the store: its name as sender, its support address as Reply-To."""

from __future__ import annotations

from email import message_from_bytes

import pytest
from django.core import mail

from cancellations.models import Notification
from cancellations.notifications.services import send_notification
from cancellations.requests.services import reject_request
from tenants.models import Store
from tenants.roles import Role
from tests.factories import make_customer, make_member, make_order
from tests.requests.helpers import pending_request, staff_actor

pytestmark = pytest.mark.django_db

REPLY_SENTENCE = "Reply to this email"


@pytest.fixture(autouse=True)
def _from_address(settings):
    settings.DEFAULT_FROM_EMAIL = "Amend <no-reply@amend.example>"


def _send_all(store: Store) -> None:
    for notification in Notification.objects.for_store(store).filter(status="pending"):
        send_notification(store=store, notification_id=notification.pk)


def _rejection_to_customer_in(store: Store, subject: str) -> mail.EmailMessage:
    rejected = pending_request(store)
    reject_request(store=store, request_id=rejected.pk, actor=staff_actor(store), message="Already packed")
    mail.outbox.clear()
    _send_all(store)
    (message,) = [m for m in mail.outbox if m.to == [rejected.order.email] and subject in m.subject]
    return message


def _rejection_to_customer(store: Store) -> mail.EmailMessage:
    return _rejection_to_customer_in(store, "not approved")


def test_a_customer_email_comes_from_the_store_and_replies_reach_its_support(store_a, store_b):
    store_a.support_email = "help@alpha.example"
    store_a.save(update_fields=["support_email"])

    message = _rejection_to_customer(store_a)

    parsed = message_from_bytes(message.message().as_bytes())
    assert parsed["From"] == "Alpha Shop <no-reply@amend.example>"
    assert parsed["Reply-To"] == "help@alpha.example"
    assert REPLY_SENTENCE in message.body and REPLY_SENTENCE in message.alternatives[0][0]
    assert "Bravo" not in parsed["From"]


def test_without_a_support_address_there_is_no_reply_to_and_no_invitation_to_reply(store_a):
    message = _rejection_to_customer(store_a)

    parsed = message_from_bytes(message.message().as_bytes())
    assert parsed["From"] == "Alpha Shop <no-reply@amend.example>"
    assert parsed["Reply-To"] is None
    assert REPLY_SENTENCE not in message.body and REPLY_SENTENCE not in message.alternatives[0][0]
    assert "Your order stays as it was." in message.body


@pytest.mark.parametrize(
    "name",
    [
        "Alpha\r\nBcc: victim@example.com",
        'Alpha" <evil@example.com>, "x',
        "Alpha\nReply-To: evil@example.com",
    ],
)
def test_a_store_name_cannot_add_headers_or_addresses(store_a, name):
    store_a.name = name
    store_a.support_email = "help@alpha.example"
    store_a.save(update_fields=["name", "support_email"])

    message = _rejection_to_customer(store_a)

    raw = message.message().as_bytes()
    parsed = message_from_bytes(raw)
    assert parsed["Bcc"] is None
    assert parsed.get_all("Reply-To") == ["help@alpha.example"]
    assert message.recipients() == message.to
    assert parsed["From"].endswith("<no-reply@amend.example>")
    assert "evil@example.com>" not in parsed["From"].split("<")[-1]
    headers = raw.split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers and b"\nReply-To: evil" not in headers


def test_staff_alerts_keep_amends_own_sender(store_a):
    store_a.support_email = "help@alpha.example"
    store_a.save(update_fields=["support_email"])
    agent = make_member(store_a, Role.AGENT)
    pending_request(store_a)

    _send_all(store_a)

    (alert,) = [m for m in mail.outbox if m.to == [agent.email]]
    assert alert.from_email == "Amend <no-reply@amend.example>"
    assert alert.reply_to == []


def test_the_find_my_order_link_comes_from_the_store(client, store_a):
    store_a.support_email = "help@alpha.example"
    store_a.save(update_fields=["support_email"])
    order = make_order(store_a, email="ann@example.com")

    client.post("/s/alpha-shop/find-order/", {"number": order.name, "email": "ann@example.com"})

    (message,) = mail.outbox
    assert message.from_email == "Alpha Shop <no-reply@amend.example>"
    assert message.reply_to == ["help@alpha.example"]


def test_a_swedish_store_invites_a_reply_in_swedish_only_with_a_support_address(store_b):
    store_b.support_email = "hjalp@bravo.example"
    store_b.save(update_fields=["support_email"])

    message = _rejection_to_customer_in(store_b, "godkändes inte")

    assert message.from_email == "Bravo Butik <no-reply@amend.example>"
    assert "Svara på det här mejlet" in message.body and "Din beställning är oförändrad." in message.body


def test_a_customers_sign_in_code_comes_from_the_store(client, store_a):
    store_a.support_email = "help@alpha.example"
    store_a.save(update_fields=["support_email"])
    make_customer(store_a, "ann@example.com")
    make_order(store_a, email="ann@example.com")

    client.post("/s/alpha-shop/signin/", {"email": "ann@example.com"})

    message = mail.outbox[-1]
    assert message.subject == "Your sign-in code for Alpha Shop"
    assert message.from_email == "Alpha Shop <no-reply@amend.example>"
    assert message.reply_to == ["help@alpha.example"]
