"""Figures: titled, axes labelled with units, times as hours and minutes, text escaped, empty states."""

import json
import re
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import plotly.tools
import pytest

from metrics_fixture import database
from pm_analytics import charts, metrics
from pm_analytics.filters import Filters

ALL = Filters()
NOTHING = Filters(severities=("SEV3",), teams=("Payments",))
AS_OF = date(2025, 5, 3)


@pytest.fixture(scope="module")
def con():
    return database()


def figures(con, filters):
    detail = metrics.incident_detail(con, "INC-A", AS_OF)
    return {
        "incidents_per_period": charts.incidents_per_period(metrics.incident_counts(con, filters, "month")),
        "response_trend": charts.response_trend(
            metrics.response_time_trend(con, filters, "month", None, ["duration_min"]), "Time to recover"),
        "time_breakdown": charts.time_breakdown_chart(metrics.time_breakdown(con, filters)),
        "distribution": charts.distribution_by_severity(metrics.distribution(con, filters, "duration_min"),
                                                        "Time to recover"),
        "blast": charts.blast_over_time(metrics.blast_radius(con, filters, "month"), "patients_affected"),
        "impact": charts.impact_by_group(metrics.impact_minutes(con, filters)),
        "apps": charts.app_heatmap_chart(metrics.app_heatmap(con, filters)),
        "rates": charts.action_rates(metrics.action_item_summary(con, filters, AS_OF, ("priority",), "quarter")),
        "open_by_owner": charts.open_items_by(metrics.action_item_summary(con, filters, AS_OF, ("owner",)), "owner", "owner"),
        "phases": charts.phases_vs_median(detail["phases"], detail["peer_label"]),
        "timeline": charts.incident_timeline(detail["local"], detail["timeline_local"], detail["tz_label"]),
        "field_gaps": charts.field_gaps(metrics.field_completeness(con, filters)),
        "completeness": charts.completeness_by_team_chart(metrics.completeness_by_team(con, filters)),
        "patients_spread": charts.distribution_by_severity(metrics.distribution(con, filters, "patients_affected"),
                                                           "Patients affected", unit="patients"),
        "themes": charts.themes_over_time(metrics.theme_trend(con, filters)),
        "repeats": charts.recurrence_by_team(metrics.recurrence_report(con, filters)["by_team"]),
        "start_heatmap": charts.start_heatmap_chart(metrics.start_heatmap(con, filters)),
        "off_hours": charts.off_hours_trend(metrics.off_hours(con, filters, "quarter", "team")),
        "engineers": charts.engineers_trend(metrics.participants(con, filters, "quarter", "team")),
        "reviews": charts.review_trend(metrics.review_summary(con, filters, AS_OF)),
    }


def test_every_figure_has_a_title_and_labelled_axes(con):
    for name, fig in figures(con, ALL).items():
        layout = fig.layout
        assert layout.title.text, name
        assert fig.data, name
        titles = {key[0]: layout[key].title.text for key in layout
                  if key.startswith(("xaxis", "yaxis")) and layout[key].title.text}  # small multiples: any panel
        if name not in ("timeline", "time_breakdown", "phases"):
            assert len(titles) == 2 or name == "blast", (name, titles)


def _sent(fig: go.Figure) -> dict:
    """The figure as ``st.plotly_chart`` sends it to the browser."""
    return json.loads(pio.to_json(plotly.tools.return_figure_from_figure_or_data(fig, True), validate=False))


def test_every_figure_passes_plotlys_check_and_the_check_changes_nothing_sent(con):
    """Charts build their figures unchecked (charts._figure), which page runs pay for otherwise: here plotly
    checks each one property by property, raising on a name or value it does not know, and the checked
    figure is what the page sends."""
    split = by_nine_teams(metrics.response_time_trend(con, ALL, "quarter", None, ["duration_min"]))
    drawn = {**figures(con, ALL), **{f"{name}, nothing": fig for name, fig in figures(con, NOTHING).items()},
             "response_trend by team": charts.response_trend(split, "Time to recover", "quarter", show_mean=True,
                                                             targets={"median": 35.0, "p90": 120.0}),
             "off_hours, one line": charts.off_hours_trend(metrics.off_hours(con, ALL, "quarter", None)),
             "engineers, one line": charts.engineers_trend(metrics.participants(con, ALL, "quarter", None))}
    for name, fig in drawn.items():
        assert _sent(_checked(fig)) == _sent(fig), name
    with pytest.raises(ValueError, match="colr"):
        _checked(charts._figure([{"type": "bar", "x": [1], "y": [2], "marker": {"colr": "red"}}]))
    with pytest.raises(ValueError, match="opacity"):  # an array as given, not as to_dict encodes it
        _checked(charts._figure([{"type": "bar", "x": [1], "y": [2], "marker": {"opacity": np.array([5.0])}}]))


