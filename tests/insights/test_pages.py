"""The Insights page and its CSV exports: who may see them, the period picker, and what the files hold."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from cancellations.insights.catalogue import CHARTS
from cancellations.models import InsightsRollup
from tenants.roles import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db

PAGE = "/app/alpha-shop/insights/"
PERIOD = "start=2026-11-08&end=2026-11-14"


@pytest.fixture
def viewer(dataset) -> Client:
    client = Client()
    client.force_login(make_member(dataset.store, Role.VIEWER))
    return client


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


class _Inline(HTMLParser):
    """Collects what the Content-Security-Policy would block: inline styles and scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if "style" in names or tag in ("script", "style") or any(n.startswith("on") for n in names):
            self.found.append(tag)


def test_staff_see_every_chart_with_its_numbers_and_a_csv_link(viewer):
    response = viewer.get(f"{PAGE}?{PERIOD}")

    assert response.status_code == 200
    page = response.content.decode()
    for name in CHARTS:
        assert f'href="/app/alpha-shop/insights/{name}.csv?{PERIOD.replace("&", "&amp;")}"' in page
    assert page.count('role="img"') == len(CHARTS)
    assert page.count("<table") == len(CHARTS)
    assert "75.0 %" in page  # this period's cancellation rate
    assert "+25.0 points" in page  # against 50 % before
    assert "I changed my mind" in page
    parser = _Inline()
    parser.feed(page)
    assert parser.found == []


def test_the_page_offers_the_last_7_30_or_90_days(viewer):
    response = viewer.get(PAGE)

    page = response.content.decode()
    assert response.status_code == 200
    for days in (7, 30, 90):
        assert f'href="?days={days}"' in page
    assert 'href="?days=30" aria-current="page"' in page
    assert viewer.get(f"{PAGE}?days=7").status_code == 200


@pytest.mark.parametrize(
    "query",
    ["days=5", "start=2026-11-14&end=2026-11-08", "start=2026-11-08", "start=not-a-date&end=2026-11-09",
     "start=2020-01-01&end=2026-11-14"],
)  # fmt: skip
def test_a_period_that_makes_no_sense_is_refused(viewer, query):
    page = viewer.get(f"{PAGE}?{query}")
    export = viewer.get(f"{PAGE}cancellation_rate.csv?{query}")

    assert page.status_code == 400
    assert 'class="errorlist"' in page.content.decode()
    assert export.status_code == 400


def test_opening_insights_asks_for_the_rollups_to_be_brought_up_to_date(
    viewer, dataset, django_capture_on_commit_callbacks
):
    assert not InsightsRollup.objects.for_store(dataset.store).exists()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        viewer.get(PAGE)
    # Tests run tasks in-process: the refresh has run.
    state = InsightsRollup.objects.for_store(dataset.store).get()
    assert state.timezone == "Europe/Stockholm"
    assert state.built_through is not None
    # Asked once an hour at most.
    with django_capture_on_commit_callbacks(execute=True) as again:
        viewer.get(PAGE)
    assert (len(callbacks), len(again)) == (1, 0)


def test_the_nav_links_to_insights(viewer):
    page = viewer.get("/app/alpha-shop/").content.decode()

    assert 'href="/app/alpha-shop/insights/"' in page


