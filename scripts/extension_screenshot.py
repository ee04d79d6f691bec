"""Photograph the Shopify extensions as their tests rendered them (shopify/preview/out/*.html).

`make extension-screenshot` runs the extensions' tests, which write the pages, then this script, which
opens each page in the machine's Chromium (Debian's `chromium`, driven by Playwright) and saves
docs/screenshots/extension-<name>.png for the README.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "shopify" / "preview" / "out"
SHOTS = ROOT / "docs" / "screenshots"
SIZES = {"order-action": (900, 760), "thank-you": (900, 420)}


def main() -> int:
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("Chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for name, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto((PAGES / f"{name}.html").as_uri())
            target = SHOTS / f"extension-{name}.png"
            page.screenshot(path=str(target))
            print(f"wrote {target.relative_to(ROOT)}")
            page.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
