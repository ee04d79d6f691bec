"""Order requests through the API: list and filter, read, make on a customer's behalf, approve, reject."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cancellations.models import OrderRequest, RequestEvent
from tenants.roles import Role, Scope
from tests.api.conftest import TokenClient, agency_token
from tests.factories import grant, make_agency, make_order
from tests.requests.helpers import pending_request, review_everything

pytestmark = pytest.mark.django_db


def _requests(store) -> str:
    return f"/api/v1/stores/{store.slug}/requests/"


def test_requests_list_newest_first_and_filter(api_a, store_a):
    first = pending_request(store_a)
    second = pending_request(store_a, kind="reorder")
    OrderRequest.objects.for_store(store_a).filter(pk=first.pk).update(
        requested_at=timezone.now() - timedelta(days=2)
    )

    def ids(params=None) -> list[int]:
        response = api_a.get(_requests(store_a), params or {})
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [second.pk, first.pk]
    assert ids({"kind": "cancel"}) == [first.pk]
    assert ids({"status": "pending_review"}) == [second.pk, first.pk]
    assert ids({"status": "completed"}) == []
    assert ids({"order_id": first.order_id}) == [first.pk]
    assert ids({"requested_before": (timezone.now() - timedelta(days=1)).isoformat()}) == [first.pk]
    assert ids({"requested_after": (timezone.now() - timedelta(days=1)).isoformat()}) == [second.pk]
    assert api_a.get(_requests(store_a), {"kind": "refund"}).json()["attr"] == "kind"


def test_a_request_is_read_with_its_decision(api_a, store_a):
    request = pending_request(store_a)

    body = api_a.get(f"{_requests(store_a)}{request.pk}/").json()

    assert body["status"] == "pending_review"
    assert body["order_id"] == request.order_id
    assert body["decision"]["outcome"] == "needs_approval"
    assert body["reason_code"] == "changed_mind"


def test_another_stores_request_is_a_404_for_every_route(api_a, store_a, store_b):
    request_b = pending_request(store_b)
    base = f"{_requests(store_a)}{request_b.pk}/"

    assert api_a.get(base).status_code == 404
    assert api_a.post_json(f"{base}approve/").status_code == 404
    assert api_a.post_json(f"{base}reject/", {"message": "no"}).status_code == 404
    request_b.refresh_from_db()
    assert request_b.status == "pending_review"


def test_a_request_is_made_on_a_customers_behalf_and_decided_by_the_policy(api_a, store_a):
    order = make_order(store_a, email="ann@example.com")
    review_everything(store_a)

    response = api_a.post_json(
        _requests(store_a), {"order_id": order.pk, "kind": "cancel", "reason_code": "changed_mind"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending_review"
    assert body["requester_kind"] == "api_token"
    assert body["requester_label"].startswith("Integration (token ")
    assert OrderRequest.objects.for_store(store_a).count() == 1


def test_an_edit_can_be_asked_for_with_its_changes(api_a, store_a):
    order = make_order(store_a)
    address = {"name": "Ann", "address1": "New St 2", "city": "Malmö", "zip": "211 11", "country_code": "SE"}

    response = api_a.post_json(
        _requests(store_a),
        {"order_id": order.pk, "kind": "edit", "changes": [{"kind": "address", "address": address}]},
    )

    assert response.status_code == 201, response.content
    assert response.json()["changes"][0]["address"]["address1"] == "New St 2"


@pytest.mark.parametrize(
    ("body", "status", "code", "attr"),
    [
        ({"kind": "cancel"}, 400, "required", "order_id"),
        ({"order_id": 1, "kind": "refund"}, 400, "invalid_choice", "kind"),
        ({"order_id": 999999, "kind": "cancel"}, 404, "not_found", None),
        ({"order_id": "x", "kind": "edit"}, 400, "invalid", "order_id"),
        (
            {"order_id": "ORDER", "kind": "edit", "changes": [{"kind": "teleport"}]},
            400,
            "invalid_choice",
            "changes.0.kind",
        ),
        ({"order_id": "ORDER", "kind": "edit"}, 400, "changes_required", "changes"),
    ],
)
def test_a_bad_request_is_refused_in_the_one_error_shape(api_a, store_a, body, status, code, attr):
    order = make_order(store_a)
    body = {key: (order.pk if value == "ORDER" else value) for key, value in body.items()}

    response = api_a.post_json(_requests(store_a), body)

    assert response.status_code == status, response.content
    assert {key: response.json()[key] for key in ("code", "attr")} == {"code": code, "attr": attr}
    assert set(response.json()) <= {"type", "code", "detail", "attr", "errors"}


def test_a_second_open_request_for_the_same_order_is_a_conflict(api_a, store_a):
    request = pending_request(store_a)

    response = api_a.post_json(_requests(store_a), {"order_id": request.order_id, "kind": "cancel"})

    assert response.status_code == 409
    assert response.json()["code"] == "request_already_open"


def test_another_stores_order_cannot_be_asked_about(api_a, store_a, store_b):
    order_b = make_order(store_b)

    response = api_a.post_json(_requests(store_a), {"order_id": order_b.pk, "kind": "cancel"})

    assert response.status_code == 404
    assert OrderRequest.objects.for_store(store_b).count() == 0


def test_approve_with_a_changed_fee_then_again_is_a_conflict(
    api_a, store_a, django_capture_on_commit_callbacks
):
    request = pending_request(store_a)
    url = f"{_requests(store_a)}{request.pk}/approve/"

    response = api_a.post_json(url, {"fee": "2.50"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert response.json()["fee"] == "2.50"
    assert response.json()["decided_by_label"].startswith("Integration (token ")
    event = RequestEvent.objects.for_store(store_a).get(request=request, action="approved")
    assert event.actor_kind == "api_token"
    again = api_a.post_json(f"{_requests(store_a)}{request.pk}/reject/", {"message": "Sorry"})
    assert again.status_code == 409
    assert again.json()["code"] == "already_decided"


def test_reject_needs_a_message(api_a, store_a):
    request = pending_request(store_a)
    url = f"{_requests(store_a)}{request.pk}/reject/"

    missing = api_a.post_json(url, {})
    done = api_a.post_json(url, {"message": "Already shipped, sorry."})

    assert (missing.status_code, missing.json()["attr"]) == (400, "message")
    assert done.status_code == 200
    assert done.json()["customer_message"] == "Already shipped, sorry."


def test_a_read_only_token_cannot_decide(make_token, store_a):
    request = pending_request(store_a)
    api = TokenClient(make_token(scopes=[Scope.REQUESTS_READ]))

    assert api.get(f"{_requests(store_a)}{request.pk}/").status_code == 200
    assert api.post_json(f"{_requests(store_a)}{request.pk}/approve/").status_code == 403
    request.refresh_from_db()
    assert request.status == "pending_review"


def test_an_agency_token_decides_with_its_grant_and_is_named_as_itself(store_a):
    agency = make_agency()
    grant(store_a, agency, Role.AGENT)
    api = TokenClient(agency_token(agency))
    request = pending_request(store_a)

    response = api.post_json(f"{_requests(store_a)}{request.pk}/reject/", {"message": "No."})

    assert response.status_code == 200
    assert response.json()["decided_by_label"].startswith("Agency integration (token ")


def test_the_request_list_takes_the_same_number_of_queries_for_more_requests(api_a, store_a):
    pending_request(store_a)
    api_a.get(_requests(store_a))  # warm: the token's last_used_at is written at most once a minute
    with CaptureQueriesContext(connection) as few:
        api_a.get(_requests(store_a))
    for _ in range(4):
        pending_request(store_a)
    with CaptureQueriesContext(connection) as more:
        response = api_a.get(_requests(store_a))

    assert len(response.json()["results"]) == 5
    assert len(more) == len(few)


def _decide(store) -> str:
    return f"{_requests(store)}decide/"


def test_many_requests_are_decided_at_once_each_on_its_own(api_a, store_a, store_b):
    waiting = [pending_request(store_a) for _ in range(3)]
    decided = pending_request(store_a)
    api_a.post_json(f"{_requests(store_a)}{decided.pk}/reject/", {"message": "No."})
    theirs = pending_request(store_b)
    ids = [waiting[0].pk, decided.pk, theirs.pk, waiting[1].pk, waiting[2].pk, waiting[0].pk]

    response = api_a.post_json(_decide(store_a), {"action": "approve", "request_ids": ids})

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(row["id"], row["outcome"]) for row in body["results"]] == [
        (waiting[0].pk, "decided"),
        (decided.pk, "already_decided"),
        (theirs.pk, "not_found"),
        (waiting[1].pk, "decided"),
        (waiting[2].pk, "decided"),
    ]
    assert body["results"][1]["code"] == "already_decided"
    assert body["counts"] == {"decided": 3, "already_decided": 1, "not_found": 1, "error": 0}
    statuses = dict(OrderRequest.objects.for_store(store_a).values_list("pk", "status"))
    assert {statuses[request.pk] for request in waiting} == {"approved"}
    assert statuses[decided.pk] == "rejected"
    theirs.refresh_from_db()
    assert theirs.status == "pending_review"


def test_a_bulk_rejection_sends_its_message_to_each_customer(api_a, store_a):
    waiting = [pending_request(store_a) for _ in range(2)]

    response = api_a.post_json(
        _decide(store_a),
        {"action": "reject", "request_ids": [r.pk for r in waiting], "message": "Already packed."},
    )

    assert response.status_code == 200, response.content
    for request in waiting:
        request.refresh_from_db()
        assert (request.status, request.customer_message) == ("rejected", "Already packed.")


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({"action": "reject", "request_ids": [1]}, "message", "message_required"),
        ({"action": "reject", "request_ids": [1], "message": "  "}, "message", "message_required"),
        ({"action": "approve", "request_ids": []}, "request_ids", "min_length"),
        ({"action": "approve", "request_ids": list(range(1, 502))}, "request_ids", "max_length"),
        ({"action": "approve", "request_ids": ["x"]}, "request_ids.0", "invalid"),
        ({"action": "refund", "request_ids": [1]}, "action", "invalid_choice"),
        ({"request_ids": [1]}, "action", "required"),
    ],
)
def test_a_bad_bulk_decision_is_refused_and_decides_nothing(api_a, store_a, body, attr, code):
    request = pending_request(store_a)
    body = {**body, "request_ids": [request.pk if i == 1 else i for i in body["request_ids"]]}

    response = api_a.post_json(_decide(store_a), body)

    assert response.status_code == 400, response.content
    assert (response.json()["attr"], response.json()["code"]) == (attr, code)
    request.refresh_from_db()
    assert request.status == "pending_review"


def test_a_read_only_token_cannot_decide_many(make_token, store_a):
    request = pending_request(store_a)
    api = TokenClient(make_token(scopes=[Scope.REQUESTS_READ]))

    response = api.post_json(_decide(store_a), {"action": "approve", "request_ids": [request.pk]})

    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == "pending_review"
