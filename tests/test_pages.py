"""Every page run in-process with Streamlit's AppTest, on the bundled sample and on an empty folder.

Numbers are checked in test_metrics.py; here: the page renders, filters change what it shows and
land in the URL, a URL's filters are applied, links go to incident pages, empty states are clear.
"""

import os
import re
import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pm_analytics import metrics

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DATA = ROOT / "data"
AS_OF = "2026-11-26"
PAGES = ["app.py", "pages/response_times.py", "pages/blast_radius.py", "pages/action_items.py",
         "pages/incidents.py", "pages/incident.py", "pages/recurring.py", "pages/severity.py", "pages/off_hours.py",
         "pages/reviews.py", "pages/search.py", "pages/data_quality.py", "pages/teams.py"]
WITHOUT_CHARTS = {"pages/incident.py", "pages/data_quality.py", "pages/incidents.py", "pages/search.py",
                  "pages/teams.py"}
KNOWN_ID = "INC-2025-122"


@pytest.fixture(autouse=True)
def fresh_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("PM_ANALYTICS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PM_ANALYTICS_DATA", str(DATA))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def loaded_with_text_model() -> None:
    """Load the data source as the dashboard does, and wait until its text model is in too: a page run
    in between says related incidents are being computed (tested apart, below)."""
    from pm_analytics import datasource, ui

    source = datasource.resolve()
    if source.is_folder:
        job = ui._start_or_join_load(source, reload=False)
        if job is not None:
            job.future.result(timeout=300)


