"""Metrics against numbers worked out by hand on the five incidents of metrics_fixture.py.

E is a drill: it must never appear in a statistic.
"""

import math
from dataclasses import replace
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from metrics_fixture import INCIDENTS, database, item, utc
from pm_analytics import cli, metrics
from pm_analytics.filters import Filters
from pm_analytics.schema import Incident

AS_OF = date(2025, 5, 3)
ALL = Filters()
NOTHING = Filters(severities=("SEV3",), teams=("Payments",))


@pytest.fixture(scope="module")
def con():
    connection = database()
    yield connection
    connection.close()


@pytest.fixture
def queries(monkeypatch):
    """The SQL of every query pm_analytics.store runs from here on, one entry per execute."""
    from contextlib import contextmanager

    from pm_analytics import store

    ran = []
    real = store.cursor

    class Counting:
        def __init__(self, cur):
            self._cur = cur

        def execute(self, sql, *args):
            ran.append(sql)
            self._cur.execute(sql, *args)
            return self

        def __getattr__(self, name):
            return getattr(self._cur, name)

    @contextmanager
    def counting(con):
        with real(con) as cur:
            yield Counting(cur)

    monkeypatch.setattr(store, "cursor", counting)
    return ran


def row(frame, **match):
    selected = frame
    for key, value in match.items():
        selected = selected[selected[key] == value]
    assert len(selected) == 1, selected
    return selected.iloc[0]


# -- response times -----------------------------------------------------------

def test_response_time_stats(con):
    stats = metrics.response_time_stats(con, ALL)
    detect = row(stats, metric="time_to_detect_min")
    # known: A 10, B 30, D 5; C unknown. p90 = 10 + 0.8 * (30 - 10)
    assert (detect.n, detect.unknown) == (3, 1)
    assert (detect["mean"], detect["median"], detect.p90, detect["min"], detect["max"]) == (15, 10, 26, 5, 30)
    duration = row(stats, metric="duration_min")
    # A 80, B 160, C 50; D never resolved. p90 = 80 + 0.8 * (160 - 80)
    assert (duration.n, duration.unknown, duration["median"], duration.p90) == (3, 1, 80, 144)
    assert duration["mean"] == pytest.approx(290 / 3)
    detect_to_resolved = row(stats, metric="detect_to_resolved_min")
    assert (detect_to_resolved.n, detect_to_resolved["median"]) == (2, 100)  # A 70, B 130
    respond = row(stats, metric="time_to_respond_min")
    assert (respond.n, respond["median"]) == (3, 5)  # A 5, B 10, C 5
    assert len(stats) == len(metrics.RESPONSE_METRICS)


def test_filters_compose(con):
    only_b = Filters(date_from=date(2025, 1, 1), date_to=date(2025, 1, 31), severities=("SEV2",), teams=("Payments",))
    stats = metrics.response_time_stats(con, only_b)
    assert row(stats, metric="duration_min")["median"] == 160
    assert row(stats, metric="duration_min").incidents == 1
    by_app = metrics.response_time_stats(con, Filters(platforms=("Web",)))
    assert row(by_app, metric="duration_min")["median"] == 80  # only A (E is a drill)
    by_audience = metrics.response_time_stats(con, Filters(audiences=("Provider",), platforms=("iOS",)))
    assert row(by_audience, metric="duration_min")["median"] == 160


def test_empty_selection_gives_empty_statistics_not_errors(con):
    stats = metrics.response_time_stats(con, NOTHING)
    assert (stats["n"] == 0).all() and stats["median"].isna().all()
    trend = metrics.response_time_trend(con, NOTHING, "month", by="team")
    assert trend.empty and {"period_start", "group", "metric", "median", "p90", "n", "small_sample"} <= set(trend.columns)


def test_trend_by_month_and_team(con):
    trend = metrics.response_time_trend(con, ALL, "month", by="team", metrics=["duration_min", "time_to_detect_min"])
    january_payments = row(trend, period_start=pd.Timestamp("2025-01-01"), group="Payments", metric="duration_min")
    assert (january_payments.incidents, january_payments.n, january_payments["median"]) == (2, 2, 120)
    assert january_payments.small_sample
    january_platform = row(trend, period_start=pd.Timestamp("2025-01-01"), group="Platform", metric="duration_min")
    assert (january_platform.incidents, january_platform["median"]) == (1, 160)
    april = row(trend, period_start=pd.Timestamp("2025-04-01"), group="(no team)", metric="duration_min")
    assert (april.incidents, april.n, april.unknown) == (1, 0, 1) and math.isnan(april["median"])


def test_trend_by_quarter_and_severity(con):
    trend = metrics.response_time_trend(con, ALL, "quarter", by="severity", metrics=["time_to_detect_min"])
    assert list(zip(trend["period_start"].dt.strftime("%Y-%m"), trend["group"], trend["n"], trend["median"].fillna(-1))) == [
        ("2025-01", "SEV1", 1, 10), ("2025-01", "SEV2", 1, 30), ("2025-04", "SEV3", 1, 5),
    ]
    sev2 = row(trend, group="SEV2")
    assert sev2.incidents == 2 and sev2.unknown == 1  # C's detect time is unknown


def test_time_breakdown(con):
    breakdown = metrics.time_breakdown(con, ALL, "quarter", by="severity")
    q1_sev2 = breakdown[(breakdown["group"] == "SEV2") & (breakdown["period_start"] == pd.Timestamp("2025-01-01"))]
    # B and C: detect 30 (C unknown), respond 10/5, understand 60/15, solution 40/10, full recovery 20/10
    assert list(q1_sev2["phase"]) == list(metrics.CONSECUTIVE_PHASES)
    assert list(q1_sev2["median_min"]) == [30, 7.5, 37.5, 25, 15]
    assert list(q1_sev2["n"]) == [1, 2, 2, 2, 2]


