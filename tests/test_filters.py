"""The filter's SQL and parameters as a table of cases, and its round trip through URL query parameters."""

from datetime import date

import duckdb
import pytest

from metrics_fixture import database
from pm_analytics.filters import Filters, from_query_params, preset_range, to_query_params

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


def test_previous_period_is_equally_long_and_just_before():
    filters = Filters(date_from=date(2025, 4, 1), date_to=date(2025, 6, 30), teams=("Payments",))
    previous = filters.previous_period()
    assert (previous.date_from, previous.date_to, previous.teams) == (date(2024, 12, 31), date(2025, 3, 31), ("Payments",))
    assert Filters().previous_period() is None


def test_duckdb_binds_lists():
    assert duckdb.connect().execute("SELECT list_contains(?::VARCHAR[], 'a')", [["a", "b"]]).fetchone() == (True,)
