"""The item-change form shows the new total and the difference before anything is sent: as the
customer edits (the preview endpoint) and, without JavaScript, on a review step."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cancellations.models import OrderRequest
from cancellations.policy import DEFAULT_POLICY
from tests.customer.conftest import set_policy
from tests.factories import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _item_changes_allowed(store_a):
    allowed = replace(DEFAULT_POLICY.cancel)
    set_policy(store_a, edit_quantity=allowed, swap_variant=allowed, remove_line=allowed)


def _urls(order):
    base = f"/s/alpha-shop/orders/{order.pk}/edit/items/"
    return base, f"{base}preview/"


def test_the_running_total_answers_each_state_of_the_form(signed_in, store_a, ann_order):
    _form, preview = _urls(ann_order)
    line = ann_order.line_items.get()  # one at 25.00, in a paid order of 19.90

    answer = signed_in.post(preview, {f"line-{line.pk}-quantity": "3"})

    assert answer.status_code == 200 and answer.json()["ok"]
    html = answer.json()["html"]
    assert "New total" in html and "69.90 USD" in html and "+50.00 USD" in html
    assert "You will pay 50.00 USD more" in html
    bad = signed_in.post(preview, {f"line-{line.pk}-quantity": "0"})
    assert bad.status_code == 400 and "Enter a quantity from 1 to 99" in bad.json()["html"]
    assert not OrderRequest.objects.for_store(store_a).exists()
    assert signed_in.get(preview).status_code == 405


def test_swap_options_show_each_variants_own_price(signed_in, ann_order):
    form, _preview = _urls(ann_order)
    page = signed_in.get(form).content.decode()
    assert "Size 1 &middot; 26.00 USD (+1.00 USD)" in page
    assert "Size 2 &middot; 27.00 USD (+2.00 USD)" in page


def test_without_javascript_a_review_step_shows_the_total_before_sending(signed_in, store_a, ann_order):
    form, _preview = _urls(ann_order)
    line = ann_order.line_items.get()
    fields = {f"line-{line.pk}-quantity": "2", "submit_key": "t1"}

    review = signed_in.post(form, {**fields, "step": "review"})

    page = review.content.decode()
    assert review.status_code == 200 and "44.90 USD" in page and "+25.00 USD" in page
    assert 'value="2"' in page  # what the customer entered is kept
    assert not OrderRequest.objects.for_store(store_a).exists()
    sent = signed_in.post(form, {**fields, "step": "send"})
    assert sent.status_code == 302
    request = OrderRequest.objects.for_store(store_a).get()
    request_page = signed_in.get(sent["Location"]).content.decode()
    assert "25.00 USD" in request_page and "more" in request_page
    assert request.amount_owed == 25


def test_another_customers_order_and_another_stores_have_no_running_total(signed_in, store_a, store_b):
    theirs = make_order(store_a, email="bob@example.com", lines=1)
    elsewhere = make_order(store_b, email="ann@example.com", lines=1)
    for order in (theirs, elsewhere):
        _form, preview = _urls(order)
        line = order.line_items.get()
        assert signed_in.post(preview, {f"line-{line.pk}-quantity": "2"}).status_code == 404