# -- comparisons --------------------------------------------------------------

def test_compare_values_verdicts():
    faster = metrics.compare_values(np.full(20, 10.0), np.full(20, 30.0))
    assert (faster["change"], faster["ci_low"], faster["ci_high"], faster["verdict"]) == (-20, -20, -20, "improved")
    slower = metrics.compare_values(np.full(20, 30.0), np.full(20, 10.0))
    assert slower["verdict"] == "worse"
    better_rate = metrics.compare_values(np.ones(15), np.zeros(15), statistic="mean", higher_is_better=True)
    assert better_rate["verdict"] == "improved"
    small = metrics.compare_values(np.full(9, 10.0), np.full(30, 300.0))
    assert small["verdict"] == "no clear change (n too small)" and small["change"] == -290 and math.isnan(small["ci_low"])


def test_compare_values_is_seeded_and_honest_about_noise():
    rng = np.random.default_rng(1)
    current, previous = rng.lognormal(4, 1, 40), rng.lognormal(4, 1, 40)
    first = metrics.compare_values(current, previous, seed=7)
    assert first == metrics.compare_values(current, previous, seed=7)
    assert first["ci_low"] < 0 < first["ci_high"] and first["verdict"] == "no clear change"


def test_compare_counts():
    fewer = metrics.compare_counts(5, 25)
    # two-sided exact binomial: 2 * P(X <= 5 | n=30, p=1/2)
    expected = 2 * sum(math.comb(30, i) for i in range(6)) / 2 ** 30
    assert fewer["p_value"] == pytest.approx(expected) and fewer["verdict"] == "improved"
    assert metrics.compare_counts(12, 10)["verdict"] == "no clear change"
    assert metrics.compare_counts(2, 6)["verdict"] == "no clear change (n too small)"


def test_period_bounds():
    assert metrics.period_bounds(date(2025, 5, 3), "quarter") == (
        (date(2025, 4, 1), date(2025, 5, 3)), (date(2025, 1, 1), date(2025, 3, 31)))
    assert metrics.period_bounds(date(2025, 1, 15), "month") == (
        (date(2025, 1, 1), date(2025, 1, 15)), (date(2024, 12, 1), date(2024, 12, 31)))


def test_period_comparison_on_the_fixture_is_too_small_to_judge(con):
    table = metrics.period_comparison(con, ALL, AS_OF, "quarter", metrics=("time_to_detect_min",))
    detect = table.iloc[0]
    # Q2 so far: D (5); Q1: A 10, B 30 -> medians 5 vs 20, change -15, but n is far too small.
    assert (detect.current_n, detect.previous_n, detect.current, detect.previous, detect.change) == (1, 2, 5, 20, -15)
    assert detect.verdict == "no clear change (n too small)"


# -- blast radius -------------------------------------------------------------

def test_blast_radius_counts_unknowns_separately(con):
    total = metrics.blast_radius(con, ALL).iloc[0]
    assert (total.incidents, total.clinics_affected_total, total.clinics_affected_known,
            total.clinics_affected_unknown, total.clinics_affected_median) == (4, 15, 2, 2, 7.5)
    assert (total.patients_affected_total, total.patients_affected_unknown, total.patients_affected_median) == (1200, 1, 200)
    assert (total.providers_affected_total, total.providers_affected_unknown) == (100, 3)


def test_blast_radius_unknown_total_is_null_not_zero(con):
    april = metrics.blast_radius(con, Filters(date_from=date(2025, 4, 1)))
    assert pd.isna(april.iloc[0].clinics_affected_total) and april.iloc[0].clinics_affected_unknown == 1
    assert april.iloc[0].patients_affected_total == 0  # D wrote 0: a real zero


def test_impact_minutes_by_team(con):
    impact = metrics.impact_minutes(con, ALL, by="team").set_index("group")
    assert (impact.loc["Payments", "patient_impact_min"], impact.loc["Payments", "patient_impact_min_unknown"]) == (80000, 1)
    assert (impact.loc["Platform", "patient_impact_min"], impact.loc["Platform", "clinic_impact_min"]) == (10000, 800)
    assert impact.loc["Payments", "clinic_impact_min"] == 1600
    assert pd.isna(impact.loc["(no team)", "patient_impact_min"])


def test_most_harmful(con):
    assert list(metrics.most_harmful(con, ALL)["incident_id"]) == ["INC-A", "INC-C", "INC-B"]
    assert list(metrics.most_harmful(con, ALL, limit=1)["incident_id"]) == ["INC-A"]


def test_app_heatmap(con):
    grid = metrics.app_heatmap(con, ALL)
    assert list(grid.index) == ["Patient", "Provider", "Unspecified"]
    assert list(grid.columns) == ["Web", "iOS", "CWS APIs"]
    assert grid.to_numpy().tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert metrics.app_heatmap(con, NOTHING).empty


# -- action items -------------------------------------------------------------