def _checked(fig: go.Figure) -> go.Figure:
    """``fig`` made again with plotly checking every property, from the values as the chart gave them (``to_dict``
    would have turned number arrays into encoded blocks, which plotly lets through unchecked)."""
    return go.Figure(data=[trace.to_plotly_json() for trace in fig.data], layout=fig.layout.to_plotly_json())


def test_figures_carry_plotly_white_for_what_they_draw_and_nothing_else(con, monkeypatch):
    """The template each figure carries (and Streamlit sends) is plotly_white without its defaults for trace
    types and kinds of plot no chart draws: those only made every chart three times the bytes to copy and send.
    Whatever plotly's default is when a chart is made: importing Streamlit's plotly support after the charts
    makes Streamlit's own template the default (this test failed in the full suite for that)."""
    import streamlit.elements.plotly_chart  # noqa: F401  (registers Streamlit's template)

    monkeypatch.setattr(pio.templates, "default", "streamlit")
    white = pio.templates["plotly_white"].to_plotly_json()
    drawn = {**figures(con, ALL), **{f"{name}, nothing": fig for name, fig in figures(con, NOTHING).items()}}
    for name, fig in drawn.items():
        template = _sent(fig)["layout"]["template"]
        kinds = {trace.type for trace in fig.data}
        assert kinds <= set(charts.DRAWN_TRACES), name
        assert template["layout"] == {key: value for key, value in white["layout"].items()
                                      if key not in charts.UNDRAWN_SUBPLOTS}, name
        assert template["data"] == {kind: white["data"][kind] for kind in charts.DRAWN_TRACES if kind in white["data"]}
        assert not [key for key in fig.layout.to_plotly_json() if key.startswith(charts.UNDRAWN_SUBPLOTS)], name
    assert len(json.dumps(_sent(drawn["open_by_owner"])["layout"]["template"])) < len(json.dumps(white)) / 2


def test_every_figure_has_an_empty_state(con):
    for name, fig in figures(con, NOTHING).items():
        if name in ("phases", "timeline"):
            continue
        assert fig.layout.annotations or fig.data, name


def test_time_axes_read_in_hours_and_minutes(con):
    fig = figures(con, ALL)["response_trend"]
    assert "2 h" in fig.layout.yaxis.ticktext and "1 h" in fig.layout.yaxis.ticktext
    values, labels = charts.minute_ticks(500)
    assert values[:3] == [0, 120, 240] and labels[:3] == ["0", "2 h", "4 h"]


def test_small_buckets_are_hollow_and_sizes_shown(con):
    fig = figures(con, ALL)["response_trend"]
    median = next(t for t in fig.data if t.name.endswith("median") and t.mode == "lines+markers+text")
    assert set(median.marker.color) == {"white"}  # every fixture bucket has under 5 incidents
    assert list(median.text) == ["n=2", "n=1", "", ""]  # March: no incident; April: D, never resolved


def test_distribution_points_carry_incident_ids_for_clicks(con):
    fig = figures(con, ALL)["distribution"]
    ids = [i for trace in fig.data if trace.type == "scatter" for i in trace.customdata]
    assert sorted(ids) == ["INC-A", "INC-B", "INC-C"]
    boxes = {trace.name: (trace.q1[0], trace.median[0], trace.q3[0]) for trace in fig.data if trace.type == "box"}
    assert boxes == {"SEV1": (80, 80, 80), "SEV2": (77.5, 105, 132.5)}  # SEV2: B 160, C 50
    assert charts.clicked_incident({"selection": {"points": [{"customdata": "INC-B"}]}}) == "INC-B"
    assert charts.clicked_incident({"selection": {"points": [{"customdata": ["INC-C"]}]}}) == "INC-C"
    assert charts.clicked_incident({"selection": {"points": []}}) is None
    assert charts.clicked_incident(None) is None


