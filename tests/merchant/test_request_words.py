"""Staff read what a request changes as a person would write it, and why the policy decided, in words."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import translation

from cancellations.models import LineItem, Product, RequestKind, Variant
from cancellations.orders.describe import Describer, describe_request, request_title
from cancellations.policy.explain import reason_label, rule_label, trace_lines
from cancellations.requests.actors import Actor
from cancellations.requests.submission import submit_request
from tenants.roles import Role
from tests.factories import make_member, make_order
from tests.merchant.queue_helpers import queue_url, request_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, store_a):
    client.force_login(make_member(store_a, Role.AGENT, email="agent@alpha.example"))
    return client


def sweater_order(store, **fields):
    """An order of one Merino Crew Sweater in S and one Wool Cap, with the sweater's M in the catalogue."""
    order = make_order(store, lines=2, **fields)
    sweater, cap = LineItem.objects.for_store(store).filter(order=order).order_by("position")
    LineItem.objects.for_store(store).filter(pk=sweater.pk).update(
        title="Merino Crew Sweater", variant_title="S", variant_id="gid://shopify/ProductVariant/11"
    )
    LineItem.objects.for_store(store).filter(pk=cap.pk).update(title="Wool Cap", quantity=2)
    product = Product.objects.create(
        store=store, platform_id="gid://shopify/Product/1", title="Merino Crew Sweater"
    )
    for position, size in enumerate(("S", "M")):
        Variant.objects.create(
            store=store,
            product=product,
            platform_id=f"gid://shopify/ProductVariant/{11 + position}",
            title=size,
            price=Decimal("59.00"),
            position=position,
        )
    return order, sweater.pk, cap.pk


def submit_edit(store, order, changes, key="edit-1"):
    return submit_request(
        store=store,
        order=order,
        actor=Actor.customer(order.email),
        kind=RequestKind.EDIT,
        idempotency_key=key,
        changes=changes,
    )


NEW_ADDRESS = {
    "name": "Ann Buyer",
    "address1": "Storgatan 9",
    "city": "Uppsala",
    "zip": "753 10",
    "country_code": "SE",
}


def test_each_change_reads_as_a_person_would_write_it(store_a):
    order, sweater, cap = sweater_order(store_a)
    request = submit_edit(
        store_a,
        order,
        [
            {
                "kind": "swap",
                "line_id": sweater,
                "variant_id": "gid://shopify/ProductVariant/12",
                "quantity": 2,
            },
            {"kind": "remove", "line_id": cap},
            {"kind": "address", "address": NEW_ADDRESS},
        ],
    )

    lines = [line.text for line in describe_request(store=store_a, request=request)]

    assert lines == [
        "Merino Crew Sweater: S → M, 1 → 2",
        "Remove: Wool Cap × 2",  # noqa: RUF001 (the multiplication sign)
        "Address: Ann Buyer, Main St 1, 111 22 Stockholm, SE → Ann Buyer, Storgatan 9, 753 10 Uppsala, SE",
    ]
    assert request_title(request, list(request.changes.all())) == "Change of items and address"


def test_the_old_value_stays_true_after_the_platform_took_the_change(store_a):
    order, sweater, _cap = sweater_order(store_a)
    request = submit_edit(store_a, order, [{"kind": "quantity", "line_id": sweater, "quantity": 3}])
    # The edit was carried out: the mirror now has the new quantity and the new address.
    LineItem.objects.for_store(store_a).filter(pk=sweater).update(quantity=3)

    assert [str(line) for line in describe_request(store=store_a, request=request)] == [
        "Merino Crew Sweater (S): quantity 1 → 3"
    ]


def test_a_request_title_names_what_it_is(store_a):
    order, _sweater, _cap = sweater_order(store_a)
    address = submit_edit(store_a, order, [{"kind": "address", "address": NEW_ADDRESS}], key="a")
    cancel = submit_request(
        store=store_a,
        order=order,
        actor=Actor.customer(order.email),
        kind=RequestKind.CANCEL,
        idempotency_key="c",
    )
    describer = Describer(store_a, [address, cancel])

    assert describer.title_of(address) == "Change of address"
    assert describer.title_of(cancel) == "Cancellation"


def test_the_describer_reads_nothing_of_another_store(store_a, store_b):
    order, sweater, _cap = sweater_order(store_a)
    request = submit_edit(store_a, order, [{"kind": "remove", "line_id": sweater}])

    assert Describer(store_b, [request]).lines_of(request) == []


