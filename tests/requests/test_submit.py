"""Submitting: the policy decides, the same key gives the same request, one open request per kind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.models import OrderRequest, RequestEvent
from cancellations.requests.actors import Actor
from cancellations.requests.errors import IdempotencyKeyReused, InvalidRequest, RequestAlreadyOpen
from cancellations.requests.selectors import request_timeline, requests_for_order
from cancellations.requests.submission import preview_action, submit_request
from tenants.errors import NotFound
from tests.factories import make_order
from tests.requests.helpers import key, pending_request, review_everything

pytestmark = pytest.mark.django_db


def _submit(store, order, **fields):
    fields.setdefault("idempotency_key", key())
    fields.setdefault("kind", "cancel")
    fields.setdefault("reason_code", "changed_mind")
    return submit_request(store=store, order=order, actor=Actor.customer(order.email), **fields)


def test_an_allowed_cancellation_is_approved_by_the_policy_and_carried_out(
    store_a, django_capture_on_commit_callbacks
):
    order = make_order(store_a)

    with django_capture_on_commit_callbacks(execute=True):
        request = _submit(store_a, order)

    request.refresh_from_db()
    order.refresh_from_db()
    assert request.status == "completed"
    assert request.resolution == "auto_approved"
    assert request.decision["outcome"] == "allowed" and request.decision["trace"]
    assert request.policy_version == 0
    assert order.is_cancelled
    actions = [e.action for e in request_timeline(store=store_a, request_id=request.pk).events]
    assert actions == ["submitted", "auto_approved", "execution_started", "completed"]


def test_a_request_the_policy_reviews_waits_for_staff_and_records_why(store_a):
    review_everything(store_a)
    order = make_order(store_a)

    request = _submit(store_a, order, reason_text="Wrong size")

    assert request.status == "pending_review"
    assert request.policy_version == 1
    assert [r["code"] for r in request.decision["reasons"]] == ["always_review"]
    assert request.requester_kind == "customer" and request.requester_label == order.email
    assert request.refund_amount == order.total and request.refund_method == "original"


def test_a_request_the_policy_does_not_allow_is_denied_with_the_reasons(store_a):
    order = make_order(store_a, fulfillment_status="fulfilled")

    request = _submit(store_a, order)

    assert request.status == "denied" and request.resolution == "denied"
    assert "fulfilled" in [r["code"] for r in request.decision["reasons"]]
    assert request.customer_message
    # a denied request is closed: the customer may ask again (and be told again)
    assert _submit(store_a, order).status == "denied"


def test_the_same_key_returns_the_first_request_and_writes_nothing_more(store_a):
    order = make_order(store_a)
    review_everything(store_a)
    same = key()

    first = _submit(store_a, order, idempotency_key=same)
    again = _submit(store_a, order, idempotency_key=same)

    assert again.pk == first.pk
    assert OrderRequest.objects.for_store(store_a).count() == 1
    assert RequestEvent.objects.for_store(store_a).filter(action="submitted").count() == 1


def test_a_key_reused_for_another_order_is_refused(store_a):
    review_everything(store_a)
    same = key()
    _submit(store_a, make_order(store_a), idempotency_key=same)

    with pytest.raises(IdempotencyKeyReused):
        _submit(store_a, make_order(store_a), idempotency_key=same)


def test_a_second_open_request_of_the_same_kind_names_the_first(store_a):
    first = pending_request(store_a)

    with pytest.raises(RequestAlreadyOpen) as refused:
        _submit(store_a, first.order)

    assert refused.value.request.pk == first.pk
    assert refused.value.code == "request_already_open"
    # another kind is another matter
    edit = _submit(
        store_a,
        first.order,
        kind="edit",
        changes=[
            {"kind": "address", "address": {"address1": "New St 2", "city": "Malmö", "country_code": "SE"}}
        ],
    )
    assert edit.status in ("pending_review", "auto_approved", "completed")


def test_an_edit_records_its_lines_in_order_with_the_price_difference(store_a):
    order = make_order(store_a, lines=2)
    _first, second = order.line_items.all()
    review_everything(store_a)

    request = _submit(
        store_a,
        order,
        kind="edit",
        changes=[
            {"kind": "address", "address": {"address1": "New St 2", "city": "Malmö", "country_code": "SE"}},
            {"kind": "remove", "line_id": second.pk},
        ],
    )

    changes = list(request.changes.all())
    assert [(c.position, c.kind) for c in changes] == [(0, "address"), (1, "remove")]
    assert changes[1].line_platform_id == second.platform_id
    assert changes[1].price_difference == -second.line_total
    # removing a line is off by default, so the edit as a whole is not allowed
    assert request.status == "denied"


def test_an_edit_needs_changes_and_known_lines(store_a, store_b):
    order = make_order(store_a)
    other_line = make_order(store_b).line_items.first()

    with pytest.raises(InvalidRequest):
        _submit(store_a, order, kind="edit", changes=[])
    with pytest.raises(InvalidRequest):
        _submit(store_a, order, kind="edit", changes=[{"kind": "remove", "line_id": other_line.pk}])


def test_preview_decides_without_writing(store_a):
    order = make_order(store_a)

    decision = preview_action(store=store_a, order=order, kind="cancel", now=timezone.now())
    edit = preview_action(store=store_a, order=order, kind="edit")

    assert decision.allowed
    assert edit.available  # the address can be changed by default
    assert OrderRequest.objects.for_store(store_a).count() == 0


def test_preview_of_a_closed_window_says_why(store_a):
    order = make_order(store_a, placed_at=timezone.now() - timedelta(days=3), fulfillment_status="fulfilled")

    decision = preview_action(store=store_a, order=order, kind="cancel")

    assert not decision.available and "fulfilled" in decision.codes


def test_another_stores_order_is_not_found(store_a, store_b):
    order_b = make_order(store_b)

    with pytest.raises(NotFound):
        _submit(store_a, order_b)
    with pytest.raises(NotFound):
        preview_action(store=store_a, order=order_b, kind="cancel")
    with pytest.raises(NotFound):
        list(requests_for_order(store=store_a, order=order_b))