def run(page: str, **params) -> AppTest:
    loaded_with_text_model()
    at = AppTest.from_file(APP, default_timeout=60)
    params.setdefault("as_of", AS_OF)
    for key, value in params.items():
        at.query_params[key] = value
    if page != "app.py":
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def plotly_specs(at: AppTest) -> list[dict]:
    import json

    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_sample(page):
    at = run(page, id=KNOWN_ID) if page == "pages/incident.py" else run(page)
    assert not at.error, [e.value for e in at.error]
    if page not in WITHOUT_CHARTS:
        assert plotly_specs(at), "a chart"
    for spec in plotly_specs(at):
        layout = spec["layout"]
        assert layout["title"]["text"], "every chart has a title"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_folder(page, tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PM_ANALYTICS_DATA", str(empty))
    at = run(page, id=KNOWN_ID, q="certificate")
    shown = " ".join(x.value for x in list(at.info) + list(at.error) + list(at.success))
    if page == "pages/search.py":
        assert "Nothing in these filters mentions that" in shown
    elif page == "pages/incident.py":
        assert "No post-mortem has the id" in shown
    elif page == "pages/data_quality.py":
        assert metric(at, "Files seen") == "0"
    elif page != "app.py":
        assert "No post-mortems match these filters" in shown
    else:
        assert "No post-mortems in this window" in shown and not at.metric  # not "0" beside "unknown"


def test_a_missing_data_source_is_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("PM_ANALYTICS_DATA", str(tmp_path / "nowhere.duckdb"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "neither a folder of post-mortems nor a database file" in at.error[0].value


def test_a_database_from_another_version_is_a_clear_message(tmp_path, monkeypatch):
    import duckdb

    from pm_analytics.load import load_into

    db = tmp_path / "old.duckdb"
    load_into([ROOT / "data"], db, relative_to=ROOT / "data")
    con = duckdb.connect(str(db))
    con.execute("UPDATE load_info SET value = '3' WHERE key = 'schema_version'")
    con.close()
    monkeypatch.setenv("PM_ANALYTICS_DATA", str(db))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "its schema: 3" in at.error[0].value and "pm-analytics load" in at.error[0].value


def test_overview_filter_changes_numbers_and_url():
    at = run("app.py", range="all")
    everyone = metric(at, "Incidents")
    at.sidebar.multiselect(key="team").set_value(["Payments"]).run()
    assert not at.exception
    assert metric(at, "Incidents") != everyone
    assert at.query_params["team"] == "Payments"
    at.sidebar.multiselect(key="sev").set_value(["SEV1"]).run()
    assert int(metric(at, "Incidents")) < int(everyone)
    assert at.query_params["sev"] == "SEV1"


def test_a_link_with_filters_applies_them():
    everything = run("app.py", range="all")
    linked = run("app.py", range="all", sev="SEV1")
    assert linked.sidebar.multiselect(key="sev").value == ["SEV1"]
    assert metric(linked, "Incidents") == metric(linked, "SEV1 incidents") != metric(everything, "Incidents")


def test_default_range_compares_with_the_year_before():
    at = run("app.py")
    assert at.sidebar.selectbox(key="range").value == "last_12_months"
    captions = " ".join(c.value for c in at.caption)
    assert any(v in captions for v in ("improved", "worse", "no clear change"))


def test_overview_shows_its_cards_for_none_this_window_against_some_before():
    """No SEV1 this quarter (Q4 2026 to the 26th) against two the quarter before (14 Aug, 30 Sep) is good
    news, not an empty page: the cards say 0 and the change."""
    at = run("app.py", range="this_quarter", sev="SEV1")
    assert not at.exception
    assert any("No post-mortems in this window" in i.value for i in at.info)
    incidents = next(m for m in at.main.metric if m.label == "Incidents")
    assert incidents.value == "0" and incidents.proto.delta.startswith("-")
    assert not at.get("plotly_chart"), "nothing to chart"


def test_overview_cards_point_down_for_a_fall_and_never_colour_an_improvement_red():
    """Streamlit reads a change as a fall only from an ASCII "-": the report's "−" once showed every fall as
    a rise, so a shorter time to detect came out red."""
    from streamlit.proto.Metric_pb2 import Metric

    at = run("app.py")
    cards = {m.label: m.proto for m in at.metric if m.proto.delta}
    falls = {label for label, card in cards.items() if card.delta.startswith(("-", "−"))}
    assert falls and set(cards) - falls, "the sample's default window has cards that fell and cards that rose"
    for label, card in cards.items():
        fell = label in falls
        assert card.direction == (Metric.MetricDirection.DOWN if fell else Metric.MetricDirection.UP), label
        better = fell == ("on time" not in label)  # lower is better but for the on-time rate
        if card.color != Metric.MetricColor.GRAY:  # grey: no clear change
            assert card.color == (Metric.MetricColor.GREEN if better else Metric.MetricColor.RED), label


def test_old_data_opens_on_its_newest_year_with_a_note_and_a_way_back_to_today():
    """Two years after the sample's newest post-mortem (2026-11-20), the default range would be empty."""
    at = run("app.py", as_of="2028-12-31")
    shown = " ".join(m.value for m in at.markdown)
    assert "Your newest post-mortem is from 2026-11-20; showing the 12 months up to it." in shown
    assert int(metric(at, "Incidents")) > 0
    assert "until" not in at.query_params  # the anchoring is recomputed from the data, not written in
    at.button(key="range_note_action").click().run()
    assert at.query_params["until"] == "2028-12-31" and at.query_params["range"] == "last_12_months"
    shown = " ".join(m.value for m in at.markdown) + " ".join(i.value for i in at.info)
    assert "No post-mortems in this window" in shown
    assert "No post-mortem is dated from 2028-01-01 to 2028-12-31; your newest is from 2026-11-20." in shown
    at.button(key="range_note_action").click().run()
    assert at.query_params["until"] == "2026-11-20"
    assert int(metric(at, "Incidents")) > 0


@pytest.mark.parametrize("page", [p for p in PAGES if p not in ("pages/incident.py", "pages/data_quality.py")])
def test_every_page_anchors_an_empty_default_range_on_the_data(page):
    at = run(page, as_of="2028-12-31", q="certificate")
    shown = " ".join(m.value for m in at.markdown) + " ".join(i.value for i in at.info)
    assert "showing the 12 months up to it" in shown
    assert "No post-mortems match these filters" not in shown and "No post-mortems in this window" not in shown


def test_an_explicit_range_without_data_is_honoured_with_a_link_to_the_data():
    at = run("app.py", **{"from": "2020-01-01", "to": "2020-12-31"})
    shown = " ".join(m.value for m in at.markdown) + " ".join(i.value for i in at.info)
    assert "No post-mortem is dated from 2020-01-01 to 2020-12-31" in shown
    assert at.sidebar.selectbox(key="range").value == "custom"
    at.button(key="range_note_action").click().run()
    assert "from" not in at.query_params and at.query_params["range"] == "last_12_months"
    assert int(metric(at, "Incidents")) > 0


def test_custom_dates_from_the_url():
    at = run("app.py", **{"from": "2026-01-01", "to": "2026-03-31"})
    assert at.sidebar.selectbox(key="range").value == "custom"
    quarter = int(metric(at, "Incidents"))
    assert 0 < quarter < int(metric(run("app.py", range="all"), "Incidents"))


def test_overview_lists_five_harmful_incidents_linking_to_their_pages():
    at = run("app.py", range="all")
    links = [link for link in at.get("page_link") if link.proto.page.endswith("incident")]
    assert len(links) == 5
    assert all("id=" in link.proto.query_string for link in links)


def test_response_times_controls_change_the_chart_and_url():
    at = run("pages/response_times.py", range="all")
    before = plotly_specs(at)[0]
    at.radio(key="by").set_value("severity").run()
    at.selectbox(key="metric").set_value("time_to_detect_min").run()
    assert not at.exception
    after = plotly_specs(at)[0]
    assert after["layout"]["title"]["text"].startswith("Time to detect")
    assert len(after["data"]) > len(before["data"]) - 2
    assert at.query_params["by"] == "severity" and at.query_params["metric"] == "time_to_detect_min"


def test_response_time_table_shows_durations_that_sort_by_length():
    """Durations reach the table as durations (shown as "1 hr, 2 min", sorted by length when a header is
    clicked), not as text, which sorted "1 h 02 min" before "38 min"."""
    import json

    from pm_analytics.filters import from_query_params

    at = run("pages/response_times.py", range="all")
    table = at.dataframe[0]
    filters, _ = from_query_params({"range": "all"}, date.fromisoformat(AS_OF))
    stats = sample_query("response_time_stats", filters).set_index("metric")
    shown = table.value.set_index("metric")
    assert pd.api.types.is_timedelta64_dtype(shown["median"])
    for metric in shown.index:
        want = stats.loc[metric, "median"]
        got = shown.loc[metric, "median"]
        assert (pd.isna(got) and pd.isna(want)) or got == pd.Timedelta(minutes=round(want)), metric
    config = json.loads(table.proto.columns)
    assert config["median"]["type_config"] == {"type": "number", "format": "localized"}


def test_incidents_search_and_sort():
    at = run("pages/incidents.py", range="all")
    everything = at.dataframe[0].value
    at.selectbox(key="sort").set_value("patients_affected").run()
    shown = list(at.dataframe[0].value["patients_affected"])
    known = [int(v) for v in shown if not pd.isna(v)]
    assert known == sorted(known, reverse=True)
    assert 0 < len(known) < len(shown) == len(everything)
    assert all(pd.isna(v) for v in shown[len(known):]), "unknown sorts last"
    assert at.dataframe[0].proto.placeholder == "unknown"
    at.text_input(key="q").set_value("certificate").run()
    found = at.dataframe[0].value
    assert 0 < len(found) < len(everything)
    assert at.query_params["q"] == "certificate" and at.query_params["sort"] == "patients_affected"
    assert found["link"].str.startswith("incident?id=").all()


def test_sql_looking_search_and_filter_values_are_just_values():
    at = run("pages/incidents.py", range="all", q="' OR 1=1 --", team="x' OR '1'='1")
    assert "No post-mortems match" in " ".join(i.value for i in at.info)


def test_incident_page_shows_its_title_and_metrics():
    at = run("pages/incident.py", id=KNOWN_ID)
    assert "Copay estimates showing" in at.main.header[0].value
    assert metric(at, "Time to detect") != "unknown"
    assert len(plotly_specs(at)) == 2


def test_unknown_incident_id_is_a_clear_message():
    at = run("pages/incident.py", id="NO-SUCH-INCIDENT")
    assert "No post-mortem has the id" in at.error[0].value


def test_data_quality_lists_problems_with_file_and_line():
    at = run("pages/data_quality.py")
    problems = at.dataframe[0].value
    assert {"source_path", "line", "level", "field", "message"} <= set(problems.columns)
    assert (problems["level"] == "warning").any()


def test_data_quality_lists_each_drill_with_what_excluded_it():
    at = run("pages/data_quality.py", range="all")
    assert any(h.value == "Left out of every statistic as drills or tests" for h in at.subheader)
    drills = next(df.value for df in at.dataframe if "exclude_reason" in df.value.columns)
    assert drills["exclude_reason"].str.len().gt(0).all() and len(drills) >= 1


def test_incident_page_lists_related_incidents_with_links():
    at = run("pages/incident.py", id=KNOWN_ID)
    assert any(h.value == "Related incidents" for h in at.subheader)
    links = [link for link in at.get("page_link") if link.proto.page.endswith("incident")]
    assert links and all("id=" in link.proto.query_string for link in links)
    assert any("similarity" in c.value for c in at.caption)
    assert any("shared words: " in c.value for c in at.caption), "what makes a related incident alike"


def test_recurring_page_lists_repeats_linking_to_incidents():
    at = run("pages/recurring.py", range="all")
    repeats = at.dataframe[0].value
    assert len(repeats) > 0 and repeats["link"].str.startswith("incident?id=").all()
    shown = list(at.dataframe[0].proto.column_order)
    assert {"shared_terms", "shared_with"} <= set(shown), "each pair says why it is a repeat"
    assert repeats["shared_terms"].str.len().gt(0).all() and repeats["shared_with"].str.len().gt(0).all()
    assert set(repeats["status"]) <= set(metrics.RECURRENCE_STATUSES)
    answer = next(m.value for m in at.markdown if m.value.startswith("**Did the earlier fixes work?**"))
    done = (repeats["status"] == metrics.RECURRENCE_STATUSES[0]).sum()
    assert f"{done} repeat{'s' if done != 1 else ''} happened although the earlier P0/P1 items were done" in answer


def page_run(page: str, **params) -> AppTest:
    """A page run as a viewer's would be, without waiting for the text model first."""
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in {"as_of": AS_OF, **params}.items():
        at.query_params[key] = value
    if page != "app.py":
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def notes(at: AppTest) -> str:
    return "\n".join(e.value for e in [*at.info, *at.caption, *at.warning])


def test_pages_say_related_incidents_are_being_computed_until_the_text_model_lands(monkeypatch):
    """The database is in place before its text model: every page works on it, the pages that need the
    text model say it is being computed (never 0 repeats), and show it once it is written."""
    from pm_analytics import ui
    from pm_analytics.text_model import PendingTextModel

    started, release = threading.Event(), threading.Event()
    original = PendingTextModel.run

    def held(self, phase=None):
        started.set()
        assert release.wait(timeout=600), "the test never let the text model go on"
        return original(self, phase)

    monkeypatch.setattr(PendingTextModel, "run", held)
    try:
        recurring = page_run("pages/recurring.py", range="all")
        assert started.is_set(), "the page ran on the new database while the text model was still to come"
        assert "Related incidents are being computed" in notes(recurring)
        assert not recurring.dataframe and not recurring.get("plotly_chart"), "no repeats or themes shown as none"
        assert not any("Did the earlier fixes work?" in m.value for m in recurring.markdown)
        incident = page_run("pages/incident.py", id=KNOWN_ID)
        assert "Whether this incident repeats an earlier one is not known yet" in notes(incident)
        assert "Related incidents are being computed" in notes(incident)
        assert not any("similarity" in c.value for c in incident.caption)
        overview = page_run("app.py")
        assert overview.metric, "the other pages work meanwhile"
    finally:
        release.set()
    job = ui._load_state()["jobs"][next(iter(ui._load_state()["jobs"]))]
    job.future.result(timeout=600)
    st.cache_data.clear()
    recurring = page_run("pages/recurring.py", range="all")
    assert "being computed" not in notes(recurring)
    assert len(recurring.dataframe[0].value) > 0
    incident = page_run("pages/incident.py", id=KNOWN_ID)
    assert "not known yet" not in notes(incident) and any("similarity" in c.value for c in incident.caption)


def test_pages_say_related_incidents_were_not_computed_for_a_database_loaded_without_them(tmp_path,
                                                                                          monkeypatch):
    from pm_analytics.load import load_into

    db = tmp_path / "no-model.duckdb"
    load_into([DATA], db, relative_to=DATA, text_model=False)
    monkeypatch.setenv("PM_ANALYTICS_DATA", str(db))
    recurring = page_run("pages/recurring.py", range="all")
    assert "were not computed for this database" in notes(recurring)
    assert not recurring.dataframe and not recurring.get("plotly_chart")
    incident = page_run("pages/incident.py", id=KNOWN_ID)
    assert "repeats an earlier one is unknown" in notes(incident)
    assert "were not computed for this database" in notes(incident)


def test_severity_page_lists_incidents_that_look_off():
    at = run("pages/severity.py", range="all")
    assert len(plotly_specs(at)) == 3
    assert at.dataframe[0].value["reason"].str.contains("median").all()
    by_team = at.dataframe[1].value
    assert list(at.dataframe[1].proto.column_order)[:2] == ["team", "looks_off_share"], "the answer first"
    assert (by_team["graded_lower"] + by_team["graded_higher"] <= by_team["judged"]).all()
    assert by_team["looks_off_share"].is_monotonic_decreasing
    assert by_team["graded_lower"].sum() + by_team["graded_higher"].sum() >= len(at.dataframe[0].value), \
        "every flagged incident counts in each of its teams"


def test_off_hours_page_by_team_is_in_the_url():
    at = run("pages/off_hours.py", range="all")
    at.radio(key="by").set_value("team").run()
    assert not at.exception and at.query_params["by"] == "team"
    share = [s for s in plotly_specs(at) if "off hours" in s["layout"]["title"]["text"]][0]
    assert share["data"][0]["type"] == "heatmap" and len(share["data"][0]["y"]) > 1, "a row per team"


def test_splitting_response_times_by_team_gives_a_panel_per_team_not_a_tangle_of_lines():
    at = run("pages/response_times.py", by="team")
    trend = plotly_specs(at)[0]
    lines: dict = {}
    for trace in trend["data"]:
        if "lines" in trace.get("mode", "") and trace.get("line", {}).get("width") != 0:
            lines[trace.get("xaxis", "x")] = lines.get(trace.get("xaxis", "x"), 0) + 1
    assert len(lines) >= 8 and max(lines.values()) <= 6


def test_reviews_page_answers_in_one_line():
    """How many are fully reviewed and how many wait, before any chart: the numbers the page's question asks."""
    from pm_analytics.filters import Filters

    at = run("pages/reviews.py", range="all")
    report = sample_query("waiting_report", Filters(), date.fromisoformat(AS_OF))
    assert report["fully_reviewed"] + report["total"] == report["post_mortems"] and report["total"] > 0
    first = next(m.value for m in at.main.markdown if "fully reviewed" in m.value)
    assert first.startswith(f"**{report['fully_reviewed']:,} of {report['post_mortems']:,} post-mortems fully reviewed**")
    assert f"**{report['total']:,} waiting**, the longest {report['longest_days']:,} days" in first
    waiting = next(d.value for d in at.dataframe if "days_since_resolved" in d.value.columns)
    assert waiting["days_since_resolved"].max() == report["longest_days"]


def test_reviews_page_lists_what_waits():
    at = run("pages/reviews.py", range="all")
    waiting = at.dataframe[1].value
    assert list(waiting["days_since_resolved"]) == sorted(waiting["days_since_resolved"], reverse=True)


def test_search_highlights_matches_and_links_to_incidents():
    at = run("pages/search.py", range="all", q="certificate")
    assert any(":orange-background[" in m.value.lower() or "orange-background" in m.value for m in at.markdown)
    assert [link for link in at.get("page_link") if link.proto.page.endswith("incident")]


def test_search_marks_the_drills_it_finds():
    """Search finds drills and tests too (every other page leaves them out), so it says which they are."""
    at = run("pages/search.py", range="all", q="failover")
    labels = {link.proto.query_string: link.proto.label for link in at.get("page_link")
              if link.proto.page.endswith("incident")}
    drills = [label for query, label in labels.items() if "DRILL-2026-01" in query]
    assert len(drills) == 1 and "drill/test left out of the statistics" in drills[0]
    others = [label for query, label in labels.items() if "DRILL-2026-01" not in query]
    assert others and not any("drill/test" in label for label in others)


def test_search_lists_the_first_fifty_post_mortems_and_says_how_many_more():
    from pm_analytics import ui

    at = run("pages/search.py", range="all", q="the")
    links = [link for link in at.get("page_link") if link.proto.page.endswith("incident")]
    assert len(links) == ui.SEARCH_POST_MORTEMS_SHOWN
    counted = next(m for c in at.caption if (m := re.search(r"matches,? in ([\d,]+) post-mortems", c.value)))
    found = int(counted.group(1).replace(",", ""))
    assert found > ui.SEARCH_POST_MORTEMS_SHOWN
    assert any(f"Showing the first 50 of these {found:,} post-mortems" in c.value for c in at.caption)
    assert at.get("download_button")


def test_a_load_runs_once_and_a_reload_finishes_without_the_viewer_who_asked(tmp_path, monkeypatch):
    """Sessions share one loader: a second viewer joins the running load, a reload queues behind it (and a
    second reload joins the queued one), and the load runs off the script thread so a viewer leaving
    (which stops their script) cannot abort it."""
    from pm_analytics import datasource, ui

    started, release, calls = threading.Event(), threading.Event(), []

    def slow_refresh(source, progress=None):
        calls.append(threading.current_thread().name)
        progress(1, 2)
        started.set()
        assert release.wait(120), "the test never released the load"

    monkeypatch.setattr(datasource, "refresh", slow_refresh)
    ui._load_state.clear()
    source = datasource.DataSource(tmp_path, tmp_path / "cache.duckdb")
    first = ui._start_or_join_load(source, reload=False)
    assert ui._start_or_join_load(source, reload=False) is first
    assert started.wait(120), "the first load never started"
    assert first.future.running()
    reload = ui._start_or_join_load(source, reload=True)
    assert reload is not first and reload.queued
    assert ui._start_or_join_load(source, reload=True) is reload
    release.set()
    reload.future.result(timeout=120)
    assert first.future.done() and (first.done_files, first.total_files) == (1, 2)
    assert calls == ["pm-analytics-load"] * 2
    assert all(t.daemon for t in threading.enumerate() if t.name == "pm-analytics-load"), "stopping never waits"
    assert ui._start_or_join_load(source, reload=False) is None
    ui._load_state.clear()


def _tracked(item) -> bool:
    """Whether Python's garbage collections still walk ``item`` (a frozen object is in none of their generations)."""
    import gc

    return any(other is item for other in gc.get_objects())


def test_the_first_data_in_place_leaves_what_is_alive_out_of_later_garbage_collections(monkeypatch, tmp_path):
    """Once per process, when its first load is done: a full collection walking every module's objects held
    up every page run (six of about 0.28 s in a burst of 20 viewers), and the youngest objects are collected
    less often. Objects made later are walked as before, and a reload freezes nothing more; a database file
    is settled on its first page run."""
    import gc

    from pm_analytics import datasource, load, ui

    gc.unfreeze()
    settled = []  # the thresholds asked for, recorded instead of set in the test process
    monkeypatch.setattr(gc, "set_threshold", lambda *thresholds: settled.append(thresholds))
    monkeypatch.setattr(ui, "_heap_settled", threading.Event())
    monkeypatch.setattr(datasource, "refresh", lambda source, progress=None: None)
    ui._load_state.clear()
    source = datasource.DataSource(tmp_path, tmp_path / "cache.duckdb")
    before = [[]]
    assert _tracked(before) and gc.get_freeze_count() == 0
    ui._start_or_join_load(source, reload=False).future.result(timeout=120)
    assert not _tracked(before) and gc.get_freeze_count() > 0
    assert [young for young, *_ in settled] == [load.YOUNG_COLLECTION_OBJECTS]
    after = [[]]
    frozen = gc.get_freeze_count()
    ui._start_or_join_load(source, reload=True).future.result(timeout=120)
    assert _tracked(after) and gc.get_freeze_count() <= frozen  # fewer as frozen objects are freed
    assert len(settled) == 1

    gc.unfreeze()
    monkeypatch.setattr(ui, "_heap_settled", threading.Event())
    database = tmp_path / "given.duckdb"
    database.write_bytes(b"")
    monkeypatch.setattr(datasource, "resolve", lambda: datasource.DataSource(database, database))
    monkeypatch.setattr(ui, "_schema_version", lambda version: str(ui.SCHEMA_VERSION))
    ui._data_version()
    assert not _tracked(after) and gc.get_freeze_count() > 0
    gc.unfreeze()
    ui._load_state.clear()


def test_query_cache_keys_a_call_by_what_its_arguments_hold():
    """ui.get keys Streamlit's cache on the arguments written out: equal calls share an entry, calls
    that differ in any value do not, and an argument whose repr would not say what it holds is refused."""
    from pm_analytics import ui
    from pm_analytics.filters import Filters

    sev1 = Filters(severities=("SEV1",), date_from=date(2026, 1, 1))
    key = ui._call_key((sev1, date(2026, 3, 31)), {"limit": 5, "targets": {"duration_min": 60.0}})
    assert key == ui._call_key((Filters(severities=("SEV1",), date_from=date(2026, 1, 1)), date(2026, 3, 31)),
                               {"targets": {"duration_min": 60.0}, "limit": 5})
    for other in (((Filters(severities=("SEV2",), date_from=date(2026, 1, 1)), date(2026, 3, 31)), {"limit": 5}),
                  ((sev1, date(2026, 3, 30)), {"limit": 5}), ((sev1, date(2026, 3, 31)), {"limit": True}),
                  ((sev1, date(2026, 3, 31)), {"limit": 5, "targets": {"duration_min": 61.0}})):
        assert ui._call_key(*other) != key
    for opaque in (object(), {"x": object()}, [frozenset({"SEV1"})]):
        with pytest.raises(TypeError, match="cannot key its cache"):
            ui._call_key((sev1, opaque), {})


def test_teams_page_lists_every_team_sorted_and_links_to_the_overview():
    at = run("pages/teams.py", range="all")
    table = at.dataframe[0].value
    expected = ui_get_team_table("all")
    assert table["team"].tolist() == expected["team"].tolist()
    assert table["incidents"].tolist() == sorted(table["incidents"].tolist(), reverse=True)
    first = table.iloc[0]
    assert first["overview"].startswith("./?") and f"team={first['team'].replace(' ', '%20')}" in first["overview"]
    assert "range=all" in first["overview"]
    at.selectbox(key="sort").set_value("p90_duration_min").run()
    assert at.query_params["sort"] == "p90_duration_min"
    resorted = at.dataframe[0].value
    assert resorted["team"].iloc[0] == expected.sort_values("p90_duration_min", ascending=False)["team"].iloc[0]
    assert "counts once for each of them" in " ".join(c.value for c in at.caption)


def sample_query(name: str, *args, **kwargs):
    """``metrics.<name>`` on a load of the sample of its own (a page's answer, computed apart from the page)."""
    import duckdb

    from pm_analytics.load import load_into

    db = Path(os.environ["PM_ANALYTICS_CACHE"]) / "check.duckdb"
    if not db.exists():
        load_into([DATA], db)
    with duckdb.connect(str(db), read_only=True) as con:
        return getattr(metrics, name)(con, *args, **kwargs)


def ui_get_team_table(preset: str):
    from pm_analytics.filters import from_query_params

    filters, _ = from_query_params({"range": preset}, date.fromisoformat(AS_OF))
    return sample_query("team_table", filters, date.fromisoformat(AS_OF))


def test_incident_page_leads_with_time_to_recover_against_its_severity():
    at = run("pages/incident.py", id=KNOWN_ID)
    first = at.main.metric[0]
    detail = sample_query("incident_detail", KNOWN_ID, date.fromisoformat(AS_OF))
    phases = detail["phases"].set_index("metric")
    assert first.label == "Time to recover"
    assert f"{detail['peer_label']} median" in first.proto.delta
    labels = [m.label for m in at.main.metric[4:10]]
    assert labels == [phases.loc[m, "card_label"] for m in detail["phase_order"]]
    captions = " ".join(c.value for c in at.main.caption)
    assert "solution → full recovery" in captions
    assert f"Each median is over every {detail['peer_label']} incident loaded, whatever the sidebar's dates" in captions


def test_incident_page_banners_a_repeat_and_overdue_p0_p1_items():
    from pm_analytics.filters import Filters

    repeats = sample_query("recurrences", Filters(include_excluded=True))
    repeat = repeats.iloc[0]
    at = run("pages/incident.py", id=repeat.later_id)
    text = " ".join(m.value for m in at.main.markdown)
    assert "Repeats an earlier incident" in text
    assert any(f"id={repeat.earlier_id}" in link.proto.query_string for link in at.main.get("page_link"))
    chase = sample_query("chase_list", Filters(include_excluded=True), date.fromisoformat(AS_OF))
    late = chase.iloc[0].incident_id
    late_items = chase[chase["incident_id"] == late]
    at = run("pages/incident.py", id=late)
    warning = " ".join(w.value for w in at.main.warning)
    assert f"{len(late_items)} P0/P1 action item" in warning and f"{late_items['days_overdue'].max()} days" in warning
    items = next(d for d in at.dataframe if "due_local" in d.value.columns)
    assert "due_local" in items.proto.column_order and "due_at" not in items.proto.column_order
    detail = sample_query("incident_detail", late, date.fromisoformat(AS_OF))
    assert f'"Due ({detail["tz_label"]})"' in items.proto.columns, "deadlines on the timeline's clock, named"


def test_action_items_by_priority_shows_what_its_on_time_rate_divides():
    """A leader checking "77%" must find both of its numbers in the row, the count of items due first."""
    at = run("pages/action_items.py", range="all")
    table = next(d for d in at.dataframe if "on_time_rate" in d.value.columns)
    shown = list(table.proto.column_order)
    assert shown.index("due") < shown.index("due_done_on_time") < shown.index("on_time_rate")
    rows = table.value.dropna(subset=["on_time_rate"])
    assert len(rows) >= 3
    for row in rows.itertuples():
        assert round(row.due_done_on_time / row.due * 100) == round(row.on_time_rate), row.priority


def test_chase_list_defaults_to_p0_p1_and_copies_as_text():
    at = run("pages/action_items.py", range="all")
    chase = next(d.value for d in at.dataframe if "days_overdue" in d.value.columns)
    assert list(chase.columns[:5]) == ["link", "priority", "owner", "teams", "days_overdue"]
    assert set(chase["priority"]) <= {"P0", "P1"} and len(chase) > 0
    text = at.code[0].value
    assert text.startswith(f"Overdue P0/P1 action items as of {AS_OF}: {len(chase)}")
    first = chase.iloc[0]
    assert f"  {first['owner']}\n" in text and f"{first['days_overdue']} days overdue" in text
    pills = at.get("button_group")[0]
    pills.set_value(["P0", "P1", "P2"]).run()
    assert at.query_params["priority"] == "P0,P1,P2"
    wider = next(d.value for d in at.dataframe if "days_overdue" in d.value.columns)
    assert len(wider) > len(chase) and "P2" in set(wider["priority"])


def test_overview_overdue_card_links_to_the_chase_list_with_the_filters():
    at = run("app.py", range="all", sev="SEV1")
    link = next(l for l in at.main.get("page_link") if l.proto.label == "Who to chase →")
    assert link.proto.page.endswith("action_items")
    assert "range=all" in link.proto.query_string and "sev=SEV1" in link.proto.query_string
    assert "open=chase" in link.proto.query_string


def test_the_action_items_page_opens_on_the_chase_list_when_the_link_asks():
    """A page link takes no #anchor: "Who to chase →" asks for the list first instead of below a chart."""
    default = run("pages/action_items.py", range="all")
    assert "on_time_rate" in default.dataframe[0].value.columns
    chase = run("pages/action_items.py", range="all", open="chase")
    assert chase.main.subheader[0].value.startswith("Who to chase")
    assert "days_overdue" in chase.dataframe[0].value.columns
    assert len(chase.dataframe) == len(default.dataframe) and len(chase.get("plotly_chart")) == len(
        default.get("plotly_chart")), "the same page, in another order"


def test_targets_from_the_settings_file_show_on_cards_and_trend_lines():
    """The repository's pm-analytics.toml applies to the sample (nothing beside data/ overrides it)."""
    from pm_analytics import targets

    goals = targets.load(DATA)
    assert goals.path == ROOT / "pm-analytics.toml"
    at = run("app.py", range="all")
    captions = " ".join(c.value for c in at.caption)
    mttd_goal = goals.target("time_to_detect_min")
    assert f"target ≤ {int(mttd_goal)} min)" in captions or f"(≤ {int(mttd_goal)} min)" in captions
    at = run("pages/response_times.py", range="all")
    trend = plotly_specs(at)[0]
    lines = [s for s in trend["layout"]["shapes"] if s["type"] == "line"]  # not the bands behind partial periods
    assert sorted(s["y0"] for s in lines) == sorted(goals.time_targets("duration_min").values())


def test_a_settings_file_with_mistakes_is_reported_by_file_and_key(tmp_path, monkeypatch):
    import shutil

    folder = tmp_path / "pms"
    folder.mkdir()
    for path in sorted(DATA.glob("*.md"))[:3]:
        shutil.copy(path, folder / path.name)
    (folder / "pm-analytics.toml").write_text("[targets]\ntime_to_detect_min.p75 = 15\n", encoding="utf-8")
    monkeypatch.setenv("PM_ANALYTICS_DATA", str(folder))
    at = run("app.py", range="all")
    warnings = " ".join(w.value for w in at.sidebar.warning).replace("\\", "")  # shown as escaped Markdown
    assert f"{folder / 'pm-analytics.toml'}: targets.time_to_detect_min.p75: unknown statistic" in warnings
    assert "target ≤" not in " ".join(c.value for c in at.caption)  # the file beside the data wins, and sets none


def test_time_axes_span_the_whole_range_and_name_quarters_and_partial_periods():
    """The default range (the 12 months to 2026-11-26) starts and ends mid-month and mid-quarter."""
    at = run("app.py", sev="SEV1")  # the last SEV1 is from August: the axis still runs to November
    ticks = plotly_specs(at)[0]["layout"]["xaxis"]["ticktext"]
    assert len(ticks) == 13 and ticks[0] == "Nov 2025<br>from 27 Nov" and ticks[-1] == "Nov 2026<br>to 26 Nov"
    assert ticks[1:4] == ["Dec 2025", "Jan 2026", "Feb 2026"]
    quarters = ["2025 Q4<br>from 27 Nov", "2026 Q1", "2026 Q2", "2026 Q3", "2026 Q4<br>to 26 Nov"]
    at = run("pages/response_times.py", period="quarter")
    trend, breakdown = plotly_specs(at)[:2]
    assert trend["layout"]["xaxis"]["ticktext"] == quarters
    panels = [v for k, v in breakdown["layout"].items() if k.startswith("xaxis")]
    assert len(panels) == 4 and all(p["ticktext"] == quarters for p in panels), "every severity, every quarter"


def test_the_reviews_table_names_its_quarters():
    at = run("pages/reviews.py")
    periods = at.dataframe[0].value["period_start"]
    assert set(periods) == {"2025 Q4, from 27 Nov", "2026 Q1", "2026 Q2", "2026 Q3", "2026 Q4, to 26 Nov"}
    assert at.dataframe[0].value["period_start"].iloc[0] == "2025 Q4, from 27 Nov"


def listed_post_mortems(at: AppTest) -> int:
    counted = next(m for c in at.caption if (m := re.match(r"([\d,]+) post-mortems", c.value)))
    return int(counted.group(1).replace(",", ""))


@pytest.mark.parametrize("drills", [None, "1"])
def test_the_incident_list_counts_what_the_overview_counts(drills):
    """The list follows "Include drills and tests" like every other view: the sample's drill is listed only
    when it is ticked, and the list says it left one out."""
    params = {"drills": drills} if drills else {}
    overview = int(metric(run("app.py", **params), "Incidents"))
    at = run("pages/incidents.py", **params)
    rows = at.dataframe[0].value
    assert listed_post_mortems(at) == overview == len(rows)
    assert rows["exclude_from_metrics"].any() == bool(drills)
    left_out = [c.value for c in at.caption if "left out" in c.value]
    assert left_out == ([] if drills else ["1 drill/test post-mortem left out of these numbers."])


@pytest.mark.parametrize("page", PAGES)
def test_no_table_shows_none_for_a_value_nobody_knows(page):
    """st.dataframe writes "None" in a cell with no value: every table says "unknown" (or "—" for a field
    that may be left empty) instead."""
    at = run(page, range="all", drills="1", id="2026-04-27-superbill-export-failing", q="certificate")
    for table in at.dataframe:
        frame = table.value
        shown = [c for c in (table.proto.column_order or frame.columns) if c in frame.columns]
        if any(frame[c].isna().any() for c in shown):
            assert table.proto.placeholder in ("unknown", "—"), (page, [c for c in shown if frame[c].isna().any()])


def test_incident_page_says_teams_unknown_when_the_post_mortem_names_none():
    named = " ".join(c.value for c in run("pages/incident.py", id=KNOWN_ID).caption)
    none = " ".join(c.value for c in run("pages/incident.py", id="2026-04-27-superbill-export-failing").caption)
    assert re.search(r"Teams involved: [1-9]\d*\.", named)
    assert "Teams involved: unknown" in none and "Teams involved: 0" not in none


def test_data_quality_says_when_it_was_loaded_in_one_zone():
    shown = " ".join(c.value for c in run("pages/data_quality.py").caption)
    assert re.search(r"loaded at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", shown) and "+00:00" not in shown


def test_empty_is_not_unknown_in_tables():
    """An item still open has no completion day ("—"); a done item whose day nobody wrote down is "unknown"."""
    at = run("pages/incident.py", id="2026-04-27-superbill-export-failing")
    items = next(t.value for t in at.dataframe if "completed_on" in t.value.columns)
    assert set(items.loc[items["status"] == "open", "completed_on"]) <= {"—"}
    assert "unknown" in set(items.loc[items["status"] == "done", "completed_on"])
    repeats = run("pages/recurring.py", range="all").dataframe[0].value
    assert (repeats.loc[repeats["p0_p1_open"] == 0, "days_past_due"] == "—").all(), "nothing open: not applicable"


def matches_shown(at: AppTest) -> int:
    counted = next(m for c in at.caption if (m := re.match(r"([\d,]+) matches in", c.value)))
    return int(counted.group(1).replace(",", ""))


def test_search_says_when_the_date_range_limits_it_and_offers_all_time():
    everything = matches_shown(run("pages/search.py", range="all", q="certificate"))
    at = run("pages/search.py", q="certificate")
    in_range = matches_shown(at)
    assert 0 < in_range < everything
    scope = " ".join(m.value for m in [*at.markdown, *at.caption])
    assert "Searching 2025-11-27 – 2026-11-26 (the sidebar's date range)" in scope
    assert f"{everything - in_range} more matches outside it" in scope
    at.button(key="search_all_time").click().run()
    assert at.query_params["range"] == "all" and matches_shown(at) == everything
    assert "the sidebar's date range" not in " ".join(m.value for m in [*at.markdown, *at.caption])


def test_a_tables_csv_leads_with_the_incident_id():
    """On screen the id hides in the link column; without it in the CSV, rows could not be matched to a
    tracker or to the next export."""
    import csv
    import io

    import pandas as pd

    from pm_analytics import ui

    frame = pd.DataFrame({"incident_id": ["INC-1", "=cmd"], "title": ["Login down", "x"], "severity": ["SEV1", None],
                          "hidden": [1, 2]})
    rows = list(csv.reader(io.StringIO(ui.table_csv(frame, {"title": "Title", "severity": "Severity"}).decode())))
    assert rows[0] == ["incident_id", "title", "severity"]
    assert rows[1] == ["INC-1", "Login down", "SEV1"] and rows[2][0] == "'=cmd"
    no_id = pd.DataFrame({"label": ["Time to detect"], "median": [12.5]})
    assert ui.table_csv(no_id, {"label": "Time", "median": "Median"}).decode().splitlines()[0] == "label,median"