def test_action_items_by_priority(con):
    summary = metrics.action_item_summary(con, ALL, AS_OF).set_index("priority")
    p0, p1, p2 = summary.loc["P0"], summary.loc["P1"], summary.loc["P2"]
    assert (p0.total, p0.done, p0.open, p0.wontfix, p0.completion_rate) == (2, 1, 1, 0, 0.5)
    # On time over items due: P0 one done on time + one open past its deadline -> 1 of 2.
    assert (p0.done_on_time, p0.due, p0.on_time_rate, p0.overdue, p0.open_age_days_median) == (1, 2, 0.5, 1, 103)
    assert p0.due_done_on_time == 1, "the rate's numerator, shown so the rate can be checked"
    assert (p1.total, p1.done, p1.wontfix, p1.completion_rate, p1.done_on_time, p1.on_time_rate) == (2, 1, 1, 1.0, 0, 0.0)
    # P2: both open, one past its deadline (due, so late), one not yet due (left out).
    assert (p2.total, p2.open, p2.completion_rate, p2.overdue, p2.due, p2.on_time_rate) == (2, 2, 0.0, 1, 1, 0.0)
    assert (p2.open_age_days_median, p2.open_age_days_max) == (70.5, 113)
    assert list(summary.index) == ["P0", "P1", "P2"]


def test_on_time_rate_is_due_done_on_time_over_due():
    """An item done early, before a deadline that has not passed yet, is done on time but not yet due: the
    table's "Done on time" then differs from the rate's numerator, which the page shows beside it."""
    a = INCIDENTS[0]
    early = item("AI7", "P2", utc(2025, 6, 1, 9, 0), "done", date(2025, 5, 1))
    con = database([replace(a, action_items=a.action_items + [early])])
    try:
        p2 = metrics.action_item_summary(con, ALL, AS_OF).set_index("priority").loc["P2"]
    finally:
        con.close()
    # A's P2: AI3 open past its deadline (due, late); AI7 done 1 May, due 1 June, after AS_OF.
    assert (p2.done_on_time, p2.due, p2.due_done_on_time, p2.on_time_rate) == (1, 1, 0, 0.0)


def test_done_on_time_is_unknown_where_no_done_item_has_both_dates():
    """Items with no priority have no deadline: how many of those done were on time nobody knows (not 0),
    nor for a group whose only done item has no completion date. Where the dates are known, a late item
    counts as 0 on time."""
    a = INCIDENTS[0]
    extra = [item("AI4", None, None, "done", date(2025, 1, 12)), item("AI5", None, None, "done", None),
             item("AI6", "P2", utc(2025, 2, 7, 11, 20), "done", None)]
    con = database([replace(a, action_items=a.action_items + extra)])
    try:
        summary = metrics.action_item_summary(con, ALL, AS_OF).set_index("priority")
    finally:
        con.close()
    # No priority: 2 done, neither with a deadline -> unknown. P2: AI3 open, AI6 done undated -> unknown.
    # P0: AI1 done by its deadline -> 1. P1: AI2 done late -> 0, known.
    assert (summary.loc["No priority", "done"], summary.loc["P2", "done"]) == (2, 1)
    assert pd.isna(summary.loc["No priority", "done_on_time"]) and pd.isna(summary.loc["P2", "done_on_time"])
    assert (summary.loc["P0", "done_on_time"], summary.loc["P1", "done_on_time"]) == (1, 0)


def test_headline_counts_done_items_whose_timeliness_is_unknown():
    """Done items without a deadline or a completion date are neither on time nor late: the headline says
    how many, so "1 on time" of 5 done is not read as 4 late."""
    a = INCIDENTS[0]
    extra = [item("AI4", None, None, "done", date(2025, 1, 12)), item("AI5", None, None, "done", None),
             item("AI6", "P2", utc(2025, 2, 7, 11, 20), "done", None)]
    con = database([replace(a, action_items=a.action_items + extra)])
    try:
        numbers = metrics.headline(con, ALL, AS_OF)
    finally:
        con.close()
    # A's own: AI1 P0 done on time, AI2 P1 done late, AI3 P2 open; plus AI4-AI6 done without both dates.
    assert (numbers["action_items_done"], numbers["action_items_done_on_time"],
            numbers["action_items_done_on_time_unknown"]) == (5, 1, 3)
    assert "1 on time (3 done with no deadline or no completion date: unknown)" in cli.format_headline(numbers)


def test_overdue_as_of_boundary(con):
    on_due_day = metrics.overdue_items(con, ALL, date(2025, 5, 3))
    assert list(zip(on_due_day["incident_id"], on_due_day["priority"], on_due_day["days_overdue"])) == [
        ("INC-B", "P0", 101), ("INC-A", "P2", 85)]
    day_after = metrics.overdue_items(con, ALL, date(2025, 5, 4))
    assert list(day_after["incident_id"]) == ["INC-B", "INC-A", "INC-D"]
    assert day_after.iloc[-1].days_overdue == 1
    assert metrics.overdue_items(con, ALL, date(2025, 1, 22)).empty  # B's P0 is due that very day


def test_action_items_by_team_and_owner(con):
    by_team = metrics.action_item_summary(con, ALL, AS_OF, by=("team",)).set_index("team")
    assert by_team.loc["Payments", "total"] == 5 and by_team.loc["Platform", "total"] == 2  # B counts in both
    assert by_team.loc["(no team)", "total"] == 1
    by_owner = metrics.action_item_summary(con, ALL, AS_OF, by=("owner",))
    assert by_owner["total"].sum() == 6
    filtered = metrics.action_item_summary(con, Filters(teams=("Platform",)), AS_OF, by=("team",))
    assert list(filtered["team"]) == ["Platform"]


