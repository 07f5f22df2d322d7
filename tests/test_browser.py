"""The real thing: `streamlit run app.py` on 127.0.0.1, every page in headless Chromium (Debian's,
driven by Playwright). Screenshots go to test-artifacts/ for a human to look at."""

import pytest

from browser_support import ARTIFACTS, AS_OF, BROWSER_PAGES as PAGES, RUN_FINISHED, WAIT_MS, WITH_CHARTS, open_page


@pytest.fixture(scope="module")
def server(sample_server):
    return sample_server


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
        page.wait_for_url("**/incident?id=*", timeout=WAIT_MS)
        # The incident's title as its page's heading, which only a run of the incident page draws: the
        # waits that follow are then for that run, not for the overview's before the click.
        page.wait_for_function("""label => Array.from(document.querySelectorAll(
            '[data-testid="stMain"] [data-testid="stHeading"] h2')).some(
            h => h.innerText && label.includes(h.innerText.split(" (")[0].slice(0, 20)))""", arg=label,
                               timeout=WAIT_MS)
        page.wait_for_selector(RUN_FINISHED, state="attached", timeout=WAIT_MS)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=WAIT_MS)
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


def test_the_incident_page_says_how_it_knows_each_number(server, chromium):
    page = open_page(chromium, f"{server}/incident?id=INC-2025-122&as_of={AS_OF}", charts=True)
    try:
        page.get_by_text("How we know: where each number came from").click()
        details = page.locator('[data-testid="stExpanderDetails"]').first
        details.wait_for(timeout=WAIT_MS)
        text = details.inner_text()
        assert "Time to detect — line" in text and "YAML key 'timing.time_to_detect'" in text
        assert "Severity — line" in text and "severity:" in text
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()


@pytest.mark.parametrize("path", ["", "incident?id=INC-2025-122"])
def test_headline_numbers_are_whole_at_800_px_with_the_sidebar_open(server, chromium, path):
    """Fixed columns squeezed four cards into 470 px until their numbers read "15…" and "393,…"; the
    cards now wrap onto more rows instead."""
    page = open_page(chromium, f"{server}/{path}{'&' if '?' in path else '?'}as_of={AS_OF}", charts=True,
                     viewport={"width": 800, "height": 1400})
    try:
        assert page.locator('[data-testid="stSidebar"][data-collapsed="false"]').count() == 1
        values = page.locator('[data-testid="stMain"] [data-testid="stMetricValue"]')
        assert values.count() >= 4
        cut = page.evaluate("""() => Array.from(document.querySelectorAll(
            '[data-testid="stMain"] [data-testid="stMetricValue"]')).filter(value =>
                [value, ...value.querySelectorAll('*')].some(part => part.scrollWidth > part.clientWidth + 1)
            ).map(value => value.innerText)""")
        assert cut == []
        labels = page.evaluate("""() => Array.from(document.querySelectorAll(
            '[data-testid="stMain"] [data-testid="stMetricLabel"]')).filter(label =>
                [label, ...label.querySelectorAll('*')].some(part => part.scrollWidth > part.clientWidth + 1)
            ).map(label => label.innerText)""")
        assert labels == [], "every card says what it counts, whole"
        if not path:
            chips = page.evaluate("""() => Array.from(document.querySelectorAll(
                '[data-testid="stMain"] [data-testid="stMetricDelta"]')).map(chip =>
                    [chip.innerText, [chip, ...chip.querySelectorAll('*')].some(
                        part => part.scrollWidth > part.clientWidth + 1)])""")
            assert len(chips) >= 4, "the default window is compared with the one before"
            assert [text for text, cut in chips if cut] == [], "every change against the window before reads whole"
    finally:
        page.close()
