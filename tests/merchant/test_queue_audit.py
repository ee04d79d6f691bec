"""The audit log: store set-up changes and request events in one list, filterable, exported as CSV."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cancellations.models import RequestEvent
from cancellations.requests.actors import Actor
from cancellations.requests.services import add_request_note, reject_request
from tenants import services
from tenants.access import staff_access
from tenants.models import StoreAuditEvent
from tenants.roles import Role
from tests.factories import make_member, make_order
from tests.merchant.queue_helpers import make_request
from tests.requests.helpers import pending_request

pytestmark = pytest.mark.django_db

ENTRY = re.compile(r'<tr class="audit-row">(.*?)</tr>', re.S)


@pytest.fixture
def admin(store_a):
    return make_member(store_a, Role.ADMIN, email="admin@alpha.example")


@pytest.fixture
def staff(client, admin):
    client.force_login(admin)
    return client


def audit_url(store) -> str:
    return f"/app/{store.slug}/audit/"


def entries(response) -> list[str]:
    assert response.status_code == 200
    return [
        re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).strip()
        for row in ENTRY.findall(response.content.decode())
    ]


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def history(store_a, admin):
    """A rejected request (customer, policy, staff events), a staff note and a set-up change."""
    access = staff_access(user=admin, store=store_a)
    request = pending_request(store_a, make_order(store_a, email="ann@example.com", name="#A-500"))
    reject_request(
        store=store_a, request_id=request.pk, actor=Actor.staff(access), message="Already shipped."
    )
    add_request_note(
        store=store_a, request_id=request.pk, actor=Actor.staff(access), text="Checked with the warehouse."
    )
    services.update_store_settings(access=access, name="Alpha Shop Renamed")
    return request


def test_the_log_shows_set_up_changes_and_request_events_newest_first(staff, store_a, history):
    rows = entries(staff.get(audit_url(store_a)))

    assert len(rows) == 5
    assert "Settings changed" in rows[0] and "Alpha Shop → Alpha Shop Renamed" in rows[0]
    assert any("Rejected" in row and "#A-500" in row and "admin@alpha.example" in row for row in rows)
    assert any("Asked for" in row and "ann@example.com" in row and "Customer" in row for row in rows)
    assert any("Sent for review" in row and "Amend" in row for row in rows)
    assert any("Note added" in row for row in rows)
    assert "Asked for" in rows[-1]
    assert not any(code in " ".join(rows) for code in ("note_added", "queued", "store.settings_changed"))


def test_filtering_by_who_acted(staff, store_a, history):
    customer = entries(staff.get(audit_url(store_a), {"actor_kind": "customer"}))
    assert len(customer) == 1 and "Asked for" in customer[0]

    by_staff = entries(staff.get(audit_url(store_a), {"actor_kind": "staff"}))
    assert {
        next(a for a in ("Rejected", "Note added", "Settings changed") if a in row) for row in by_staff
    } == {
        "Rejected",
        "Note added",
        "Settings changed",
    }
    assert len(by_staff) == 3

    system = entries(staff.get(audit_url(store_a), {"actor_kind": "system"}))
    assert len(system) == 1 and "Sent for review" in system[0]

    assert entries(staff.get(audit_url(store_a), {"actor_kind": "api_token"})) == []


def test_filtering_by_action(staff, store_a, history):
    rows = entries(staff.get(audit_url(store_a), {"action": "rejected"}))

    assert len(rows) == 1 and "Already shipped." in rows[0]


def test_filtering_by_dates_in_the_stores_time_zone(staff, store_a):
    store_a.timezone = "Europe/Stockholm"
    store_a.save(update_fields=["timezone"])
    zone = ZoneInfo("Europe/Stockholm")
    request = make_request(store_a)
    # 23:30 in Stockholm on 1 March is 22:30 UTC: it belongs to 1 March.
    for day, hour, action in ((1, 23, "late_on_the_first"), (2, 10, "on_the_second"), (3, 0, "on_the_third")):
        RequestEvent.objects.create(
            store=store_a,
            request=request,
            at=datetime(2026, 3, day, hour, 30, tzinfo=zone),
            actor_kind="system",
            actor_label="Amend",
            action=action,
        )

    rows = entries(staff.get(audit_url(store_a), {"date_from": "2026-03-01", "date_to": "2026-03-02"}))
    assert [row for row in rows if "on_the" in row] == [
        next(row for row in rows if "on_the_second" in row),
        next(row for row in rows if "late_on_the_first" in row),
    ]

    only_third = entries(staff.get(audit_url(store_a), {"date_from": "2026-03-03"}))
    assert len(only_third) == 1 and "on_the_third" in only_third[0]


def test_a_date_range_that_ends_before_it_starts_is_an_error(staff, store_a, history):
    response = staff.get(audit_url(store_a), {"date_from": "2026-03-02", "date_to": "2026-03-01"})

    assert b"The end comes before the start." in response.content


def test_older_entries_are_paged_by_cursor_without_repeats(staff, store_a):
    request = make_request(store_a)
    moment = timezone.now() - timedelta(days=1)
    # Ties across both sources on purpose: many entries share a moment.
    for n in range(130):
        RequestEvent.objects.create(
            store=store_a,
            request=request,
            at=moment + timedelta(seconds=n // 4),
            actor_kind="system",
            action=f"step_{n}",
        )
    for n in range(30):
        StoreAuditEvent.objects.create(store=store_a, at=moment + timedelta(seconds=n), action=f"setup_{n}")

    first = staff.get(audit_url(store_a))
    following = re.search(r'rel="next" href="\?([^"]+)"', first.content.decode())
    assert following
    second = staff.get(f"{audit_url(store_a)}?{html.unescape(following.group(1))}")
    assert not re.search(r'rel="next"', second.content.decode())

    actions = [re.search(r"(step|setup)_\d+", row).group(0) for row in entries(first) + entries(second)]
    assert len(actions) == 160 and len(set(actions)) == 160


def test_the_csv_export_has_every_entry_with_its_columns(staff, store_a, history):
    rows = csv_rows(staff.get(audit_url(store_a), {"format": "csv"}))

    assert list(rows[0]) == [
        "at",
        "source",
        "actor_kind",
        "actor",
        "action",
        "subject",
        "request_id",
        "request_kind",
        "from_status",
        "to_status",
        "details",
    ]
    assert len(rows) == 5
    rejected = next(row for row in rows if row["action"] == "rejected")
    assert rejected["source"] == "request"
    assert rejected["actor_kind"] == "staff"
    assert rejected["actor"] == "admin@alpha.example"
    assert rejected["subject"] == "#A-500"
    assert rejected["request_id"] == str(history.pk)
    assert rejected["request_kind"] == "cancel"
    assert (rejected["from_status"], rejected["to_status"]) == ("pending_review", "rejected")
    assert '"message": "Already shipped."' in rejected["details"]
    settings_row = next(row for row in rows if row["action"] == "store.settings_changed")
    assert settings_row["source"] == "store" and settings_row["request_id"] == ""
    assert datetime.fromisoformat(settings_row["at"]) > datetime.fromisoformat(rows[-1]["at"])


def test_the_csv_export_follows_the_filters(staff, store_a, history):
    rows = csv_rows(staff.get(audit_url(store_a), {"format": "csv", "actor_kind": "customer"}))

    assert [row["action"] for row in rows] == ["submitted"]


def test_the_csv_export_defuses_spreadsheet_formulas(staff, store_a):
    request = make_request(store_a)
    RequestEvent.objects.create(
        store=store_a,
        request=request,
        actor_kind="customer",
        actor_label='=HYPERLINK("http://x")',
        action="submitted",
    )

    rows = csv_rows(staff.get(audit_url(store_a), {"format": "csv"}))

    assert rows[0]["actor"] == '\'=HYPERLINK("http://x")'


def test_another_stores_events_never_appear(staff, store_a, store_b, history):
    theirs = pending_request(store_b, make_order(store_b, email="bravo.only@example.net", name="#B-9"))
    owner_b = make_member(store_b, Role.OWNER, email="owner@bravo.example")
    services.update_store_settings(access=staff_access(user=owner_b, store=store_b), name="Bravo Secret Name")

    page = staff.get(audit_url(store_a), {"actor_kind": ""}).content.decode()
    export = b"".join(staff.get(audit_url(store_a), {"format": "csv"}).streaming_content).decode()

    for secret in (
        "bravo.only@example.net",
        "#B-9",
        "Bravo Secret Name",
        "owner@bravo.example",
        f"/queue/{theirs.pk}/",
    ):
        assert secret not in page
        assert secret not in export


def test_agents_cannot_read_the_audit_log(client, store_a):
    client.force_login(make_member(store_a, Role.AGENT))

    assert client.get(audit_url(store_a)).status_code == 403
    assert client.get(audit_url(store_a), {"format": "csv"}).status_code == 403
