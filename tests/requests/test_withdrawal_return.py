"""A withdrawal's approval email says how to send the items back: the store's return address and steps."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cancellations.notifications.services import render_request_email
from cancellations.policy import StorePolicy, WithdrawalSettings
from cancellations.policy.services import save_policy
from cancellations.requests.actors import Actor
from cancellations.requests.services import approve_request
from cancellations.requests.submission import submit_request
from tenants.models import Store
from tenants.roles import Role
from tests.factories import make_member, make_order
from tests.requests.helpers import key, staff_actor

pytestmark = pytest.mark.django_db

RETURN_ADDRESS = "Alpha Shop Returns\nLagergatan 4\n123 45 Borås\nSweden"
STEPS = "Pack the items in their box and print the label from your order page. Postage is on us."


def approved_withdrawal(store):
    save_policy(store=store, actor=None, policy=StorePolicy(withdrawal=WithdrawalSettings(enabled=True)))
    order = make_order(store, delivered_at=timezone.now(), fulfillment_status="fulfilled")
    withdrawal = submit_request(
        store=store, order=order, actor=Actor.customer(order.email), kind="withdrawal", idempotency_key=key()
    )
    return approve_request(store=store, request_id=withdrawal.pk, actor=staff_actor(store))


def test_staff_set_the_return_address_and_steps_on_the_settings_page(client, store_a):
    client.force_login(make_member(store_a, Role.OWNER))
    form = client.get(f"/app/{store_a.slug}/settings/").content.decode()
    assert 'name="return_address"' in form and 'name="return_instructions"' in form

    data = {
        "name": store_a.name,
        "locale": store_a.locale,
        "timezone": store_a.timezone,
        "currency": store_a.currency,
        "accent_colour": store_a.accent_colour,
        "support_email": "",
        "return_address": RETURN_ADDRESS,
        "return_instructions": STEPS,
    }
    client.post(f"/app/{store_a.slug}/settings/", data)

    store = Store.objects.get(pk=store_a.pk)
    assert (store.return_address, store.return_instructions) == (RETURN_ADDRESS, STEPS)


def test_the_withdrawal_approval_email_says_where_and_how_to_send_the_items_back(store_a):
    Store.objects.filter(pk=store_a.pk).update(return_address=RETURN_ADDRESS, return_instructions=STEPS)
    request = approved_withdrawal(Store.objects.get(pk=store_a.pk))

    _subject, text, html = render_request_email(request, "approved")

    assert "How to send the items back" in text
    assert RETURN_ADDRESS in text and STEPS in text
    assert "Lagergatan 4<br>123 45 Borås" in html and STEPS in html
    assert "We are carrying it out now" not in text


def test_without_a_return_address_the_email_says_the_store_will_tell_them(store_a):
    request = approved_withdrawal(store_a)

    _subject, text, _html = render_request_email(request, "approved")

    assert "The store will tell you where to send the items." in text


def test_other_requests_approval_email_has_no_return_steps(store_a):
    Store.objects.filter(pk=store_a.pk).update(return_address=RETURN_ADDRESS)
    order = make_order(store_a)
    cancel = submit_request(
        store=store_a, order=order, actor=Actor.customer(order.email), kind="cancel", idempotency_key=key()
    )

    _subject, text, _html = render_request_email(cancel, "approved")

    assert "How to send the items back" not in text and "Lagergatan" not in text