def test_action_items_by_period(con):
    summary = metrics.action_item_summary(con, ALL, AS_OF, by=("priority",), period="quarter")
    q2 = summary[summary["period_start"] == pd.Timestamp("2025-04-01")]
    assert list(zip(q2["priority"], q2["total"], q2["overdue"])) == [("P2", 1, 0)]


def test_action_item_summaries_in_one_query_are_the_frames_of_one_at_a_time(con, queries):
    """The action items page asks for four groupings in one call, one query for them all (teams included):
    each frame is what its own call gives, with a grouping's keys sorted in the order it names them, and a
    grouping with a team counts what :func:`store.action_item_aggregates` counts on its own."""
    from pm_analytics import store

    groupings = (("priority",), ("period_start", "priority"), ("owner", "severity"), ("severity", "owner"),
                 ("team",), ("priority",), (), ("period_start", "team", "priority"), ("priority", "team"),
                 ("team", "priority"))
    for filters in (ALL, Filters(teams=("Platform",)), NOTHING):
        queries.clear()
        frames = metrics.action_item_summaries(con, filters, AS_OF, groupings, "quarter")
        assert len(queries) == 1
        assert len(frames) == len(groupings)
        for grouping, frame in zip(groupings, frames):
            by = tuple(k for k in grouping if k != "period_start")
            period = "quarter" if "period_start" in grouping else None
            alone = metrics.action_item_summary(con, filters, AS_OF, by, period)
            pd.testing.assert_frame_equal(frame, alone)
            if "team" in grouping:
                counted = store.action_item_aggregates(con, filters, AS_OF, by, period)
                keys = list(grouping)
                expected = counted.sort_values(keys, kind="stable").reset_index(drop=True)
                got = frame.sort_values(keys, kind="stable").reset_index(drop=True)
                assert got[keys + ["total", "done", "open", "overdue"]].astype(str).equals(
                    expected[keys + ["total", "done", "open", "overdue"]].astype(str))
                np.testing.assert_array_equal(got["open_age_days_median"].to_numpy("float64"),
                                              expected["open_age_days_median"].to_numpy("float64", na_value=np.nan))
    by_priority, _, owner_first, severity_first, by_team, *_, team_first, priority_first, _ = (
        metrics.action_item_summaries(con, ALL, AS_OF, groupings, "quarter"))
    assert list(zip(by_priority["priority"], by_priority["total"], by_priority["overdue"])) == [
        ("P0", 2, 1), ("P1", 2, 0), ("P2", 2, 1)]
    assert list(owner_first.columns[:2]) == ["owner", "severity"]
    assert list(owner_first["owner"]) == sorted(owner_first["owner"])
    assert list(severity_first["severity"]) == sorted(severity_first["severity"])
    assert owner_first["total"].sum() == severity_first["total"].sum() == 6
    assert list(zip(by_team["team"], by_team["total"])) == [("(no team)", 1), ("Payments", 5), ("Platform", 2)]
    assert list(team_first.columns[:3]) == ["period_start", "team", "priority"]
    assert list(priority_first.columns[:2]) == ["priority", "team"]
    assert team_first["total"].sum() == priority_first["total"].sum() == 8


def test_action_item_summaries_refuse_a_period_key_they_cannot_place(con):
    with pytest.raises(ValueError, match="period_start"):
        metrics.action_item_summaries(con, ALL, AS_OF, (("period_start", "priority"),))
    with pytest.raises(ValueError, match="period_start"):
        metrics.action_item_summaries(con, ALL, AS_OF, (("priority", "period_start"),), "quarter")


def test_action_items_without_a_team_are_counted_only_in_grouping_sets(con):
    """store.action_item_aggregates counts per team; a grouping without one has one counting, the sets'."""
    from pm_analytics import store

    with pytest.raises(ValueError, match="action_item_aggregate_sets"):
        store.action_item_aggregates(con, ALL, AS_OF, ("priority",))


def test_follow_through(con):
    table = metrics.follow_through(con, ALL).set_index("incident_id")
    assert (table.loc["INC-A", "action_items_done"], table.loc["INC-A", "action_items_total"]) == (2, 3)
    assert table.loc["INC-A", "done_share"] == pytest.approx(2 / 3)
    assert math.isnan(table.loc["INC-C", "done_share"])


def test_empty_action_items(con):
    assert metrics.action_item_summary(con, NOTHING, AS_OF).empty
    assert metrics.overdue_items(con, NOTHING, AS_OF).empty


# -- participants and data quality --------------------------------------------

def test_participants(con):
    overall = metrics.participants(con, ALL, period=None).iloc[0]
    assert (overall.techops_engineers_mean, overall.techops_engineers_unknown) == (1.5, 2)
    assert overall.software_engineers_mean == 2.5
    assert overall.engineers_total_mean == 4  # A 2+3+0, B 1+2 (security unknown counts as none)
    # A 1, B 2, C 1; D lists no team: unknown, not 0 (it used to pull the mean down to 1.0)
    assert (overall.teams_involved_mean, overall.teams_involved_unknown) == (pytest.approx(4 / 3), 1)


def test_incidents_per_team(con):
    teams = metrics.incidents_per_team(con, ALL)
    assert list(zip(teams["team"], teams["incidents"])) == [("Payments", 2), ("Platform", 2), ("(no team)", 1)]


def test_field_completeness(con):
    fields = metrics.field_completeness(con, ALL).set_index("attribute")
    assert tuple(fields.loc["clinics_affected", ["filled", "placeholder", "missing"]]) == (2, 1, 1)
    assert fields.loc["title", "filled_share"] == 1.0
    assert fields.iloc[0]["filled_share"] <= fields.iloc[-1]["filled_share"]


