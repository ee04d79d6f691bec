"""Staff, in a real browser, read an edit request as a person would write it: products named, old -> new.

The test also saves the page at desktop and phone width to docs/screenshots/, where the README's tour
shows them.
"""

from dataclasses import replace
from pathlib import Path

import pytest

from cancellations.models import LineItem, RequestStatus
from cancellations.policy import DEFAULT_POLICY
from cancellations.policy.sections import ApprovalRules
from cancellations.policy.services import save_policy
from tenants.roles import Role
from tests.factories import make_member
from tests.merchant.test_request_words import NEW_ADDRESS, submit_edit, sweater_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_staff_read_an_edit_with_products_named_and_old_and_new_values(page, live_server, client, store_a):
    agent = make_member(store_a, Role.AGENT, email="agent@alpha.example")
    # Item changes are offered online and always reviewed, so the request waits in the queue.
    reviewed = replace(DEFAULT_POLICY.swap_variant, enabled=True, approval=ApprovalRules(always=True))
    save_policy(
        store=store_a,
        actor=None,
        policy=replace(DEFAULT_POLICY, swap_variant=reviewed, remove_line=reviewed),
    )
    order, sweater, cap = sweater_order(
        store_a, name="#A-1289", customer_name="Ann Buyer", email="ann@example.com"
    )
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
    assert request.status == RequestStatus.PENDING_REVIEW
    assert LineItem.objects.for_store(store_a).filter(order=order).count() == 2

    client.force_login(agent)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page.goto(f"{live_server.url}/app/{store_a.slug}/queue/{request.pk}/")

    page.get_by_role("heading", name=f"Change of items and address #{request.pk}").wait_for()
    changes = page.locator(".request-changes li")
    assert changes.all_inner_texts() == [
        "Merino Crew Sweater: S → M, 1 → 2",
        "Remove: Wool Cap × 2",  # noqa: RUF001 (the multiplication sign)
        "Address: Ann Buyer, Main St 1, 111 22 Stockholm, SE → Ann Buyer, Storgatan 9, 753 10 Uppsala, SE",
    ]
    main = page.locator(".request-layout__main").inner_text()
    assert "gid://" not in main.split("Why the policy sent it here")[0]
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=DOCS_SCREENSHOTS / "staff-request-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("heading", name=f"Change of items and address #{request.pk}").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # nothing runs off the phone
    page.screenshot(path=DOCS_SCREENSHOTS / "staff-request-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_text("Every rule the policy checked").click()
    assert page.get_by_text("Swap size or colour: The order is not cancelled").is_visible()  # in words


def test_the_staff_navigation_works_on_a_phone(page, live_server, client, store_a):
    owner = make_member(store_a, Role.OWNER, email="owner@alpha.example")
    client.force_login(owner)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/app/{store_a.slug}/")

    links = page.locator(".topbar__nav a")
    assert links.count() >= 10  # an owner's every page
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, links.nth(
            index
        ).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    page.shots("phone-navigation")

    page.get_by_role("link", name="Settings").click()
    page.wait_for_url(f"**/app/{store_a.slug}/settings/")
