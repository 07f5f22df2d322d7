"""The filter's SQL and parameters as a table of cases, and its round trip through URL query parameters."""

from datetime import date

import duckdb
import pytest

from metrics_fixture import database
from pm_analytics.filters import (
    Filters,
    comparison_range,
    from_query_params,
    preset_range,
    resolve_range,
    to_query_params,
)

AS_OF = date(2026, 11, 26)


@pytest.mark.parametrize("filters, sql, params", [
    (Filters(), "NOT i.exclude_from_metrics", []),
    (Filters(include_excluded=True), "TRUE", []),
    (Filters(date_from=date(2025, 1, 1), date_to=date(2025, 3, 31)),
     "NOT i.exclude_from_metrics AND i.incident_date >= ? AND i.incident_date <= ?", [date(2025, 1, 1), date(2025, 3, 31)]),
    (Filters(severities=("SEV1", "SEV2")),
     "NOT i.exclude_from_metrics AND list_contains(?::VARCHAR[], i.severity)", [["SEV1", "SEV2"]]),
    (Filters(teams=("Payments",)),
     "NOT i.exclude_from_metrics AND EXISTS (SELECT 1 FROM incident_teams ft WHERE ft.incident_id = i.incident_id "
     "AND list_contains(?::VARCHAR[], ft.team))", [["Payments"]]),
    (Filters(audiences=("Patient",), platforms=("iOS",)),
     "NOT i.exclude_from_metrics AND EXISTS (SELECT 1 FROM affected_apps fa WHERE fa.incident_id = i.incident_id "
     "AND list_contains(?::VARCHAR[], fa.audience) AND list_contains(?::VARCHAR[], fa.platform))", [["Patient"], ["iOS"]]),
])
def test_where_clause(filters, sql, params):
    assert filters.where() == (sql, params)


@pytest.mark.parametrize("hostile", ["' OR 1=1 --", "x'); DROP TABLE incidents; --", "%", "SEV1,SEV2"])
def test_values_never_reach_the_sql_text(hostile):
    filters = Filters(severities=(hostile,), teams=(hostile,), audiences=(hostile,), platforms=(hostile,))
    sql, params = filters.where()
    assert hostile not in sql
    con = database()
    assert con.execute(f"SELECT count(*) FROM incidents i WHERE {sql}", params).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == 5


def test_filters_compose_in_the_database():
    con = database()
    sql, params = Filters(severities=("SEV2",), teams=("Payments",), date_from=date(2025, 1, 1),
                          date_to=date(2025, 1, 31)).where()
    assert con.execute(f"SELECT incident_id FROM incidents i WHERE {sql}", params).fetchall() == [("INC-B",)]


@pytest.mark.parametrize("preset, expected", [
    ("last_90_days", (date(2026, 8, 29), AS_OF)),
    ("this_quarter", (date(2026, 10, 1), AS_OF)),
    ("last_12_months", (date(2025, 11, 27), AS_OF)),
    ("last_full_quarter", (date(2026, 7, 1), date(2026, 9, 30))),
    ("same_quarter_last_year", (date(2026, 7, 1), date(2026, 9, 30))),
    ("year_to_date", (date(2026, 1, 1), AS_OF)),
    ("all", (None, None)),
])
def test_presets(preset, expected):
    assert preset_range(preset, AS_OF) == expected


def test_query_params_round_trip():
    filters = Filters(date_from=date(2025, 1, 1), date_to=date(2025, 6, 30), severities=("SEV1",),
                      teams=("Payments", "Platform"), platforms=("iOS",), include_excluded=True)
    params = to_query_params(filters, "custom")
    assert params == {"from": "2025-01-01", "to": "2025-06-30", "sev": "SEV1", "team": "Payments,Platform",
                      "platform": "iOS", "drills": "1"}
    assert from_query_params(params, AS_OF) == (filters, "custom")


def test_preset_links_stay_relative_to_today():
    filters, preset = from_query_params({"range": "last_90_days"}, AS_OF)
    assert (preset, filters.date_from, filters.date_to) == ("last_90_days", date(2026, 8, 29), AS_OF)
    assert to_query_params(filters, preset) == {"range": "last_90_days"}


def test_no_params_is_the_last_twelve_months_and_a_short_url():
    filters, preset = from_query_params({}, AS_OF)
    assert preset == "last_12_months" and filters.date_from == date(2025, 11, 27)
    assert to_query_params(filters, preset) == {}


@pytest.mark.parametrize("params", [{"from": "yesterday"}, {"range": "forever"}, {"sev": ""}, {"drills": "maybe"}])
def test_unreadable_params_fall_back_instead_of_failing(params):
    filters, preset = from_query_params(params, AS_OF)
    assert preset in ("last_12_months", "custom") and filters.severities == () and not filters.include_excluded