def test_anonymous_visitors_are_sent_to_sign_in(dataset):
    client = Client()

    for url in (PAGE, f"{PAGE}cancellation_rate.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_another_stores_insights_are_not_found(dataset):
    client = Client()
    client.force_login(make_member(dataset.store, Role.OWNER))

    assert client.get("/app/bravo-shop/insights/").status_code == 404
    assert client.get("/app/bravo-shop/insights/cancellation_rate.csv").status_code == 404


def test_an_unknown_chart_is_not_found(viewer):
    assert viewer.get(f"{PAGE}nonsense.csv").status_code == 404
    assert viewer.get(f"{PAGE}__init__.csv").status_code == 404


def test_every_chart_has_a_csv_with_a_header_and_its_rows(viewer):
    for name in CHARTS:
        response = viewer.get(reverse("merchant:insights_csv", args=["alpha-shop", name]) + f"?{PERIOD}")
        assert response.status_code == 200, name
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == (
            f'attachment; filename="alpha-shop-{name}-2026-11-08-2026-11-14.csv"'
        )
        assert rows(response)[0], name


def test_cancellation_rate_csv(viewer):
    table = rows(viewer.get(f"{PAGE}cancellation_rate.csv?{PERIOD}"))

    assert table[0] == [
        "from", "to", "placed", "cancelled", "cancellation_rate",
        "previous_from", "previous_to", "previous_placed", "previous_cancelled", "previous_cancellation_rate",
    ]  # fmt: skip
    assert table[1] == ["2026-11-08", "2026-11-08", "1", "1", "1", "2026-11-01", "2026-11-01", "0", "0", ""]
    assert table[3] == ["2026-11-10", "2026-11-10", "1", "0", "0", "2026-11-03", "2026-11-03", "1", "1", "1"]
    assert len(table) == 1 + 7


def test_requests_csv_has_codes_and_labels(viewer):
    table = rows(viewer.get(f"{PAGE}requests.csv?{PERIOD}"))

    assert table[0] == ["kind_code", "outcome_code", "kind", "outcome", "requests", "previous_requests"]
    assert table[1:] == [
        ["cancel", "auto_approved", "Cancellation", "Approved by the store's policy", "1", "1"],
        ["cancel", "approved", "Cancellation", "Approved", "2", "0"],
        ["cancel", "rejected", "Cancellation", "Rejected", "1", "1"],
        ["edit", "open", "Change", "Not decided yet", "1", "0"],
        ["withdrawal", "withdrawn", "Withdrawal", "Withdrawn", "1", "0"],
    ]


def test_reasons_csvs(viewer):
    reasons = rows(viewer.get(f"{PAGE}reasons.csv?{PERIOD}"))
    trend = rows(viewer.get(f"{PAGE}reason_trend.csv?{PERIOD}"))

    assert reasons == [
        ["reason_code", "reason", "requests", "share", "previous_requests", "previous_share"],
        ["changed_mind", "I changed my mind", "2", "0.5", "1", "0.5"],
        ["found_cheaper", "I found it cheaper elsewhere", "1", "0.25", "1", "0.5"],
        ["", "No reason given", "1", "0.25", "0", "0"],
    ]
    assert trend[0] == ["from", "to", "requests_changed_mind", "requests_found_cheaper", "requests_none"]
    assert trend[1] == ["2026-11-08", "2026-11-08", "1", "0", "0"]
    assert trend[7] == ["2026-11-14", "2026-11-14", "0", "1", "0"]


def test_product_csvs(viewer):
    products = rows(viewer.get(f"{PAGE}products.csv?{PERIOD}"))
    types = rows(viewer.get(f"{PAGE}product_types.csv?{PERIOD}"))

    assert products == [
        [
            "product",
            "cancelled_orders",
            "cancelled_value",
            "previous_cancelled_orders",
            "previous_cancelled_value",
        ],
        ["Tee", "2", "260.00", "0", "0.00"],
        ["Mug", "1", "40.00", "1", "20.00"],
    ]
    assert types[1:] == [
        ["Apparel", "2", "2", "1", "0", "0", ""],
        ["Kitchen", "2", "1", "0.5", "1", "1", "1"],
    ]


def test_time_to_cancel_and_decisions_csvs(viewer):
    delays = rows(viewer.get(f"{PAGE}time_to_cancel.csv?{PERIOD}"))
    decided = rows(viewer.get(f"{PAGE}decisions.csv?{PERIOD}"))
    waits = rows(viewer.get(f"{PAGE}time_to_decision.csv?{PERIOD}"))

    assert delays[1] == ["under_1h", "Within an hour", "1", "0.333333", "0", "0"]
    assert [row[0] for row in delays[1:]] == [
        "under_1h",
        "1h_6h",
        "6h_24h",
        "1d_3d",
        "3d_7d",
        "7d_30d",
        "over_30d",
    ]
    assert decided[1:] == [
        ["policy", "The store's policy, at once", "1", "0.25", "1", "0.5"],
        ["rule_or_integration", "A rule or an integration", "1", "0.25", "0", "0"],
        ["staff", "Staff", "2", "0.5", "1", "0.5"],
    ]
    assert waits == [
        ["period_code", "period", "from", "to", "reviewed_requests", "median_seconds", "p90_seconds"],
        ["current", "This period", "2026-11-08", "2026-11-14", "3", "7200", "12960"],
        ["previous", "Previous period", "2026-11-01", "2026-11-07", "1", "36000", "36000"],
    ]


def test_retention_and_money_csvs(viewer):
    kept = rows(viewer.get(f"{PAGE}retention.csv?{PERIOD}"))
    money = rows(viewer.get(f"{PAGE}refunds_and_fees.csv?{PERIOD}"))

    assert kept[1:] == [
        ["current", "This period", "2026-11-08", "2026-11-14", "1", "50.00", "2", "0.333333"],
        ["previous", "Previous period", "2026-11-01", "2026-11-07", "1", "30.00", "1", "0.5"],
    ]
    assert money[1:] == [
        ["current", "This period", "2026-11-08", "2026-11-14", "3", "370.00", "10.00", "0.00"],
        ["previous", "Previous period", "2026-11-01", "2026-11-07", "1", "20.00", "0.00", "0.00"],
    ]


def test_text_that_a_spreadsheet_would_run_is_exported_as_text(viewer, dataset):
    from datetime import timedelta

    from tests.insights.conftest import add_order, local

    add_order(
        dataset.store,
        local(9),
        "10.00",
        cancelled_after=timedelta(hours=1),
        lines=(('=HYPERLINK("http://evil.example")', "", "10.00"),),
    )

    table = rows(viewer.get(f"{PAGE}products.csv?{PERIOD}"))

    assert ['\'=HYPERLINK("http://evil.example")', "1", "10.00", "0", "0.00"] in table
