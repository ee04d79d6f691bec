"""The bulk cancellation pages: new job with preview, the job's progress, its JSON and its CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cancellations.bulk.selectors import OrderFilters
from cancellations.models import BulkCancelJob, OrderRequest
from tenants.roles import Role
from tests.bulk.helpers import drain_to_end, orders, staff, start
from tests.factories import make_member, make_order

pytestmark = pytest.mark.django_db

NEW = "/app/alpha-shop/bulk/"


def _client(store, role=Role.AGENT) -> tuple[Client, object]:
    user = make_member(store, role)
    client = Client()
    client.force_login(user)
    return client, user


def _form(**fields) -> dict[str, str]:
    data = {
        "mode": "filter",
        "status": "open",
        "reason": "inventory",
        "refund_method": "original",
        "restock": "on",
        "staff_note": "",
    }
    data.update(fields)
    return data


def test_an_agent_previews_by_filter_then_starts_and_lands_on_the_progress_page(store_a, store_b):
    made = orders(store_a, 3)
    make_order(store_b)
    client, user = _client(store_a)

    page = client.get(NEW)
    assert page.status_code == 200 and b'name="mode"' in page.content

    preview = client.post(NEW, _form(action="preview"))
    assert preview.status_code == 200
    body = preview.content.decode()
    assert "data-preview-count>3<" in body
    total = sum(order.total for order in made)
    assert f"{total:,.2f} USD" in body
    key = preview.context["form"]["start_key"].value()
    assert key and not BulkCancelJob.objects.for_store(store_a).exists()  # a preview starts nothing

    started = client.post(NEW, _form(action="start", start_key=key))
    job = BulkCancelJob.objects.for_store(store_a).get()
    assert started.status_code == 302 and started["Location"] == f"/app/alpha-shop/bulk/{job.pk}/"
    assert (job.reason, job.refund_method, job.restock, job.notify_customer) == (
        "inventory",
        "original",
        True,
        False,
    )
    assert job.created_by == user
    # a double submit of the same confirmation is the same job
    again = client.post(NEW, _form(action="start", start_key=key))
    assert again["Location"] == started["Location"] and BulkCancelJob.objects.for_store(store_a).count() == 1


def test_pasted_numbers_show_the_unknown_ones(store_a, store_b):
    make_order(store_a, name="#2001", number=2001)
    make_order(store_b, name="#2002", number=2002)
    client, _ = _client(store_a)

    response = client.post(NEW, _form(action="preview", mode="numbers", numbers="#2001\n#2002\n2003"))

    body = response.content.decode()
    assert "data-preview-count>1<" in body
    assert "Numbers not found in this store" in body and "2002, 2003" in body


def test_form_errors_are_shown_and_nothing_starts(store_a):
    client, _ = _client(store_a)
    response = client.post(NEW, _form(action="preview", mode="numbers", numbers=" "))
    assert response.status_code == 400 and b"Paste at least one order number." in response.content
    response = client.post(NEW, _form(action="start", start_key="k"))  # nothing to cancel
    assert response.status_code == 400 and b"None of these orders can be cancelled." in response.content
    assert not BulkCancelJob.objects.for_store(store_a).exists()


def test_a_viewer_follows_jobs_but_cannot_start_or_steer_them(store_a):
    orders(store_a, 2)
    job = start(store_a, staff(store_a))
    client, _ = _client(store_a, Role.VIEWER)

    page = client.get(NEW)
    assert (
        page.status_code == 200 and b"not start them" in page.content and b'name="action"' not in page.content
    )
    assert client.post(NEW, _form(action="preview")).status_code == 403
    assert client.post(NEW, _form(action="start", start_key="v")).status_code == 403
    assert client.get(f"{NEW}{job.pk}/").status_code == 200
    assert client.get(f"{NEW}{job.pk}/progress.json").status_code == 200
    assert client.post(f"{NEW}{job.pk}/", {"action": "pause"}).status_code == 403
    assert not BulkCancelJob.objects.for_store(store_a).exclude(pk=job.pk).exists()
    job.refresh_from_db()
    assert job.status == "queued"


def test_the_progress_page_and_its_json_follow_the_job(store_a):
    orders(store_a, 3)
    client, _ = _client(store_a)
    job = start(store_a, staff(store_a))
    page = client.get(f"{NEW}{job.pk}/")
    body = page.content.decode()
    assert 'http-equiv="refresh"' in body and "portal/bulk.js" in body  # refreshes with or without JS
    assert 'data-control="pause"' in body
    assert client.get(f"{NEW}{job.pk}/progress.json").json()["status"] == "queued"

    drain_to_end(store_a, job)
    data = client.get(f"{NEW}{job.pk}/progress.json").json()
    assert data == {
        "id": job.pk,
        "status": "completed",
        "status_label": "Completed",
        "total": 3,
        "done": 3,
        "skipped": 0,
        "failed": 0,
        "pending": 0,
        "processed": 3,
        "percent": 100,
        "refunded": f"{job.refunded_total:.2f}",
        "currency": "USD",
        "finished": True,
        "can_pause": False,
        "can_resume": False,
        "can_cancel": False,
        "last_error": "",
    }
    finished = client.get(f"{NEW}{job.pk}/").content.decode()
    assert (
        'http-equiv="refresh"' not in finished
        and 'progress class="bulk-progress" max="3" value="3"' in finished
    )


def test_the_page_shows_a_fixed_number_of_queries(store_a):
    orders(store_a, 30)
    make_order(store_a, cancelled_at=timezone.now())
    job = start(store_a, staff(store_a), filters=OrderFilters(status="any"))
    drain_to_end(store_a, job)
    client, _ = _client(store_a)
    client.get(f"{NEW}{job.pk}/")  # warm the session and permission look-ups
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{NEW}{job.pk}/").status_code == 200
    assert len(queries) < 20
    with CaptureQueriesContext(connection) as before:
        client.get(NEW)
    for _ in range(3):
        start(store_a, staff(store_a), order_numbers=[make_order(store_a).name])
    with CaptureQueriesContext(connection) as after:
        client.get(NEW)
    assert len(after) == len(before)  # the list of jobs is one query however many there are


def test_steering_buttons_pause_resume_and_stop(store_a):
    orders(store_a, 2)
    job = start(store_a, staff(store_a))
    client, _ = _client(store_a)
    url = f"{NEW}{job.pk}/"

    assert client.post(url, {"action": "pause"})["Location"] == url
    job.refresh_from_db()
    assert job.status == "paused"
    client.post(url, {"action": "resume"})
    job.refresh_from_db()
    assert job.status == "queued"
    client.post(url, {"action": "cancel"})
    job.refresh_from_db()
    assert job.status == "cancelled"
    response = client.post(url, {"action": "pause"}, follow=True)
    assert b"cannot be paused" in response.content
    response = client.post(url, {"action": "explode"}, follow=True)
    assert b"Choose pause, resume or stop." in response.content


def test_the_csv_lists_every_order_with_status_message_and_refund(store_a):
    good = make_order(store_a, name="#3001", number=3001)
    make_order(store_a, name="=cmd()", number=3002, cancelled_at=timezone.now())
    job = start(store_a, staff(store_a), order_numbers="#3001 =cmd() 3999", refund_method="original")
    drain_to_end(store_a, job)
    client, _ = _client(store_a, Role.VIEWER)

    response = client.get(f"{NEW}{job.pk}/result.csv")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f"bulk-cancellation-{job.pk}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        ["number", "status", "message", "refund", "currency"],
        ["#3001", "done", "", f"{good.total:.2f}", "USD"],
        ["'=cmd()", "skipped", "Already cancelled.", "0.00", ""],  # kept as text in a spreadsheet
        ["3999", "skipped", "No such order in this store.", "", ""],
    ]


def test_another_stores_job_is_not_found(store_a, store_b):
    orders(store_b, 1)
    theirs = start(store_b, staff(store_b))
    client, _ = _client(store_a, Role.OWNER)
    for path in ("", "progress.json", "result.csv"):
        assert client.get(f"{NEW}{theirs.pk}/{path}").status_code == 404
    assert client.post(f"{NEW}{theirs.pk}/", {"action": "cancel"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "queued"
    assert not OrderRequest.objects.for_store(store_b).exists()
    # and store B's page is not reachable for store A's staff at all
    assert client.get(f"/app/bravo-shop/bulk/{theirs.pk}/").status_code == 404
