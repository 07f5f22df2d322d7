"""The review report (pm_analytics/report.py, ``pm-analytics report``): what it covers, that its numbers
are the dashboard's, and that post-mortem text stays text. In a real browser: test_report_browser.py."""

import json
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs

import metrics_fixture
from pm_analytics import metrics, report, settings
from pm_analytics.cli import main
from pm_analytics.filters import Filters
from pm_analytics.formatting import format_count, format_minutes, format_percent
from pm_analytics.load import load_into

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-26"
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
BASE = "https://pm.example.com"
VERDICTS = (metrics.IMPROVED, metrics.WORSE, metrics.NO_CHANGE, metrics.TOO_SMALL)


class Page(HTMLParser):
    """The parts of a report a reader meets: every element with its attributes, the text, the cards,
    the JSON blocks and each fallback table's rows by the chart's id."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements, self.text, self.cards, self.json, self.tables = [], [], {}, {}, {}
        self._card = self._field = self._json = self._figure = None
        self._row = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "div" and "card" in (attrs.get("class") or "").split():
            self._card = attrs["data-key"]
            self.cards[self._card] = {"raw": attrs.get("data-value"), "lines": []}
        elif self._card and tag == "div":
            self._field = attrs.get("class")
        elif self._card and tag == "li":
            self._field = "li"
        if tag == "script" and attrs.get("type") == "application/json":
            self._json = attrs["id"]
        if tag == "figure":
            self._figure = attrs["id"]
            self.tables[self._figure] = []
        if tag == "tr" and self._figure:
            self._row = []

    def handle_endtag(self, tag):
        if tag == "ul" and self._card:
            self._card = None
        if tag == "script":
            self._json = None
        if tag == "figure":
            self._figure = None
        if tag == "tr" and self._row is not None:
            self.tables[self._figure].append(self._row)
            self._row = None

    def handle_data(self, data):
        self.text.append(data)
        if self._json:
            self.json[self._json] = json.loads(data)
        elif self._card and self._field and data.strip():
            card = self.cards[self._card]
            if self._field == "li":
                card["lines"].append(data)
            else:
                card[self._field] = data
        if self._row is not None and data.strip():
            self._row.append(data.strip())


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    load_into([ROOT / "data"], db, relative_to=ROOT / "data")
    return db


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    load_into([HOSTILE], db, relative_to=HOSTILE)
    return db


def write_report(db, out: Path, *args: str) -> Page:
    assert main(["report", "--db", str(db), "--as-of", AS_OF, "--out", str(out), *args]) == 0
    return Page(out.read_text(encoding="utf-8"))


# -- what a report covers ---------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2026Q3", (date(2026, 7, 1), date(2026, 9, 30))), ("2026-q4", (date(2026, 10, 1), date(2026, 12, 31))),
    ("2025Q1", (date(2025, 1, 1), date(2025, 3, 31))), (" 2024 Q2 ", (date(2024, 4, 1), date(2024, 6, 30))),
])
def test_a_quarter_is_its_first_and_last_day(text, expected):
    assert report.quarter_range(text) == expected


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "Q3", "2026", "", "2026Q3; DROP TABLE incidents"])
def test_anything_else_is_not_a_quarter(text):
    with pytest.raises(ValueError, match="is not a quarter"):
        report.quarter_range(text)


def test_a_quarter_is_compared_with_the_quarter_before_and_a_range_with_the_window_before():
    as_of = date(2026, 11, 26)
    quarter = report.review_window(as_of, "2026Q1")
    assert (quarter.date_from, quarter.date_to, quarter.label) == (date(2026, 1, 1), date(2026, 3, 31), "2026 Q1")
    assert quarter.previous == (date(2025, 10, 1), date(2025, 12, 31))
    ranged = report.review_window(as_of, date_from=date(2026, 1, 1), date_to=date(2026, 1, 10))
    assert ranged.previous == (date(2025, 12, 22), date(2025, 12, 31))
    assert ranged.label == "2026-01-01 – 2026-01-10"
    assert report.review_window(as_of, date_from=date(2026, 11, 1)).date_to == as_of
    by_default = report.review_window(as_of)
    assert (by_default.date_from, by_default.date_to, by_default.label) == (date(2026, 7, 1), date(2026, 9, 30),
                                                                            "2026 Q3")
    for wrong in ({"date_to": date(2026, 1, 1)}, {"quarter": "2026Q1", "date_to": date(2026, 3, 1)},
                  {"date_from": date(2026, 2, 1), "date_to": date(2026, 1, 1)}):
        with pytest.raises(ValueError):
            report.review_window(as_of, **wrong)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://pm.example.com", "//pm.example.com",
                                 "pm.example.com", "https://pm.example.com/?x=1", "https://pm.example.com/#top",
                                 'https://pm.example.com/"onmouseover=alert(1)'])
def test_only_an_http_dashboard_address_is_a_base_url(url):
    with pytest.raises(ValueError, match="not an http"):
        report.checked_base_url(url)


def test_base_urls_that_are_fine():
    assert report.checked_base_url("https://pm.example.com/") == "https://pm.example.com"
    assert report.checked_base_url("http://10.0.0.5:8501/pm-analytics") == "http://10.0.0.5:8501/pm-analytics"
    assert report.checked_base_url(None) is None
    assert report.dashboard_base("http://127.0.0.1:8501/", "") == "http://127.0.0.1:8501"
    assert report.dashboard_base("https://sso.example.com/pm-analytics/", "/pm-analytics/") == \
        "https://sso.example.com/pm-analytics"
    assert report.dashboard_base(None, None) is None


# -- the numbers are the dashboard's ------------------------------------------------

def test_headline_numbers_equal_summary_json_for_the_same_filter(sample_db, tmp_path, capsys):
    page = write_report(sample_db, tmp_path / "q3.html", "--quarter", "2026Q3", "--severity", "sev2", "sev3")
    capsys.readouterr()
    assert main(["summary", "--db", str(sample_db), "--from", "2026-07-01", "--to", "2026-09-30", "--as-of", AS_OF,
                 "--severity", "SEV2", "SEV3", "--json"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    assert numbers["incidents"] > 5, "a quarter of the sample has incidents to compare"
    assert page.json["headline-numbers"] == numbers
    shown = {key: card["value"] for key, card in page.cards.items()}
    assert shown == {
        "incidents": format_count(numbers["incidents"]), "sev1": format_count(numbers["incidents_by_severity"]["SEV1"]),
        "mttd": format_minutes(numbers["median_time_to_detect_min"]),
        "mttr": format_minutes(numbers["median_duration_min"]),
        "patients": format_count(numbers["patients_affected_total"]),
        "on_time": format_percent(numbers["action_items_on_time_rate"]),
        "overdue": format_count(numbers["action_items_overdue_p0_p1"]),
    }


def test_cards_are_the_overviews_with_the_quarter_before(sample_db, tmp_path):
    page = write_report(sample_db, tmp_path / "q3.html", "--quarter", "2026Q3")
    mttr = page.cards["mttr"]
    assert mttr["lines"][0] in ("improved", "worse", "no clear change", "no clear change (n too small)")
    assert any(line.startswith("Before: 2026-04-01 – 2026-06-30, ") for line in mttr["lines"])
    assert page.cards["sev1"]["lines"][0] == "no clear change (n too small)", "1 SEV1 against 4: too few to judge"
    assert page.cards["overdue"]["lines"] == [f"as of {AS_OF}"]


def test_a_range_is_compared_with_the_equally_long_window_before(sample_db, tmp_path):
    page = write_report(sample_db, tmp_path / "h1.html", "--from", "2026-01-01", "--to", "2026-06-30")
    assert any(line.startswith("Before: 2025-07-04 – 2025-12-31") for line in page.cards["incidents"]["lines"])


def test_a_window_the_data_barely_covers_gets_no_verdict(sample_db, tmp_path):
    # The sample starts in March 2025: the quarter before 2025Q2 holds less than a month of it.
    page = write_report(sample_db, tmp_path / "q2.html", "--quarter", "2025Q2")
    incidents = page.cards["incidents"]
    assert "delta" not in incidents and incidents["lines"][0].startswith("no comparison: the data starts")


def test_every_section_and_chart_is_there_and_plotly_is_inlined_once(sample_db, tmp_path):
    out = tmp_path / "q3.html"
    page = write_report(sample_db, out, "--quarter", "2026Q3")
    ids = {attrs.get("id") for _, attrs in page.elements}
    assert {"headline", "incidents", "response", "blast", "actions", "repeats", "off-hours", "reviews",
            "data-quality", "definitions"} <= ids
    charts = [attrs["id"] for tag, attrs in page.elements if tag == "figure"]
    assert charts == ["chart-incidents", "chart-detect", "chart-recover", "chart-phases", "chart-impact"]
    for chart in charts:
        spec = page.json[f"{chart}-spec"]
        assert spec["data"] and spec["layout"]["title"]["text"] and spec["layout"]["width"] == report.CHART_WIDTH_PX
        assert len(page.tables[chart]) > 1, f"{chart}: its numbers as a table"
    scripts = [attrs for tag, attrs in page.elements if tag == "script" and attrs.get("type") != "application/json"]
    assert len(scripts) == 3 and not any("src" in s for s in scripts)
    html = out.read_text()
    assert html.count(get_plotlyjs()[:300]) == 1, "plotly's JavaScript, inlined once"
    fetched = [value for _, attrs in page.elements for name, value in attrs.items() if name in ("src", "href")]
    assert all(value.startswith(("#", "data:")) for value in fetched), "nothing to fetch, from any host"
    assert len(html.encode()) < 6_000_000


def test_the_detect_chart_table_says_unknown_where_a_month_has_no_value(tmp_path):
    con = metrics_fixture.database()
    html = report.review_html(con, Filters(date_from=date(2025, 1, 1), date_to=date(2025, 3, 31)), date(2025, 6, 1))
    rows = Page(html).tables["chart-detect"]
    # February 2025 holds only C, which does not say when it was detected: unknown, never 0.
    assert rows[2][:5] == ["Feb 2025", "1", "0", "unknown", "unknown"]


def test_incidents_link_to_their_dashboard_page_with_the_filter(sample_db, tmp_path):
    page = write_report(sample_db, tmp_path / "q3.html", "--quarter", "2026Q3", "--base-url", BASE + "/",
                        "--team", "payments")
    links = [attrs["href"] for tag, attrs in page.elements if tag == "a" and attrs["href"].startswith(BASE)]
    incident_links = [href for href in links if "/incident?id=" in href]
    assert len(incident_links) >= 5
    assert all("from=2026-07-01&to=2026-09-30&team=Payments&as_of=2026-11-26" in href for href in incident_links)
    unlinked = write_report(sample_db, tmp_path / "plain.html", "--quarter", "2026Q3")
    assert not [attrs for tag, attrs in unlinked.elements if tag == "a" and not attrs["href"].startswith("#")]


# -- post-mortem text stays text ------------------------------------------------------

def test_hostile_post_mortems_are_text_in_the_html(hostile_db, tmp_path):
    out = tmp_path / "hostile.html"
    page = write_report(hostile_db, out, "--from", "2025-06-01", "--to", "2025-06-30", "--base-url", BASE)
    tags = {tag for tag, _ in page.elements}
    assert not tags & {"img", "iframe", "svg", "object", "embed", "form", "base", "b"}
    assert not [name for _, attrs in page.elements for name in attrs if name.startswith("on")]
    hrefs = [attrs["href"] for tag, attrs in page.elements if tag == "a"]
    assert hrefs and all(h.startswith("#") or h.startswith(BASE + "/") for h in hrefs)
    assert [attrs for tag, attrs in page.elements if tag == "script" and attrs.get("type") != "application/json"
            and attrs] == []
    text = "".join(page.text)
    assert "Checkout down <script>alert(1)</script>" in text, "the title reads as written"
    assert "Login broken <img src=x onerror=" in text
    xss_link = next(h for h in hrefs if "INC-XSS" in h)
    assert "<" not in xss_link and "%3Cimg%20src%3Dx%20onerror%3Dalert%2810%29%3E" in xss_link


def test_figure_json_cannot_close_its_script():
    hostile = "</script><script>alert(1)</script> & <!--"
    fig = go.Figure(go.Bar(x=[hostile], y=[1]))
    fig.update_layout(title={"text": hostile})
    spec = report._figure(fig, report._table([], []))["json"]
    assert "<" not in spec and ">" not in spec and "&" not in spec
    assert json.loads(spec)["layout"]["title"]["text"] == hostile


def test_the_definitions_ship_with_every_anchor_the_sections_link_to():
    definitions = report.definitions_html()
    for anchor in set(report.SECTION_DEFINITIONS.values()):
        assert f'id="def-{anchor}"' in definitions
    assert "<h2" not in definitions, "its title is the section's own heading; the rest one level down"
    assert "Unknown is never zero" in definitions and "<table>" in definitions


def test_raw_html_in_the_definitions_is_escaped(tmp_path, monkeypatch):
    doc = tmp_path / "metrics.md"
    doc.write_text("# Title\n\n## Part\n\n<script>alert(1)</script> [x](javascript:alert(2))\n")
    monkeypatch.setattr(settings, "METRICS_DOC", doc)
    html = report.definitions_html.__wrapped__()
    assert "<script>" not in html and "&lt;script&gt;" in html and 'href="javascript' not in html


# -- the command ----------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--quarter", "2026Q7"], "is not a quarter"),
    (["--base-url", "javascript:alert(1)"], "not an http(s) URL"),
    (["--to", "2026-01-01"], "--to needs --from"),
    (["--quarter", "2026Q1", "--to", "2026-01-01"], "not both"),
    (["--severity", "SEV9"], "SEV9"),
])
def test_the_command_refuses_what_it_cannot_honour(sample_db, tmp_path, capsys, args, message):
    out = tmp_path / "never.html"
    assert main(["report", "--db", str(sample_db), "--out", str(out), *args]) == 2
    assert message in capsys.readouterr().err and not out.exists()


def test_the_command_reads_a_folder_of_post_mortems(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PM_ANALYTICS_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "postmortems"
    shutil.copytree(HOSTILE, folder)
    page = write_report(folder, tmp_path / "review.html", "--from", "2025-06-01", "--to", "2025-06-30")
    assert page.json["headline-numbers"]["incidents"] == 3
    assert "wrote" in capsys.readouterr().out
    assert main(["report", "--db", str(tmp_path / "missing"), "--out", str(tmp_path / "x.html")]) == 2


def test_the_settings_beside_the_data_apply_as_on_the_overview(sample_db, tmp_path):
    """pm-analytics.toml beside the database: its first day of data and its targets reach the cards,
    exactly as the overview passes them to metrics.overview_cards."""
    db = tmp_path / "sample.duckdb"
    shutil.copy(sample_db, db)
    (tmp_path / "pm-analytics.toml").write_text("[data]\nsince = 2025-01-01\n\n[targets]\n"
                                                "time_to_detect_min.p50 = 1\naction_items_on_time_rate = 0.5\n")
    page = write_report(db, tmp_path / "q2.html", "--quarter", "2025Q2")
    # Without the file the quarter before holds too little data (see above); with it, it is covered.
    assert page.cards["incidents"]["lines"][0] != "no comparison" and "delta" in page.cards["incidents"]
    assert page.cards["mttd"]["lines"][-1].startswith("off target (target ≤ 1 min)")
    assert page.cards["on_time"]["lines"][-1].startswith(("on target (≥ 50%)", "off target (target ≥ 50%)"))
    from pm_analytics import targets
    from pm_analytics.store import open_database

    con = open_database(db)
    try:
        project = targets.load(db)
        q2, q1 = Filters(date_from=date(2025, 4, 1), date_to=date(2025, 6, 30)), (date(2025, 1, 1), date(2025, 3, 31))
        cards = metrics.overview_cards(con, q2, date.fromisoformat(AS_OF), previous=q2.with_dates(*q1),
                                       data_since=project.data_since, targets=project.targets)
    finally:
        con.close()
    assert {key: card["value"] for key, card in page.cards.items()} == \
        {card["key"]: report.card_view(card)["value"] for card in cards}
    assert [report.card_view(card)["verdict"] for card in cards] == \
        [card["lines"][0] if card["lines"] and card["lines"][0] in VERDICTS else None for card in page.cards.values()]


@pytest.mark.parametrize("text_model, expected", [
    ("pending", "Not known yet: related incidents were still being computed"),
    ("not computed", "Not known: related incidents were not computed for this database"),
])
def test_repeats_are_unknown_not_zero_without_the_text_model(tmp_path, text_model, expected):
    db = tmp_path / "sample.duckdb"
    result = load_into([ROOT / "data"], db, relative_to=ROOT / "data", text_model=text_model == "pending",
                       defer_text_model=True)
    try:
        page = write_report(db, tmp_path / "review.html", "--quarter", "2026Q3")
    finally:
        if result.pending is not None:
            result.pending.discard()
    text = " ".join(" ".join(page.text).split())
    assert expected in text
    assert "repeats an earlier one (text alike" not in text and "repeat an earlier one (text alike" not in text


def test_a_card_under_a_minute_apart_reads_as_a_fraction_and_one_unknown_is_singular():
    """"-< 1 min vs before" read as a typo; so did "+ 1 incidents unknown"."""
    card = {"key": "mttd", "label": "Median time to detect", "unit": "minutes", "value": 14.6, "previous": 15.0,
            "change": -0.4, "verdict": "no clear change", "note": "", "previous_window": None}
    assert report.card_view(card)["delta"] == "−0.4 min vs before"
    assert report.card_view({**card, "change": -12.0})["delta"] == "−12 min vs before"
    from pm_analytics import cli

    numbers = {"incidents": 1, "incidents_by_severity": {"SEV1": 1}, "median_time_to_detect_min": None,
               "median_time_to_respond_min": None, "median_duration_min": None, "p90_duration_min": None,
               "clinics_affected_total": None, "patients_affected_total": None, "patients_affected_unknown": 1,
               "action_items_done": 0, "action_items_total": 0, "action_items_done_on_time": 0,
               "action_items_done_on_time_unknown": 0, "action_items_overdue": 0}
    assert "(+ 1 incident unknown)" in cli.format_headline(numbers)
