"""The transition table: every allowed move is allowed, every other one refused, by the services too."""

from __future__ import annotations

import itertools

import pytest

from cancellations.models import OrderRequest, RequestEvent, RequestStatus
from cancellations.models.requests import OPEN_STATUSES, TRANSITIONS, can_transition
from cancellations.requests.actors import Actor
from cancellations.requests.errors import AlreadyDecided, TransitionNotAllowed
from cancellations.requests.lifecycle import transition
from tenants.errors import Conflict
from tests.factories import make_order
from tests.requests.helpers import key

S = RequestStatus
ALLOWED = {
    (S.SUBMITTED, S.AUTO_APPROVED),
    (S.SUBMITTED, S.PENDING_REVIEW),
    (S.SUBMITTED, S.DENIED),
    (S.PENDING_REVIEW, S.APPROVED),
    (S.PENDING_REVIEW, S.REJECTED),
    (S.PENDING_REVIEW, S.WITHDRAWN),
    (S.AUTO_APPROVED, S.EXECUTING),
    (S.APPROVED, S.EXECUTING),
    (S.EXECUTING, S.COMPLETED),
    (S.EXECUTING, S.FAILED),
    (S.FAILED, S.EXECUTING),
}
EVERY_PAIR = list(itertools.product(S.values, S.values))


def test_the_table_is_the_diagram_and_names_every_status():
    assert set(TRANSITIONS) == set(S.values)
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED
    # Every status that is not final is open: it blocks a second request of its kind for the order.
    assert set(OPEN_STATUSES) == {
        S.SUBMITTED,
        S.AUTO_APPROVED,
        S.PENDING_REVIEW,
        S.APPROVED,
        S.EXECUTING,
        S.FAILED,
    }


@pytest.mark.parametrize(("from_status", "to_status"), EVERY_PAIR)
def test_can_transition_follows_the_table(from_status, to_status):
    assert can_transition(from_status, to_status) == ((from_status, to_status) in ALLOWED)


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), EVERY_PAIR)
def test_a_move_writes_the_status_and_one_event_or_is_refused_and_writes_nothing(
    store_a, from_status, to_status
):
    order = make_order(store_a)
    request = OrderRequest.objects.create(
        store=store_a,
        order=order,
        kind="cancel",
        status=from_status,
        requester_kind="customer",
        idempotency_key=key(),
    )

    if (from_status, to_status) in ALLOWED:
        transition(request, to_status, actor=Actor.system(), action="test")
        request.refresh_from_db()
        assert request.status == to_status
        event = RequestEvent.objects.for_store(store_a).get(request=request)
        assert (event.from_status, event.to_status) == (from_status, to_status)
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            transition(request, to_status, actor=Actor.system(), action="test")
        assert refused.value.code == "transition_not_allowed"
        request.refresh_from_db()
        assert request.status == from_status
        assert not RequestEvent.objects.for_store(store_a).filter(request=request).exists()


def test_refusals_are_conflicts_with_stable_codes():
    assert issubclass(AlreadyDecided, Conflict) and issubclass(TransitionNotAllowed, Conflict)
    assert (AlreadyDecided.code, TransitionNotAllowed.code) == ("already_decided", "transition_not_allowed")
