"""Idempotency-Key on POSTs, and per-token rate limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from cancellations.models import OrderRequest
from portal.api.idempotency import fingerprint, purge_idempotency_records
from portal.models import IdempotencyRecord
from tenants.models import ApiToken
from tests.api.conftest import TokenClient
from tests.factories import make_order
from tests.requests.helpers import review_everything

pytestmark = pytest.mark.django_db


def _requests(store) -> str:
    return f"/api/v1/stores/{store.slug}/requests/"


@pytest.fixture
def order(store_a):
    review_everything(store_a)
    return make_order(store_a)


def test_the_same_key_and_body_replays_the_first_answer(api_a, store_a, order):
    body = {"order_id": order.pk, "kind": "cancel", "reason_code": "changed_mind"}

    first = api_a.post_json(_requests(store_a), body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = api_a.post_json(_requests(store_a), body, HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert OrderRequest.objects.for_store(store_a).count() == 1


def test_json_spacing_and_key_order_do_not_count_as_another_body(api_a, store_a, order):
    url = _requests(store_a)
    api_a.post(
        url, f'{{"order_id": {order.pk}, "kind": "cancel"}}', "application/json", HTTP_IDEMPOTENCY_KEY="k"
    )

    again = api_a.post(
        url, f'{{"kind":"cancel","order_id":{order.pk}}}', "application/json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_a_422(api_a, store_a, order):
    other = make_order(store_a)
    api_a.post_json(_requests(store_a), {"order_id": order.pk, "kind": "cancel"}, HTTP_IDEMPOTENCY_KEY="k-2")

    response = api_a.post_json(
        _requests(store_a), {"order_id": other.pk, "kind": "cancel"}, HTTP_IDEMPOTENCY_KEY="k-2"
    )

    assert response.status_code == 422
    assert response.json() == {
        "type": "client_error",
        "code": "idempotency_key_mismatch",
        "detail": "This Idempotency-Key was used for a different request.",
        "attr": "Idempotency-Key",
    }
    assert OrderRequest.objects.for_store(store_a).count() == 1


def test_the_same_key_on_another_route_is_a_422(api_a, store_a, order):
    api_a.post_json(_requests(store_a), {"order_id": order.pk, "kind": "cancel"}, HTTP_IDEMPOTENCY_KEY="k")
    request = OrderRequest.objects.for_store(store_a).get()

    response = api_a.post_json(
        f"{_requests(store_a)}{request.pk}/reject/", {"message": "no"}, HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 422


def test_keys_belong_to_one_token(api_a, make_token, store_a, order):
    body = {"order_id": order.pk, "kind": "cancel"}
    api_a.post_json(_requests(store_a), body, HTTP_IDEMPOTENCY_KEY="shared")

    other = TokenClient(make_token(name="Other")).post_json(
        _requests(store_a), body, HTTP_IDEMPOTENCY_KEY="shared"
    )

    # Not a replay of the first token's answer: the order already has an open request.
    assert other.status_code == 409
    assert "Idempotent-Replayed" not in other


def test_a_refused_request_gives_its_key_back(api_a, store_a, order):
    refused = api_a.post_json(
        _requests(store_a), {"order_id": 999999, "kind": "cancel"}, HTTP_IDEMPOTENCY_KEY="k"
    )

    fixed = api_a.post_json(
        _requests(store_a), {"order_id": order.pk, "kind": "cancel"}, HTTP_IDEMPOTENCY_KEY="k"
    )

    assert refused.status_code == 404
    assert fixed.status_code == 201


def test_a_key_still_being_answered_is_a_409(api_a, token_a, store_a, order):
    url, body = _requests(store_a), {"order_id": order.pk, "kind": "cancel"}
    token = ApiToken.objects.get(prefix=token_a.split("_")[1])
    # The first request with the key has claimed it and not answered yet.
    first = Request(APIRequestFactory().post(url, body, format="json"))
    IdempotencyRecord.objects.create(
        store=store_a, actor=f"token:{token.pk}", key="busy", fingerprint=fingerprint(first)
    )

    response = api_a.post_json(url, body, HTTP_IDEMPOTENCY_KEY="busy")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_use"
    assert OrderRequest.objects.for_store(store_a).count() == 0


def test_a_key_longer_than_255_characters_is_refused(api_a, store_a, order):
    response = api_a.post_json(
        _requests(store_a), {"order_id": order.pk, "kind": "cancel"}, HTTP_IDEMPOTENCY_KEY="k" * 256
    )

    assert (response.status_code, response.json()["attr"]) == (400, "Idempotency-Key")


def test_old_keys_are_forgotten(api_a, store_a, order):
    api_a.post_json(_requests(store_a), {"order_id": order.pk, "kind": "cancel"}, HTTP_IDEMPOTENCY_KEY="old")

    assert purge_idempotency_records(now=timezone.now() + timedelta(hours=1)) == 0
    assert purge_idempotency_records(now=timezone.now() + timedelta(hours=25)) == 1


# --- rate limits ---------------------------------------------------------------------------------


def test_a_token_over_its_limit_gets_429_with_retry_after(settings, api_a, make_token, store_a):
    settings.API_RATE_LIMIT = "3/minute"
    url = f"/api/v1/stores/{store_a.slug}/orders/"

    answers = [api_a.get(url).status_code for _ in range(4)]
    other_token = TokenClient(make_token(name="Other")).get(url)

    assert answers == [200, 200, 200, 429]
    limited = api_a.get(url)
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited.json()["code"] == "throttled"
    assert set(limited.json()) == {"type", "code", "detail", "attr"}
    assert other_token.status_code == 200
