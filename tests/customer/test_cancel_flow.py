"""Cancel: reason -> retention offer -> refund summary -> confirm -> the request's page."""

from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cancellations.models import OrderRequest
from cancellations.policy import DEFAULT_POLICY, FeeKind, RetentionKind, RetentionOffer
from tests.customer.conftest import set_policy

pytestmark = pytest.mark.django_db


def _url(order, step=""):
    return f"/s/alpha-shop/orders/{order.pk}/cancel/{step}"


def test_a_customer_cancels_with_a_reason_and_sees_the_request(signed_in, store_a, ann_order):
    page = signed_in.get(_url(ann_order)).content.decode()
    assert "Why do you want to cancel?" in page
    summary = signed_in.post(
        _url(ann_order), {"step": "reason", "reason": "changed_mind", "submit_key": "k1"}
    )
    assert summary.status_code == 200
    assert "You get back" in summary.content.decode()
    done = signed_in.post(_url(ann_order), {"step": "confirm", "reason": "changed_mind", "submit_key": "k1"})
    assert done.status_code == 302
    order_request = OrderRequest.objects.for_store(store_a).get(order=ann_order)
    assert (order_request.kind, order_request.reason_code) == ("cancel", "changed_mind")
    assert done["Location"] == f"/s/alpha-shop/orders/{ann_order.pk}/requests/{order_request.pk}/"
    page = signed_in.get(done["Location"]).content.decode()
    assert "Cancellation" in page and "What happened" in page


def test_a_double_submit_creates_one_request(signed_in, store_a, ann_order):
    form = {"step": "confirm", "reason": "changed_mind", "submit_key": "same-key"}
    first = signed_in.post(_url(ann_order), form)
    second = signed_in.post(_url(ann_order), form)
    assert first["Location"] == second["Location"]
    assert OrderRequest.objects.for_store(store_a).filter(order=ann_order).count() == 1


def test_a_second_tab_is_shown_the_request_already_made(signed_in, store_a, ann_order):
    set_policy(
        store_a,
        cancel=replace(DEFAULT_POLICY.cancel, approval=replace(DEFAULT_POLICY.cancel.approval, always=True)),
    )
    first = signed_in.post(
        _url(ann_order), {"step": "confirm", "reason": "changed_mind", "submit_key": "tab-1"}
    )
    second = signed_in.post(_url(ann_order), {"step": "confirm", "reason": "other", "submit_key": "tab-2"})
    assert second["Location"] == first["Location"]
    assert OrderRequest.objects.for_store(store_a).filter(order=ann_order).count() == 1
    assert "You already have a request for this order" in signed_in.get(second["Location"]).content.decode()


def test_a_missing_reason_is_asked_for_again(signed_in, store_a, ann_order):
    set_policy(store_a, reasons=replace(DEFAULT_POLICY.reasons, required=True))
    response = signed_in.post(_url(ann_order), {"step": "reason", "reason": "", "submit_key": "k"})
    assert response.status_code == 400
    assert "Please tell us why you are cancelling." in response.content.decode()
    assert not OrderRequest.objects.for_store(store_a).exists()


def test_an_unknown_reason_is_refused_and_the_written_words_kept(signed_in, store_a, ann_order):
    response = signed_in.post(
        _url(ann_order), {"step": "reason", "reason": "bogus", "reason_text": "too slow", "submit_key": "k"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="reason-error"' in body and "Please choose one of the reasons listed." in body
    assert "too slow" in body
    assert not OrderRequest.objects.for_store(store_a).exists()


def test_the_retention_offer_comes_before_the_summary_and_keeping_the_order_cancels_nothing(
    signed_in, store_a, ann_order
):
    set_policy(
        store_a,
        retention=RetentionOffer(
            kind=RetentionKind.DISCOUNT_CODE, discount_code="STAY10", messages={"en": "Stay and get 10% off."}
        ),
    )
    offer = signed_in.post(_url(ann_order), {"step": "reason", "reason": "changed_mind", "submit_key": "k"})
    assert "Stay and get 10% off." in offer.content.decode()
    kept = signed_in.post(
        _url(ann_order), {"step": "offer", "keep": "1", "reason": "changed_mind", "submit_key": "k"}
    )
    assert "STAY10" in kept.content.decode()
    assert not OrderRequest.objects.for_store(store_a).exists()
    from cancellations.models import RetentionOutcome

    kept_order = RetentionOutcome.objects.for_store(store_a).get()
    assert (kept_order.order_id, kept_order.discount_code) == (ann_order.pk, "STAY10")
    summary = signed_in.post(_url(ann_order), {"step": "offer", "reason": "changed_mind", "submit_key": "k"})
    assert "You get back" in summary.content.decode()
    signed_in.post(
        _url(ann_order), {"step": "confirm", "reason": "changed_mind", "offer_shown": "1", "submit_key": "k"}
    )
    assert OrderRequest.objects.for_store(store_a).get().retention_offer_shown


def test_the_summary_shows_the_fee_and_what_comes_back(signed_in, store_a, ann_order):
    set_policy(store_a, fees=replace(DEFAULT_POLICY.fees, kind=FeeKind.FIXED, fixed=Decimal("5.00")))
    body = signed_in.post(
        _url(ann_order), {"step": "reason", "reason": "changed_mind", "submit_key": "k"}
    ).content
    text = body.decode()
    assert "Restocking fee" in text
    expected = ann_order.total - Decimal("5.00")
    assert f"{expected:,.2f} USD" in text


def test_another_customers_order_cannot_be_cancelled(signed_in, store_a):
    from tests.factories import make_order

    other = make_order(store_a, email="bob@example.com")
    assert signed_in.get(_url(other)).status_code == 404
    assert signed_in.post(_url(other), {"step": "confirm", "submit_key": "x"}).status_code == 404
    assert not OrderRequest.objects.for_store(store_a).exists()


def test_the_cancel_page_reads_the_store_s_policy_once(signed_in, store_a, ann_order):
    # What the page offers, the customer's limits and the refund summary all ask for the policy.
    with CaptureQueriesContext(connection) as queries:
        page = signed_in.get(_url(ann_order))

    assert page.status_code == 200
    reads = [q for q in queries.captured_queries if "cancellations_storepolicyversion" in q["sql"]]
    assert len(reads) == 1
