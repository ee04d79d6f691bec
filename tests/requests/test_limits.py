"""The policy's caps: edit sessions per order and cancellations per customer, with the store's message;
and staff told of a customer's edits once per edit session, cancellations at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from cancellations.models import EditSession, Notification, OrderRequest
from cancellations.notifications.edit_sessions import send_edit_session_alerts
from cancellations.notifications.services import send_notification
from cancellations.policy import DEFAULT_POLICY, LimitSettings
from cancellations.policy.services import save_policy
from cancellations.requests.actors import Actor
from cancellations.requests.errors import LimitReached, RequestErrorCode
from cancellations.requests.execution import execute_request
from cancellations.requests.submission import submit_request
from tenants.roles import Role
from tests.factories import make_member, make_order
from tests.requests.helpers import key, staff_actor

pytestmark = pytest.mark.django_db

MESSAGES = {"en": "One change per order, please write to us.", "sv": "En ändring per order, skriv till oss."}
ADDRESS = {
    "kind": "address",
    "address": {
        "name": "Ann",
        "address1": "Storgatan 5",
        "zip": "113 51",
        "city": "Stockholm",
        "country_code": "SE",
    },
}


def _limits(store, **limits):
    save_policy(
        store=store,
        actor=None,
        policy=replace(DEFAULT_POLICY, limits=LimitSettings(messages=MESSAGES, **limits)),
    )


def _edit(store, order, *, now, actor=None):
    return submit_request(
        store=store,
        order=order,
        actor=actor or Actor.customer(order.email),
        kind="edit",
        idempotency_key=key(),
        changes=[ADDRESS],
        now=now,
    )


def _settle(store, request):
    execute_request(store=store, request_id=request.pk)


def test_a_second_edit_session_past_the_cap_is_refused_with_the_stores_message(store_a, settings):
    settings.EDIT_SESSION_MINUTES = 5
    _limits(store_a, edit_sessions_per_order=1)
    order = make_order(store_a, email="ann@example.com")
    start = timezone.now()

    # two saves three minutes apart are one session
    first = _edit(store_a, order, now=start)
    _settle(store_a, first)
    second = _edit(store_a, order, now=start + timedelta(minutes=3))
    _settle(store_a, second)
    assert second.edit_session_id == first.edit_session_id
    assert EditSession.objects.for_store(store_a).get().saves == 2

    # a save after a longer pause would open a second session: refused, in the customer's language
    with translation.override("sv"), pytest.raises(LimitReached) as refused:
        _edit(store_a, order, now=start + timedelta(minutes=9))
    assert refused.value.code == RequestErrorCode.EDIT_SESSION_LIMIT_REACHED
    assert refused.value.message == MESSAGES["sv"]
    assert OrderRequest.objects.for_store(store_a).filter(order=order).count() == 2

    # staff are not capped, and another order is not affected
    staff = _edit(store_a, order, now=start + timedelta(minutes=10), actor=staff_actor(store_a))
    assert staff.edit_session_id is None
    other = make_order(store_a, email="ann@example.com")
    assert _edit(store_a, other, now=start + timedelta(minutes=10)).edit_session_id is not None


def test_without_a_message_the_customer_gets_a_plain_one(store_a):
    save_policy(
        store=store_a,
        actor=None,
        policy=replace(DEFAULT_POLICY, limits=LimitSettings(edit_sessions_per_order=1)),
    )
    order = make_order(store_a, email="ann@example.com")
    start = timezone.now()
    _settle(store_a, _edit(store_a, order, now=start))
    with translation.override("en"), pytest.raises(LimitReached) as refused:
        _edit(store_a, order, now=start + timedelta(hours=1))
    assert "changed as often as the store allows" in refused.value.message


def test_cancellations_per_customer_are_capped_per_period_by_email(store_a, store_b):
    _limits(store_a, cancellations_per_customer=1, cancellation_period_days=30)
    _limits(store_b, cancellations_per_customer=1, cancellation_period_days=30)
    first, second = (make_order(store_a, email="bo@example.com") for _ in range(2))
    stranger = make_order(store_a, email="cy@example.com")
    elsewhere = make_order(store_b, email="bo@example.com")

    def cancel(order, now=None):
        return submit_request(
            store=order.store,
            order=order,
            actor=Actor.customer(order.email),
            kind="cancel",
            idempotency_key=key(),
            reason_code="changed_mind",
            now=now,
        )

    cancel(first)
    with translation.override("en"), pytest.raises(LimitReached) as refused:
        cancel(second)
    assert refused.value.code == RequestErrorCode.CANCELLATION_LIMIT_REACHED
    assert refused.value.message == MESSAGES["en"]
    # another customer, and the same email at another store, are counted apart
    cancel(stranger)
    cancel(elsewhere)
    # after the period the customer may cancel again
    cancel(second, now=timezone.now() + timedelta(days=31))


def test_the_api_renders_a_cap_as_409_with_its_code():
    from portal.api.errors import api_exception_handler

    answer = api_exception_handler(
        LimitReached("One change per order.", code=RequestErrorCode.EDIT_SESSION_LIMIT_REACHED), {}
    )
    assert answer is not None and answer.status_code == 409
    assert answer.data["code"] == "edit_session_limit_reached"
    assert answer.data["detail"] == "One change per order."


def test_staff_hear_of_a_customers_edits_once_per_session(store_a, settings):
    settings.EDIT_SESSION_MINUTES = 5
    make_member(store_a, Role.OWNER, email="owner@alpha.example")
    order = make_order(store_a, email="ann@example.com")
    start = timezone.now()
    saves = []
    for minutes in (0, 2, 4):
        saves.append(_edit(store_a, order, now=start + timedelta(minutes=minutes)))
        _settle(store_a, saves[-1])
    assert len({save.edit_session_id for save in saves}) == 1

    # not before the session has been quiet for the session gap
    assert send_edit_session_alerts(now=start + timedelta(minutes=8)) == 0
    assert send_edit_session_alerts(now=start + timedelta(minutes=10)) == 1
    assert send_edit_session_alerts(now=start + timedelta(minutes=20)) == 0

    (note,) = Notification.objects.for_store(store_a).filter(template="staff_edit_session")
    assert note.recipient == "owner@alpha.example"
    mail.outbox.clear()
    send_notification(store=store_a, notification_id=note.pk)
    (email,) = mail.outbox
    assert f"changed order {order.name} (3 changes in one visit)" in email.body


def test_a_cancellation_still_reaches_staff_at_once(store_a):
    from tests.requests.helpers import review_everything

    review_everything(store_a)
    make_member(store_a, Role.OWNER, email="owner@alpha.example")
    order = make_order(store_a, email="ann@example.com")
    submit_request(
        store=store_a,
        order=order,
        actor=Actor.customer(order.email),
        kind="cancel",
        idempotency_key=key(),
        reason_code="changed_mind",
    )
    assert (
        Notification.objects.for_store(store_a)
        .filter(template="staff_waiting", recipient="owner@alpha.example")
        .exists()
    )


def test_the_portal_refuses_a_second_session_with_the_stores_message(client, store_a, settings):
    from allauth.account.models import EmailAddress

    from tests.factories import make_user

    settings.EDIT_SESSION_MINUTES = 0  # every save its own session
    _limits(store_a, edit_sessions_per_order=1)
    order = make_order(store_a, email="ann@example.com")
    ann = make_user("ann@example.com")
    EmailAddress.objects.create(user=ann, email="ann@example.com", verified=True, primary=True)
    client.force_login(ann)
    url = f"/s/alpha-shop/orders/{order.pk}/edit/address/"
    form = {**ADDRESS["address"], "name": "Ann Buyer", "submit_key": "s1"}
    assert client.post(url, form).status_code == 302

    # the form is not even offered again, and a post of it is refused
    again = client.get(url)
    assert again.status_code == 409 and MESSAGES["en"] in again.content.decode()
    refused = client.post(url, {**form, "submit_key": "s2"})
    assert refused.status_code == 409 and MESSAGES["en"] in refused.content.decode()
    assert OrderRequest.objects.for_store(store_a).filter(order=order).count() == 1
