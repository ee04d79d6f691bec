"""Deciding from the queue: approve (with overrides), reject, assign, notes, retry, races and bulk."""

from __future__ import annotations

import re
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from cancellations.models import OrderRequest, RequestEvent, RequestNote, RequestStatus
from cancellations.orders.access import make_order_link_token
from cancellations.requests.execution import execute_request
from cancellations.requests.services import approve_request, reject_request
from tenants.roles import Role
from tests.factories import make_member, make_user
from tests.merchant.queue_helpers import make_request, queue_url, request_url
from tests.requests.helpers import pending_request, scripted, staff_actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(store_a):
    return make_member(store_a, Role.AGENT, email="agent@alpha.example")


@pytest.fixture
def staff(client, agent):
    client.force_login(agent)
    return client


def _status(request: OrderRequest) -> str:
    request.refresh_from_db()
    return request.status


def test_the_request_page_shows_the_order_change_trace_history_and_timeline(staff, store_a):
    request = pending_request(store_a, reason_text="Bought the wrong size")
    earlier = make_request(store_a, status=RequestStatus.REJECTED, email=request.order.email, name="#OLD-1")
    make_request(store_a, status=RequestStatus.COMPLETED, email="someone.else@example.com", name="#OTHER-1")

    body = staff.get(request_url(store_a, request)).content.decode()

    assert request.order.name in body
    assert "Bought the wrong size" in body
    assert "changed_mind" in body
    assert f'href="/app/{store_a.slug}/policy/versions/{request.policy_version}/"' in body
    for check in request.decision["trace"]:
        assert check["rule"] in body
    assert f'/queue/{earlier.pk}/"' in body and "#OLD-1" in body
    assert "#OTHER-1" not in body
    assert "Asked for" in body and "Sent for review" in body  # the timeline's events, in words


