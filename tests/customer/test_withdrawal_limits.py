"""The EU withdrawal function can never be blocked: the confirm after a lookup that found the order is
always recorded; guessing is limited at the lookup, apart from "find my order"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from cancellations.models import OrderRequest
from tests.factories import make_order

pytestmark = pytest.mark.django_db

URL = "/s/alpha-shop/withdraw/"
FORM = {"name": "Ann Buyer", "number": "A-900", "email": "ann@example.com"}


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _proof(page: str) -> str:
    match = re.search(r'name="lookup" value="([^"]+)"', page)
    assert match, "the confirm step carries the lookup's proof"
    return match.group(1)


def test_the_confirm_is_recorded_after_the_lookups_used_up_the_limit(client, store_a, delivered):
    first = client.post(URL, FORM)
    assert "You are withdrawing from the contract for order" in first.content.decode()
    proof = _proof(first.content.decode())
    # The customer goes back and looks up again (and again) until the limit is reached.
    answers = [client.post(URL, FORM).status_code for _ in range(6)]
    assert 429 in answers
    assert client.post(URL, FORM).status_code == 429

    done = client.post(URL, {**FORM, "step": "confirm", "submit_key": "w1", "lookup": proof})

    assert done.status_code == 302
    request = OrderRequest.objects.for_store(store_a).get(order=delivered)
    assert request.kind == "withdrawal"
    page = client.get(done["Location"]).content.decode()
    assert "Withdrawal" in page


def test_a_confirm_without_a_valid_proof_is_a_lookup_and_is_limited(client, store_a, delivered):
    for _ in range(6):
        client.post(URL, {**FORM, "number": "A-999"})
    forged = client.post(URL, {**FORM, "step": "confirm", "submit_key": "w2", "lookup": "not-a-proof"})
    assert forged.status_code == 429
    assert "Too many attempts" in forged.content.decode()
    assert not OrderRequest.objects.for_store(store_a).exists()


def test_a_proof_is_for_its_own_email_and_order(client, store_a, delivered):
    make_order(
        store_a,
        email="bob@example.com",
        name="#B-1",
        fulfillment_status="fulfilled",
        delivered_at=timezone.now() - timedelta(days=2),
    )
    proof = _proof(client.post(URL, FORM).content.decode())
    other = {"name": "Bob", "number": "B-1", "email": "bob@example.com", "step": "confirm", "lookup": proof}
    # Bob's details with Ann's proof: not a proof for Bob, so it is looked up as Bob's order: Ann's order
    # is not withdrawn by someone holding her proof.
    response = client.post(URL, {**other, "submit_key": "w3"})
    assert response.status_code == 302
    recorded = list(OrderRequest.objects.for_store(store_a).values_list("order__email", flat=True))
    assert recorded == ["bob@example.com"]


def test_find_my_order_has_its_own_limit(client, store_a, delivered):
    for _ in range(4):
        client.post("/s/alpha-shop/find-order/", {"number": "A-900", "email": "ann@example.com"})
    assert (
        client.post("/s/alpha-shop/find-order/", {"number": "A-900", "email": "ann@example.com"}).status_code
        == 429
    )
    assert "You are withdrawing" in client.post(URL, FORM).content.decode()