def test_the_staff_request_page_names_products_and_old_and_new_values(staff, store_a):
    order, sweater, cap = sweater_order(store_a)
    request = submit_edit(
        store_a,
        order,
        [
            {"kind": "swap", "line_id": sweater, "variant_id": "gid://shopify/ProductVariant/12"},
            {"kind": "quantity", "line_id": cap, "quantity": 1},
        ],
    )

    body = staff.get(request_url(store_a, request)).content.decode()

    assert "<h1>Change of items #" in body
    assert "Merino Crew Sweater: S → M" in body
    assert "Wool Cap: quantity 2 → 1" in body
    assert "gid://" not in body.split("Why the policy sent it here")[0]


def test_the_queue_row_says_what_the_request_changes(staff, store_a):
    order, sweater, _cap = sweater_order(store_a)
    request = submit_edit(
        store_a,
        order,
        [{"kind": "swap", "line_id": sweater, "variant_id": "gid://shopify/ProductVariant/12"}],
    )

    body = staff.get(queue_url(store_a), {"status": "all"}).content.decode()

    row = re.search(rf'id="request-{request.pk}".*?</tr>', body, re.S)
    assert row is not None
    assert "Change of items #" in row.group(0)
    assert "Merino Crew Sweater: S → M" in row.group(0)


def test_the_policy_trace_is_in_words_with_the_codes_beside_them(staff, store_a):
    order = make_order(store_a, total=Decimal("20.00"))
    request = submit_request(
        store=store_a,
        order=order,
        actor=Actor.customer(order.email),
        kind=RequestKind.CANCEL,
        idempotency_key="k",
    )

    body = staff.get(request_url(store_a, request)).content.decode()

    assert "The payment status is one the policy allows" in body
    assert "<code>financial_status</code>" in body  # the code, secondary
    assert request.outcome and f"<code>{request.outcome}</code>" in body


def test_the_trace_labels_say_which_rules_refuse_and_which_send_for_review():
    lines = trace_lines(
        [
            {"rule": "financial_status", "passed": False, "detail": "'pending' in ['paid']"},
            {"rule": "edit_quantity.always_review", "passed": False, "detail": ""},
            {"rule": "window", "passed": True, "detail": "no time limit"},
        ]
    )

    assert [(line.label, line.result) for line in lines] == [
        ("The payment status is one the policy allows", "No: not allowed"),
        ("Change a quantity: The policy does not review every request", "No: sent for review"),
        ("Within the time the policy allows", "Yes"),
    ]
    assert reason_label("risk_review") == "The order's fraud risk is one the policy reviews."
    assert rule_label("unknown_rule") == "unknown_rule"


def test_every_rule_reason_and_change_has_a_swedish_label():
    with translation.override("sv"):
        assert rule_label("financial_status") != "The payment status is one the policy allows"
        assert reason_label("over_value") != "The order's value is over the policy's review limit."
        assert trace_lines([{"rule": "window", "passed": True}])[0].result != "Yes"


def test_another_stores_request_page_is_not_found(staff, store_a, store_b):
    order, sweater, _cap = sweater_order(store_b)
    theirs = submit_edit(store_b, order, [{"kind": "remove", "line_id": sweater}])

    assert staff.get(request_url(store_a, theirs)).status_code == 404


def test_every_email_says_what_the_request_changes(store_a):
    from cancellations.notifications.services import render_request_email

    order, sweater, _cap = sweater_order(store_a)
    request = submit_edit(
        store_a,
        order,
        [{"kind": "swap", "line_id": sweater, "variant_id": "gid://shopify/ProductVariant/12"}],
    )

    for template in ("received", "approved", "rejected", "staff_waiting"):
        _subject, text, html = render_request_email(request, template)
        assert "Change of items" in text and "Merino Crew Sweater: S → M" in text, template
        assert "Merino Crew Sweater: S → M" in html, template


def test_the_customer_sees_the_title_and_the_changes_of_their_request(client, store_a):
    from cancellations.orders.access import make_order_link_token

    order, sweater, _cap = sweater_order(store_a)
    request = submit_edit(store_a, order, [{"kind": "quantity", "line_id": sweater, "quantity": 2}])
    token = make_order_link_token(order)

    body = client.get(f"/s/{store_a.slug}/o/{token}/requests/{request.pk}/").content.decode()
    order_page = client.get(f"/s/{store_a.slug}/o/{token}/").content.decode()

    assert "<h1>Change of items</h1>" in body
    assert "Merino Crew Sweater (S): quantity 1 → 2" in body
    assert "Change of items</a>" in order_page and "quantity 1 → 2" in order_page