def test_completeness_by_incident_and_team(con):
    scores = metrics.completeness_by_incident(con, ALL).set_index("incident_id")
    assert scores.loc["INC-A", "completeness"] > scores.loc["INC-D", "completeness"]
    assert "Clinics affected" in scores.loc["INC-D", "empty_fields"]
    teams = metrics.completeness_by_team(con, ALL).set_index("team")
    assert teams.loc["Platform", "completeness"] == pytest.approx(
        (scores.loc["INC-B", "completeness"] + scores.loc["INC-C", "completeness"]) / 2)


# -- headline -----------------------------------------------------------------

def test_headline(con, queries):
    numbers = metrics.headline(con, ALL, AS_OF)
    assert len(queries) == 1, "the overview's numbers, per severity among them, are one query"
    assert numbers == {
        "incidents": 4,
        "incidents_by_severity": {"SEV1": 1, "SEV2": 2, "SEV3": 1},
        "median_time_to_detect_min": 10.0,
        "median_time_to_respond_min": 5.0,
        "median_duration_min": 80.0,
        "p90_duration_min": 144.0,
        "clinics_affected_total": 15,
        "clinics_affected_unknown": 2,
        "patients_affected_total": 1200,
        "patients_affected_unknown": 1,
        "action_items_total": 6,
        "action_items_done": 2,
        "action_items_done_on_time": 1,
        "action_items_done_on_time_unknown": 0,
        # Due by AS_OF: A's P0 (done on time), B's P0 (open, late), the P1 done late, A's P2 (open, late);
        # the wontfix P1 and the P2 not yet due are left out.
        "action_items_due": 4,
        "action_items_on_time_rate": 0.25,
        "action_items_overdue": 2,
        "action_items_overdue_p0_p1": 1,
    }


def test_overview_cards_against_the_period_before(con):
    """Feb-Apr 2025 (C, D) against the three whole months before, Nov-Jan (A, B; E is a drill); every n is under
    10, so no verdict."""
    window = ALL.with_dates(date(2025, 2, 1), date(2025, 4, 30))
    cards = {c["key"]: c for c in metrics.overview_cards(con, window, AS_OF, data_since=date(2024, 11, 1))}
    assert (cards["incidents"]["value"], cards["incidents"]["previous"]) == (2, 2)
    assert cards["incidents"]["previous_window"] == (date(2024, 11, 1), date(2025, 1, 31))
    assert not cards["incidents"]["per_month"]
    assert (cards["sev1"]["value"], cards["sev1"]["previous"]) == (0, 1)
    assert (cards["mttd"]["value"], cards["mttd"]["previous"], cards["mttd"]["change"]) == (5, 20, -15)
    assert (cards["mttr"]["value"], cards["mttr"]["previous"], cards["mttr"]["change"]) == (50, 120, -70)
    assert (cards["patients"]["value"], cards["patients"]["previous"]) == (200, 1000)
    assert cards["patients"]["note"] == ""
    assert {c["verdict"] for c in cards.values() if c["verdict"]} == {metrics.TOO_SMALL}
    sev2_only = {c["key"]: c for c in metrics.overview_cards(
        con, Filters(severities=("SEV2",)).with_dates(date(2025, 2, 1), date(2025, 4, 30)), AS_OF,
        data_since=date(2024, 11, 1))}
    assert sev2_only["sev1"]["value"] == 0 and sev2_only["sev1"]["verdict"] is None
    assert (sev2_only["incidents"]["value"], sev2_only["incidents"]["previous"]) == (1, 1)
    assert all(c["verdict"] is None for c in metrics.overview_cards(con, ALL, AS_OF))


def test_no_verdict_when_the_window_before_holds_under_a_month_of_data(con):
    """The data starts 2025-01-10 (A): Nov-Jan, the months before Feb-Apr, hold 22 days of it, so no card compares."""
    cards = metrics.overview_cards(con, ALL.with_dates(date(2025, 2, 1), date(2025, 4, 30)), AS_OF)
    assert all(c["verdict"] is None and c["previous_window"] is None for c in cards)
    incidents = cards[0]
    assert incidents["value"] == 2
    assert incidents["how"] == ("no comparison: the data starts 2025-01-10, so the window before "
                                "(2024-11-01 – 2025-01-31) holds less than a month of it")


def test_counts_compared_per_month_when_the_window_before_is_partly_covered(con):
    """Data since 2024-12-01: the window before (Nov-Jan) covers 62 of its 92 days. Two incidents in each window are
    not "no change": per 30 covered days it is 30 * (2/89 - 2/62) = -0.2936, too few for a verdict."""
    cards = {c["key"]: c for c in metrics.overview_cards(
        con, ALL.with_dates(date(2025, 2, 1), date(2025, 4, 30)), AS_OF, data_since=date(2024, 12, 1))}
    incidents = cards["incidents"]
    assert (incidents["value"], incidents["previous"], incidents["per_month"]) == (2, 2, True)
    assert incidents["change"] == pytest.approx(30 * (2 / 89 - 2 / 62))
    assert incidents["verdict"] == metrics.TOO_SMALL
    assert incidents["how"] == ("the window before covers 2 months of 3 months (data starts 2024-12-01); "
                                "counts compared per month")
    assert cards["patients"]["per_month"] and cards["patients"]["change"] == pytest.approx(30 * (200 / 89 - 1000 / 62))
    assert not cards["mttr"]["per_month"] and cards["mttr"]["change"] == -70  # a median needs no rate


