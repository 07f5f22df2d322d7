"""Periods on a time axis: named as people say them, every one of the range, partial ones said so."""

from datetime import date

import pandas as pd
import pytest

from pm_analytics import periods


@pytest.mark.parametrize("start, period, text", [
    (date(2026, 1, 1), "quarter", "2026 Q1"), (date(2025, 10, 1), "quarter", "2025 Q4"),
    (date(2026, 1, 1), "month", "Jan 2026"), (pd.Timestamp("2025-11-01"), "month", "Nov 2025"),
])
def test_label(start, period, text):
    assert periods.label(start, period) == text


@pytest.mark.parametrize("start, period, span, part", [
    (date(2025, 10, 1), "quarter", (date(2025, 12, 1), date(2026, 3, 31)), "Dec only"),
    (date(2025, 10, 1), "quarter", (date(2025, 11, 1), date(2026, 3, 31)), "Nov–Dec"),
    (date(2026, 1, 1), "quarter", (date(2025, 12, 1), date(2026, 2, 15)), "to 15 Feb"),
    (date(2025, 10, 1), "quarter", (date(2025, 11, 27), date(2026, 11, 26)), "from 27 Nov"),
    (date(2025, 10, 1), "quarter", (date(2025, 10, 3), date(2025, 11, 26)), "3 Oct – 26 Nov"),
    (date(2025, 11, 1), "month", (date(2025, 11, 3), date(2025, 11, 26)), "3–26 Nov"),
    (date(2026, 11, 1), "month", (date(2025, 11, 27), date(2026, 11, 26)), "to 26 Nov"),
    (date(2026, 1, 1), "quarter", (date(2025, 12, 1), date(2026, 3, 31)), None),
    (date(2026, 2, 1), "month", (date(2026, 2, 1), date(2026, 2, 28)), None),
    (date(2026, 2, 1), "month", None, None),
])
def test_part_covered(start, period, span, part):
    assert periods.part_covered(start, period, span) == part


def test_axis_has_every_period_of_the_span_in_order():
    axis = periods.axis("quarter", (date(2025, 12, 1), date(2026, 8, 15)))
    assert list(axis["full_label"]) == ["2025 Q4, Dec only", "2026 Q1", "2026 Q2", "2026 Q3, to 15 Aug"]
    assert list(axis["partial"]) == [True, False, False, True]
    starts = pd.to_datetime(["2025-01-01", "2025-07-01"])
    assert list(periods.axis("quarter", None, starts)["label"]) == ["2025 Q1", "2025 Q2", "2025 Q3"]
    assert periods.axis("month", None, []).empty


def test_on_axis_counts_nothing_as_zero_and_a_statistic_of_nothing_as_unknown():
    frame = pd.DataFrame({"period_start": pd.to_datetime(["2026-01-01", "2026-03-01"]), "incidents": [3, 1],
                          "median": [12.0, 30.0]})
    out = periods.on_axis(frame, periods.axis("month", (date(2026, 1, 1), date(2026, 4, 10))), {"incidents": 0})
    assert list(out["incidents"]) == [3, 0, 1, 0] and out["incidents"].dtype == "int64"
    assert out["median"].isna().tolist() == [False, True, False, True]
    assert list(out["full_label"]) == ["Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026, to 10 Apr"]


def test_on_axis_by_gives_each_group_what_on_axis_gives_it():
    """Placing every group at once must give each the frame (values and types) of its own on_axis call: a
    group with every period keeps its integer, boolean, text and nullable integer columns, one with a gap
    has unknowns there, a count fills with 0 as an integer, and a row off the axis is dropped."""
    frame = pd.DataFrame({
        "team": ["Payments", "Payments", "Payments", "Identity", "Identity", "(no team)"],
        "period_start": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-02-01", "2025-06-01",
                                        "2026-03-01"]),
        "incidents": [3, 1, 2, 4, 9, 1], "n": [2, 1, 2, 3, 9, 0], "median": [12.0, 30.0, 5.0, 8.0, 1.0, None],
        "small_sample": [False, True, False, True, False, True], "metric": ["duration_min"] * 6,
        "worst": pd.array([1, None, 3, 4, 5, None], dtype="Int64")})
    axis = periods.axis("month", (date(2026, 1, 1), date(2026, 3, 20)))
    for fill in ({"incidents": 0, "n": 0}, None):
        placed = periods.on_axis_by(frame, "team", axis, fill)
        assert list(placed) == ["Payments", "Identity", "(no team)"]
        for team, part in placed.items():
            pd.testing.assert_frame_equal(part, periods.on_axis(frame[frame["team"] == team].drop(columns="team"),
                                                                axis, fill))
    placed = periods.on_axis_by(frame, "team", axis, {"incidents": 0})
    assert placed["Payments"]["small_sample"].dtype == "bool" and placed["Payments"]["n"].dtype == "int64"
    assert list(placed["Identity"]["incidents"]) == [0, 4, 0] and placed["Identity"]["n"].isna().tolist() == [
        True, False, True]


def test_view_span_is_the_range_within_the_data():
    first, last, today = date(2025, 3, 3), date(2026, 11, 20), date(2026, 11, 26)
    assert periods.view_span(None, None, first, last, today) == (first, last)  # all time: the data's days
    assert periods.view_span(date(2025, 11, 27), today, first, last, today) == (date(2025, 11, 27), today)
    assert periods.view_span(date(2020, 1, 1), date(2030, 1, 1), first, last, today) == (first, today)
    assert periods.view_span(date(2020, 1, 1), date(2020, 12, 31), first, last, today) is None
    assert periods.view_span(None, None, None, None, today) is None
    assert periods.labels(pd.to_datetime(["2025-10-01", None]), "quarter", (date(2025, 12, 1), today)) == [
        "2025 Q4, Dec only", "unknown"]
