"""Serving: safe defaults, hostile post-mortems rendered as text in a real browser, and 20 viewers
at once while the data reloads, each seeing the numbers of its own filters."""

import asyncio
import re
import shutil
import sys
import threading
import time
import tomllib
from collections.abc import Callable
from urllib.parse import quote

import pytest

from browser_support import AS_OF, CHROMIUM, CHROMIUM_ARGS, ROOT, open_page, start_server
from pm_analytics import metrics
from pm_analytics.filters import Filters
from pm_analytics.load import load_into
from pm_analytics.store import open_database

HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
INJECTED = """() => ({
    handlers: document.querySelectorAll('[onerror], [onload], [onclick], [onmouseover]').length,
    frames: document.querySelectorAll('iframe').length,
    script_links: document.querySelectorAll('a[href^="javascript:"], a[href^="data:"], img[src^="data:image/svg"]').length,
    broken_images: document.querySelectorAll('img[src="x"]').length,
    pwned: document.body.getAttribute('data-pwned'),
    bold: Array.from(document.querySelectorAll('[data-testid="stMain"] b')).filter(b => /Mallory|Identity|bold/.test(b.textContent)).length,
})"""


def test_default_server_settings_are_safe():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showSidebarNavigation"] is False
    sources = [p.read_text() for p in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), ROOT / "pm_analytics" / "ui.py"]]
    assert not any("file_uploader" in s or "unsafe_allow_html" in s for s in sources)


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-data")
    for path in HOSTILE.iterdir():
        shutil.copy(path, folder / path.name)
    process, base = start_server(tmp_path_factory.mktemp("hostile"), {"PM_ANALYTICS_DATA": str(folder)})
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.parametrize("path", [
    "incident?id=2025-06-01-xss-markdown", "incident?id=INC-XSS-%3Cimg%20src%3Dx%20onerror%3Dalert(10)%3E",
    "incidents", "", "action_items", "data_quality",
])
def test_hostile_text_is_shown_as_text_in_the_browser(hostile_server, chromium, path):
    dialogs = []
    page = open_page(chromium, f"{hostile_server}/{path}{'&' if '?' in path else '?'}range=all&as_of={AS_OF}",
                     charts=False)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.mouse.move(400, 400)
        page.wait_for_timeout(500)
        found = page.evaluate(INJECTED)
        assert found == {"handlers": 0, "frames": 0, "script_links": 0, "broken_images": 0, "pwned": None, "bold": 0}
        assert dialogs == []
        assert page.locator('[data-testid="stException"]').count() == 0
        if path.startswith("incident?id=2025"):
            text = page.locator('[data-testid="stMain"]').inner_text()
            assert "Checkout down <script>alert(1)</script>" in text, "the title reads as written"
            assert "[click me](javascript:alert(3))" in text
    finally:
        page.close()


# -- many viewers at once ---------------------------------------------------------

@pytest.fixture(scope="module")
def busy_data(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import corpus

    folder = tmp_path_factory.mktemp("busy-data")
    corpus.generate(1500, folder, seed=3, workers=1)
    db = tmp_path_factory.mktemp("busy-db") / "expected.duckdb"
    load_into([folder], db, relative_to=folder)
    con = open_database(db)
    teams = metrics.incidents_per_team(con, Filters())["team"].head(4).tolist()
    views = [(sev, team) for sev in ("SEV1", "SEV2", "SEV3", "") for team in (*teams, "")]
    expected = {}
    for sev, team in views:
        chosen = Filters(severities=(sev,) if sev else (), teams=(team,) if team else ())
        expected[(sev, team)] = metrics.headline(con, chosen, AS_OF)["incidents"]
    con.close()
    return folder, views, expected


async def viewer(browser, base: str, sev: str, team: str, reloaded: Callable[[], bool] | None, errors: list,
                 seen: dict) -> None:
    """One viewer's visit; with ``reloaded``, presses Reload on the way and waits until the new data is written
    (a fixed wait would race the click: the reload must finish even though the viewer then moves on)."""
    query = "&".join(p for p in (f"sev={sev}" if sev else "", f"team={quote(team)}" if team else "", "range=all",
                                 f"as_of={AS_OF}") if p)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    try:
        for path in ("", "response_times", "incidents", ""):
            await page.goto(f"{base}/{path}?{query}")
            await page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=180_000)
            await page.wait_for_selector('[data-testid="stSidebar"] button:has-text("Reload")', timeout=180_000)
            await page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=180_000)
            if await page.locator('[data-testid="stException"]').count():
                errors.append((sev, team, path, await page.locator('[data-testid="stException"]').first.inner_text()))
            if path == "":
                value = page.locator('[data-testid="stMain"] [data-testid="stMetricValue"]').first
                await value.wait_for(timeout=180_000)
                seen.setdefault((sev, team), []).append(int((await value.inner_text()).replace(",", "")))
            elif path == "incidents":
                caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]',
                                       has_text=re.compile(r"[\d,]+ post-mortems")).first
                await caption.wait_for(timeout=180_000)
                match = re.search(r"([\d,]+) post-mortems", await caption.inner_text())
                seen.setdefault((sev, team), []).append(int(match.group(1).replace(",", "")))
            if reloaded is not None and path == "response_times":
                await page.get_by_role("button", name="Reload").click()
                deadline = time.monotonic() + 180
                while not reloaded():
                    assert time.monotonic() < deadline, "Reload did not write a new database in 3 minutes"
                    await asyncio.sleep(0.2)
    finally:
        await context.close()


def test_twenty_viewers_during_a_reload_each_see_their_own_numbers(busy_data, tmp_path):
    from playwright.async_api import async_playwright

    folder, views, expected = busy_data
    process, base = start_server(tmp_path, {"PM_ANALYTICS_DATA": str(folder)})
    try:
        errors: list = []
        seen: dict = {}
        touched: list = []

        def reloaded() -> bool:
            return any(db.stat().st_mtime_ns > touched[0] for db in (tmp_path / "cache").glob("*.duckdb"))

        async def run():
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                first = await browser.new_page()
                await first.goto(base)
                await first.wait_for_selector('[data-testid="stSidebar"] button:has-text("Reload")', timeout=180_000)
                await first.close()
                for path in sorted(folder.iterdir())[::2]:
                    with open(path, "a") as fh:
                        fh.write("\n")  # half the files change (not their meaning): the reload parses them again
                touched.append(time.time_ns())
                await asyncio.gather(*(viewer(browser, base, sev, team, reloaded if i == 0 else None, errors, seen)
                                       for i, (sev, team) in enumerate(views)))
                await browser.close()

        # The sync Playwright of the other browser tests owns this thread's event loop.
        runner = threading.Thread(target=lambda: asyncio.run(run()))
        runner.start()
        runner.join(timeout=600)
        assert not runner.is_alive(), "viewers did not finish in 10 minutes"
        assert errors == []
        assert len(seen) == len(views) == 20
        for view, numbers in seen.items():
            incidents_page_total = numbers[1]
            assert numbers[0] == numbers[2] == expected[view], (view, numbers)
            assert incidents_page_total >= expected[view]  # the incident list also shows drills
        databases = list((tmp_path / "cache").glob("*.duckdb"))
        assert databases and databases[0].stat().st_mtime_ns > touched[0], "the reload wrote a new database"
        log = (tmp_path / "streamlit.log").read_text()
        assert "Traceback" not in log, log[-3000:]
    finally:
        process.terminate()
        process.wait(timeout=10)