def test_compare_rates_is_an_exact_binomial_test_on_covered_days():
    """60 incidents in 365 covered days against 30 in 273: the split expected from the lengths is
    365/638 of 90; scipy's exact test gives the same p-value."""
    from scipy.stats import binomtest

    result = metrics.compare_rates(60, 30, 365, 273)
    expected = binomtest(60, 90, 365 / 638).pvalue
    assert result["p_value"] == pytest.approx(expected, rel=1e-6)
    assert result["change"] == pytest.approx(30 * (60 / 365 - 30 / 273))
    assert result["verdict"] == (metrics.WORSE if expected < 0.05 else metrics.NO_CHANGE)
    # The raw counts (60 against 30) would call it worse; per covered day it is within chance here.
    assert metrics.compare_counts(60, 30)["verdict"] == metrics.WORSE
    same_rate = metrics.compare_rates(48, 36, 365, 273)
    assert same_rate["verdict"] == metrics.NO_CHANGE


def test_headline_of_nothing_is_unknown_not_zero(con):
    numbers = metrics.headline(con, NOTHING, AS_OF)
    assert numbers["incidents"] == 0
    assert numbers["median_duration_min"] is None and numbers["patients_affected_total"] is None


def test_drills_are_counted_only_as_left_out(con):
    assert metrics.excluded_incidents(con, ALL) == 1
    assert "INC-E" not in set(metrics.follow_through(con, ALL)["incident_id"])
    assert len(INCIDENTS) == 5


def test_every_pages_first_counts_are_one_query_and_count_drills_only_when_asked(con, queries):
    """Four incidents and a drill (E, Payments): the statistics keep four and leave the drill out, unless
    drills are included. Platform has B and C; Payments has A, B and the drill."""
    assert metrics.selection_counts(con, ALL) == {"incidents": 4, "left_out": 1}
    assert len(queries) == 1
    assert metrics.selection_counts(con, Filters(include_excluded=True)) == {"incidents": 5, "left_out": 0}
    assert metrics.selection_counts(con, Filters(teams=("Platform",))) == {"incidents": 2, "left_out": 0}
    assert metrics.selection_counts(con, Filters(teams=("Payments",))) == {"incidents": 2, "left_out": 1}
    assert metrics.selection_counts(con, NOTHING) == {"incidents": 0, "left_out": 0}
    # What the pages asked before, one query each (the incidents page lists drills only when the filter includes them).
    for filters in (ALL, Filters(teams=("Payments",)), Filters(severities=("SEV1",)), NOTHING):
        for drills in (False, True):
            chosen = replace(filters, include_excluded=drills)
            assert metrics.selection_counts(con, chosen) == {
                "incidents": metrics.incident_count(con, chosen, include_drills=drills),
                "left_out": 0 if drills else metrics.excluded_incidents(con, chosen)}


def test_large_samples_use_the_normal_approximation_and_agree_with_the_bootstrap(monkeypatch):
    rng = np.random.default_rng(3)
    current, previous = rng.lognormal(4.0, 1, 3000), rng.lognormal(4.2, 1, 3000)
    boot = metrics.compare_values(current, previous, seed=1)
    monkeypatch.setattr(metrics, "BOOTSTRAP_MAX_N", 100)
    normal = metrics.compare_values(current, previous, seed=1)
    assert boot["verdict"] == normal["verdict"] == "improved"
    assert normal["ci_low"] == pytest.approx(boot["ci_low"], rel=0.25)
    assert normal["ci_high"] == pytest.approx(boot["ci_high"], rel=0.25)
    same = metrics.compare_values(rng.normal(50, 5, 8000), rng.normal(50, 5, 8000), statistic="mean")
    assert same["verdict"] == "no clear change" and same["ci_low"] < 0 < same["ci_high"]


def test_distribution_stats_and_points(con):
    spread = metrics.distribution(con, ALL, "duration_min")
    sev2 = spread["stats"].set_index("severity").loc["SEV2"]
    # SEV2 durations: B 160, C 50 -> q1 77.5, median 105, q3 132.5; fences clamp to min/max
    assert (sev2.n, sev2.q1, sev2["median"], sev2.q3, sev2.lower_fence, sev2.upper_fence) == (2, 77.5, 105, 132.5, 50, 160)
    assert sorted(spread["points"]["incident_id"]) == ["INC-A", "INC-B", "INC-C"]
    assert len(metrics.distribution(con, ALL, "duration_min", points_per_severity=1)["points"]) == 2


def test_distribution_points_take_outliers_first_then_a_fixed_pick():
    """Forty SEV2 durations of 10-14 minutes and two far beyond the fences: one point is one of the two
    outliers (they come before any regular value), three are both and the regular value with the
    smallest id hash, and asking again gives the same points."""
    import duckdb

    from pm_analytics import store

    con = duckdb.connect()
    con.execute("CREATE TABLE incidents (incident_id VARCHAR, title VARCHAR, severity VARCHAR, "
                "duration_min DOUBLE, exclude_from_metrics BOOLEAN)")
    rows = [(f"INC-{k:02d}", f"regular {k}", "SEV2", 10.0 + k % 5, False) for k in range(40)]
    rows += [("INC-90", "long", "SEV2", 5000.0, False), ("INC-91", "longer", "SEV2", 9000.0, False)]
    con.executemany("INSERT INTO incidents VALUES (?, ?, ?, ?, ?)", rows)
    first_regular = con.execute("SELECT incident_id FROM incidents WHERE duration_min < 100 "
                                "ORDER BY hash(incident_id), incident_id LIMIT 1").fetchone()[0]
    one = store.distribution_points(con, ALL, "i.duration_min", 1)
    assert list(one["incident_id"]) in (["INC-90"], ["INC-91"])
    three = store.distribution_points(con, ALL, "i.duration_min", 3)
    assert list(three["incident_id"]) == sorted(["INC-90", "INC-91", first_regular])
    assert three.equals(store.distribution_points(con, ALL, "i.duration_min", 3))
    assert store.distribution_points(con, ALL, "i.duration_min", 0).empty
    con.close()


