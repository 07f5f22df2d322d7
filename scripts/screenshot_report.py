"""docs/screenshot-review.png: the top of the bundled sample's 2026 Q3 review, as Debian's Chromium shows it.

    .venv/bin/python scripts/screenshot_report.py

Writes the report with ``pm-analytics report`` (as of 2026-11-26, the tests' day), opens it offline in
headless Chromium (Playwright, /usr/bin/chromium: never a downloaded browser), waits for every chart and
keeps the header, the headline cards and the first chart.
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from pm_analytics.cli import main  # noqa: E402
from pm_analytics.load import load_into  # noqa: E402

OUT = ROOT / "docs" / "screenshot-review.png"


def run() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as work:
        db, html = Path(work) / "sample.duckdb", Path(work) / "review.html"
        load_into([ROOT / "data"], db, relative_to=ROOT / "data")
        main(["report", "--db", str(db), "--quarter", "2026Q3", "--as-of", "2026-11-26", "--out", str(html),
              "--base-url", "https://pm.example.com"])
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 880, "height": 1400}, device_scale_factor=1)
            context.set_offline(True)
            page = context.new_page()
            page.goto(html.as_uri())
            page.wait_for_function("() => document.querySelectorAll('[data-figure]').length === "
                                   "document.querySelectorAll('[data-figure][data-drawn]').length")
            bottom = page.evaluate("() => document.querySelector('#chart-incidents').getBoundingClientRect().bottom")
            page.screenshot(path=str(OUT), full_page=True, clip={"x": 0, "y": 0, "width": 880, "height": bottom + 8})
            browser.close()
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    run()
