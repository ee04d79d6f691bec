"""Running rules on an order event: every action, ordering and stop, dry-run, once per event, per store."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from cancellations.models import (
    Notification,
    OrderRequest,
    Refund,
    RequestEvent,
    RequestNote,
    RuleMatch,
)
from cancellations.platforms.base import CancelReason
from cancellations.policy import ApprovalRules, StorePolicy
from cancellations.policy.services import save_policy
from cancellations.requests.actors import Actor
from cancellations.requests.selectors import cancel_options_for
from cancellations.requests.submission import submit_request
from cancellations.rules.engine import run_rules
from cancellations.rules.services import add_forwarder, move_rule
from tenants.errors import NotFound
from tenants.models import StoreAuditEvent
from tenants.roles import Role
from tests.factories import make_member, make_order
from tests.rules.helpers import HIGH_RISK, make_rule, risky_order

pytestmark = pytest.mark.django_db

CANCEL = {
    "type": "cancel",
    "reason": "fraud",
    "refund": "store_credit",
    "restock": True,
    "notify": False,
    "staff_note": "Fraud rule",
}


def _run(store, order, trigger="order_created", key="order_created:1"):
    return run_rules(store=store, order=order, trigger=trigger, event_key=key)


# --- cancel ----------------------------------------------------------------------------------------


def test_a_cancel_rule_makes_a_request_as_the_rule_approves_it_and_the_order_is_cancelled(
    store_a, django_capture_on_commit_callbacks
):
    rule = make_rule(store_a, name="Fraud", actions=[CANCEL])
    order = risky_order(store_a)

    with django_capture_on_commit_callbacks(execute=True):
        [match] = _run(store_a, order)

    request = OrderRequest.objects.for_store(store_a).get()
    assert match.request == request and match.rule == rule and not match.dry_run
    assert match.actions[0]["result"] == "created" and match.actions[0]["request_id"] == request.pk
    assert (request.requester_kind, request.requester_label) == ("rule", f"Fraud (rule {rule.pk})")
    assert (request.kind, request.status, request.resolution) == ("cancel", "completed", "approved")
    assert request.decided_by_label == f"Fraud (rule {rule.pk})"
    order.refresh_from_db()
    assert order.is_cancelled
    assert Refund.objects.for_store(store_a).get().method == "store_credit"
    events = list(
        RequestEvent.objects.for_store(store_a).filter(request=request).values_list("action", "actor_kind")
    )
    assert events[:4] == [
        ("submitted", "rule"),
        ("held_by_rule", "rule"),
        ("note_added", "rule"),
        ("approved", "rule"),
    ]
    assert ("completed", "system") in events
    assert RequestNote.objects.for_store(store_a).get(request=request).text == "Fraud rule"
    # The customer asked for nothing: without "notify", no "approved" email is owed to them.
    assert not Notification.objects.for_store(store_a).filter(template="approved").exists()
    audit = StoreAuditEvent.objects.for_store(store_a).get(action="rule.matched")
    assert audit.data["rule_id"] == rule.pk and audit.data["order_id"] == order.pk


def test_the_rules_cancel_options_are_kept_for_the_platform_call(store_a, django_capture_on_commit_callbacks):
    make_rule(store_a, actions=[{**CANCEL, "notify": True, "restock": False}])
    order = risky_order(store_a)
    with django_capture_on_commit_callbacks(execute=True):
        _run(store_a, order)
    request = OrderRequest.objects.for_store(store_a).get()

    options = cancel_options_for(store=store_a, request=request)

    assert options is not None
    call = options.cancel_request(order.platform_id)
    assert (call.reason, call.refund, call.restock, call.notify_customer, call.staff_note) == (
        CancelReason.FRAUD,
        "store_credit",
        False,
        True,
        "Fraud rule",
    )
    assert Notification.objects.for_store(store_a).filter(template="approved").exists()


def test_a_customers_request_has_no_rule_cancel_options(store_a):
    order = make_order(store_a)
    request = submit_request(
        store=store_a, order=order, actor=Actor.customer(order.email), kind="cancel", idempotency_key="k-1"
    )
    assert cancel_options_for(store=store_a, request=request) is None


def test_a_cancel_rule_acts_even_where_the_customer_policy_refuses_cancellation(
    store_a, django_capture_on_commit_callbacks
):
    policy = StorePolicy()
    save_policy(
        store=store_a, actor=None, policy=replace(policy, cancel=replace(policy.cancel, enabled=False))
    )
    make_rule(store_a, actions=[CANCEL])
    order = risky_order(store_a)

    with django_capture_on_commit_callbacks(execute=True):
        _run(store_a, order)

    order.refresh_from_db()
    assert order.is_cancelled
    assert OrderRequest.objects.for_store(store_a).get().status == "completed"


# --- hold --------------------------------------------------------------------------------------------


def test_a_hold_rule_puts_a_pending_request_in_the_queue_for_staff(
    store_a, django_capture_on_commit_callbacks
):
    agent = make_member(store_a, Role.AGENT)
    rule = make_rule(store_a, name="Forwarders", actions=[{"type": "hold", "note": "Check the address."}])
    order = risky_order(store_a)

    with django_capture_on_commit_callbacks(execute=True):
        [match] = _run(store_a, order)

    request = match.request
    assert (request.status, request.requester_kind, request.resolution) == ("pending_review", "rule", "")
    assert request.requester_label == f"Forwarders (rule {rule.pk})"
    assert request.decision["rule"] == {"id": rule.pk, "name": "Forwarders", "action": "hold"}
    assert RequestNote.objects.for_store(store_a).get(request=request).text == "Check the address."
    order.refresh_from_db()
    assert not order.is_cancelled
    waiting = Notification.objects.for_store(store_a).filter(template="staff_waiting", recipient=agent.email)
    assert waiting.exists()
    assert not Notification.objects.for_store(store_a).filter(channel="customer_email").exists()


def test_a_hold_on_an_order_with_an_open_request_keeps_that_request(store_a):
    policy = StorePolicy()
    reviewed = replace(policy.cancel, approval=ApprovalRules(always=True))
    save_policy(store=store_a, actor=None, policy=replace(policy, cancel=reviewed))
    order = risky_order(store_a)
    customer_request = submit_request(
        store=store_a, order=order, actor=Actor.customer(order.email), kind="cancel", idempotency_key="k-2"
    )
    assert customer_request.status == "pending_review"
    make_rule(store_a)

    [match] = _run(store_a, order)

    assert match.actions[0]["result"] == "already_open"
    assert match.request == customer_request
    assert OrderRequest.objects.for_store(store_a).count() == 1


# --- tag and notify -------------------------------------------------------------------------------


def test_a_tag_rule_tags_the_order_once(store_a):
    make_rule(store_a, triggers=["order_created", "order_updated"], actions=[{"type": "tag", "tag": "Risky"}])
    order = risky_order(store_a, tags=["vip"])

    [first] = _run(store_a, order)
    [second] = _run(store_a, order, trigger="order_updated", key="order_updated:2")

    order.refresh_from_db()
    assert order.tags == ["vip", "Risky"]
    assert first.actions[0]["result"] == "added"
    assert second.actions[0]["result"] == "already_tagged"


def test_a_notify_rule_emails_the_staff_who_decide_requests(store_a, django_capture_on_commit_callbacks):
    deciders = {make_member(store_a, role).email for role in (Role.AGENT, Role.ADMIN, Role.OWNER)}
    viewer = make_member(store_a, Role.VIEWER)
    make_rule(store_a, name="Big risk", actions=[{"type": "notify_staff", "message": "Call the bank."}])
    order = risky_order(store_a)

    with django_capture_on_commit_callbacks(execute=True):
        [match] = _run(store_a, order)

    assert match.actions[0] == {
        "type": "notify_staff",
        "message": "Call the bank.",
        "result": "emailed",
        "recipients": 3,
    }
    assert {message.to[0] for message in mail.outbox} == deciders
    assert viewer.email not in {message.to[0] for message in mail.outbox}
    sent = mail.outbox[0]
    assert "Big risk" in sent.subject and order.name in sent.subject
    assert "Call the bank." in sent.body and f"/app/{store_a.slug}/orders/{order.pk}/" in sent.body


def test_a_hold_and_notify_rule_names_the_request_in_the_email(store_a, django_capture_on_commit_callbacks):
    make_member(store_a, Role.OWNER)
    make_rule(store_a, actions=[{"type": "notify_staff"}, {"type": "hold"}])
    with django_capture_on_commit_callbacks(execute=True):
        [match] = _run(store_a, risky_order(store_a))
    assert [a["type"] for a in match.actions] == ["hold", "notify_staff"]
    rule_mail = [m for m in mail.outbox if "matched order" in m.subject]
    assert f"#{match.request_id}" in rule_mail[0].body


# --- dry-run, order, stop, once per event -----------------------------------------------------------


def test_a_dry_run_records_what_it_would_do_and_does_nothing(store_a, django_capture_on_commit_callbacks):
    make_member(store_a, Role.OWNER)
    make_rule(
        store_a,
        dry_run=True,
        actions=[CANCEL, {"type": "tag", "tag": "x"}, {"type": "notify_staff"}],
    )
    order = risky_order(store_a)

    with django_capture_on_commit_callbacks(execute=True):
        [match] = _run(store_a, order)

    assert match.dry_run and match.outcome == "dry_run" and match.request is None
    assert [(a["type"], a["result"]) for a in match.actions] == [
        ("tag", "would_do"),
        ("cancel", "would_do"),
        ("notify_staff", "would_do"),
    ]
    order.refresh_from_db()
    assert order.tags == [] and not order.is_cancelled
    assert not OrderRequest.objects.for_store(store_a).exists()
    assert mail.outbox == []
    assert not StoreAuditEvent.objects.for_store(store_a).filter(action="rule.matched").exists()


def test_rules_run_in_order_and_a_rule_can_stop_later_ones(store_a):
    first = make_rule(store_a, name="First", stop_after_match=True, actions=[{"type": "tag", "tag": "first"}])
    second = make_rule(store_a, name="Second", actions=[{"type": "tag", "tag": "second"}])
    order = risky_order(store_a)

    assert [m.rule for m in _run(store_a, order, key="e1")] == [first]

    move_rule(store=store_a, rule_id=second.pk, actor=None, offset=-1)
    assert [m.rule for m in _run(store_a, order, key="e2")] == [second, first]
    order.refresh_from_db()
    assert order.tags == ["first", "second"]


def test_a_dry_run_rule_does_not_stop_the_live_rules_after_it(store_a):
    trial = make_rule(store_a, dry_run=True, stop_after_match=True, actions=[{"type": "tag", "tag": "a"}])
    live = make_rule(store_a, actions=[{"type": "tag", "tag": "b"}])
    assert [m.rule for m in _run(store_a, risky_order(store_a))] == [trial, live]


def test_a_later_rule_sees_the_tag_an_earlier_one_added(store_a):
    make_rule(store_a, actions=[{"type": "tag", "tag": "flagged"}])
    follower = make_rule(
        store_a, conditions=[{"type": "order_tag", "values": ["flagged"]}], actions=[{"type": "notify_staff"}]
    )
    matches = _run(store_a, risky_order(store_a))
    assert follower in [m.rule for m in matches]


def test_a_rule_acts_once_per_order_event(store_a, django_capture_on_commit_callbacks):
    make_rule(store_a, triggers=["order_created", "order_updated"], actions=[{"type": "hold"}])
    order = risky_order(store_a)

    with django_capture_on_commit_callbacks(execute=True):
        [first] = _run(store_a, order, key="order_created:2026-01-01T00:00:00+00:00")
        [again] = _run(store_a, order, key="order_created:2026-01-01T00:00:00+00:00")
        [later] = _run(store_a, order, trigger="order_updated", key="order_updated:2026-01-02T00:00:00+00:00")

    assert again.pk == first.pk
    assert later.pk != first.pk
    assert RuleMatch.objects.for_store(store_a).count() == 2
    # The later event finds the hold from the first still open and leaves it as it is.
    assert later.actions[0]["result"] == "already_open" and later.request == first.request
    assert OrderRequest.objects.for_store(store_a).count() == 1


def test_only_switched_on_rules_for_the_trigger_run(store_a):
    make_rule(store_a, enabled=False)
    make_rule(store_a, triggers=["risk_assessed"])
    order = risky_order(store_a)
    assert _run(store_a, order) == []
    assert len(_run(store_a, order, trigger="risk_assessed", key="risk_assessed:w-1")) == 1


def test_rules_leave_cancelled_orders_alone(store_a):
    make_rule(store_a)
    assert _run(store_a, risky_order(store_a, cancelled_at=timezone.now())) == []


def test_an_order_that_meets_no_condition_is_not_matched(store_a):
    make_rule(store_a)
    assert _run(store_a, make_order(store_a, risk_level="low")) == []
    assert not RuleMatch.objects.for_store(store_a).exists()


# --- conditions that read the database -------------------------------------------------------------


def test_orders_by_the_same_customer_are_counted_over_the_days_asked(store_a):
    make_rule(
        store_a,
        conditions=[{"type": "customer_orders", "days": 7, "at_least": 3}],
        actions=[{"type": "tag", "tag": "repeat"}],
    )
    now = timezone.now()
    make_order(store_a, email="sam@example.com", placed_at=now - timedelta(days=30))  # too long ago
    make_order(store_a, email="sam@example.com", placed_at=now - timedelta(days=3))
    make_order(store_a, email="other@example.com", placed_at=now - timedelta(days=1))
    second = make_order(store_a, email="sam@example.com", placed_at=now - timedelta(hours=2))
    assert _run(store_a, second, key="a") == []
    third = make_order(store_a, email="sam@example.com", placed_at=now - timedelta(hours=1))
    [match] = _run(store_a, third, key="b")
    assert match.conditions[0]["detail"] == "3"


def test_an_order_to_a_listed_forwarder_is_matched(store_a):
    add_forwarder(
        store=store_a,
        actor=None,
        values={"label": "ShipFwd", "address1": "4100 NW 120th Ave", "zip": "33178", "country_code": "US"},
    )
    make_rule(store_a, conditions=[{"type": "freight_forwarder"}])
    to_forwarder = make_order(
        store_a,
        shipping_address={
            "address1": "4100 Northwest 120th Avenue",
            "address2": "Suite 5511",
            "zip": "33178-2001",
            "country_code": "us",
        },
    )
    assert len(_run(store_a, to_forwarder)) == 1
    assert _run(store_a, make_order(store_a)) == []


def test_a_big_order_condition_reads_the_total(store_a):
    make_rule(store_a, conditions=[{"type": "total_above", "amount": "30.00"}, HIGH_RISK], match="all")
    small = risky_order(store_a, lines=1)
    big = risky_order(store_a, lines=2)
    assert small.total < Decimal("30") < big.total
    assert _run(store_a, small) == []
    assert len(_run(store_a, big)) == 1


# --- stores -----------------------------------------------------------------------------------------


def test_another_stores_rules_never_run_on_this_stores_orders(store_a, store_b):
    make_rule(store_b, actions=[{"type": "tag", "tag": "bravo"}])
    order = risky_order(store_a)

    assert _run(store_a, order) == []
    with pytest.raises(NotFound):
        _run(store_b, order)

    order.refresh_from_db()
    assert order.tags == []
    assert not RuleMatch.objects.for_store(store_b).exists()