def test_incident_list_sorts_unknowns_last_and_limits(con):
    listed = metrics.incident_list(con, ALL, sort_by="patients_affected")
    assert list(listed["incident_id"]) == ["INC-E", "INC-A", "INC-C", "INC-D", "INC-B"]  # E is a drill, listed
    ascending = metrics.incident_list(con, ALL, sort_by="patients_affected", descending=False, include_drills=False)
    assert list(ascending["incident_id"]) == ["INC-D", "INC-C", "INC-A", "INC-B"]
    assert len(metrics.incident_list(con, ALL, limit=2)) == 2 and metrics.incident_count(con, ALL) == 5
    assert metrics.incident_count(con, ALL, search="reminders") == 1


def test_compare_counts_normal_approximation_matches_the_exact_test_for_large_counts():
    import math as m

    exact = 2 * sum(m.comb(1100, i) for i in range(521)) / 2 ** 1100
    assert metrics.compare_counts(520, 580)["p_value"] == pytest.approx(exact, rel=0.02)
    assert metrics.compare_counts(560, 540)["verdict"] == "no clear change"
    assert metrics.compare_counts(450, 650)["verdict"] == "improved"


# -- teams --------------------------------------------------------------------

def test_team_table_against_hand_computed_numbers(con):
    """B counts for Payments and for Platform; D has no team; E is a drill. Worked out on paper:
    Payments (A, B): durations 80, 160 -> median 120, p90 80 + 0.9 * 80 = 152; detect 10, 30 -> 20;
    patients 1000 + unknown; impact 1000 * 80; B's P0 overdue; none off hours; A fully reviewed.
    Platform (B, C): durations 160, 50 -> median 105, p90 50 + 0.9 * 110 = 149; C starts on a Saturday."""
    table = metrics.team_table(con, ALL, AS_OF).set_index("team")
    assert list(table.index) == ["Payments", "Platform", "(no team)"]
    payments, platform, no_team = table.loc["Payments"], table.loc["Platform"], table.loc["(no team)"]
    assert (payments.incidents, payments.sev1, payments.median_duration_min, payments.p90_duration_min) == (2, 1, 120, 152)
    assert (payments.median_time_to_detect_min, payments.patients_affected, payments.patients_affected_unknown) == (20, 1000, 1)
    assert (payments.patient_impact_min, payments.overdue_p0_p1) == (80_000, 1)
    assert (payments.off_hours_share, payments.fully_reviewed_share) == (0.0, 0.5)
    assert (platform.incidents, platform.sev1, platform.median_duration_min, platform.p90_duration_min) == (2, 0, 105, 149)
    assert (platform.median_time_to_detect_min, platform.patients_affected, platform.patient_impact_min) == (30, 200, 10_000)
    assert (platform.overdue_p0_p1, platform.off_hours_share, platform.fully_reviewed_share) == (1, 0.5, 0.0)
    assert math.isnan(no_team.median_duration_min) and math.isnan(no_team.patient_impact_min)  # D never resolved
    assert (no_team.patients_affected, no_team.patients_affected_unknown, no_team.off_hours_share) == (0, 0, 1.0)
    # The fixture's incidents run from 2025 Q1 to 2025 Q2 (D, 5 April).
    assert table["incidents_per_quarter"].to_dict() == {"Payments": [2, 0], "Platform": [2, 0], "(no team)": [0, 1]}


def test_team_highlights_name_the_busiest_and_the_slowest_team():
    import pandas as pd

    teams = pd.DataFrame({"team": ["A", "B", "C", "(no team)"], "incidents": [9, 9, 4, 20], "sev1": [1, 3, 0, 9],
                          "median_duration_min": [100.0, 90.0, 500.0, 999.0],
                          "p90_duration_min": [300.0, float("nan"), 900.0, 999.0]})
    # B ties A on incidents with more SEV1s; C (4 incidents) is too small to be called slowest; no team is no team.
    assert metrics.team_highlights(teams) == {"most_incidents": ("B", 9, 3), "slowest_median": ("A", 100.0),
                                              "worst_p90": ("A", 300.0)}
    assert metrics.team_highlights(teams.iloc[:0]) == {}


def test_team_table_of_one_team_and_of_nothing(con):
    only = metrics.team_table(con, Filters(teams=("Platform",)), AS_OF)
    assert list(only["team"]) == ["Platform"] and only["incidents"].tolist() == [2]
    assert metrics.team_table(con, NOTHING, AS_OF).empty
    assert metrics.quarter_starts(date(2025, 11, 30), date(2026, 4, 1)) == [
        date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1)]


# -- the chase list -----------------------------------------------------------

