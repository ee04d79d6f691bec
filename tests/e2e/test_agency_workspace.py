"""An agency member, in a real browser: the overview across client stores and the combined queue."""

import pytest

from tenants.roles import Role
from tests.agency.test_workspace import waiting_request
from tests.factories import PASSWORD, grant, make_agency, make_agency_member

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_agency_overview_and_combined_queue(page, live_server, store_a, store_b):
    agency = make_agency("north-agency", name="North Agency")
    make_agency_member(agency, email="sam@north.example")
    grant(store_a, agency, Role.AGENT)
    grant(store_b, agency, Role.ADMIN)
    waiting_request(store_a, "#A-7")
    waiting_request(store_b, "#B-8")

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=login]").fill("sam@north.example")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url("**/agency/north-agency/")
    page.get_by_role("heading", name="North Agency").wait_for()
    page.shots("overview")
    assert page.get_by_role("cell", name="Alpha Shop").is_visible()
    assert page.get_by_role("cell", name="Bravo Butik").is_visible()

    page.get_by_role("link", name="Combined queue").click()
    page.get_by_role("cell", name="#A-7").wait_for()
    assert page.get_by_role("cell", name="#B-8").is_visible()
    page.shots("combined-queue")
    page.get_by_label("Store").select_option("bravo-shop")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("cell", name="#B-8").wait_for()
    assert page.get_by_role("cell", name="#A-7").count() == 0
    page.shots("queue-one-store")
