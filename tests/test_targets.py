"""Targets and the data's first day from pm-analytics.toml: read, checked, found, and applied."""

from datetime import date

import pytest

from metrics_fixture import database
from pm_analytics import charts, metrics, targets
from pm_analytics.filters import Filters


def write(folder, text):
    path = folder / targets.FILE_NAME
    path.write_text(text, encoding="utf-8")
    return path


def test_a_settings_file_gives_targets_and_the_data_start(tmp_path):
    path = write(tmp_path, "[data]\nsince = 2024-01-01\n\n[targets]\ntime_to_detect_min.p50 = 15\n"
                           "duration_min.p90 = 480\naction_items_on_time_rate = 0.8\n")
    settings = targets.read(path)
    assert settings.problems == ()
    assert settings.data_since == date(2024, 1, 1)
    assert settings.targets == {("time_to_detect_min", "median"): 15, ("duration_min", "p90"): 480,
                                ("action_items_on_time_rate", "rate"): 0.8}
    assert settings.time_targets("duration_min") == {"p90": 480}


def test_what_cannot_be_used_is_reported_by_file_and_key_and_the_rest_applies(tmp_path):
    path = write(tmp_path, '[data]\nsince = "last year"\n\n[targets]\ntime_to_detect_min.p75 = 15\n'
                           'time_to_recover = 60\ntime_to_solution_min = 60\nduration_min.p50 = -5\n'
                           'action_items_on_time_rate = 80\ntime_to_respond_min.p50 = 10\n[colours]\nx = 1\n')
    settings = targets.read(path)
    assert settings.targets == {("time_to_respond_min", "median"): 10}
    assert settings.data_since is None
    known = ", ".join(targets.TIME_METRICS + targets.RATES)
    assert list(settings.problems) == [
        f"{path}: [colours]: unknown section (use [data] and [targets]); ignored",
        f"{path}: data.since: 'last year' is not a date (write it as 2024-01-01, no quotes); ignored",
        f"{path}: targets.time_to_detect_min.p75: unknown statistic (use p50 or p90); ignored",
        f"{path}: targets.time_to_recover: no such metric (one of {known}); ignored",
        f"{path}: targets.time_to_solution_min: give a statistic, e.g. time_to_solution_min.p50 = 60; ignored",
        f"{path}: targets.duration_min.p50: -5 is not a number of minutes ≥ 0; ignored",
        f"{path}: targets.action_items_on_time_rate: 80 is not between 0 and 1; ignored",
    ]


def test_a_syntax_error_names_the_line(tmp_path):
    settings = targets.read(write(tmp_path, "[targets]\ntime_to_detect_min.p50 = \n"))
    assert settings.targets == {} and "line 2" in settings.problems[0] and "not valid TOML" in settings.problems[0]


def test_the_file_beside_the_data_wins_over_the_one_where_the_dashboard_runs(tmp_path):
    data, here = tmp_path / "data", tmp_path / "repo"
    data.mkdir()
    here.mkdir()
    assert targets.find(data, cwd=here) is None
    in_repo = write(here, "[targets]\n")
    assert targets.find(data, cwd=here) == in_repo
    beside = write(data, "[targets]\n")
    assert targets.find(data, cwd=here) == beside
    database_file = data / "pm.duckdb"
    assert targets.find(database_file, cwd=here) == beside  # beside a .duckdb file: its folder


@pytest.mark.parametrize("value, target, higher, expected", [
    (14, 15, False, True), (15, 15, False, True), (16, 15, False, False),
    (0.79, 0.8, True, False), (0.8, 0.8, True, True), (None, 15, False, None), (float("nan"), 15, False, None),
    (14, None, False, None),
])
def test_on_target(value, target, higher, expected):
    assert targets.on_target(value, target, higher) is expected


def test_overview_cards_say_on_or_off_target():
    """The fixture's median time to detect is 10 (A 10, B 30, D 5) and its median time to recover 80
    (A 80, B 160, C 50); on time: 1 of 4 due items (see test_metrics.test_headline)."""
    con = database()
    goals = {("time_to_detect_min", "median"): 15, ("duration_min", "median"): 60,
             ("action_items_on_time_rate", "rate"): 0.5}
    cards = {c["key"]: c for c in metrics.overview_cards(con, Filters(), date(2025, 5, 3), targets=goals)}
    assert (cards["mttd"]["target"], cards["mttd"]["on_target"]) == (15, True)
    assert (cards["mttr"]["target"], cards["mttr"]["on_target"]) == (60, False)
    assert (cards["on_time"]["target"], cards["on_time"]["on_target"]) == (0.5, False)
    assert cards["incidents"]["target"] is None and cards["incidents"]["on_target"] is None


def test_trend_chart_draws_each_target_as_a_line():
    import pandas as pd

    trend = pd.DataFrame({"period_start": pd.to_datetime(["2025-01-01", "2025-02-01"]), "group": "All",
                          "median": [20.0, 12.0], "p90": [60.0, 40.0], "mean": [25.0, 15.0], "n": [6, 6],
                          "incidents": [6, 6], "small_sample": [False, False]})
    fig = charts.response_trend(trend, "Time to detect", "month", targets={"median": 15, "p90": 90})
    lines = sorted((shape.y0, shape.line.dash) for shape in fig.layout.shapes)
    assert lines == [(15, "dash"), (90, "dash")]
    texts = sorted(a.text for a in fig.layout.annotations if a.text.startswith("target"))
    assert texts == ["target median ≤ 15 min", "target p90 ≤ 1 h 30 min"]
    assert fig.layout.yaxis.range is None or fig.layout.yaxis.range[1] >= 90