def test_post_mortem_text_is_escaped_in_figures():
    stats = pd.DataFrame({"severity": ["SEV1"], "n": [1], "q1": [10.0], "median": [10.0], "q3": [10.0], "min": [10.0],
                          "max": [10.0], "lower_fence": [10.0], "upper_fence": [10.0]})
    points = pd.DataFrame({"incident_id": ["X"], "title": ["<img src=x onerror=alert(1)>"], "severity": ["SEV1"],
                           "value": [10.0]})
    fig = charts.distribution_by_severity({"stats": stats, "points": points}, "Time to recover")
    assert "<img" not in fig.data[1].hovertext[0] and "&lt;img" in fig.data[1].hovertext[0]


def test_incident_timeline_draws_phases_and_events(con):
    fig = figures(con, ALL)["timeline"]
    names = [t.name for t in fig.data]
    assert names[:5] == ["Detect", "Respond", "Understand", "Solution", "Full recovery"]
    assert fig.layout.title.text == "Timeline (times in UTC)"


def test_heatmap_counts(con):
    fig = figures(con, ALL)["apps"]
    assert fig.data[0].z.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]


def test_counts_spread_on_a_log_axis_with_counts_in_the_hover(con):
    fig = figures(con, ALL)["patients_spread"]
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.title.text == "Patients affected (patients, log scale)"
    dots = [t for t in fig.data if t.type == "scatter"]
    assert any("1,000 patients" in h for t in dots for h in t.hovertext)


def test_the_start_heatmap_shades_exactly_the_off_hours_cells(con):
    fig = charts.start_heatmap_chart(metrics.start_heatmap(con, ALL))
    rows = list(fig.data[0].y)

    def shaded(row: int, hour: int) -> bool:
        for r in fig.layout.shapes:
            y0, y1 = (r.y0, r.y1) if r.yref == "y" else (-0.5, len(rows) - 0.5)
            if r.x0 < hour < r.x1 and y0 < row < y1:
                return True
        return False

    for row, day in enumerate(rows):
        for hour in range(24):
            off_hours = day in ("Sat", "Sun") or hour < 8 or hour >= 19
            assert shaded(row, hour) == off_hours, (day, hour)


def test_off_hours_by_team_is_a_row_per_team(con):
    fig = figures(con, ALL)["off_hours"]
    assert list(fig.data[0].y) == ["Payments", "Platform", "(no team)"]
    assert fig.data[0].colorbar.tickformat == ".0%"
    everyone = charts.off_hours_trend(metrics.off_hours(con, ALL, "quarter", None))
    assert [t.name for t in everyone.data] == ["All incidents"] and everyone.layout.yaxis.tickformat == ".0%"


# -- time axes: periods named as people say them, every period of the range, partial ones marked ----------

SPAN = (date(2025, 1, 1), date(2025, 6, 30))  # the fixture's incidents: Jan 10, Jan 15 (drill), Jan 20, Feb 15, Apr 5


def x_values(fig) -> list:
    return [list(t.x) for t in fig.data if t.x is not None]


def test_quarters_read_2025_Q1_on_the_axis_and_in_the_hover(con):
    fig = charts.response_trend(metrics.response_time_trend(con, ALL, "quarter", None, ["duration_min"]),
                                "Time to recover", "quarter")
    assert list(fig.layout.xaxis.ticktext) == ["2025 Q1", "2025 Q2"]
    median = next(t for t in fig.data if t.name.endswith("median"))
    assert list(median.x) == ["2025 Q1", "2025 Q2"]
    assert median.hovertext[0].startswith("Time to recover, 2025 Q1<br>")
    months = charts.incidents_per_period(metrics.incident_counts(con, ALL, "month"), "month")
    assert list(months.layout.xaxis.ticktext) == ["Jan 2025", "Feb 2025", "Mar 2025", "Apr 2025"]


def test_quarter_labels_everywhere_a_period_is_shown(con):
    """No chart falls back to month ticks ("Nov 2025, Jan 2026") for quarters."""
    for name, fig in {
        "breakdown": charts.time_breakdown_chart(metrics.time_breakdown(con, ALL)),
        "blast": charts.blast_over_time(metrics.blast_radius(con, ALL, "quarter"), "patients_affected", "quarter"),
        "rates": charts.action_rates(metrics.action_item_summary(con, ALL, AS_OF, ("priority",), "quarter")),
        "themes": charts.themes_over_time(metrics.theme_trend(con, ALL)),
        "off_hours": charts.off_hours_trend(metrics.off_hours(con, ALL, "quarter", None)),
        "engineers": charts.engineers_trend(metrics.participants(con, ALL, "quarter", None)),
        "reviews": charts.review_trend(metrics.review_summary(con, ALL, AS_OF)),
    }.items():
        shown = [v for axis in fig.layout if axis.startswith("xaxis") for v in (fig.layout[axis].ticktext or ())]
        assert shown and all(re.fullmatch(r"2025 Q[12]", v) for v in shown), (name, shown)
        assert all(re.fullmatch(r"2025 Q[12]", str(v)) for xs in x_values(fig) for v in xs), name


