"""A folder whose newest post-mortem is more than a year old, in a real browser: every page opens on
its data with a note saying so, and a range given in the URL is honoured with a link to the data."""

import shutil

import duckdb
import pytest

from browser_support import (AS_OF, BROWSER_PAGES, ROOT, RUN_FINISHED, WAIT_MS, WITH_CHARTS, open_page,
                             start_server)
from pm_analytics.load import load_into

CUT_OFF = "2025-10-31"  # over a year before AS_OF


@pytest.fixture(scope="module")
def old_folder(tmp_path_factory):
    """The bundled sample's post-mortems dated up to CUT_OFF, copied to a folder of their own."""
    work = tmp_path_factory.mktemp("old-data")
    data = ROOT / "data"
    load_into([data], work / "all.duckdb", relative_to=data)
    with duckdb.connect(str(work / "all.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT source_path, incident_id, incident_date FROM incidents "
                           "WHERE incident_date <= ? AND NOT exclude_from_metrics ORDER BY incident_date",
                           [CUT_OFF]).fetchall()
    folder = work / "old"
    for source_path, _, _ in rows:
        target = folder / source_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(data / source_path, target)
    return folder, rows[-1][1], rows[-1][2].isoformat()


@pytest.fixture(scope="module")
def server(tmp_path_factory, old_folder):
    process, base = start_server(tmp_path_factory.mktemp("browser-old"), {"PM_ANALYTICS_DATA": str(old_folder[0])})
    yield base
    process.terminate()
    process.wait(timeout=10)


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


@pytest.mark.parametrize("name", [n for n in BROWSER_PAGES if n != "data_quality"])
def test_every_page_opens_on_the_data_with_a_note(server, chromium, old_folder, name):
    _, newest_id, newest = old_folder
    path = BROWSER_PAGES[name].replace("?range=all", "").replace("INC-2025-122", newest_id)
    page = open_page(chromium, f"{server}/{path}{'&' if '?' in path else '?'}as_of={AS_OF}",
                     charts=name in WITH_CHARTS)
    try:
        text = main_text(page)
        assert f"Your newest post-mortem is from {newest}; showing the 12 months up to it." in text
        assert "No post-mortems match these filters" not in text and "No post-mortems in this window" not in text
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_role("button", name="Show up to today").count() == 1
    finally:
        page.close()


def test_a_range_in_the_url_is_honoured_with_a_way_to_the_data(server, chromium, old_folder):
    _, _, newest = old_folder
    page = open_page(chromium, f"{server}/?range=last_90_days&as_of={AS_OF}", charts=False)
    try:
        text = main_text(page)
        assert "No post-mortem is dated from 2026-08-29 to 2026-11-26" in text
        assert "No post-mortems in this window" in text
        page.get_by_role("button", name=f"Show the 12 months up to {newest}").click()
        page.wait_for_url(f"**until={newest}**", timeout=WAIT_MS)
        page.wait_for_selector(RUN_FINISHED, state="attached", timeout=WAIT_MS)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=WAIT_MS)
        assert "No post-mortems in this window" not in main_text(page)
        assert page.locator('[data-testid="stMetric"]').count() >= 5
    finally:
        page.close()
