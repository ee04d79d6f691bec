"""Browser tests: the machine's Chromium (Debian's `chromium`), driven by Playwright, against a live server.

Screenshots of each step, at desktop and phone width, are saved under tests/e2e/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakeshopify.fixtures import fake_shopify, fake_shopify_server  # noqa: F401 - the Shopify admin test's

# Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# The measuring tools the browser tests run (web-vitals, Lighthouse), pinned by vitals/package-lock.json.
NODE_TOOLS = Path(__file__).resolve().parent / "vitals"


def node_tool(relative: str) -> Path:
    """A file of the pinned measuring tools, `npm ci`-installed when it is missing (CI: npm must exist)."""
    path = NODE_TOOLS / "node_modules" / relative
    if not path.exists():
        npm = shutil.which("npm")
        if npm is None:
            if os.environ.get("CI"):
                pytest.fail("npm is needed to install the browser tests' measuring tools (tests/e2e/vitals)")
            pytest.skip("npm is not installed: the browser tests' measuring tools cannot be installed")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_TOOLS, check=True, timeout=600)
    return path


pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                # A public page (the stand-in for admin.shopify.com) framing the app on localhost is a
                # request into the local network, which Chromium now asks permission for.
                "--disable-features=LocalNetworkAccessChecks",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.shots = Shots(page, request.node.name)
    yield page
    context.close()


class Shots:
    """Save the current page at desktop and phone width."""

    def __init__(self, page, test_name: str) -> None:
        self.page = page
        self.prefix = re.sub(r"[^a-z0-9]+", "-", test_name.lower()).strip("-")
        self.count = 0

    def __call__(self, step: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.count += 1
        name = f"{self.prefix}-{self.count:02d}-{step}"
        self.page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
        self.page.set_viewport_size(PHONE)
        self.page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
        self.page.set_viewport_size(DESKTOP)


def code_from_mail(outbox) -> str:
    return re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", outbox[-1].body).group(1)
