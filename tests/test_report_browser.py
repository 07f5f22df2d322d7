"""The review report in headless Chromium (Debian's, driven by Playwright): offline with every request
but the file's own refused, without JavaScript, printed on A4 and Letter, with hostile post-mortems,
and downloaded from the dashboard. Screenshots go to test-artifacts/."""

import re

import pytest

from browser_support import ARTIFACTS, AS_OF, ROOT, WAIT_MS, open_page
from pm_analytics.cli import main
from pm_analytics.load import load_into
from test_report import Page

HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
BASE = "https://pm.example.com"
SECTIONS = ("headline", "incidents", "response", "blast", "actions", "repeats", "off-hours", "reviews", "data-quality",
            "definitions")
CHARTS = 5
ALL_DRAWN = ("() => document.querySelectorAll('[data-figure]').length > 0 && document.querySelectorAll("
             "'[data-figure]').length === document.querySelectorAll('[data-figure][data-drawn]').length")
# Printable width at 15 mm margins, in CSS pixels (96 per inch): A4 210 mm, Letter 8.5 in.
PRINTABLE_PX = {"A4": (210 - 30) / 25.4 * 96, "Letter": (8.5 * 25.4 - 30) / 25.4 * 96}
INJECTED = """() => ({
    handlers: document.querySelectorAll('[onerror], [onload], [onclick], [onmouseover], [onfocus]').length,
    frames: document.querySelectorAll('iframe, object, embed').length,
    script_links: document.querySelectorAll('a[href^="javascript:"], a[href^="data:"]').length,
    images: document.querySelectorAll('img').length,
    pwned: document.body.getAttribute('data-pwned'),
    bold: Array.from(document.querySelectorAll('main b')).length,
    scripts: document.scripts.length,
})"""


def review(db, out, *args):
    assert main(["report", "--db", str(db), "--as-of", AS_OF, "--out", str(out), *args]) == 0
    return out


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample-report")
    load_into([ROOT / "data"], folder / "sample.duckdb", relative_to=ROOT / "data")
    return review(folder / "sample.duckdb", folder / "review-2026q3.html", "--quarter", "2026Q3", "--base-url", BASE)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-report")
    load_into([HOSTILE], folder / "hostile.duckdb", relative_to=HOSTILE)
    return review(folder / "hostile.duckdb", folder / "hostile.html", "--from", "2025-06-01", "--to", "2025-06-30",
                  "--base-url", BASE)


def open_offline(chromium, path, javascript=True, viewport=None):
    """A page on ``path`` in a context that is offline and refuses every request but the file itself; the
    requests it saw, the console's errors and warnings, uncaught errors and dialogs are collected."""
    context = chromium.new_context(viewport=viewport or {"width": 1000, "height": 1400}, java_script_enabled=javascript)
    context.set_offline(True)
    seen = {"requests": [], "console": [], "errors": [], "dialogs": []}
    url = path.as_uri()

    def route(request_route):
        seen["requests"].append(request_route.request.url)
        if request_route.request.url == url:
            request_route.continue_()
        else:
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: seen["console"].append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
    page.goto(url, timeout=WAIT_MS)
    if javascript:
        page.wait_for_function(ALL_DRAWN, timeout=WAIT_MS)
    return context, page, seen


def test_the_sample_quarter_offline_shows_every_section_and_chart_and_asks_for_nothing(chromium, sample_report):
    context, page, seen = open_offline(chromium, sample_report)
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "review.png"), full_page=True)
        for section in SECTIONS:
            assert page.locator(f"section#{section} h2").is_visible(), section
        assert page.locator(".js-plotly-plot .main-svg").count() >= CHARTS
        assert page.locator("figure.chart .plot[data-drawn]").count() == CHARTS
        assert page.locator("details.numbers[open]").count() == 0, "the tables fold away once the charts are drawn"
        assert page.locator("#headline .card").count() == 7
        assert page.locator("#blast ol.harmful li").count() == 5
        assert seen == {"requests": [sample_report.as_uri()], "console": [], "errors": [], "dialogs": []}
    finally:
        context.close()


