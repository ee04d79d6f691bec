"""Staff see the differences customers still owe after a change was carried out: a filter and a badge."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cancellations.models import OrderRequest, RequestKind, RequestStatus
from tenants.roles import Role
from tests.factories import make_member
from tests.merchant.queue_helpers import make_request, queue_url, request_url
from tests.merchant.test_queue_page import ids_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, store_a):
    client.force_login(make_member(store_a, Role.AGENT, email="agent@alpha.example"))
    return client


def _owing(store, *, financial_status="partially_paid", amount="120.00"):
    request = make_request(
        store, kind=RequestKind.EDIT, status=RequestStatus.COMPLETED, financial_status=financial_status
    )
    OrderRequest.objects.for_store(store).filter(pk=request.pk).update(
        amount_owed=Decimal(amount), payment_url="https://example.com/pay/abc"
    )
    return request


def test_the_unpaid_filter_lists_only_differences_still_owed(staff, store_a, store_b):
    owing = _owing(store_a)
    _owing(store_a, financial_status="paid")  # paid since
    make_request(store_a, kind=RequestKind.EDIT, status=RequestStatus.COMPLETED)  # owed nothing
    make_request(store_a)  # waiting for review
    _owing(store_b)  # another store's

    response = staff.get(queue_url(store_a), {"payment": "unpaid"})

    assert ids_on(response) == [owing.pk]
    assert "120.00 USD unpaid" in response.content.decode()


def test_the_request_page_says_what_is_owed_and_links_the_payment(staff, store_a):
    owing = _owing(store_a)
    page = staff.get(request_url(store_a, owing)).content.decode()
    assert "Owed by the customer" in page and "Unpaid" in page and "https://example.com/pay/abc" in page