def test_a_time_axis_spans_the_whole_range_with_zero_counts_where_nothing_happened(con):
    fig = charts.incidents_per_period(metrics.incident_counts(con, ALL, "month"), "month", span=SPAN)
    months = ["Jan 2025", "Feb 2025", "Mar 2025", "Apr 2025", "May 2025", "Jun 2025"]
    assert list(fig.layout.xaxis.categoryarray) == months
    totals = {m: sum(y for t in fig.data for x, y in zip(t.x, t.y) if x == m) for m in months}
    assert totals == {"Jan 2025": 2, "Feb 2025": 1, "Mar 2025": 0, "Apr 2025": 1, "May 2025": 0, "Jun 2025": 0}
    assert [a.x for a in fig.layout.annotations if a.text == "0"] == ["Mar 2025", "May 2025", "Jun 2025"]


def test_a_median_of_no_incidents_is_a_gap_not_zero(con):
    fig = charts.response_trend(metrics.response_time_trend(con, ALL, "month", None, ["duration_min"]),
                                "Time to recover", span=SPAN)
    median = next(t for t in fig.data if t.name.endswith("median"))
    assert list(median.x) == ["Jan 2025", "Feb 2025", "Mar 2025", "Apr 2025", "May 2025", "Jun 2025"]
    assert [None if pd.isna(y) else y for y in median.y][2:] == [None, None, None, None]  # D never resolved


def _trend(medians: dict[str, list]) -> pd.DataFrame:
    """A response-time trend over Jan-Jul 2025 per group; p90 is the median + 10, None a month with no value."""
    rows = []
    for group, values in medians.items():
        for month, median in enumerate(values, start=1):
            if median is not None:
                rows.append({"period_start": pd.Timestamp(2025, month, 1), "group": group, "median": float(median),
                             "p90": median + 10.0, "mean": float(median), "n": 5, "incidents": 5,
                             "small_sample": False})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("groups", [["All"], ["SEV1", "SEV2"]])
def test_the_p90_band_is_one_outline_per_run_of_known_periods(groups):
    """Each panel's band from median to p90 is one trace: per run of two or more known periods an outline
    along p90 and back along the median, runs apart; a period alone gets its whisker, not a band."""
    values = [30, 40, None, 50, None, 60, 70]
    fig = charts.response_trend(_trend({g: values for g in groups}), "Time to recover",
                                span=(date(2025, 1, 1), date(2025, 7, 31)))
    bands = [t for t in fig.data if t.fill == "toself"]
    assert len(bands) == len(groups) and not [t for t in fig.data if t.fill == "tonexty"]
    assert {(t.xaxis or "x", t.yaxis or "y") for t in bands} == {(t.xaxis or "x", t.yaxis or "y")
                                                                   for t in fig.data if t.mode == "lines+markers+text"}
    for band in bands:
        assert list(band.x) == ["Jan 2025", "Feb 2025", "Feb 2025", "Jan 2025", None,
                                "Jun 2025", "Jul 2025", "Jul 2025", "Jun 2025"]
        assert list(band.y) == [40, 50, 40, 30, None, 70, 80, 70, 60]
    assert [t.showlegend for t in bands] == [True] + [False] * (len(groups) - 1)
    median = next(t for t in fig.data if t.mode == "lines+markers+text")
    assert [e if e is None else float(e) for e in median.error_y.array] == [None, None, None, 10.0, None, None, None]


def test_where_the_time_goes_keeps_empty_quarters_in_place(con):
    fig = charts.time_breakdown_chart(metrics.time_breakdown(con, ALL), span=(date(2025, 1, 1), date(2025, 12, 31)))
    quarters = ["2025 Q1", "2025 Q2", "2025 Q3", "2025 Q4"]
    for axis in ("xaxis", "xaxis2"):
        assert list(fig.layout[axis].categoryarray) == quarters


