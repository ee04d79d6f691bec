"""Staff decide, customers withdraw, staff retry, assign and note: each once, by whoever may."""

from __future__ import annotations

import pytest

from cancellations.models import Notification, RequestEvent
from cancellations.requests.actors import Actor
from cancellations.requests.errors import AlreadyDecided, InvalidRequest, TransitionNotAllowed
from cancellations.requests.selectors import customer_requests, request_timeline
from cancellations.requests.services import (
    add_request_note,
    approve_request,
    assign_request,
    reject_request,
    retry_request,
    withdraw_request,
)
from tenants.errors import NotFound, PermissionDenied
from tenants.roles import Role
from tests.factories import grant, make_agency, make_agency_member, make_user
from tests.requests.helpers import pending_request, staff_actor

pytestmark = pytest.mark.django_db


def test_staff_approve_and_the_request_is_carried_out(store_a, django_capture_on_commit_callbacks):
    request = pending_request(store_a)
    staff = staff_actor(store_a)

    with django_capture_on_commit_callbacks(execute=True):
        approve_request(store=store_a, request_id=request.pk, actor=staff)

    request.refresh_from_db()
    assert request.status == "completed"
    assert (request.resolution, request.decided_by, request.decided_by_label) == (
        "approved",
        staff.user,
        staff.label,
    )
    assert request.order.line_items.exists()
    request.order.refresh_from_db()
    assert request.order.is_cancelled


def test_approval_may_change_the_refund_and_says_what_changed(store_a):
    request = pending_request(store_a)

    approve_request(
        store=store_a,
        request_id=request.pk,
        actor=staff_actor(store_a),
        overrides={"refund_method": "store_credit", "fee": "5.00"},
    )

    request.refresh_from_db()
    assert (request.refund_method, str(request.fee)) == ("store_credit", "5.00")
    event = RequestEvent.objects.for_store(store_a).get(request=request, action="approved")
    assert event.data["overrides"]["fee"] == {"before": "0.00", "after": "5.00"}
    with pytest.raises(InvalidRequest):
        approve_request(
            store=store_a,
            request_id=pending_request(store_a).pk,
            actor=staff_actor(store_a),
            overrides={"total": 1},
        )


def test_reject_needs_a_reason_and_keeps_it_for_the_customer(store_a):
    request = pending_request(store_a)
    staff = staff_actor(store_a)

    with pytest.raises(InvalidRequest):
        reject_request(store=store_a, request_id=request.pk, actor=staff, message="  ")
    reject_request(store=store_a, request_id=request.pk, actor=staff, message="Already packed, sorry.")

    request.refresh_from_db()
    assert (request.status, request.resolution, request.customer_message) == (
        "rejected",
        "rejected",
        "Already packed, sorry.",
    )
    assert Notification.objects.for_store(store_a).filter(request=request, template="rejected").exists()


def test_a_second_decision_names_who_decided_how_and_when(store_a):
    request = pending_request(store_a)
    first, second = staff_actor(store_a), staff_actor(store_a)
    approve_request(store=store_a, request_id=request.pk, actor=first)

    with pytest.raises(AlreadyDecided) as refused:
        reject_request(store=store_a, request_id=request.pk, actor=second, message="No")

    error = refused.value
    assert error.code == "already_decided"
    assert error.decided_by == first.label and error.resolution == "approved" and error.decided_at is not None
    assert first.label in error.message
    # the same person approving again (a double click) is answered with the request, not an error
    assert approve_request(store=store_a, request_id=request.pk, actor=first).pk == request.pk
    assert RequestEvent.objects.for_store(store_a).filter(request=request, action="approved").count() == 1


def test_viewers_and_customers_cannot_decide(store_a):
    request = pending_request(store_a)

    with pytest.raises(PermissionDenied):
        approve_request(store=store_a, request_id=request.pk, actor=staff_actor(store_a, Role.VIEWER))
    with pytest.raises(PermissionDenied):
        reject_request(
            store=store_a, request_id=request.pk, actor=Actor.customer(request.order.email), message="x"
        )


def test_agency_staff_decide_under_their_own_kind(store_a):
    agency = make_agency()
    grant(store_a, agency, Role.AGENT)
    user = make_agency_member(agency)
    from tenants.access import staff_access

    actor = Actor.staff(staff_access(user=user, store=store_a))
    request = pending_request(store_a)

    approve_request(store=store_a, request_id=request.pk, actor=actor)

    event = RequestEvent.objects.for_store(store_a).get(request=request, action="approved")
    assert (event.actor_kind, event.actor) == ("agency_staff", user)
    assert agency.name in event.actor_label


