"""In a real browser (tests/browser_support.py): the data-quality page lists where post-mortems and the
ticket tracker disagree, and hostile Word and HTML exports are shown as text, never as markup."""

import csv
import io
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from browser_support import ROOT, WAIT_MS, open_page, start_server

TICKETS = ROOT / "tests" / "fixtures" / "tickets"
HOSTILE_EXPORTS = ROOT / "tests" / "fixtures" / "exports" / "hostile"
AS_OF = "2026-03-01"
EXPORTED = datetime(2026, 2, 28, 18, 0, tzinfo=timezone.utc).timestamp()
# What a hostile page could leave behind if any of its markup ran or was drawn as HTML.
INJECTED = """() => ({
    handlers: document.querySelectorAll('[onerror], [onload], [onclick], [onmouseover]').length,
    frames: document.querySelectorAll('iframe, object, embed').length,
    scripts: Array.from(document.querySelectorAll('script')).filter(s => /alert|setAttribute/.test(s.textContent)).length,
    script_links: document.querySelectorAll('a[href^="javascript:"], a[href^="data:"]').length,
    pwned: document.body.getAttribute('data-pwned'),
})"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("exports-data")
    for path in (TICKETS / "postmortems").iterdir():
        shutil.copy(path, data / path.name)
    shutil.copy(HOSTILE_EXPORTS / "2025-06-01-xss-markdown.html", data / "2025-06-01-xss-markdown.html")
    shutil.copy(HOSTILE_EXPORTS / "2025-06-01-xss-markdown.docx", data / "2025-06-01-xss-word.docx")
    exports = tmp_path_factory.mktemp("exports")
    for path in (TICKETS / "exports").iterdir():
        shutil.copy(path, exports / path.name)
        os.utime(exports / path.name, (EXPORTED, EXPORTED))
    tickets = os.pathsep.join(str(p) for p in sorted(exports.iterdir()))
    process, base = start_server(tmp_path_factory.mktemp("exports-server"),
                                 {"PM_ANALYTICS_DATA": str(data), "PM_ANALYTICS_TICKETS": tickets})
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_the_data_quality_page_lists_where_post_mortem_and_tracker_disagree(server, chromium):
    page = open_page(chromium, f"{server}/data_quality?range=all&as_of={AS_OF}", charts=True)
    try:
        metrics = {page.locator('[data-testid="stMetricLabel"]').nth(i).inner_text().strip():
                   page.locator('[data-testid="stMetricValue"]').nth(i).inner_text().strip()
                   for i in range(page.locator('[data-testid="stMetric"]').count())}
        assert metrics["Document and tracker disagree"] == "7"
        assert metrics["Ticket in no export"] == "4", "OPS-99 and SEC-5, and the two hostile copies' XSS-1"
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert "Document and tracker disagree" in main and "broken-jira.csv (Jira CSV, 2026-02-28, rejected" in main
        button = page.locator(".st-key-tracker_disagree_csv button")
        with page.expect_download(timeout=WAIT_MS) as download:
            button.click()
        rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
        assert sorted((r["ticket"], r["status_in_doc"], r["status"]) for r in rows) == sorted([
            ("PAY-101", "open", "done"), ("PAY-102", "done", "open"), ("PAY-103", "open", "wontfix"),
            ("acme/ios#7", "open", "done"), ("#9", "done", "open"), ("ENG-12", "open", "done"),
            ("ENG-13", "open", "wontfix")])
        assert {r["status_source"].rsplit(", ", 1)[1] for r in rows} == {"2026-02-28"}
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()


@pytest.mark.parametrize("incident", ["2025-06-01-xss-markdown", "2025-06-01-xss-word"])
def test_a_hostile_export_is_shown_as_text(server, chromium, incident):
    dialogs = []
    page = open_page(chromium, f"{server}/incident?id={incident}&as_of={AS_OF}", charts=True, dialogs=dialogs)
    try:
        page.mouse.move(400, 400)
        page.wait_for_function("() => document.querySelectorAll(':hover').length > 0", timeout=WAIT_MS)
        found = page.evaluate(INJECTED)
        assert found == {"handlers": 0, "frames": 0, "scripts": 0, "script_links": 0, "pwned": None}
        assert dialogs == []
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert "Checkout down <script>alert(1)</script>" in text, "the title reads as written, as text"
        assert "[click me](javascript:alert(3))" in text
        assert "noscript text" not in text and "setAttribute" not in text
    finally:
        page.close()