def test_without_javascript_every_chart_is_a_table(chromium, sample_report):
    context, page, seen = open_offline(chromium, sample_report, javascript=False)
    try:
        page.screenshot(path=str(ARTIFACTS / "review-no-javascript.png"), full_page=True)
        assert page.locator(".js-plotly-plot").count() == 0
        assert page.locator("figure.chart").count() == CHARTS
        for index in range(CHARTS):
            figure = page.locator("figure.chart").nth(index)
            assert not figure.locator(".plot").is_visible()
            assert figure.locator("details.numbers table").is_visible()
            assert figure.locator("details.numbers tbody tr").count() >= 1
        assert page.locator("#headline .card .value").first.inner_text() != ""
        assert page.locator("#definitions").get_by_text("Unknown is never zero").is_visible()
        assert seen["requests"] == [sample_report.as_uri()]
    finally:
        context.close()


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_it_prints_on_a4_and_letter_without_cutting_a_chart(chromium, sample_report, paper):
    width = int(PRINTABLE_PX[paper])
    context, page, seen = open_offline(chromium, sample_report, viewport={"width": width, "height": 1000})
    try:
        page.emulate_media(media="print")
        overflow = page.evaluate("""() => {
            const width = document.documentElement.clientWidth;
            const wide = Array.from(document.querySelectorAll('.main-svg, table, .card, main'))
                .filter(e => e.getBoundingClientRect().right > width + 0.5).map(e => e.className.baseVal ?? e.tagName);
            return {scroll: document.documentElement.scrollWidth - width, wide: wide};
        }""")
        assert overflow == {"scroll": 0, "wide": []}
        kept_whole = page.evaluate("""() => Array.from(document.querySelectorAll('figure.chart'))
            .map(f => getComputedStyle(f).breakInside)""")
        assert kept_whole == ["avoid"] * CHARTS, "no page break inside a chart"
        pdf = page.pdf(format=paper, print_background=True, prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 5
        assert seen["console"] == [] and seen["errors"] == []
    finally:
        context.close()


def test_hostile_post_mortems_are_inert_in_the_report(chromium, hostile_report):
    context, page, seen = open_offline(chromium, hostile_report)
    try:
        page.mouse.move(300, 300)
        for link in page.locator("main a").all()[:20]:
            link.hover()
        page.wait_for_function("() => document.querySelectorAll(':hover').length > 0", timeout=WAIT_MS)
        found = page.evaluate(INJECTED)
        assert found == {"handlers": 0, "frames": 0, "script_links": 0, "images": 0, "pwned": None, "bold": 0,
                         "scripts": 3 + CHARTS + 1}
        assert seen["dialogs"] == [] and seen["errors"] == []
        assert seen["requests"] == [hostile_report.as_uri()]
        text = page.locator("main").inner_text()
        assert "Checkout down <script>alert(1)</script>" in text, "the title reads as written"
        assert "Login broken <img src=x onerror=" in text
        hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
        assert hrefs and all(h.startswith("#") or h.startswith(BASE + "/") for h in hrefs)
        # Anchors without an href lead nowhere; plotly.js 2 (plotly 5) draws its chart buttons as those, and
        # nothing else may be one.
        assert page.locator("main a:not([href]):not(.modebar-btn)").count() == 0
    finally:
        context.close()


@pytest.fixture(scope="module")
def server(sample_server):
    return sample_server


def test_the_overview_downloads_the_review_of_its_filters(server, chromium, tmp_path):
    page = open_page(chromium, f"{server}/?range=last_full_quarter&sev=SEV2&as_of={AS_OF}", charts=True)
    try:
        button = page.get_by_test_id("stDownloadButton").get_by_role("button", name="Download review")
        with page.expect_download(timeout=WAIT_MS) as download:
            button.click()
        assert download.value.suggested_filename == "incident-review-2026-q3.html"
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        html = saved.read_text(encoding="utf-8")
        assert "<h1>Incident review 2026 Q3</h1>" in html and "SEV2 · all teams" in html
        assert "Compared with 2026-04-01 – 2026-06-30" in html
        links = [attrs["href"] for tag, attrs in Page(html).elements if tag == "a" and attrs["href"][0] != "#"]
        assert links and all(link.startswith(server + "/") for link in links)
        assert any("/incident?id=" in link and "sev=SEV2" in link and f"as_of={AS_OF}" in link for link in links)
    finally:
        page.close()