@pytest.mark.parametrize("period, span", [("quarter", None), ("month", (date(2025, 1, 15), date(2025, 9, 20))),
                                          ("quarter", (date(2024, 7, 1), date(2026, 3, 31)))])
def test_where_the_time_goes_places_each_phase_as_on_axis_does(con, period, span):
    """The chart places every bar's periods in one pass (_phases_on_axis); each must be what
    periods.on_axis gives for that group and phase: the median where known, NaN where not, n 0 there."""
    from pm_analytics import periods

    data = metrics.time_breakdown(con, ALL, period).dropna(subset=["median_min"])
    axis = periods.axis(period, span, data["period_start"])
    bars = charts._phases_on_axis(data, axis)
    assert sum(len(phases) for phases in bars.values()) == len(data.groupby(["group", "phase"]))
    for group, phases in bars.items():
        part = data[data["group"] == group]
        assert list(phases) == list(dict.fromkeys(part["phase"]))
        for phase, (label, medians, counts) in phases.items():
            rows = part[part["phase"] == phase]
            expected = periods.on_axis(rows[["period_start", "median_min", "n"]], axis, {"n": 0})
            assert label == rows["label"].iloc[0]
            assert medians.tolist() == pytest.approx(expected["median_min"].tolist(), nan_ok=True)
            assert counts.tolist() == expected["n"].tolist() and counts.dtype == expected["n"].dtype


def test_partial_first_and_last_periods_are_labelled_and_drawn_apart(con):
    span = (date(2025, 1, 15), date(2025, 4, 20))
    fig = charts.incidents_per_period(metrics.incident_counts(con, ALL, "quarter"), "quarter", span=span)
    assert list(fig.layout.xaxis.ticktext) == ["2025 Q1<br>from 15 Jan", "2025 Q2<br>to 20 Apr"]
    bars = [t for t in fig.data if t.type == "bar"]
    assert all(list(t.marker.pattern.shape) == ["/", "/"] for t in bars)
    assert any("2025 Q1, from 15 Jan" in h for t in bars for h in t.hovertext)
    months = charts.incidents_per_period(metrics.incident_counts(con, ALL, "month"), "month", span=span)
    assert {t.marker.pattern.shape[0] for t in months.data} == {""}, "legend swatches (the first bar) stay solid"
    assert list(months.layout.xaxis.categoryarray) == ["Jan 2025", "Feb 2025", "Mar 2025", "Apr 2025"]
    full = charts.incidents_per_period(metrics.incident_counts(con, ALL, "quarter"), "quarter",
                                       span=(date(2025, 1, 1), date(2025, 6, 30)))
    assert list(full.layout.xaxis.ticktext) == ["2025 Q1", "2025 Q2"]
    assert all(set(t.marker.pattern.shape) == {""} for t in full.data if t.type == "bar")
    lines = charts.response_trend(metrics.response_time_trend(con, ALL, "quarter", None, ["duration_min"]),
                                  "Time to recover", "quarter", span=span)
    assert len([s for s in lines.layout.shapes if s.type == "rect"]) == 2, "partial periods shaded"


def test_charts_set_properties_as_plotlys_update_does():
    """charts._set and _set_axes stand in for update_layout / update_xaxes / update_yaxes: the same
    figure, nested values merged into what is there, selectors (row, col, secondary_y) honoured."""
    from plotly.subplots import make_subplots

    def made(secondary: bool = False):
        specs = [[{"secondary_y": True}, {}], [{}, {}]] if secondary else None
        fig = make_subplots(rows=2, cols=2, specs=specs, subplot_titles=["a", "b", "c", "d"])
        fig.update_layout(title={"text": "kept", "font": {"size": 9}}, legend={"x": 0.3})
        fig.update_xaxes(title={"text": "x", "font": {"color": "red"}}, tickformat=",d")
        return fig

    layout = {"title": {"x": 0, "pad": {"t": 14}}, "legend": {"orientation": "h"}, "height": 300,
              "margin": {"l": 10}, "shapes": [{"type": "line", "x0": 0, "x1": 1, "y0": 2, "y1": 2}]}
    theirs, ours = made(), made()
    theirs.update_layout(layout)
    charts._set(ours.layout, layout)
    assert ours.to_dict() == theirs.to_dict()
    for letter, props, selector in (("x", {"title": {"text": "Month"}, "showticklabels": True}, {"row": 2, "col": 1}),
                                    ("y", {"matches": "y", "rangemode": "tozero"}, {}),
                                    ("x", {"type": "category", "categoryarray": ["Jan", "Feb"]}, {"col": 2}),
                                    ("y", {"title": {"text": "unknown"}, "showgrid": False}, {"secondary_y": True})):
        theirs, ours = made(secondary="secondary_y" in selector), made(secondary="secondary_y" in selector)
        (theirs.update_xaxes if letter == "x" else theirs.update_yaxes)(props, **selector)
        charts._set_axes(ours, letter, props, **selector)
        assert ours.to_dict() == theirs.to_dict(), (letter, selector)
    # Without a selector, every axis: of a figure without panels, with a second y axis, with ten panels or more.
    for fig_of in (lambda: charts._figure([{"type": "bar", "x": [1], "y": [2]}]), lambda: made(secondary=True),
                   lambda: make_subplots(rows=3, cols=4), lambda: go.Figure(layout={"xaxis1": {}, "yaxis3": {}})):
        for letter in "xy":
            theirs, ours = fig_of(), fig_of()
            (theirs.update_xaxes if letter == "x" else theirs.update_yaxes)({"showgrid": False})
            charts._set_axes(ours, letter, {"showgrid": False})
            assert ours.to_dict() == theirs.to_dict(), letter
            names = [axis.plotly_name for axis in (theirs.select_xaxes if letter == "x" else theirs.select_yaxes)()]
            assert charts._axis_names(ours, letter) == names