def test_swapped_dates_are_put_in_order():
    filters, _ = from_query_params({"from": "2025-06-30", "to": "2025-01-01"}, AS_OF)
    assert (filters.date_from, filters.date_to) == (date(2025, 1, 1), date(2025, 6, 30))


def test_previous_period_is_as_many_whole_months_or_as_many_days_just_before():
    """Q2 is compared with Q1, not with 31 December - 31 March (it was): whole calendar months against as
    many whole months before; any other range against the equally long run of days before."""
    filters = Filters(date_from=date(2025, 4, 1), date_to=date(2025, 6, 30), teams=("Payments",))
    previous = filters.previous_period()
    assert (previous.date_from, previous.date_to, previous.teams) == (date(2025, 1, 1), date(2025, 3, 31), ("Payments",))
    assert Filters().previous_period() is None

    def before(first, last):
        previous = Filters(date_from=first, date_to=last).previous_period()
        return previous.date_from, previous.date_to

    assert before(date(2026, 1, 1), date(2026, 3, 31)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert before(date(2024, 3, 1), date(2024, 3, 31)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert before(date(2025, 1, 1), date(2025, 12, 31)) == (date(2024, 1, 1), date(2024, 12, 31))
    assert before(date(2025, 4, 10), date(2025, 6, 30)) == (date(2025, 1, 18), date(2025, 4, 9))  # 82 days each


def test_duckdb_binds_lists():
    assert duckdb.connect().execute("SELECT list_contains(?::VARCHAR[], 'a')", [["a", "b"]]).fetchone() == (True,)


@pytest.mark.parametrize("preset, expected", [
    # A quarterly review compares the last full quarter with the quarter before it...
    ("last_full_quarter", (date(2026, 4, 1), date(2026, 6, 30))),
    # ...or with the same quarter a year earlier.
    ("same_quarter_last_year", (date(2025, 7, 1), date(2025, 9, 30))),
    ("year_to_date", (date(2025, 1, 1), date(2025, 11, 26))),
    # This quarter so far (Oct 1 - Nov 26, 57 days) against the first 57 days of the quarter before.
    ("this_quarter", (date(2026, 7, 1), date(2026, 8, 26))),
    ("last_90_days", (date(2026, 5, 31), date(2026, 8, 28))),
])
def test_each_preset_is_compared_with_the_window_a_review_expects(preset, expected):
    assert comparison_range(preset, *preset_range(preset, AS_OF)) == expected


def test_comparison_of_no_range_is_none():
    assert comparison_range("all", None, None) is None


def test_until_in_the_url_ends_a_preset_and_round_trips():
    filters, preset = from_query_params({"range": "last_full_quarter", "until": "2025-11-05"}, AS_OF)
    assert (preset, filters.date_from, filters.date_to) == ("last_full_quarter", date(2025, 7, 1), date(2025, 9, 30))
    assert to_query_params(filters, preset, date(2025, 11, 5)) == {"range": "last_full_quarter", "until": "2025-11-05"}
    assert to_query_params(filters, "custom", date(2025, 11, 5)) == {"from": "2025-07-01", "to": "2025-09-30"}


def _holds(*dates):
    return lambda start, end: any((start is None or start <= d) and (end is None or d <= end) for d in dates)


def test_the_default_range_is_anchored_on_old_data_with_a_note():
    newest = date(2025, 11, 5)
    start, end, note = resolve_range("last_12_months", (None, None), None, AS_OF, newest, _holds(newest))
    assert (start, end) == (date(2024, 11, 6), newest)
    assert note.text == "Your newest post-mortem is from 2025-11-05; showing the 12 months up to it."
    assert (note.action_label, note.action_params) == ("Show up to today", {"range": "last_12_months",
                                                                            "until": "2026-11-26"})


def test_a_range_the_viewer_gave_is_honoured_with_a_way_to_the_data():
    newest = date(2025, 11, 5)
    for preset, until in (("last_12_months", AS_OF), ("last_90_days", None), ("custom", None)):
        picked = (date(2026, 1, 1), date(2026, 3, 31))
        start, end, note = resolve_range(preset, picked, until, AS_OF, newest, _holds(newest))
        assert (start, end) == (picked if preset == "custom" else preset_range(preset, AS_OF))
        assert note.text.startswith(f"No post-mortem is dated from {start} to {end}; your newest is from 2025-11-05")
        assert note.action_params == {"range": "last_12_months", "until": "2025-11-05"}


def test_no_note_when_the_range_holds_data_or_there_is_none():
    assert resolve_range("last_12_months", (None, None), None, AS_OF, date(2026, 11, 20),
                         _holds(date(2026, 11, 20)))[2] is None
    assert resolve_range("last_12_months", (None, None), None, AS_OF, None, _holds())[2] is None
    assert resolve_range("all", (None, None), None, AS_OF, date(2020, 1, 1), _holds(date(2020, 1, 1))) == (
        None, None, None)
