"""Change the address or the items, order again, and withdraw from the contract (EU Art. 11a)."""

from dataclasses import replace

import pytest
from django.core import mail

from cancellations.models import OrderRequest, RequestChange
from cancellations.orders.access import make_order_link_token
from cancellations.policy import DEFAULT_POLICY
from tests.customer.conftest import set_policy

pytestmark = pytest.mark.django_db

GOOD_ADDRESS = {
    "name": "Ann Buyer",
    "address1": "Storgatan 5",
    "zip": "113 51",
    "city": "Stockholm",
    "country_code": "SE",
    "submit_key": "addr-1",
}


def test_a_bad_postcode_is_refused_and_a_good_one_accepted(signed_in, store_a, ann_order):
    url = f"/s/alpha-shop/orders/{ann_order.pk}/edit/address/"
    bad = signed_in.post(url, {**GOOD_ADDRESS, "zip": "ABC"})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "Enter a postcode like 113 51." in body
    assert 'value="Storgatan 5"' in body  # nothing the customer typed is lost
    assert not OrderRequest.objects.for_store(store_a).exists()

    good = signed_in.post(url, GOOD_ADDRESS)
    assert good.status_code == 302
    change = RequestChange.objects.for_store(store_a).get()
    assert change.kind == "address"
    assert change.address["zip"] == "113 51" and change.address["city"] == "Stockholm"


@pytest.mark.parametrize(
    ("country", "postcode", "ok"),
    [
        ("US", "94103", True),
        ("US", "9410", False),
        ("GB", "SW1A 1AA", True),
        ("GB", "12345", False),
        ("NL", "1012 AB", True),
        ("DE", "1011", False),
        ("CA", "K1A 0B1", True),
    ],
)
def test_postcode_formats_of_common_countries(country, postcode, ok):
    from portal.customer.address import AddressForm

    form = AddressForm(
        {
            "name": "A",
            "address1": "B",
            "zip": postcode,
            "city": "C",
            "country_code": country,
            "province": "X",
        },
        allow_country_change=True,
    )
    assert form.is_valid() is ok, form.errors


def test_the_country_cannot_change_unless_the_policy_allows_it(signed_in, store_a, ann_order):
    url = f"/s/alpha-shop/orders/{ann_order.pk}/edit/address/"
    moved = {**GOOD_ADDRESS, "country_code": "DE", "zip": "10115"}
    assert signed_in.post(url, moved).status_code == 400
    set_policy(store_a, allow_country_change=True)
    assert signed_in.post(url, moved).status_code == 302


def test_changing_items_shows_price_differences_and_records_each_change(signed_in, store_a, ann_order):
    url = f"/s/alpha-shop/orders/{ann_order.pk}/edit/items/"
    set_policy(
        store_a,
        edit_quantity=replace(DEFAULT_POLICY.cancel),
        swap_variant=replace(DEFAULT_POLICY.cancel),
        remove_line=replace(DEFAULT_POLICY.cancel),
    )
    page = signed_in.get(url).content.decode()
    assert "(+1.00 USD)" in page
    line = ann_order.line_items.get()
    bad = signed_in.post(url, {f"line-{line.pk}-quantity": "0", "submit_key": "i1"})
    assert bad.status_code == 400
    assert "Enter a quantity from 1 to 99" in bad.content.decode()
    nothing = signed_in.post(url, {f"line-{line.pk}-quantity": str(line.quantity), "submit_key": "i1"})
    assert "nothing was changed" in nothing.content.decode()
    done = signed_in.post(url, {f"line-{line.pk}-quantity": "2", "submit_key": "i1"})
    assert done.status_code == 302
    change = RequestChange.objects.for_store(store_a).get()
    assert (change.kind, change.quantity) == ("quantity", 2)


def test_reorder_lists_the_items_and_creates_a_request(signed_in, store_a, ann_order):
    url = f"/s/alpha-shop/orders/{ann_order.pk}/reorder/"
    assert "Wool Sweater" in signed_in.get(url).content.decode()
    response = signed_in.post(url, {"submit_key": "r1"})
    assert response.status_code == 302
    assert OrderRequest.objects.for_store(store_a).get().kind == "reorder"


def test_a_guest_withdraws_by_the_signed_link_and_gets_an_acknowledgement(
    client, store_a, delivered, django_capture_on_commit_callbacks
):
    token = make_order_link_token(delivered)
    order_page = client.get(f"/s/alpha-shop/o/{token}/").content.decode()
    assert "Withdraw from contract here" in order_page
    url = f"/s/alpha-shop/o/{token}/withdraw/"
    form = client.get(url).content.decode()
    assert 'name="name"' in form and 'name="email"' in form
    confirm = client.post(url, {"name": "Ann Buyer", "email": "ann@example.com", "submit_key": "w1"})
    assert "Confirm withdrawal" in confirm.content.decode()
    assert not OrderRequest.objects.for_store(store_a).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url, {"name": "Ann Buyer", "email": "ann@example.com", "submit_key": "w1", "step": "confirm"}
        )
    assert done.status_code == 302
    withdrawal = OrderRequest.objects.for_store(store_a).get()
    assert withdrawal.kind == "withdrawal"
    (ack,) = [m for m in mail.outbox if "confirms that it has received your withdrawal" in m.body]
    assert ack.to == ["ann@example.com"]
    assert delivered.name in ack.body and "I hereby withdraw from my contract" in ack.body
    assert "Received on" in ack.body


def test_withdrawal_needs_the_orders_email(client, store_a, delivered):
    url = f"/s/alpha-shop/o/{make_order_link_token(delivered)}/withdraw/"
    response = client.post(url, {"name": "Ann Buyer", "email": "someone@example.com", "submit_key": "w1"})
    assert response.status_code == 400
    assert "Enter the email address used for this order." in response.content.decode()


def test_withdrawal_by_order_number_and_email_without_signing_in(client, store_a, delivered):
    form = {"name": "Ann Buyer", "number": "A-900", "email": "ann@example.com"}
    confirm = client.post("/s/alpha-shop/withdraw/", form)
    assert "Confirm withdrawal" in confirm.content.decode()
    done = client.post("/s/alpha-shop/withdraw/", {**form, "step": "confirm", "submit_key": "w2"})
    assert done.status_code == 302
    assert OrderRequest.objects.for_store(store_a).get().kind == "withdrawal"
    unknown = client.post("/s/alpha-shop/withdraw/", {**form, "number": "A-901"})
    assert unknown.status_code == 400


def test_the_withdrawal_function_is_absent_when_the_store_has_not_enabled_it(client, store_a):
    assert client.get("/s/alpha-shop/withdraw/").status_code == 404


def test_a_pending_request_can_be_withdrawn_by_the_customer(signed_in, store_a, ann_order):
    set_policy(
        store_a,
        cancel=replace(DEFAULT_POLICY.cancel, approval=replace(DEFAULT_POLICY.cancel.approval, always=True)),
    )
    done = signed_in.post(
        f"/s/alpha-shop/orders/{ann_order.pk}/cancel/",
        {"step": "confirm", "reason": "changed_mind", "submit_key": "p1"},
    )
    page = signed_in.get(done["Location"]).content.decode()
    assert "Withdraw my request" in page
    signed_in.post(done["Location"])
    assert OrderRequest.objects.for_store(store_a).get().status == "withdrawn"
