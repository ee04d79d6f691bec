"""The support queue list: filters, search, sorting, keyset pages, the response target, who may see it."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cancellations.models import QueueSettings, RequestKind, RequestStatus
from tenants.models import StoreAuditEvent
from tenants.roles import Role
from tests.factories import grant, make_agency, make_agency_member, make_member, make_user
from tests.merchant.queue_helpers import make_request, queue_url, request_url

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr class="queue-row[^"]*">.*?/queue/(\d+)/', re.S)


def ids_on(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [int(pk) for pk in ROW.findall(response.content.decode())]


def link(response, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="\?([^"]+)"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


@pytest.fixture
def agent(store_a):
    return make_member(store_a, Role.AGENT, email="agent@alpha.example")


@pytest.fixture
def staff(client, agent):
    client.force_login(agent)
    return client


def _ago(**kwargs) -> timezone.datetime:
    return timezone.now() - timedelta(**kwargs)


def test_the_queue_shows_requests_waiting_for_review_oldest_first(staff, store_a):
    newer = make_request(store_a, requested_at=_ago(minutes=5))
    older = make_request(store_a, requested_at=_ago(hours=3))
    make_request(store_a, status=RequestStatus.COMPLETED, requested_at=_ago(hours=5))

    assert ids_on(staff.get(queue_url(store_a))) == [older.pk, newer.pk]


def test_the_queue_never_shows_another_stores_requests(staff, store_a, store_b):
    ours = make_request(store_a)
    make_request(store_b, email="bravo.only@example.net", name="#B-1")

    response = staff.get(queue_url(store_a), {"status": "all"})

    assert ids_on(response) == [ours.pk]
    assert b"bravo.only@example.net" not in response.content


# Each case: the query string, and how to build one request it keeps and one it leaves out.
FILTER_CASES = {
    "kind": (
        {"kind": "edit"},
        {"kind": RequestKind.EDIT},
        {"kind": RequestKind.CANCEL},
    ),
    "status": (
        {"status": "rejected"},
        {"status": RequestStatus.REJECTED},
        {"status": RequestStatus.PENDING_REVIEW},
    ),
    "reason": (
        {"reason": "ordered_by_mistake"},
        {"reason_code": "ordered_by_mistake"},
        {"reason_code": "changed_mind"},
    ),
    "age": (
        {"age": "24h"},
        {"requested_at": "2 days"},
        {"requested_at": "1 hour"},
    ),
    "overdue": (
        {"age": "overdue"},
        {"requested_at": "25 hours"},
        {"requested_at": "23 hours"},
    ),
    "min_value": (
        {"min_value": "100"},
        {"lines": 5},  # 109.50
        {"lines": 2},  # 40.80
    ),
    "max_value": (
        {"max_value": "50"},
        {"lines": 2},
        {"lines": 5},
    ),
    "risk": (
        {"risk": "high"},
        {"risk_level": "high"},
        {"risk_level": "low"},
    ),
    "unassessed risk": (
        {"risk": "unassessed"},
        {"risk_level": ""},
        {"risk_level": "medium"},
    ),
    "assigned to me": (
        {"assignee": "me"},
        {"assigned_to": "agent"},
        {"assigned_to": "colleague"},
    ),
    "assigned to nobody": (
        {"assignee": "nobody"},
        {"assigned_to": None},
        {"assigned_to": "agent"},
    ),
}


def _build(store, spec: dict, people: dict):
    spec = dict(spec)
    if "requested_at" in spec:
        amount, unit = spec.pop("requested_at").split()
        spec["requested_at"] = _ago(**{unit.rstrip("s") + "s": int(amount)})
    if "assigned_to" in spec:
        spec["assigned_to"] = people.get(spec["assigned_to"])
    return make_request(store, **spec)


@pytest.mark.parametrize("case", FILTER_CASES, ids=list(FILTER_CASES))
def test_each_filter_keeps_what_matches_and_drops_the_rest(staff, store_a, agent, case):
    query, keep, drop = FILTER_CASES[case]
    people = {"agent": agent, "colleague": make_member(store_a, Role.AGENT)}
    kept = _build(store_a, keep, people)
    dropped = _build(store_a, drop, people)

    assert set(ids_on(staff.get(queue_url(store_a), {"status": "all"}))) == {kept.pk, dropped.pk}
    assert ids_on(staff.get(queue_url(store_a), query)) == [kept.pk]


def test_filters_combine_and_an_assignee_can_be_chosen_by_id(staff, store_a, agent):
    colleague = make_member(store_a, Role.AGENT)
    wanted = make_request(store_a, kind=RequestKind.EDIT, risk_level="high", assigned_to=colleague)
    make_request(store_a, kind=RequestKind.EDIT, risk_level="low", assigned_to=colleague)
    make_request(store_a, kind=RequestKind.CANCEL, risk_level="high", assigned_to=colleague)
    make_request(store_a, kind=RequestKind.EDIT, risk_level="high", assigned_to=agent)

    response = staff.get(queue_url(store_a), {"kind": "edit", "risk": "high", "assignee": colleague.pk})

    assert ids_on(response) == [wanted.pk]


def test_every_status_can_be_listed(staff, store_a):
    waiting = make_request(store_a, requested_at=_ago(hours=2))
    done = make_request(store_a, status=RequestStatus.COMPLETED, requested_at=_ago(hours=1))

    assert ids_on(staff.get(queue_url(store_a), {"status": "all"})) == [waiting.pk, done.pk]


def test_a_filter_value_that_does_not_validate_does_not_narrow(staff, store_a):
    waiting = make_request(store_a)

    response = staff.get(queue_url(store_a), {"min_value": "lots", "kind": "teleport", "per_page": "7"})

    assert ids_on(response) == [waiting.pk]


@pytest.mark.parametrize(
    "query", ["#A-77", "A-77", " #A-77 ", "ann.buyer@example.com", "ANN.Buyer@Example.com"], ids=str
)
def test_search_finds_a_request_by_order_name_or_email(staff, store_a, query):
    found = make_request(store_a, name="#A-77", email="ann.buyer@example.com")
    make_request(store_a, name="#A-78", email="bob@example.com")
    make_request(store_a, name="#A-770", email="carl@example.com")

    assert ids_on(staff.get(queue_url(store_a), {"q": query})) == [found.pk]


@pytest.mark.parametrize("query", ["#A-7", "A-770", "ann.buyer@example", "buyer@example.com"], ids=str)
def test_search_matches_whole_order_numbers_and_whole_emails(staff, store_a, query):
    make_request(store_a, name="#A-77", email="ann.buyer@example.com")

    assert ids_on(staff.get(queue_url(store_a), {"q": query})) == []


def test_a_search_that_matches_nothing_says_so(staff, store_a):
    make_request(store_a, name="#A-77")

    response = staff.get(queue_url(store_a), {"q": "#Z-1"})

    assert ids_on(response) == []
    assert b"No request matches these filters." in response.content


def test_sorting_oldest_or_newest_first(staff, store_a):
    first = make_request(store_a, requested_at=_ago(hours=3))
    second = make_request(store_a, requested_at=_ago(hours=2))
    third = make_request(store_a, requested_at=_ago(hours=1))

    assert ids_on(staff.get(queue_url(store_a), {"sort": "newest"})) == [third.pk, second.pk, first.pk]
    assert ids_on(staff.get(queue_url(store_a), {"sort": "oldest"})) == [first.pk, second.pk, third.pk]


def _walk(client, url: str, params: dict) -> list[list[int]]:
    pages = []
    response = client.get(url, params)
    pages.append(ids_on(response))
    while (following := link(response, "next")) is not None:
        response = client.get(f"{url}?{following}")
        pages.append(ids_on(response))
        assert len(pages) < 20
    return pages


@pytest.mark.parametrize("sort", ["oldest", "newest"])
def test_cursor_pages_cover_every_request_once_in_order(staff, store_a, sort):
    # Ties on purpose: ten requests share each moment, so the id decides between them.
    moment = timezone.now() - timedelta(days=1)
    made = [make_request(store_a, requested_at=moment + timedelta(minutes=n // 10)) for n in range(120)]

    pages = _walk(staff, queue_url(store_a), {"sort": sort})

    seen = [pk for page in pages for pk in page]
    assert [len(page) for page in pages] == [50, 50, 20]
    assert sorted(seen) == sorted(r.pk for r in made)
    expected = [r.pk for r in sorted(made, key=lambda r: (r.requested_at, r.pk), reverse=sort == "newest")]
    assert seen == expected


def test_previous_goes_back_to_the_same_rows(staff, store_a):
    for n in range(120):
        make_request(store_a, requested_at=_ago(hours=200 - n))
    first = staff.get(queue_url(store_a))
    second = staff.get(f"{queue_url(store_a)}?{link(first, 'next')}")
    third = staff.get(f"{queue_url(store_a)}?{link(second, 'next')}")

    back = staff.get(f"{queue_url(store_a)}?{link(third, 'prev')}")
    back_again = staff.get(f"{queue_url(store_a)}?{link(back, 'prev')}")

    assert ids_on(back) == ids_on(second)
    assert ids_on(back_again) == ids_on(first)
    assert link(back_again, "prev") is None
    assert link(third, "next") is None


@pytest.mark.parametrize("sort", ["oldest", "newest"])
def test_pages_stay_put_when_requests_arrive_meanwhile(staff, store_a, sort):
    made = [make_request(store_a, requested_at=_ago(hours=100 - n)) for n in range(100)]
    in_order = [r.pk for r in (made if sort == "oldest" else made[::-1])]
    first = staff.get(queue_url(store_a), {"sort": sort})
    assert ids_on(first) == in_order[:50]

    # New requests arrive at both ends while the person reads page one.
    make_request(store_a, requested_at=_ago(hours=500))
    make_request(store_a, requested_at=timezone.now())

    second = staff.get(f"{queue_url(store_a)}?{link(first, 'next')}")
    assert ids_on(second) == in_order[50:]


def test_a_cursor_that_does_not_verify_starts_at_the_first_page(staff, store_a):
    waiting = make_request(store_a)

    assert ids_on(staff.get(queue_url(store_a), {"cursor": "not-a-cursor"})) == [waiting.pk]


def test_the_page_size_can_be_chosen(staff, store_a):
    for _ in range(120):
        make_request(store_a)

    assert len(ids_on(staff.get(queue_url(store_a), {"per_page": "100"}))) == 100
    assert len(ids_on(staff.get(queue_url(store_a)))) == 50


def _queries_for_queue(client, store) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(queue_url(store), {"status": "all"})
    assert response.status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_requests(staff, store_a, agent):
    colleague = make_member(store_a, Role.AGENT)
    for n in range(10):
        make_request(store_a, assigned_to=(agent, colleague, None)[n % 3], risk_level="high")
    ten = _queries_for_queue(staff, store_a)
    for n in range(50):
        make_request(store_a, assigned_to=(agent, colleague, None)[n % 3], kind=RequestKind.EDIT)
    sixty = _queries_for_queue(staff, store_a)

    assert ten == sixty
    assert sixty <= 16  # one of them reads every row's changes, to say what each request changes


def test_age_is_shown_and_requests_past_the_target_are_marked(staff, store_a):
    late = make_request(store_a, requested_at=_ago(hours=30))
    make_request(store_a, requested_at=_ago(minutes=90))

    body = staff.get(queue_url(store_a)).content.decode()

    assert re.search(rf'<tr class="queue-row queue-row--late">.*?/queue/{late.pk}/', body, re.S)
    assert body.count("queue-row--late") == 1
    assert "1 day 6 h" in body
    assert "1 h 30 min" in body
    assert "2 requests waiting for review" in body
    assert "1 past the response target" in body


def test_an_admin_sets_the_response_target_and_lateness_follows_it(client, store_a):
    admin = make_member(store_a, Role.ADMIN)
    client.force_login(admin)
    make_request(store_a, requested_at=_ago(hours=3))
    assert b"queue-row--late" not in client.get(queue_url(store_a)).content

    response = client.post(f"{queue_url(store_a)}response-target/", {"hours": "2"})

    assert response.status_code == 302
    assert QueueSettings.objects.for_store(store_a).get().response_target_hours == 2
    assert b"queue-row--late" in client.get(queue_url(store_a)).content
    event = StoreAuditEvent.objects.for_store(store_a).get(action="queue.response_target_changed")
    assert event.data == {"hours": [24, 2]}


def test_a_response_target_out_of_range_is_refused(client, store_a):
    client.force_login(make_member(store_a, Role.ADMIN))

    client.post(f"{queue_url(store_a)}response-target/", {"hours": "0"})

    assert not QueueSettings.objects.for_store(store_a).exists()


def test_agents_cannot_change_the_response_target(staff, store_a):
    assert staff.post(f"{queue_url(store_a)}response-target/", {"hours": "2"}).status_code == 403


def test_a_viewer_reads_the_queue_but_is_offered_no_decisions(client, store_a):
    client.force_login(make_member(store_a, Role.VIEWER))
    waiting = make_request(store_a)

    response = client.get(queue_url(store_a))

    assert ids_on(response) == [waiting.pk]
    assert b'id="bulk"' not in response.content
    assert b'name="request_ids"' not in response.content
    detail = client.get(request_url(store_a, waiting))
    assert detail.status_code == 200
    assert b"/approve/" not in detail.content


def test_agency_staff_with_a_grant_see_the_queue_and_can_be_assigned(staff, store_a):
    agency = make_agency()
    partner = make_agency_member(agency, email="partner@agency.example")
    grant(store_a, agency, Role.AGENT)
    make_request(store_a)

    body = staff.get(queue_url(store_a)).content.decode()

    assert f'<option value="{partner.pk}">partner@agency.example</option>' in body


def test_people_outside_the_store_get_nothing(client, store_a, store_b):
    make_request(store_a)
    assert client.get(queue_url(store_a)).status_code == 302  # to sign in
    client.force_login(make_user("customer@example.com"))
    assert client.get(queue_url(store_a)).status_code == 404
    client.force_login(make_member(store_b, Role.OWNER))
    assert client.get(queue_url(store_a)).status_code == 404


def test_another_stores_request_is_not_found_in_this_stores_urls(staff, store_a, store_b):
    theirs = make_request(store_b)
    for action in ("", "approve", "reject", "assign", "notes", "retry"):
        method = staff.get if not action else staff.post
        response = method(request_url(store_a, theirs, action), {"message": "No", "text": "Hi"})
        assert response.status_code == 404, action
    theirs.refresh_from_db()
    assert theirs.status == RequestStatus.PENDING_REVIEW


def test_the_nav_links_to_the_queue_for_those_who_may_read_it(staff, store_a):
    body = staff.get(f"/app/{store_a.slug}/").content.decode()
    assert f'href="/app/{store_a.slug}/queue/"' in body


def test_money_filters_use_the_order_total(staff, store_a):
    exact = make_request(store_a, lines=2)
    assert exact.order.total == Decimal("40.80")

    response = staff.get(queue_url(store_a), {"min_value": "40.80", "max_value": "40.80"})

    assert ids_on(response) == [exact.pk]


def test_reasons_and_refund_methods_read_as_words_not_codes(staff, store_a):
    waiting = make_request(store_a, reason_code="changed_mind")
    waiting.refund_method = "store_credit"
    waiting.save(update_fields=["refund_method"])

    queue = staff.get(queue_url(store_a)).content.decode()
    page = staff.get(request_url(store_a, waiting)).content.decode()

    rows = queue.split("<tbody", 1)[-1].split("</tbody>")[0]
    assert "I changed my mind" in rows and "changed_mind" not in rows
    assert "I changed my mind" in page and "<code>changed_mind</code>" not in page
    assert "(Store credit)" in page and "(store_credit)" not in page
    # A Swedish reader gets the policy's Swedish label.
    swedish = staff.get(request_url(store_a, waiting), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Jag har ångrat mig" in swedish
