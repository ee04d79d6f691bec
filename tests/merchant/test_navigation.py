"""The staff navigation shows each member only what their role can use, and names the role in words."""

from __future__ import annotations

import re

import pytest

from tenants.roles import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def nav_links(client, store) -> list[str]:
    body = client.get(f"/app/{store.slug}/").content.decode()
    nav = re.search(r'<nav class="topbar__nav".*?</nav>', body, re.S)
    assert nav is not None
    return re.findall(r'<a href="[^"]*"[^>]*>([^<]+)</a>', nav.group(0))


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.VIEWER, ["Overview", "Orders", "Insights", "Queue", "Policy", "Rules"]),
        (Role.AGENT, ["Overview", "Orders", "Insights", "Queue", "Bulk cancel", "Policy", "Rules"]),
    ],
)
def test_the_navigation_shows_only_what_the_role_can_use(client, store_a, role, expected):
    client.force_login(make_member(store_a, role))

    assert nav_links(client, store_a) == expected


def test_every_link_a_viewer_is_shown_opens(client, store_a):
    client.force_login(make_member(store_a, Role.VIEWER))
    body = client.get(f"/app/{store_a.slug}/").content.decode()
    nav = re.search(r'<nav class="topbar__nav".*?</nav>', body, re.S)
    assert nav is not None

    for href in re.findall(r'<a href="([^"]+)"', nav.group(0)):
        assert client.get(href).status_code == 200, href


def test_a_viewer_cannot_start_a_bulk_cancellation(client, store_a):
    client.force_login(make_member(store_a, Role.VIEWER))

    assert client.post(f"/app/{store_a.slug}/bulk/", {}).status_code == 403


def test_the_role_line_names_the_role_in_words(client, store_a, store_b):
    client.force_login(make_member(store_a, Role.VIEWER))

    body = client.get(f"/app/{store_a.slug}/").content.decode()

    assert "Your role: Viewer" in body
    assert client.get(f"/app/{store_b.slug}/").status_code == 404


def test_an_empty_bulk_decision_says_nothing_was_chosen_and_decides_nothing(client, store_a):
    from cancellations.models import OrderRequest
    from tests.merchant.queue_helpers import make_request

    waiting = make_request(store_a)
    client.force_login(make_member(store_a, Role.AGENT))

    response = client.post(f"/app/{store_a.slug}/queue/bulk/", {"action": "approve"}, follow=True)

    assert "Nothing was chosen" in response.content.decode()
    assert OrderRequest.objects.for_store(store_a).get(pk=waiting.pk).status == waiting.status
