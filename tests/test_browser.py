"""The real thing: `streamlit run app.py` on 127.0.0.1, every page in headless Chromium (Debian's,
driven by Playwright). Screenshots go to test-artifacts/ for a human to look at."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AS_OF = "2026-11-26"
PAGES = {
    "overview": "", "response_times": "response_times", "blast_radius": "blast_radius",
    "action_items": "action_items", "incidents": "incidents", "incident": "incident?id=INC-2025-122",
    "data_quality": "data_quality",
}
WITH_CHARTS = {"overview", "response_times", "blast_radius", "action_items", "incident", "data_quality"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(tmp_path: Path, env_extra: dict | None = None) -> tuple[subprocess.Popen, str]:
    """Start the dashboard as a user would, on a free port; return the process and its base URL.

    The server's output goes to ``streamlit.log`` in ``tmp_path``."""
    port = free_port()
    env = {**os.environ, "PM_ANALYTICS_DATA": str(ROOT / "data"), "PM_ANALYTICS_CACHE": str(tmp_path / "cache"),
           **(env_extra or {})}
    with open(tmp_path / "streamlit.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.address",
             "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).read() == b"ok":
                return server, base
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise AssertionError(f"streamlit did not start: {(tmp_path / 'streamlit.log').read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process, base = start_server(tmp_path_factory.mktemp("browser"))
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, url: str, charts: bool):
    page = browser.new_page(viewport={"width": 1440, "height": 2200})
    page.goto(url)
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=30_000)
    if charts:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=30_000)
    return page


@pytest.mark.parametrize("name", list(PAGES))
def test_page_in_a_real_browser(server, chromium, name):
    path = PAGES[name]
    url = f"{server}/{path}{'&' if '?' in path else '?'}as_of={AS_OF}"
    page = open_page(chromium, url, charts=name in WITH_CHARTS)
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        if name in WITH_CHARTS:
            assert page.locator(".js-plotly-plot").count() >= 1
    finally:
        page.close()


def test_following_an_incident_link_opens_its_page(server, chromium):
    page = open_page(chromium, f"{server}/?range=all&as_of={AS_OF}", charts=True)
    try:
        link = page.locator('[data-testid="stPageLink-NavLink"][href*="incident?id="]').first
        label = link.inner_text()
        link.click()
        page.wait_for_url("**/incident?id=*", timeout=30_000)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
        heading = page.locator('[data-testid="stMain"] [data-testid="stHeading"] h2').first.inner_text()
        assert heading and heading.split(" (")[0][:20] in label
        assert "range=all" in page.url, "the view's filters travel with the link"
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()


def test_filters_in_the_url_reach_the_sidebar(server, chromium):
    page = open_page(chromium, f"{server}/?range=all&sev=SEV1&as_of={AS_OF}", charts=True)
    try:
        severity = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
        assert "SEV1" in severity.inner_text()
        assert "sev=SEV1" in page.url
    finally:
        page.close()