def test_chase_list_is_p0_p1_by_default_with_the_deciding_columns_first(con):
    """On 2025-05-03 only B's P0 (due 2025-01-22) of the P0/P1 items is open and late: 101 days."""
    chase = metrics.chase_list(con, ALL, AS_OF)
    assert list(chase.columns[:6]) == ["priority", "owner", "teams", "days_overdue", "ticket", "ticket_url"]
    assert chase[["incident_id", "priority", "owner", "teams", "days_overdue"]].values.tolist() == [
        ["INC-B", "P0", "Owner AI1", "Payments, Platform", 101]]
    assert metrics.chase_summary(con, ALL, AS_OF) == {"items": 1, "owners": 1,
                                                     "most_overdue": ("Owner AI1", 101, "INC-B", "AI1")}
    assert metrics.chase_summary(con, ALL, AS_OF, ("P2",))["most_overdue"] == ("Owner AI3", 85, "INC-A", "AI3")
    assert metrics.chase_summary(con, NOTHING, AS_OF) == {"items": 0, "owners": 0, "most_overdue": None}


def test_chase_list_groups_by_team_then_owner_with_no_team_last(con):
    """A day later D's P2 is late too (1 day); A's P2 has been late since 2025-02-07 (86 days)."""
    chase = metrics.chase_list(con, ALL, date(2025, 5, 4), ("P0", "P1", "P2"))
    assert chase[["incident_id", "priority", "teams", "days_overdue"]].fillna("-").values.tolist() == [
        ["INC-A", "P2", "Payments", 86], ["INC-B", "P0", "Payments, Platform", 102], ["INC-D", "P2", "-", 1]]
    assert metrics.chase_list(con, ALL, AS_OF, ()).empty
    # Its headline counts what the list holds: A's and D's P2 are Owner AI3's and Owner AI1's, B's P0 Owner AI1's.
    assert metrics.chase_summary(con, ALL, date(2025, 5, 4), ("P0", "P1", "P2")) == {
        "items": 3, "owners": 2, "most_overdue": ("Owner AI1", 102, "INC-B", "AI1")}
    assert metrics.chase_summary(con, ALL, date(2025, 5, 4), ("P2",)) == {
        "items": 2, "owners": 2, "most_overdue": ("Owner AI3", 86, "INC-A", "AI3")}
    assert metrics.chase_summary(con, ALL, AS_OF, ()) == {"items": 0, "owners": 0, "most_overdue": None}


def test_the_chase_list_and_its_headline_come_from_one_query_and_the_headline_counts_past_the_limit(con, queries):
    """The page shows the first rows and a headline over all of them: the headline of one row is still of 3."""
    first, summary = metrics.chase(con, ALL, date(2025, 5, 4), ("P0", "P1", "P2"), limit=1)
    assert len(queries) == 1
    assert first[["incident_id", "days_overdue"]].values.tolist() == [["INC-A", 86]]
    assert summary == {"items": 3, "owners": 2, "most_overdue": ("Owner AI1", 102, "INC-B", "AI1")}
    assert list(first.columns) == metrics.CHASE_COLUMNS


# -- the incident page ----------------------------------------------------------

def test_incident_detail_says_it_repeats_and_what_is_overdue(con):
    """B repeats A while A's P1 was still open; B's own P0 (due 2025-01-22) is 101 days late on AS_OF."""
    detail = metrics.incident_detail(con, "INC-B", AS_OF)
    repeats = detail["repeats"]
    assert repeats[["earlier_id", "status"]].values.tolist() == [["INC-A", metrics.RECURRENCE_STATUSES[1]]]
    assert detail["overdue_p0_p1"] == {"count": 1, "max_days": 101}
    first = metrics.incident_detail(con, "INC-A", AS_OF)
    assert first["repeats"].empty and first["overdue_p0_p1"] == {"count": 0, "max_days": None}


def test_incident_action_item_deadlines_on_the_incident_clock():
    """Resolved 2025-03-08 22:30 EST (03:30 UTC on the 9th): the P0 is due 48 h later, 2025-03-10 23:30
    EDT on the clock of its timeline (the clocks went forward on the 9th), 03:30 UTC on the 11th."""
    resolved = utc(2025, 3, 9, 3, 30)
    con = database([Incident("INC-NY", title="NY", severity="SEV2", timezone="America/New_York",
                             incident_date=date(2025, 3, 8), started_at=utc(2025, 3, 9, 2, 0), resolved_at=resolved,
                             source_path="ny.yaml", source_format="yaml", source_sha256="ny",
                             action_items=[item("AI1", "P0", utc(2025, 3, 11, 3, 30))])])
    detail = metrics.incident_detail(con, "INC-NY", AS_OF)
    assert detail["tz_label"] == "America/New_York"
    assert detail["action_items"]["due_local"].tolist() == [datetime(2025, 3, 10, 23, 30)]


def test_phases_in_the_order_the_incident_went_through_them():
    at = {"detected_at": datetime(2025, 1, 1, 10, 10), "responded_at": datetime(2025, 1, 1, 10, 15),
          "understood_at": datetime(2025, 1, 1, 11, 0), "partially_recovered_at": datetime(2025, 1, 1, 10, 40),
          "solution_at": datetime(2025, 1, 1, 11, 30), "resolved_at": datetime(2025, 1, 1, 12, 0)}
    assert metrics._phase_order(at) == ["time_to_detect_min", "time_to_respond_min", "time_to_partial_recovery_min",
                                        "time_to_understand_min", "time_to_solution_min", "time_to_full_recovery_min"]
    # Unknown moments keep the template's place: partial recovery comes after understanding there.
    assert metrics._phase_order({**at, "partially_recovered_at": None}) == [
        "time_to_detect_min", "time_to_respond_min", "time_to_understand_min", "time_to_partial_recovery_min",
        "time_to_solution_min", "time_to_full_recovery_min"]