def test_an_agent_approves_and_the_change_is_carried_out(
    staff, store_a, agent, django_capture_on_commit_callbacks
):
    request = pending_request(store_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(request_url(store_a, request, "approve"))

    assert response.status_code == 302
    assert response["Location"] == request_url(store_a, request)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert request.decided_by == agent and request.resolution == "approved"
    approved = RequestEvent.objects.for_store(store_a).get(request=request, action="approved")
    assert approved.actor == agent and approved.actor_kind == "staff"
    assert approved.data == {}


def test_approving_can_override_the_fee_refund_method_and_amount(staff, store_a):
    request = pending_request(store_a)
    assert request.refund_method == "original" and request.fee == Decimal("0.00")

    response = staff.post(
        request_url(store_a, request, "approve"),
        {"refund_method": "store_credit", "fee": "4.50", "refund_amount": "20.00"},
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.refund_method, request.fee, request.refund_amount) == (
        "store_credit",
        Decimal("4.50"),
        Decimal("20.00"),
    )
    overrides = (
        RequestEvent.objects.for_store(store_a).get(request=request, action="approved").data["overrides"]
    )
    assert overrides["refund_method"] == {"before": "original", "after": "store_credit"}
    assert overrides["fee"] == {"before": "0.00", "after": "4.50"}


def test_unchanged_values_are_not_overrides(staff, store_a):
    request = pending_request(store_a)

    staff.post(
        request_url(store_a, request, "approve"),
        {"refund_method": "", "fee": str(request.fee), "refund_amount": str(request.refund_amount)},
    )

    assert RequestEvent.objects.for_store(store_a).get(request=request, action="approved").data == {}


def test_a_negative_fee_is_refused_and_nothing_is_decided(staff, store_a):
    request = pending_request(store_a)

    response = staff.post(request_url(store_a, request, "approve"), {"fee": "-1"})

    assert response.status_code == 400
    assert _status(request) == RequestStatus.PENDING_REVIEW


def test_a_rejection_message_reaches_the_customers_request_page(staff, store_a, client):
    request = pending_request(store_a)

    response = staff.post(
        request_url(store_a, request, "reject"), {"message": "This order has already been packed."}
    )

    assert response.status_code == 302
    assert _status(request) == RequestStatus.REJECTED
    customer = Client()
    token = make_order_link_token(request.order)
    page = customer.get(f"/s/{store_a.slug}/o/{token}/requests/{request.pk}/")
    assert page.status_code == 200
    assert "This order has already been packed." in page.content.decode()
    assert "Rejected" in page.content.decode()


def test_a_rejection_needs_a_message(staff, store_a):
    request = pending_request(store_a)

    response = staff.post(request_url(store_a, request, "reject"), {"message": "  "})

    assert response.status_code == 400
    assert _status(request) == RequestStatus.PENDING_REVIEW


def test_assigning_to_a_teammate_and_back_to_nobody(staff, store_a):
    colleague = make_member(store_a, Role.VIEWER, email="colleague@alpha.example")
    request = pending_request(store_a)

    assert staff.post(request_url(store_a, request, "assign"), {"assignee": colleague.pk}).status_code == 302
    request.refresh_from_db()
    assert request.assigned_to == colleague
    assert b"colleague@alpha.example" in staff.get(queue_url(store_a)).content

    staff.post(request_url(store_a, request, "assign"), {"assignee": ""})
    request.refresh_from_db()
    assert request.assigned_to is None
    events = RequestEvent.objects.for_store(store_a).filter(request=request, action="assigned")
    assert [e.data["after"] for e in events.order_by("at", "id")] == ["colleague@alpha.example", ""]


def test_only_the_stores_staff_can_be_assigned(staff, store_a, store_b):
    outsider = make_member(store_b, Role.AGENT)
    request = pending_request(store_a)

    response = staff.post(request_url(store_a, request, "assign"), {"assignee": outsider.pk})

    assert response.status_code == 400
    request.refresh_from_db()
    assert request.assigned_to is None


def test_an_internal_note_is_kept_and_shown_to_staff_only(staff, store_a, agent):
    request = pending_request(store_a)

    response = staff.post(
        request_url(store_a, request, "notes"), {"text": "Called the customer, wants refund."}
    )

    assert response.status_code == 302
    note = RequestNote.objects.for_store(store_a).get(request=request)
    assert note.author == agent
    assert "Called the customer" in staff.get(request_url(store_a, request)).content.decode()
    token = make_order_link_token(request.order)
    customer_page = Client().get(f"/s/{store_a.slug}/o/{token}/requests/{request.pk}/")
    assert "Called the customer" not in customer_page.content.decode()


def test_an_empty_note_is_refused(staff, store_a):
    request = pending_request(store_a)

    assert staff.post(request_url(store_a, request, "notes"), {"text": ""}).status_code == 400
    assert not RequestNote.objects.for_store(store_a).exists()


def test_a_failed_request_is_retried_from_its_page(
    staff, store_a, settings, django_capture_on_commit_callbacks
):
    request = pending_request(store_a)
    approve_request(store=store_a, request_id=request.pk, actor=staff_actor(store_a))
    with scripted(settings, "permanent"):
        execute_request(store=store_a, request_id=request.pk)
    assert _status(request) == RequestStatus.FAILED
    assert b"Try again" in staff.get(request_url(store_a, request)).content

    with scripted(settings) as platform, django_capture_on_commit_callbacks(execute=True):
        response = staff.post(request_url(store_a, request, "retry"))

    assert response.status_code == 302
    assert _status(request) == RequestStatus.COMPLETED
    assert platform.calls == ["cancel:ok"]


def test_the_second_of_two_staff_is_told_who_decided_and_how(store_a, agent):
    request = pending_request(store_a)
    first, second = Client(), Client()
    first.force_login(agent)
    second.force_login(make_member(store_a, Role.AGENT, email="second@alpha.example"))
    # Both have the page open.
    assert first.get(request_url(store_a, request)).status_code == 200
    assert second.get(request_url(store_a, request)).status_code == 200

    assert first.post(request_url(store_a, request, "approve")).status_code == 302
    response = second.post(request_url(store_a, request, "reject"), {"message": "No."})

    assert response.status_code == 409
    body = response.content.decode()
    assert re.search(r"Already decided by agent@alpha\.example \(approved\) at \w", body), body
    request.refresh_from_db()
    assert request.resolution == "approved" and request.customer_message == ""


@pytest.mark.django_db(transaction=True)
def test_two_staff_deciding_at_the_same_moment_one_wins_the_other_is_told(store_a, agent):
    request = pending_request(store_a)
    other = make_member(store_a, Role.AGENT, email="other@alpha.example")
    clients = []
    for person in (agent, other):
        client = Client()
        client.force_login(person)
        clients.append(client)
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def decide(index: int) -> None:
        try:
            barrier.wait()
            if index == 0:
                responses[index] = clients[0].post(request_url(store_a, request, "approve"))
            else:
                responses[index] = clients[1].post(
                    request_url(store_a, request, "reject"), {"message": "No."}
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    codes = sorted(response.status_code for response in responses)
    assert codes == [302, 409]
    request.refresh_from_db()
    loser = next(response for response in responses if response.status_code == 409)
    how = "approved" if request.resolution == "approved" else "rejected"
    assert f"Already decided by {request.decided_by_label} ({how}) at" in loser.content.decode()
    assert (
        RequestEvent.objects.for_store(store_a)
        .filter(request=request, action__in=["approved", "rejected"])
        .count()
        == 1
    )


def test_bulk_approval_reports_each_request(staff, store_a, store_b):
    waiting = [pending_request(store_a) for _ in range(3)]
    decided = pending_request(store_a)
    someone = staff_actor(store_a)
    reject_request(store=store_a, request_id=decided.pk, actor=someone, message="Too late.")
    theirs = make_request(store_b)

    response = staff.post(
        f"{queue_url(store_a)}bulk/",
        {"action": "approve", "request_ids": [*[r.pk for r in waiting], decided.pk, theirs.pk]},
    )

    assert response.status_code == 200
    body = response.content.decode()
    for request in waiting:
        assert _status(request) == RequestStatus.APPROVED
        assert re.search(rf"bulk-result--decided.*?#{request.pk}", body, re.S)
    who = re.escape(someone.label)
    assert re.search(
        rf"bulk-result--already_decided.*?#{decided.pk}.*?Already decided by {who} \(rejected\)", body, re.S
    )
    assert re.search(rf"bulk-result--not_found.*?#{theirs.pk}", body, re.S)
    assert "3 decided" in body and "1 already decided by someone else" in body and "1 not found" in body
    assert _status(decided) == RequestStatus.REJECTED
    assert _status(theirs) == RequestStatus.PENDING_REVIEW


def test_bulk_rejection_sends_the_message_to_each_customer(staff, store_a):
    waiting = [pending_request(store_a) for _ in range(2)]

    staff.post(
        f"{queue_url(store_a)}bulk/",
        {
            "action": "reject",
            "message": "We cannot change orders this week.",
            "request_ids": [r.pk for r in waiting],
        },
    )

    for request in waiting:
        request.refresh_from_db()
        assert request.status == RequestStatus.REJECTED
        assert request.customer_message == "We cannot change orders this week."


def test_bulk_rejection_needs_a_message(staff, store_a):
    request = pending_request(store_a)

    response = staff.post(f"{queue_url(store_a)}bulk/", {"action": "reject", "request_ids": [request.pk]})

    assert response.status_code == 302
    assert _status(request) == RequestStatus.PENDING_REVIEW
    assert b"Tell the customers why." in staff.get(queue_url(store_a)).content


def test_bulk_takes_at_most_500_requests(staff, store_a):
    request = pending_request(store_a)

    response = staff.post(
        f"{queue_url(store_a)}bulk/",
        {"action": "approve", "request_ids": [request.pk, *range(10_000_000, 10_000_500)]},
    )

    assert response.status_code == 302
    assert _status(request) == RequestStatus.PENDING_REVIEW
    assert b"Choose at most 500 requests at a time (you chose 501)." in staff.get(queue_url(store_a)).content


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_bulk_with_nothing_chosen_says_so_and_decides_nothing(staff, store_a, action):
    request = pending_request(store_a)
    events = RequestEvent.objects.for_store(store_a).count()

    response = staff.post(f"{queue_url(store_a)}bulk/", {"action": action, "message": "No."}, follow=True)

    assert response.redirect_chain[-1][0] == queue_url(store_a)
    assert "Nothing was chosen: tick at least one request in the list." in response.content.decode()
    assert _status(request) == RequestStatus.PENDING_REVIEW
    assert RequestEvent.objects.for_store(store_a).count() == events


@pytest.mark.parametrize("action", ["approve", "reject", "assign", "notes", "retry"])
def test_a_viewer_cannot_decide_assign_or_note(client, store_a, action):
    client.force_login(make_member(store_a, Role.VIEWER))
    request = pending_request(store_a)

    response = client.post(
        request_url(store_a, request, action), {"message": "No.", "text": "Hi", "assignee": ""}
    )

    assert response.status_code == 403
    assert _status(request) == RequestStatus.PENDING_REVIEW
    assert not RequestNote.objects.for_store(store_a).exists()


def test_a_viewer_cannot_decide_in_bulk(client, store_a):
    client.force_login(make_member(store_a, Role.VIEWER))
    request = pending_request(store_a)

    response = client.post(f"{queue_url(store_a)}bulk/", {"action": "approve", "request_ids": [request.pk]})

    assert response.status_code == 403
    assert _status(request) == RequestStatus.PENDING_REVIEW


def test_a_customer_cannot_reach_the_staff_pages_of_their_own_request(client, store_a):
    request = pending_request(store_a)
    client.force_login(make_user(request.order.email))

    assert client.get(request_url(store_a, request)).status_code == 404
    assert client.post(request_url(store_a, request, "approve")).status_code == 404
    assert _status(request) == RequestStatus.PENDING_REVIEW