@pytest.mark.parametrize("groups", [1, 2, 5])
def test_bands_and_target_lines_go_where_plotlys_own_calls_put_them(groups):
    """The partial-period bands and target lines are added in one assignment (plotly's add_vrect and
    add_hline validate every earlier shape again, per panel); they must land as those calls would: in
    every panel with a trace (not the empty sixth cell of five panels), lines and labels in that order."""

    names = [f"SEV{i + 1}" for i in range(groups)]
    axis = pd.DataFrame({"partial": [True, False, False, True]})
    targets = {"median": 35.0, "p90": 120.0}

    def drawn() -> go.Figure:
        fig = charts._small_multiples(names) if groups > 1 else go.Figure()
        for index in range(groups):
            where = {"row": index // 3 + 1, "col": index % 3 + 1} if groups > 1 else {}
            fig.add_scatter(x=["a", "b", "c", "d"], y=[1, 2, 3, 4], **where)
        return fig

    ours = drawn()
    charts._target_lines(ours, targets, subplots=groups > 1)
    charts._shade_partial(ours, axis, subplots=groups > 1)
    plotlys = drawn()
    for statistic, minutes in sorted(targets.items()):
        plotlys.add_hline(y=minutes, line={"dash": "dash", "color": charts.TARGET_COLOR, "width": 1.5},
                          annotation_text=f"target {statistic} ≤ {charts.format_minutes(minutes)}",
                          annotation_position="top left", annotation_font={"color": charts.TARGET_COLOR, "size": 11})
    for position in (0, 3):
        plotlys.add_vrect(x0=position - 0.5, x1=position + 0.5, fillcolor="#7f7f7f", opacity=0.12, layer="below",
                          line_width=0, **({"row": "all", "col": "all"} if groups > 1 else {}))
    assert ours.layout.to_plotly_json() == plotlys.layout.to_plotly_json()
    assert len(ours.layout.shapes) == 4 * groups, "2 targets and 2 bands in each panel"


def test_count_axes_tick_in_whole_numbers(con):
    """No "0.5 incidents": every axis or colour bar of a count has integer ticks, from 0."""
    checked = []
    for name, fig in figures(con, ALL).items():
        for key in fig.layout:
            axis = fig.layout[key]
            if key.startswith(("xaxis", "yaxis")) and axis.title.text and "(count)" in axis.title.text:
                checked.append((name, key))
                assert axis.tickformat == ",d" and axis.rangemode == "tozero", (name, key)
                assert axis.dtick is None or float(axis.dtick) == int(axis.dtick) >= 1, (name, key)
        for trace in fig.data:
            if trace.type == "heatmap" and "Incidents" in (trace.colorbar.title.text or ""):
                checked.append((name, "colorbar"))
                assert trace.colorbar.tickformat == ",d" and trace.colorbar.dtick == 1, name
    assert {name for name, _ in checked} >= {"incidents_per_period", "blast", "open_by_owner", "field_gaps",
                                              "themes", "repeats", "apps", "start_heatmap"}
    small = figures(con, ALL)["incidents_per_period"].layout.yaxis  # 2 incidents at most: plotly would tick 0.5
    assert small.dtick == 1 and small.tick0 == 0


def test_count_axes_leave_tick_spacing_to_plotly_when_counts_are_large():
    counts = pd.DataFrame({"period_start": pd.to_datetime(["2026-01-01", "2026-02-01"]), "group": ["SEV2", "SEV2"],
                           "incidents": [40, 75]})
    axis = charts.incidents_per_period(counts).layout.yaxis
    assert axis.tickformat == ",d" and axis.dtick is None


def test_legends_sit_between_the_title_and_the_plot_never_over_an_axis_title(con):
    for name, fig in figures(con, ALL).items():
        legend, title, height, top = fig.layout.legend, fig.layout.title, fig.layout.height, fig.layout.margin.t
        assert (legend.orientation, legend.yref, legend.yanchor, legend.x) == ("h", "container", "top", 0), name
        assert (title.yref, title.yanchor) == ("container", "top"), name
        if fig.layout.showlegend is False or len(fig.data) < 2:
            continue  # no legend drawn
        legend_top_px = (1 - legend.y) * height
        assert 30 <= legend_top_px and legend_top_px + charts.LEGEND_ROW_PX <= top, (name, legend_top_px, top)


def test_a_long_legend_gets_the_rows_it_needs_above_the_plot():
    trend = pd.DataFrame({"period_start": pd.to_datetime(["2026-01-01"] * 8), "theme_id": range(8),
                          "label": [f"certificate expiry and renewal theme {i}" for i in range(8)], "incidents": 1})
    fig = charts.themes_over_time(trend)
    rows_room = (fig.layout.margin.t - (1 - fig.layout.legend.y) * fig.layout.height) / charts.LEGEND_ROW_PX
    assert rows_room >= 3, "eight long names take several rows at half width"
    assert fig.layout.height - fig.layout.margin.t >= 420 - 60, "the plot keeps its height"


# -- never more than six lines in one chart: a split by team is small multiples or a team x period heatmap --

TEAMS = [f"Team {i}" for i in range(9)]


def by_nine_teams(frame: pd.DataFrame, column: str = "group") -> pd.DataFrame:
    """The fixture's all-incidents rows, once per team of nine (as a split by team on the sample gives)."""
    return pd.concat([frame.assign(**{column: team}) for team in TEAMS], ignore_index=True)


def lines_per_panel(fig) -> dict:
    """Visible lines (scatter traces drawn with a line) per subplot."""
    panels: dict = {}
    for trace in fig.data:
        if trace.type == "scatter" and "lines" in (trace.mode or "") and trace.line.width != 0:
            key = (trace.xaxis or "x", trace.yaxis or "y")
            panels[key] = panels.get(key, 0) + 1
    return panels


def test_no_chart_draws_more_than_six_lines_in_one_panel(con):
    trend = by_nine_teams(metrics.response_time_trend(con, ALL, "month", None, ["duration_min"]))
    split = {
        "response_trend": charts.response_trend(trend, "Time to recover", show_mean=True),
        "by_severity": charts.response_trend(
            metrics.response_time_trend(con, ALL, "month", "severity", ["duration_min"]), "Time to recover"),
        "off_hours": charts.off_hours_trend(by_nine_teams(metrics.off_hours(con, ALL, "quarter", None))),
        "engineers": charts.engineers_trend(by_nine_teams(metrics.participants(con, ALL, "quarter", None))),
        "reviews": charts.review_trend(by_nine_teams(payments_reviews(con), "team")),
        "rates": charts.action_rates(metrics.action_item_summary(con, ALL, AS_OF, ("priority",), "quarter")),
    }
    for name, fig in {**figures(con, ALL), **split}.items():
        assert all(n <= charts.MAX_LINES for n in lines_per_panel(fig).values()), (name, lines_per_panel(fig))
    panels = lines_per_panel(split["response_trend"])
    assert len(panels) == 9, "one panel per team"
    assert [a.text for a in split["response_trend"].layout.annotations][:9] == TEAMS


def test_charts_split_into_panels_copy_their_empty_panels_and_never_change_them(con):
    """The empty panels of a split are made once (charts._panels) and copied: a chart drawn twice is the
    same chart, and the kept panels hold no trace, shape or target line from either."""
    trend = by_nine_teams(metrics.response_time_trend(con, ALL, "month", None, ["duration_min"]))
    targets = {"median": 35.0, "p90": 120.0}
    first = charts.response_trend(trend, "Time to recover", targets=targets)
    second = charts.response_trend(trend, "Time to recover", targets=targets)
    assert first.to_json() == second.to_json() and first.layout.shapes
    kept = charts._panels(tuple(TEAMS), 3)
    assert "data" not in kept and "shapes" not in kept["layout"] and "template" not in kept["layout"]
    assert [a["text"] for a in kept["layout"]["annotations"]] == TEAMS
    assert "title" not in kept["layout"] and "height" not in kept["layout"]
    assert first.layout.template == go.Figure().layout.template  # the default, as every figure has


@pytest.mark.parametrize("max_cols", [2, 3])
def test_a_trace_given_its_panels_axes_lands_where_row_and_col_put_it(max_cols):
    """Charts split into panels add their traces in one call, each carrying its panel's axes
    (charts._on_panel): the same panel plotly's row/col lookup gives, for every count of panels."""
    for count in range(1, 8):
        names = [f"panel {i}" for i in range(count)]
        by_row_col = charts._small_multiples(names, max_cols)
        for index in range(count):
            by_row_col.add_scatter(x=[1], y=[index], row=index // max_cols + 1, col=index % max_cols + 1)
        carried = charts._small_multiples(names, max_cols)
        carried.add_traces([{"type": "scatter", "x": [1], "y": [index], **charts._on_panel(index)}
                            for index in range(count)])
        assert [(t.xaxis, t.yaxis) for t in carried.data] == [(t.xaxis, t.yaxis) for t in by_row_col.data]
    assert charts._on_panel(None) == {}


def payments_reviews(con) -> pd.DataFrame:
    summary = metrics.review_summary(con, ALL, AS_OF)
    return summary[summary["team"] == "Payments"]


def test_a_split_by_team_of_a_share_is_a_heatmap_with_n_in_each_cell(con):
    fig = charts.review_trend(by_nine_teams(payments_reviews(con), "team"), span=(date(2025, 1, 1), date(2025, 6, 30)))
    heatmap = fig.data[0]
    assert len(fig.data) == 1 and heatmap.type == "heatmap" and list(heatmap.y) == TEAMS
    assert list(heatmap.x) == ["2025 Q1", "2025 Q2"]
    assert heatmap.text[0][0] == "50%<br>1 of 2"  # Team 0, 2025 Q1: like Payments (A LGTM'd, B not)
    assert heatmap.colorbar.tickformat == ".0%" and (heatmap.zmin, heatmap.zmax) == (0, 1)
    shares = charts.off_hours_trend(by_nine_teams(metrics.off_hours(con, ALL, "quarter", None)),
                                    span=(date(2025, 1, 1), date(2025, 9, 30)))
    assert list(shares.data[0].x) == ["2025 Q1", "2025 Q2", "2025 Q3"]
    assert pd.isna(shares.data[0].z[0][2]) and shares.data[0].text[0][2] == "", "no incident: an empty cell, not 0%"
    assert shares.data[0].hovertext[0][2] == "Team 0, 2025 Q3: no incident gives its start time"
    engineers = charts.engineers_trend(by_nine_teams(metrics.participants(con, ALL, "quarter", None)))
    assert engineers.data[0].type == "heatmap" and "n=" in engineers.data[0].text[0][0]


def test_a_zero_share_cell_is_coloured_apart_from_an_empty_one(con):
    fig = charts.review_trend(by_nine_teams(payments_reviews(con), "team"), span=(date(2025, 1, 1), date(2025, 6, 30)))
    lowest = fig.data[0].colorscale[0][1]
    red, green, blue = (int(v) for v in lowest.strip("rgb()").split(","))
    # An empty cell shows the white page; "0 of 1" takes the scale's lowest colour.
    assert max(255 - red, 255 - green, 255 - blue) >= 30, lowest


def test_impact_by_team_leaves_room_for_its_unknown_labels():
    impact = pd.DataFrame({"group": ["Payments", "Platform"], "patient_impact_min": [1200.0, 300.0],
                           "patient_impact_min_unknown": [3, 0]})
    fig = charts.impact_by_group(impact)
    bar = fig.data[0]
    assert list(bar.text) == ["", "3 unknown"]  # sorted smallest first: Platform, then Payments
    assert bar.cliponaxis is False
    assert fig.layout.xaxis.range[1] > 1200 * 1.2