def test_the_customer_withdraws_a_request_waiting_for_review(store_a):
    request = pending_request(store_a)
    customer = Actor.customer(request.order.email)

    withdraw_request(store=store_a, request_id=request.pk, actor=customer)
    again = withdraw_request(store=store_a, request_id=request.pk, actor=customer)

    assert again.status == "withdrawn"
    assert RequestEvent.objects.for_store(store_a).filter(request=request, action="withdrawn").count() == 1


def test_only_the_requests_customer_may_withdraw_it_and_not_once_decided(store_a):
    request = pending_request(store_a)

    with pytest.raises(NotFound):
        withdraw_request(store=store_a, request_id=request.pk, actor=Actor.customer("someone@else.example"))
    with pytest.raises(PermissionDenied):
        withdraw_request(store=store_a, request_id=request.pk, actor=staff_actor(store_a))
    signed_in = make_user(request.order.email.upper().replace("@", "+x@"))
    with pytest.raises(NotFound):
        withdraw_request(store=store_a, request_id=request.pk, actor=Actor.customer(signed_in))

    approve_request(store=store_a, request_id=request.pk, actor=staff_actor(store_a))
    with pytest.raises(AlreadyDecided):
        withdraw_request(store=store_a, request_id=request.pk, actor=Actor.customer(request.order.email))


def test_retry_is_only_for_failed_requests(store_a):
    request = pending_request(store_a)

    with pytest.raises(TransitionNotAllowed):
        retry_request(store=store_a, request_id=request.pk, actor=staff_actor(store_a))


def test_assign_to_staff_only_and_log_it(store_a, store_b):
    request = pending_request(store_a)
    staff = staff_actor(store_a)
    colleague = staff_actor(store_a).user
    outsider = staff_actor(store_b).user

    assign_request(store=store_a, request_id=request.pk, actor=staff, assignee=colleague)
    assign_request(store=store_a, request_id=request.pk, actor=staff, assignee=colleague)
    with pytest.raises(InvalidRequest):
        assign_request(store=store_a, request_id=request.pk, actor=staff, assignee=outsider)

    request.refresh_from_db()
    assert request.assigned_to == colleague
    assert RequestEvent.objects.for_store(store_a).filter(request=request, action="assigned").count() == 1


def test_notes_are_for_staff_and_appear_on_the_timeline(store_a):
    request = pending_request(store_a)
    staff = staff_actor(store_a, Role.VIEWER)

    note = add_request_note(store=store_a, request_id=request.pk, actor=staff, text="Called the customer.")
    with pytest.raises(PermissionDenied):
        add_request_note(
            store=store_a, request_id=request.pk, actor=Actor.customer(request.order.email), text="hi"
        )

    timeline = request_timeline(store=store_a, request_id=request.pk)
    assert [n.text for n in timeline.notes] == ["Called the customer."]
    assert timeline.events[-1].action == "note_added" and timeline.events[-1].data == {"note_id": note.pk}


def test_customer_requests_are_their_own_at_this_store(store_a, store_b):
    mine = pending_request(store_a)
    pending_request(store_b)

    assert list(customer_requests(store=store_a, emails=[mine.order.email.upper()])) == [mine]
    assert list(customer_requests(store=store_a, emails=["nobody@example.com"])) == []


SERVICES = {
    "approve": lambda store, rid, staff: approve_request(store=store, request_id=rid, actor=staff),
    "reject": lambda store, rid, staff: reject_request(
        store=store, request_id=rid, actor=staff, message="no"
    ),
    "retry": lambda store, rid, staff: retry_request(store=store, request_id=rid, actor=staff),
    "assign": lambda store, rid, staff: assign_request(
        store=store, request_id=rid, actor=staff, assignee=None
    ),
    "note": lambda store, rid, staff: add_request_note(store=store, request_id=rid, actor=staff, text="x"),
    "timeline": lambda store, rid, staff: request_timeline(store=store, request_id=rid),
}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_another_stores_request_is_not_found_by_any_service(store_a, store_b, service):
    theirs = pending_request(store_b)
    staff = staff_actor(store_a, Role.OWNER)

    with pytest.raises(NotFound):
        SERVICES[service](store_a, theirs.pk, staff)
    theirs.refresh_from_db()
    assert theirs.status == "pending_review"
    assert RequestEvent.objects.for_store(store_b).filter(request=theirs).count() == 2


def test_a_customer_of_another_store_cannot_withdraw(store_a, store_b):
    theirs = pending_request(store_b)

    with pytest.raises(NotFound):
        withdraw_request(store=store_a, request_id=theirs.pk, actor=Actor.customer(theirs.order.email))
