"""The API docs page in a real browser, under our Content-Security-Policy: everything loads from Amend."""

from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_the_api_docs_render_with_local_assets_and_no_policy_violation(page, live_server):
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))

    response = page.goto(f"{live_server.url}/api/docs/")

    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.get_by_role("heading", name="Amend API").wait_for()
    page.get_by_text("/api/v1/stores/{store_slug}/requests/", exact=True).first.wait_for()
    page.shots("api-docs")
    own_host = urlsplit(live_server.url).netloc
    assert {urlsplit(url).netloc for url in requested if not url.startswith("data:")} == {own_host}
    assert problems == []
