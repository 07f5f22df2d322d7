"""Starting the dashboard as a user would, and a headless Chromium to look at it (shared by browser tests)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AS_OF = "2026-11-26"
# Every browser wait waits for a state (a selector, the status widget gone); this only bounds how long a
# broken page can hang a test. Generous, because a shared 2-core machine can be slow without being wrong.
WAIT_MS = 180_000
# Streamlit marks its root with the state of the script run: this matches once the page's run has ended
# (the status widget alone does not say so: it may not have appeared yet when a wait for it to go returns).
RUN_FINISHED = ('[data-testid="stApp"]:is([data-test-script-state="notRunning"], '
                '[data-test-script-state="compilationError"])')
BROWSER_PAGES = {
    "overview": "", "response_times": "response_times", "blast_radius": "blast_radius",
    "action_items": "action_items", "incidents": "incidents", "incident": "incident?id=INC-2025-122",
    "recurring": "recurring?range=all", "severity": "severity", "off_hours": "off_hours", "reviews": "reviews",
    "search": "search?q=certificate", "data_quality": "data_quality", "teams": "teams",
}
WITH_CHARTS = {"overview", "response_times", "blast_radius", "action_items", "incident", "recurring", "severity",
               "off_hours", "reviews", "data_quality"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(tmp_path: Path, env_extra: dict | None = None) -> tuple[subprocess.Popen, str]:
    """Start the dashboard as a user would (``pm-analytics dashboard``, as ``make run`` does), on a free
    port; return the process and its base URL.

    The server's output goes to ``streamlit.log`` in ``tmp_path``."""
    port = free_port()
    env = {**os.environ, "PM_ANALYTICS_DATA": str(ROOT / "data"), "PM_ANALYTICS_CACHE": str(tmp_path / "cache"),
           **(env_extra or {})}
    with open(tmp_path / "streamlit.log", "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "pm_analytics.cli", "dashboard", "--port", str(port)],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return server, wait_until_serving(server, port, tmp_path / "streamlit.log")


def wait_until_serving(server: subprocess.Popen, port: int, log: Path) -> str:
    """The base URL once the server on ``port`` answers its health check (killed, with its log, if it does not)."""
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline and server.poll() is None:  # polls the health endpoint, bounded
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=5).read() == b"ok":
                return base
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise AssertionError(f"streamlit did not start: {log.read_text()}")


def open_page(browser, url: str, charts: bool, viewport=None, dialogs: list | None = None):
    """Open ``url`` and wait until Streamlit has finished running the page (and drawn its charts).

    With ``dialogs``, every alert/confirm/prompt the page opens, from the first byte on, is dismissed
    and its message appended there."""
    page = browser.new_page(viewport=viewport or {"width": 1440, "height": 2200})
    if dialogs is not None:
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return wait_for_page(page, url, charts)


def wait_for_page(page, url: str, charts: bool):
    """Go to ``url`` in ``page`` and wait until Streamlit has finished running it (and drawn its charts)."""
    page.goto(url, timeout=WAIT_MS)
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=WAIT_MS)
    page.wait_for_selector('[data-testid="stSidebar"] button:has-text("Reload")', timeout=WAIT_MS)
    page.wait_for_selector(RUN_FINISHED, state="attached", timeout=WAIT_MS)
    if charts:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=WAIT_MS)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)
    return page
