"""Numbers -> plotly figures. Never calls Streamlit; every figure has a title and labelled axes.

Times are in minutes in the data and read as ``1 h 05 min`` on screen: time
axes get tick labels from :func:`~pm_analytics.formatting.format_minutes`.
Any text from a post-mortem is HTML-escaped before it reaches a figure.

Time axes name their periods as people say them ("Jan 2026", "2026 Q1") and show every period of
the view's ``span`` (:func:`~pm_analytics.periods.view_span`): a count is 0 where nothing happened,
a statistic of nothing is a gap. A period the span covers only in part says so on its tick and in
its hover ("2025 Q4, Dec only") and is drawn apart: hatched, lighter bars, a shaded band behind lines.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.basedatatypes import BasePlotlyType
from plotly.colors import get_colorscale, sample_colorscale
from plotly.subplots import make_subplots

from pm_analytics import periods as _periods
from pm_analytics.formatting import escape_html, format_count, format_minutes, format_minutes_tick, format_percent
from pm_analytics.metrics import RECURRENCE_STATUSES

SEVERITY_COLORS = {"SEV1": "#c0392b", "SEV2": "#e67e22", "SEV3": "#f1c40f", "Unknown": "#95a5a6"}
PHASE_COLORS = {
    "time_to_detect_min": "#636efa", "time_to_respond_min": "#00cc96", "time_to_understand_min": "#ab63fa",
    "time_to_solution_min": "#ffa15a", "time_to_full_recovery_min": "#19d3f3",
    "time_to_partial_recovery_min": "#b6e880", "duration_min": "#7f7f7f",
}
# Heatmap scales spelled out: plotly's check turned a name into these, and a name left for the browser
# would be plotly.js's own scale of that name, another one.
BLUES, REDS = get_colorscale("Blues"), get_colorscale("Reds")
# Blues from a visible tint up, for grids whose empty cells mean "nothing to go on": at its palest end,
# Blues is the page's white, and a 0% cell ("0 of 1") could pass for an empty one.
TINTED_BLUES = [[i / 8, colour] for i, colour in enumerate(sample_colorscale(BLUES, [0.2 + 0.8 * i / 8 for i in range(9)]))]
PALETTE = ("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880", "#ff97ff", "#fecb52")
# Every figure's look: plotly_white, for what these charts draw. As plotly's default, each new figure takes it
# as it is made, without validating and deep-copying the whole template again, which given to update_layout
# cost about 35 ms a figure (40 % of building the dashboard's figures, measured on tests/test_charts.py's
# twenty).
DRAWN_TRACES = ("bar", "box", "heatmap", "scatter")
UNDRAWN_SUBPLOTS = ("geo", "polar", "scene", "ternary")
TEMPLATE = "pm_analytics"


def _template(base: str) -> go.layout.Template:
    """``base`` without its defaults for what no chart here draws: other trace types, and 3D, polar, map and
    ternary plots. Each figure carries its template: copied as the figure is made, copied again as Streamlit
    sends it, and sent. Whole, plotly_white is 7.2 of the 7.3 KB of a small chart; trimmed, 2.4 KB, and a
    figure is made and sent in a third of the time (2.1 ms against 0.7 ms, less of it with Python's lock held
    while other viewers' page runs wait). What plotly.js draws is the same: it applies a template's trace
    defaults to traces of that type, and its subplot defaults to subplots of that kind."""
    full = pio.templates[base].to_plotly_json()
    return go.layout.Template(
        data={kind: full["data"][kind] for kind in DRAWN_TRACES if kind in full["data"]},
        layout={key: value for key, value in full["layout"].items() if key not in UNDRAWN_SUBPLOTS})


pio.templates[TEMPLATE] = _template("plotly_white")
pio.templates.default = TEMPLATE

# Plotly's own toolbar gives "Download plot as PNG"; the logo and editing links are noise.
PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}

# Lines one chart (or one panel of small multiples) may hold: past this nobody can follow them, so a
# split by team becomes small multiples, or a team x period heatmap with n in each cell.
MAX_LINES = 6

_TICK_STEPS_MIN = (1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440, 2880, 4320, 10080)


# The top of every figure, in pixels: the title, then the legend (horizontal, wrapping), then the plot.
# A legend there never covers an axis title or tick labels, whatever the figure's height.
TITLE_PX = 40
LEGEND_ROW_PX = 24
SUBPLOT_TITLE_PX = 26
# Room a legend row is assumed to have: a chart in half of a 1440-pixel-wide page. Wider charts fit more
# per row and keep a little empty space; narrower ones would wrap onto the plot, so err on the narrow side.
LEGEND_WIDTH_PX = 520


def _figure(data=None) -> go.Figure:
    """A figure that takes what it is given (traces, layout, axes, shapes) as it is, without plotly checking
    every property and copying every array on the way in: a third to almost half of building most charts
    (``benchmarks/chart_cost.py``), paid on every page run. The check is not lost, only moved: the tests have
    plotly check every figure the charts make and compare what a page sends (``tests/test_charts.py``).

    The figure takes :data:`TEMPLATE` as plotly's default, made so again here: importing Streamlit's plotly
    support after this module makes Streamlit's own template the default."""
    if pio.templates.default != TEMPLATE:
        pio.templates.default = TEMPLATE
    return go.Figure(data, _validate=False)


def _legend_rows(fig: go.Figure) -> int:
    """How many rows the horizontal legend takes (estimated from its entries' names at 12 px text)."""
    if fig.layout.showlegend is False:
        return 0
    entries = [t.name for t in fig.data if t.type != "heatmap" and t.showlegend is not False and t.name]
    if not entries or (len(fig.data) == 1 and fig.layout.showlegend is not True):
        return 0
    rows, used = 1, 0
    for name in entries:
        width = 40 + 7 * len(name)
        if used and used + width > LEGEND_WIDTH_PX:
            rows, used = rows + 1, 0
        used += width
    return rows


def _set(obj, props: dict) -> None:
    """What ``obj.update(props)`` does with plain values and nested dicts: a nested dict merged into what
    the property holds (:func:`_merged`), and each property of ``obj`` assigned once.

    plotly's ``update`` (and ``update_layout``, ``update_xaxes``...) parses each key as a path and walks
    the property tree with it, and every value assigned to a part of a figure has plotly work out which
    change callbacks to call (parsing the path again): most of the time of building a figure's layout
    and axes. A property assigned whole is validated as much, and costs one of those, not one per value."""
    for key, value in props.items():
        if isinstance(value, dict) and isinstance(obj[key], BasePlotlyType):
            held = obj[key].to_plotly_json()
            obj[key] = _merged(held, value) if held else value
        else:
            obj[key] = value


def _merged(held: dict, new: dict) -> dict:
    """``new`` over ``held``, nested dicts merged key by key (as plotly's ``update`` merges them)."""
    merged = dict(held)
    for key, value in new.items():
        nested = isinstance(value, dict) and isinstance(held.get(key), dict)
        merged[key] = _merged(held[key], value) if nested else value
    return merged


def _set_axes(fig: go.Figure, letter: str, props: dict, **selector) -> None:
    """``fig.update_xaxes`` (``letter`` "x") or ``update_yaxes`` with ``selector`` (row, col, secondary_y),
    through :func:`_set`: each axis assigned once."""
    if selector:
        names = [axis.plotly_name for axis in (fig.select_xaxes if letter == "x" else fig.select_yaxes)(**selector)]
    else:
        names = _axis_names(fig, letter)
    _set(fig.layout, dict.fromkeys(names, props))


def _axis_names(fig: go.Figure, letter: str) -> list[str]:
    """Every x (``letter`` "x") or y axis of the figure, as ``fig.select_xaxes()`` names them: the first and
    those of its panels. plotly's select sorts all of the layout's few hundred property names (its
    natural order) on every call, which was 3 % of a page run's Python."""
    prefix = f"{letter}axis"
    return [prefix, *sorted((name for name in fig.layout._subplotid_props if name.startswith(prefix) and name != prefix),
                            key=lambda name: int(name[len(prefix):]))]


def _layout(fig: go.Figure, title: str, x_title: str | None, y_title: str | None, height: int = 380,
            panel_titles: bool = False) -> go.Figure:
    """Title, axis titles and the legend placed: the legend runs horizontally between the title and the
    plot (above any panel titles), with the top margin grown to hold it and the figure with it, so the
    plot keeps ``height - 60`` pixels."""
    top = TITLE_PX + LEGEND_ROW_PX * _legend_rows(fig) + (SUBPLOT_TITLE_PX if panel_titles else 0) + 12
    top = max(top, 60)
    total = height + top - 60
    _set(fig.layout, {
        "title": {"text": title, "x": 0, "xanchor": "left", "yref": "container", "y": 1, "yanchor": "top",
                  "pad": {"t": 14}},
        "height": total, "margin": {"l": 10, "r": 10, "t": top, "b": 10},
        "legend": {"orientation": "h", "yref": "container", "y": 1 - TITLE_PX / total, "yanchor": "top",
                   "x": 0, "xanchor": "left"},
        "hoverlabel": {"namelength": -1},
    })
    if x_title is not None:
        _set_axes(fig, "x", {"title": {"text": x_title}})
    if y_title is not None:
        _set_axes(fig, "y", {"title": {"text": y_title}})
    return fig


def minute_ticks(max_minutes: float, target: int = 6) -> tuple[list[float], list[str]]:
    """Tick positions (minutes) and their ``1 h 05 min`` labels for an axis running 0 .. ``max_minutes``."""
    if max_minutes is None or math.isnan(max_minutes) or max_minutes <= 0:
        max_minutes = 60
    step = next((s for s in _TICK_STEPS_MIN if max_minutes / s <= target), _TICK_STEPS_MIN[-1])
    values = [step * i for i in range(int(max_minutes // step) + 2)]
    return values, [format_minutes_tick(v) for v in values]


def _time_axis(fig: go.Figure, max_minutes: float, axis: str = "y", **selector) -> None:
    values, labels = minute_ticks(max_minutes)
    _set_axes(fig, axis, {"tickvals": values, "ticktext": labels, "rangemode": "tozero"}, **selector)


def _count_ticks(top) -> dict:
    """Tick settings for a count: whole numbers (",d"), and a step of 1 or 2 while the counts are small,
    where plotly would otherwise tick at 0.5. Larger counts get plotly's own (whole-number) steps."""
    top = 0 if top is None or pd.isna(top) else float(top)
    if top <= 6:
        return {"tickformat": ",d", "dtick": 1, "tick0": 0}
    if top <= 12:
        return {"tickformat": ",d", "dtick": 2, "tick0": 0}
    return {"tickformat": ",d"}


def _count_axis(fig: go.Figure, top, axis: str = "y", **selector) -> None:
    """A count axis from 0 with whole-number ticks (no "0.5 incidents"); ``top`` is the largest count shown."""
    _set_axes(fig, axis, {"rangemode": "tozero", **_count_ticks(top)}, **selector)


def empty_figure(title: str, message: str = "No post-mortems match these filters") -> go.Figure:
    fig = _figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 14})
    _set_axes(fig, "x", {"visible": False})
    _set_axes(fig, "y", {"visible": False})
    return _layout(fig, title, None, None, height=260)


def _period_label(period: str) -> str:
    return {"month": "Month", "quarter": "Quarter"}.get(period, "Period")


def _period_axis(period: str, span, starts) -> pd.DataFrame:
    """The periods a time axis shows: every one of ``span`` (or, without it, from the data's first to its last)."""
    return _periods.axis(period, span, starts)


def _period_xaxis(fig: go.Figure, axis: pd.DataFrame, **selector) -> None:
    """Periods as categories in time order, each tick named ("2026 Q1"), a partial one with its part below."""
    _set_axes(fig, "x", {"type": "category", "categoryorder": "array", "categoryarray": list(axis["label"]),
                         "tickmode": "array", "tickvals": list(axis["label"]),
                         "ticktext": [f"{name}<br>{part}" if partial else name
                                      for name, part, partial in zip(axis["label"], axis["part"], axis["partial"])]},
              **selector)


def _panels_in_use(fig: go.Figure, subplots: bool) -> list[tuple[str, str]]:
    """(x axis, y axis) of every panel something is drawn in, row by row: the panels plotly's
    ``add_vrect``/``add_hline`` put a shape in when told "every panel". A figure without panels has one."""
    if not subplots:
        return [("x", "y")]
    grid = sorted((int(name[5:] or 1), _axis_ref(name), _axis_ref(fig.layout[name].anchor or "y"))
                  for name in fig.layout.to_plotly_json() if name.startswith("xaxis"))
    used = {(trace.xaxis or "x", trace.yaxis or "y") for trace in fig.data}
    for kind in ("shapes", "annotations", "images"):
        used |= {(item.xref or "x", item.yref or "y") for item in fig.layout[kind]}
    return [(x, y) for _, x, y in grid if (x, y) in used]


def _axis_ref(name: str) -> str:
    """An axis's name as shapes and traces refer to it: xaxis2 -> x2 (a reference such as y2 stays)."""
    return name[0] + name[5:] if name[1:5] == "axis" else name


def _add_layout_items(fig: go.Figure, shapes: list[dict] = (), annotations: list[dict] = ()) -> None:
    """Shapes and annotations added in one assignment: ``add_vrect``, ``add_hline``, ``add_annotation`` and
    the like validate every shape and annotation already there again (once per panel, for the first two),
    which made a figure's bands, target lines or "0" marks cost more than its data."""
    update = {}
    if shapes:
        update["shapes"] = [*fig.layout.shapes, *shapes]
    if annotations:
        update["annotations"] = [*fig.layout.annotations, *annotations]
    if update:
        _set(fig.layout, update)


def _shade_partial(fig: go.Figure, axis: pd.DataFrame, subplots: bool = False) -> None:
    """A light band behind each period the span covers only in part, so a line's partial point stands apart;
    with panels, in each one that has something drawn in it (as ``add_vrect(row="all", col="all")``)."""
    panels = _panels_in_use(fig, subplots)
    _add_layout_items(fig, [
        {"type": "rect", "x0": position - 0.5, "x1": position + 0.5, "xref": x, "y0": 0, "y1": 1,
         "yref": f"{y} domain", "fillcolor": "#7f7f7f", "opacity": 0.12, "layer": "below", "line": {"width": 0}}
        for position, partial in enumerate(axis["partial"]) if partial for x, y in panels])


def _bar_marker(color: str, partial) -> dict:
    """Bars of partial periods hatched and lighter, so a part-quarter does not pass for a whole one."""
    partial = list(partial)
    return {"color": color, "opacity": [0.55 if p else 1.0 for p in partial],
            "pattern": {"shape": ["/" if p else "" for p in partial], "fillmode": "overlay", "fgcolor": "white",
                        "size": 6}}


def _solid_first(part: pd.DataFrame) -> pd.DataFrame:
    """A trace's bars with whole periods first: plotly draws a legend swatch like the trace's first bar,
    and a hatched swatch would say "partial" about the whole series. The axis keeps time order."""
    return part.sort_values("partial", kind="stable")


def _panel_grid(count: int, max_cols: int) -> tuple[int, int]:
    cols = min(count, max_cols)
    return -(-count // cols), cols


def _small_multiples(names: list[str], max_cols: int = 3, traces: list[dict] = ()) -> go.Figure:
    """One panel per name (escaped as its title), ``max_cols`` to a row, y shared so panels compare, holding
    ``traces`` (each placed in its panel by :func:`_on_panel`)."""
    return _figure({**_panels(tuple(escape_html(n) for n in names), max_cols), "data": list(traces)})


@functools.lru_cache(maxsize=64)
def _panels(titles: tuple[str, ...], max_cols: int) -> dict:
    """The empty figure of :func:`_small_multiples` as the dict plotly builds a figure from (layout and
    subplot grid), made once per set of panels and copied (never changed): ``make_subplots`` and the
    shared scale take about 165 ms for twenty panels. Its layout is kept without the template, so each
    copy takes the default one as it is made; a copy of the whole figure validated the template again
    (13 of the 20 ms a copy of twenty panels took, 11 of 13 for three)."""
    rows, cols = _panel_grid(len(titles), max_cols)
    fig = make_subplots(rows=rows, cols=cols, shared_yaxes=True, shared_xaxes=True, subplot_titles=titles,
                        horizontal_spacing=0.04, vertical_spacing=0.32 / rows if rows > 1 else 0.1)
    _set_axes(fig, "y", {"matches": "y"})  # one scale across rows too, not just within each
    layout = fig.layout.to_plotly_json()
    del layout["template"]
    return {"layout": layout, "_grid_ref": fig._grid_ref, "_grid_str": fig._grid_str}


def _on_panel(index: int | None) -> dict:
    """The axes of panel ``index`` of :func:`_small_multiples` (0 first, row by row) as a trace names them,
    or {} for a figure without panels: where ``row`` and ``col`` put a trace. Traces that carry their axes
    are given to the figure as it is made (:func:`_small_multiples`): each ``add_bar``/``add_scatter`` call
    costs about 0.8 ms more than its trace in one call, and ``row``/``col`` another 0.5 ms looking the panel
    up in plotly's grid."""
    if index is None:
        return {}
    number = "" if index == 0 else str(index + 1)
    return {"xaxis": f"x{number}", "yaxis": f"y{number}"}


def _panel_axis_titles(fig: go.Figure, count: int, max_cols: int, x_title: str | None, y_title: str | None) -> None:
    """Axis titles once: y on the first panel of each row, x under the lowest panel of each column. The axes
    are named as :func:`_on_panel` names them, all set in one assignment: looking each one up by row and
    column walked and sorted every axis of the figure, per panel."""
    cols = _panel_grid(count, max_cols)[1]
    update = {}
    for index in range(count):
        axes = _on_panel(index)
        if index % cols == 0 and y_title:
            update["yaxis" + axes["yaxis"][1:]] = {"title": {"text": y_title}}
        if index + cols >= count and x_title:
            update["xaxis" + axes["xaxis"][1:]] = {"title": {"text": x_title}, "showticklabels": True}
    _set(fig.layout, update)


def _group_order(groups) -> list:
    """Groups in a stable reading order: severities by rank, teams by name, "(no team)" last."""
    return sorted(dict.fromkeys(groups), key=lambda g: (str(g).startswith("("), g not in SEVERITY_COLORS, str(g)))


def _group_heatmap(data: pd.DataFrame, group_column: str, value_column: str, axis: pd.DataFrame, text, hover,
                   value_format: str, zrange: tuple[float, float] | None = None, empty: str = "no incident") -> go.Figure:
    """Group (rows) x period (columns) of a share or mean, each cell with its value and n (``text(row)``);
    a cell with nothing to go on stays empty (unknown, not 0) and its hover says why (``empty``). Partial
    periods are outlined."""
    groups = _group_order(data[group_column])
    placed = _periods.on_axis_by(data, group_column, axis)
    z, texts, hovers = [], [], []
    for group in groups:
        part = placed[group]
        part[group_column] = group
        known = part[value_column].notna()
        rows = list(part.itertuples())  # once per group: each pass takes every column out of the frame
        z.append([v if ok else None for v, ok in zip(part[value_column], known)])
        texts.append([text(row) if ok else "" for row, ok in zip(rows, known)])
        hovers.append([hover(row) if ok else f"{escape_html(group)}, {row.full_label}: {empty}"
                       for row, ok in zip(rows, known)])
    fig = _figure([dict(
        type="heatmap",
        z=z, x=list(axis["label"]), y=[escape_html(g) for g in groups], text=texts, texttemplate="%{text}",
        hovertext=hovers, hoverinfo="text", colorscale=TINTED_BLUES, xgap=2, ygap=2,
        **({"zmin": zrange[0], "zmax": zrange[1]} if zrange else {}),
        colorbar={"tickformat": value_format, "thickness": 12})])
    _period_xaxis(fig, axis)
    _set_axes(fig, "x", {"showgrid": False})
    _set_axes(fig, "y", {"autorange": "reversed", "type": "category", "showgrid": False})
    _add_layout_items(fig, [
        {"type": "rect", "x0": position - 0.5, "x1": position + 0.5, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
         "fillcolor": "rgba(0,0,0,0)", "layer": "above", "line": {"color": "#7f7f7f", "width": 1.5, "dash": "dot"}}
        for position, partial in enumerate(axis["partial"]) if partial])
    return fig


def _zero_marks(fig: go.Figure, axis: pd.DataFrame, totals) -> None:
    """A "0" over each period where nothing happened (an empty slot could pass for missing data)."""
    _add_layout_items(fig, annotations=[
        {"x": name, "y": 0, "text": "0", "showarrow": False, "yshift": 8, "font": {"size": 10, "color": "#7f7f7f"}}
        for name, total in zip(axis["label"], totals) if total == 0])


# -- overview -----------------------------------------------------------------

def incidents_per_period(counts: pd.DataFrame, period: str = "month", span=None) -> go.Figure:
    """Stacked bars: incidents per period by severity (``counts``: period_start, group, incidents), every
    period of ``span`` shown (0 where nothing happened)."""
    title = f"Incidents per {period} by severity"
    if counts.empty:
        return empty_figure(title)
    axis = _period_axis(period, span, counts["period_start"])
    totals = 0
    placed = _periods.on_axis_by(counts[["group", "period_start", "incidents"]], "group", axis, {"incidents": 0})
    bars = []
    for severity in sorted(placed, key=lambda s: (s not in SEVERITY_COLORS, s)):
        part = placed[severity]
        totals = totals + part["incidents"].to_numpy()
        part = _solid_first(part)
        bars.append({"type": "bar", "x": part["label"], "y": part["incidents"], "name": severity,
                     "marker": _bar_marker(SEVERITY_COLORS.get(severity, "#95a5a6"), part["partial"]),
                     "hovertext": [f"{p}: {n} {severity} incidents"
                                   for p, n in zip(part["full_label"], part["incidents"])],
                     "hoverinfo": "text"})
    fig = _figure(bars)
    fig.layout.barmode = "stack"
    _period_xaxis(fig, axis)
    _zero_marks(fig, axis, totals)
    _count_axis(fig, max(totals))
    return _layout(fig, title, _period_label(period), "Incidents (count)")


# -- response times -----------------------------------------------------------

def _runs(known) -> list[list[int]]:
    """Positions of consecutive known values, run by run (a band is drawn per run, never across a gap)."""
    runs: list[list[int]] = []
    for position, ok in enumerate(known):
        if ok and runs and runs[-1][-1] == position - 1:
            runs[-1].append(position)
        elif ok:
            runs.append([position])
    return runs


def _band_outlines(part: pd.DataFrame, runs: list[tuple[int, int]]) -> dict[str, list]:
    """x and y of the band from median to p90: one closed outline per run of known periods (the rows
    ``start:stop`` of ``part``; along p90, back along the median), runs apart (None between them), so that
    a panel's band is one ``fill="toself"`` trace. Two "tonexty" traces per run made a chart split by
    team per month hold 740 traces and take about 2 s to build."""
    labels, p90, median = (part[column].tolist() for column in ("label", "p90", "median"))
    x: list = []
    y: list = []
    for start, stop in runs:
        if x:
            x.append(None)
            y.append(None)
        x += labels[start:stop] + labels[start:stop][::-1]
        y += p90[start:stop] + median[start:stop][::-1]
    return {"x": x, "y": y}


def _small(flag) -> bool:
    """A bucket too small to trust; a period with no bucket at all counts as small (it has no marker)."""
    return pd.isna(flag) or bool(flag)


def response_trend(trend: pd.DataFrame, label: str, period: str = "month", show_mean: bool = False,
                   targets: dict[str, float] | None = None, span=None) -> go.Figure:
    """Median per period with the band up to the 90th percentile; hollow markers where a bucket is too
    small to trust, and the bucket size in the hover and under each point. Every period of ``span`` is on
    the axis; one where no incident reports the time is a gap. Split by severity or team, each group gets
    its own panel (small multiples on one scale), never a tangle of lines in one. ``targets`` (statistic ->
    minutes, from ``pm-analytics.toml``) are drawn as dashed lines, in every panel."""
    title = f"{label}: median and 90th percentile per {period}"
    data = trend.dropna(subset=["median"])
    if data.empty:
        return empty_figure(title, "No incident in these filters reports this time")
    axis = _period_axis(period, span, trend["period_start"])
    groups = _group_order(data["group"])
    panels = len(groups) > 1
    placed = _periods.on_axis_by(trend, "group", axis, {"incidents": 0, "n": 0})
    traces = []
    for index, group in enumerate(groups):
        part = placed[group]
        known = part["median"].notna()
        color = SEVERITY_COLORS.get(group) or PALETTE[0]
        name = label if group == "All" else str(group)
        where = _on_panel(index if panels else None)
        hover = [
            f"{escape_html(name)}, {p}<br>median {format_minutes(m)} · p90 {format_minutes(q)}"
            f"<br>mean {format_minutes(a)}<br>n = {n} of {i} incidents" + (" (too few to trust)" if _small(small) else "")
            for p, m, q, a, n, i, small in zip(part["full_label"], part["median"], part["p90"], part["mean"],
                                              part["n"], part["incidents"], part["small_sample"])
        ]
        runs = _runs(known)
        alone = {run[0] for run in runs if len(run) == 1}  # a band needs two points: a whisker to p90 instead
        bands = [(run[0], run[-1] + 1) for run in runs if len(run) > 1]
        if bands:
            traces.append(dict(**_band_outlines(part, bands), type="scatter", mode="lines", line={"width": 0},
                               fill="toself", fillcolor="rgba(99,110,250,0.15)", name="median to p90",
                               hoverinfo="skip", legendgroup="band", showlegend=index == 0, **where))
        traces.append(dict(
            type="scatter", x=part["label"], y=part["median"], mode="lines+markers+text",
            name="median" if panels else f"{name} median", legendgroup="median", showlegend=index == 0,
            line={"color": color, "width": 2}, text=[f"n={n}" if ok else "" for n, ok in zip(part["n"], known)],
            textposition="bottom center", textfont={"size": 9, "color": "#7f7f7f"},
            marker={"size": 9 if not panels else 7, "color": ["white" if _small(s) else color for s in part["small_sample"]],
                    "line": {"color": color, "width": 2}},
            hovertext=hover, hoverinfo="text", **where,
            error_y={"type": "data", "symmetric": False, "width": 0, "thickness": 6, "color": "rgba(99,110,250,0.25)",
                     "array": [q - m if i in alone else None for i, (m, q) in enumerate(zip(part["median"], part["p90"]))],
                     "arrayminus": [0] * len(part)},
        ))
        if show_mean:
            traces.append(dict(type="scatter", x=part["label"], y=part["mean"], mode="lines",
                               name="mean" if panels else f"{name} mean", legendgroup="mean", showlegend=index == 0,
                               line={"color": color, "dash": "dash", "width": 1}, hoverinfo="skip", **where))
    fig = _small_multiples(groups, traces=traces) if panels else _figure(traces)
    top = data[["p90", "median"] + (["mean"] if show_mean else [])].max().max()
    _target_lines(fig, targets, subplots=panels)
    _time_axis(fig, max([top, *(targets or {}).values()]))
    _period_xaxis(fig, axis)
    _shade_partial(fig, axis, subplots=panels)
    if not panels:
        return _layout(fig, title, _period_label(period), label)
    _panel_axis_titles(fig, len(groups), 3, _period_label(period), label)
    rows = _panel_grid(len(groups), 3)[0]
    return _layout(fig, title, None, None, height=60 + 250 * rows, panel_titles=True)


TARGET_COLOR = "#2ca02c"


def _target_lines(fig: go.Figure, targets: dict[str, float] | None, subplots: bool = False) -> None:
    """A dashed line per target (statistic -> minutes), labelled on the left; with panels, in each one that
    has something drawn in it (as ``add_hline``)."""
    panels = _panels_in_use(fig, subplots)
    lines, labels = [], []
    for statistic, minutes in sorted((targets or {}).items()):
        name = "median" if statistic == "median" else statistic
        for x, y in panels:
            lines.append({"type": "line", "x0": 0, "x1": 1, "xref": f"{x} domain", "y0": minutes, "y1": minutes,
                          "yref": y, "line": {"dash": "dash", "color": TARGET_COLOR, "width": 1.5}})
            labels.append({"text": f"target {name} ≤ {format_minutes(minutes)}", "showarrow": False, "x": 0,
                           "xanchor": "left", "xref": f"{x} domain", "y": minutes, "yanchor": "bottom", "yref": y,
                           "font": {"color": TARGET_COLOR, "size": 11}})
    _add_layout_items(fig, lines, labels)


def time_breakdown_chart(breakdown: pd.DataFrame, period: str = "quarter", span=None) -> go.Figure:
    """Where the time goes: stacked median minutes of each phase, per period, one panel per group (two to
    a row, so period names stay readable). Every period of ``span`` keeps its place; one where no incident
    reports its phases is left empty."""
    title = f"Where the time goes: median minutes in each phase per {period}"
    data = breakdown.dropna(subset=["median_min"])
    if data.empty:
        return empty_figure(title, "No incident in these filters reports its phases")
    axis = _period_axis(period, span, breakdown["period_start"])
    groups = _group_order(data["group"])
    bars = _phases_on_axis(data, axis)
    # Whole periods first, as _solid_first orders a trace's bars (the axis keeps time order).
    order = np.argsort(axis["partial"].to_numpy(bool), kind="stable")
    x, partial, full_labels = (axis[column].to_numpy()[order] for column in ("label", "partial", "full_label"))
    traces = []
    for index, group in enumerate(groups):
        for phase, (label, medians, counts) in bars[group].items():
            medians, counts = medians[order], counts[order]
            traces.append(dict(
                type="bar", x=x, y=medians, name=label, legendgroup=phase, showlegend=index == 0,
                marker=_bar_marker(PHASE_COLORS.get(phase), partial),
                hovertext=[f"{escape_html(group)}, {p}<br>{label}: median {format_minutes(m)} (n = {n})"
                           for p, m, n in zip(full_labels, medians, counts)],
                hoverinfo="text", **_on_panel(index),
            ))
    fig = _small_multiples(groups, max_cols=2, traces=traces)
    fig.layout.barmode = "stack"
    stacked_top = data.groupby(["group", "period_start"])["median_min"].sum().max()
    _time_axis(fig, stacked_top)
    _period_xaxis(fig, axis)
    _panel_axis_titles(fig, len(groups), 2, None, "Median time")
    rows = _panel_grid(len(groups), 2)[0]
    return _layout(fig, title, None, None, height=60 + 260 * rows, panel_titles=True)


def _phases_on_axis(data: pd.DataFrame, axis: pd.DataFrame) -> dict[str, dict[str, tuple]]:
    """Per group, per phase (in the order the rows name them): the phase's label and, for every period of
    ``axis``, its median minutes (NaN where none) and n (0 where none), as :func:`periods.on_axis` gives
    them, in one pass over the rows instead of one ``on_axis`` per bar."""
    slots = pd.DatetimeIndex(axis["period_start"].astype("datetime64[ns]")).get_indexer(
        pd.to_datetime(data["period_start"]).astype("datetime64[ns]"))
    count_type = data["n"].dtype if pd.api.types.is_integer_dtype(data["n"].dtype) else np.float64
    bars: dict[str, dict[str, tuple]] = {}
    for group, phase, label, slot, median, n in zip(data["group"], data["phase"], data["label"], slots,
                                                     data["median_min"], data["n"]):
        one = bars.setdefault(group, {}).setdefault(
            phase, (label, np.full(len(axis), np.nan), np.zeros(len(axis), count_type)))
        if slot >= 0:
            one[1][slot], one[2][slot] = median, n
    return bars


def distribution_by_severity(distribution: dict, label: str, unit: str = "minutes") -> go.Figure:
    """Box per severity over every incident, with a stable sample of incidents (outliers first) as
    dots; click a dot to open the incident. ``distribution`` is :func:`metrics.distribution`'s result;
    ``unit`` is ``minutes`` (time axis) or a count's noun (log axis, counts span orders of magnitude)."""
    title = f"{label}: spread per severity (dots are incidents)"
    show = format_minutes if unit == "minutes" else (lambda v: f"{format_count(v)} {unit}")
    stats, points = distribution["stats"], distribution["points"]
    if stats.empty:
        return empty_figure(title, "No incident in these filters reports this time")
    order = sorted(stats["severity"], key=lambda s: (s not in SEVERITY_COLORS, s))
    traces = []
    for position, severity in enumerate(order):
        box = stats[stats["severity"] == severity].iloc[0]
        color = SEVERITY_COLORS.get(severity, "#95a5a6")
        traces.append(dict(type="box", x=[position], q1=[box.q1], median=[box["median"]], q3=[box.q3],
                           lowerfence=[box.lower_fence], upperfence=[box.upper_fence], name=severity,
                           marker={"color": color}, boxpoints=False, hoverinfo="skip", width=0.6))
        dots = points[points["severity"] == severity]
        jitter = [((hash_fraction(i) - 0.5) * 0.5) for i in dots["incident_id"]]
        traces.append(dict(
            type="scatter", x=[position + j for j in jitter], y=dots["value"], mode="markers",
            name=f"{severity} incidents",
            marker={"color": color, "size": 6, "opacity": 0.7, "line": {"width": 0.5, "color": "white"}},
            customdata=dots["incident_id"],
            hovertext=[f"{escape_html(t)}<br>{show(v)}" for t, v in zip(dots["title"], dots["value"])],
            hoverinfo="text",
        ))
    fig = _figure(traces)
    counts = dict(zip(stats["severity"], stats["n"]))
    _set_axes(fig, "x", {"tickvals": list(range(len(order))), "ticktext": [f"{s} (n={counts[s]:,})" for s in order]})
    if unit == "minutes":
        _time_axis(fig, stats["max"].max())
        y_title = label
    else:
        _set_axes(fig, "y", {"type": "log"})
        y_title = f"{label} ({unit}, log scale)"
    fig.layout.showlegend = False
    return _layout(fig, title, "Severity", y_title)


def hash_fraction(text: str) -> float:
    """A stable number in [0, 1) from a string, for jitter that does not move between runs."""
    import zlib

    return (zlib.crc32(str(text).encode()) % 10_000) / 10_000


# -- blast radius -------------------------------------------------------------

BLAST_LABELS = {"clinics_affected": "Clinics", "providers_affected": "Providers", "patients_affected": "Patients"}


def blast_over_time(blast: pd.DataFrame, measure: str, period: str = "month", span=None) -> go.Figure:
    """Total affected per period (known values only), with the incidents that left it unknown beside it;
    every period of ``span`` shown (0 where no incident happened)."""
    noun = BLAST_LABELS[measure]
    title = f"{noun} affected per {period}, with incidents that left it unknown"
    if blast.empty:
        return empty_figure(title)
    axis = _period_axis(period, span, blast["period_start"])
    counts = [f"{measure}_total", f"{measure}_known", f"{measure}_unknown", "incidents"]
    data = _periods.on_axis(blast[["period_start", *counts]], axis, dict.fromkeys(counts, 0))
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    _zero_marks(fig, axis, data["incidents"])
    data = _solid_first(data)
    fig.add_bar(x=data["label"], y=data[f"{measure}_total"], name=f"{noun} affected (known)",
                marker=_bar_marker("#636efa", data["partial"]),
                hovertext=[f"{p}: {format_count(t)} {noun.lower()} in {k} incidents; {u} unknown"
                           for p, t, k, u in zip(data["full_label"], data[f"{measure}_total"],
                                                 data[f"{measure}_known"], data[f"{measure}_unknown"])],
                hoverinfo="text", secondary_y=False)
    unknown = data[data[f"{measure}_unknown"] > 0]
    fig.add_scatter(x=unknown["label"], y=unknown[f"{measure}_unknown"], name="Incidents with the count unknown",
                    mode="markers", marker={"symbol": "x", "size": 10, "color": "#ef553b"},
                    hovertext=[f"{p}: {u} incidents with the count unknown"
                               for p, u in zip(unknown["full_label"], unknown[f"{measure}_unknown"])],
                    hoverinfo="text", secondary_y=True)
    _set_axes(fig, "y", {"title": {"text": f"{noun} affected (count)"}}, secondary_y=False)
    _count_axis(fig, data[f"{measure}_total"].max(), secondary_y=False)
    _set_axes(fig, "y", {"title": {"text": "Incidents with it unknown (count)"}, "showgrid": False}, secondary_y=True)
    _count_axis(fig, data[f"{measure}_unknown"].max(), secondary_y=True)
    _period_xaxis(fig, axis)
    return _layout(fig, title, _period_label(period), None)


def impact_by_group(impact: pd.DataFrame, measure: str = "patient_impact_min") -> go.Figure:
    """Horizontal bars of impact-minutes per team (or other group), largest first."""
    noun = "Patient" if measure.startswith("patient") else "Clinic"
    title = f"{noun} impact-minutes by team"
    data = impact.dropna(subset=[measure]).sort_values(measure)
    if data.empty:
        return empty_figure(title, "No incident in these filters reports both the count and the duration")
    fig = _figure([dict(
        type="bar",
        x=data[measure], y=[escape_html(g) for g in data["group"]], orientation="h", marker={"color": "#ef553b"},
        text=[f"{u} unknown" if u else "" for u in data[f"{measure}_unknown"]], textposition="outside",
        hovertext=[f"{escape_html(g)}: {format_count(v)} {noun.lower()}-minutes; {u} incident{'s' if u != 1 else ''} unknown"
                   for g, v, u in zip(data["group"], data[measure], data[f"{measure}_unknown"])],
        hoverinfo="text", cliponaxis=False,
    )])
    if data[f"{measure}_unknown"].any():
        _set_axes(fig, "x", {"range": [0, data[measure].max() * 1.3]})
    return _layout(fig, title, f"{noun} impact-minutes ({noun.lower()}s × minutes)", "Team",
                   height=max(300, 40 * len(data) + 120))


def app_heatmap_chart(grid: pd.DataFrame) -> go.Figure:
    """Incidents per audience x platform."""
    title = "Incidents by apps/APIs affected (audience × platform)"
    if grid.empty:
        return empty_figure(title, "No incident in these filters names the apps affected")
    fig = _figure([dict(
        type="heatmap",
        z=grid.to_numpy(), x=list(grid.columns), y=list(grid.index), colorscale=REDS, text=grid.to_numpy(),
        texttemplate="%{text}", hovertemplate="%{y} × %{x}: %{z} incidents<extra></extra>",
        colorbar={"title": {"text": "Incidents"}, **_count_ticks(grid.to_numpy().max())},
    )])
    return _layout(fig, title, "Platform", "Audience", height=320)


# -- action items -------------------------------------------------------------

def action_rates(summary: pd.DataFrame, period: str = "quarter", span=None) -> go.Figure:
    """Completion and on-time rates over time, a panel per priority (``summary`` by period_start and
    priority); a period without items is a gap."""
    title = f"Action items: completion and on-time rate per {period}, by priority"
    if summary.empty:
        return empty_figure(title)
    axis = _period_axis(period, span, summary["period_start"])
    priorities = list(dict.fromkeys(summary["priority"]))
    placed = _periods.on_axis_by(summary, "priority", axis, {"total": 0})
    traces = []
    for index, priority in enumerate(priorities):
        part = placed[priority]
        for column, dash, name, color in (("completion_rate", "solid", "done", PALETTE[0]),
                                          ("on_time_rate", "dot", "done on time", PALETTE[2])):
            traces.append(dict(
                type="scatter", x=part["label"], y=part[column], mode="lines+markers", name=name, legendgroup=name,
                showlegend=index == 0, line={"color": color, "dash": dash},
                hovertext=[f"{priority}, {p}: {format_percent(r)} {name} ({t} items)"
                           for p, r, t in zip(part["full_label"], part[column], part["total"])],
                hoverinfo="text", **_on_panel(index),
            ))
    fig = _small_multiples(priorities, max_cols=2, traces=traces)
    _set_axes(fig, "y", {"tickformat": ".0%", "range": [0, 1.05]})
    _period_xaxis(fig, axis)
    _shade_partial(fig, axis, subplots=True)
    _panel_axis_titles(fig, len(priorities), 2, _period_label(period), "Share of action items (%)")
    rows = _panel_grid(len(priorities), 2)[0]
    return _layout(fig, title, None, None, height=60 + 230 * rows, panel_titles=True)


def open_items_by(summary: pd.DataFrame, key: str, noun: str) -> go.Figure:
    """Open items per owner or team, split into overdue and not yet due, most first."""
    title = f"Open action items by {noun}"
    data = summary[summary["open"] > 0].sort_values(["open", key], ascending=[True, False]).tail(20)
    if data.empty:
        return empty_figure(title, "No open action items in these filters")
    labels = [escape_html(v) for v in data[key]]
    fig = _figure([
        {"type": "bar", "x": data["overdue"], "y": labels, "orientation": "h", "name": "Overdue",
         "marker": {"color": "#ef553b"}, "hovertemplate": "%{y}: %{x} overdue<extra></extra>"},
        {"type": "bar", "x": data["open"] - data["overdue"], "y": labels, "orientation": "h",
         "name": "Open, not yet due", "marker": {"color": "#636efa"},
         "hovertemplate": "%{y}: %{x} open, not yet due<extra></extra>"},
    ])
    fig.layout.barmode = "stack"
    _count_axis(fig, data["open"].max(), axis="x")
    return _layout(fig, title, "Open action items (count)", noun.capitalize(), height=max(300, 28 * len(data) + 140))


# -- one incident -------------------------------------------------------------

def phases_vs_median(phases: pd.DataFrame, peer_label: str) -> go.Figure:
    """This incident's minutes in each phase next to the median of its severity."""
    title = f"Each phase against the median for {escape_html(peer_label)}"
    data = phases[phases["minutes"].notna() | phases["severity_median"].notna()]
    if data.empty:
        return empty_figure(title, "This post-mortem reports no response times")
    labels = list(data["label"])
    fig = _figure([
        dict(type="bar", y=labels, x=data["minutes"], orientation="h", name="This incident",
             marker={"color": "#ef553b"},
             hovertext=[f"{l}: {format_minutes(m)}" for l, m in zip(labels, data["minutes"])], hoverinfo="text"),
        dict(type="bar", y=labels, x=data["severity_median"], orientation="h",
             name=f"Median, {escape_html(peer_label)}", marker={"color": "#b0b7ff"},
             hovertext=[f"{l}: median {format_minutes(m)} over {n} incidents"
                        for l, m, n in zip(labels, data["severity_median"], data["severity_n"])], hoverinfo="text"),
    ])
    fig.layout.barmode = "group"
    _set_axes(fig, "y", {"autorange": "reversed"})
    _time_axis(fig, pd.concat([data["minutes"], data["severity_median"]]).max(), axis="x")
    return _layout(fig, title, "Time", None, height=60 * len(data) + 140)


def incident_timeline(incident: dict, timeline: pd.DataFrame, tz_label: str) -> go.Figure:
    """Phases as bars from start to resolution, and the timeline's rows as markers, on the incident's clock.

    ``incident`` holds the phase timestamps already converted to local time;
    ``timeline`` has a local ``at`` column.
    """
    title = f"Timeline (times in {escape_html(tz_label)})"
    segments = []
    stamps = ("started_at", "detected_at", "responded_at", "understood_at", "solution_at", "resolved_at")
    names = ("Detect", "Respond", "Understand", "Solution", "Full recovery")
    for name, begin, end in zip(names, stamps, stamps[1:]):
        if incident.get(begin) is not None and incident.get(end) is not None:
            segments.append((name, incident[begin], incident[end]))
    events = timeline.dropna(subset=["at"]) if not timeline.empty else timeline
    if not segments and (events is None or events.empty):
        return empty_figure(title, "This post-mortem gives no times")
    colors = dict(zip(names, PHASE_COLORS.values()))
    traces = []
    for name, begin, end in segments:
        minutes = (end - begin).total_seconds() / 60
        traces.append(dict(type="bar", x=[(end - begin).total_seconds() * 1000], base=[begin], y=["Phases"],
                           orientation="h", name=name, marker={"color": colors[name]},
                           hovertext=f"{name}: {begin:%H:%M} → {end:%H:%M} ({format_minutes(minutes)})",
                           hoverinfo="text"))
    partial_begin, partial_end = incident.get("responded_at"), incident.get("partially_recovered_at")
    if partial_begin is not None and partial_end is not None:
        traces.append(dict(type="bar", x=[(partial_end - partial_begin).total_seconds() * 1000], base=[partial_begin],
                           y=["Partial recovery"], orientation="h", name="Partial recovery",
                           marker={"color": "#b6e880"}, hovertext=f"Partial recovery at {partial_end:%H:%M}",
                           hoverinfo="text"))
    if events is not None and not events.empty:
        traces.append(dict(type="scatter", x=events["at"], y=["Timeline"] * len(events), mode="markers",
                           name="Timeline rows", marker={"size": 12, "symbol": "diamond", "color": "#2a3f5f"},
                           hovertext=[f"{t:%Y-%m-%d %H:%M}: {escape_html(d)}"
                                      for t, d in zip(events["at"], events["description"])],
                           hoverinfo="text"))
    fig = _figure(traces)
    fig.layout.barmode = "overlay"
    _set_axes(fig, "x", {"type": "date", "tickformat": "%H:%M\n%b %d"})
    _set_axes(fig, "y", {"categoryorder": "array", "categoryarray": ["Timeline", "Partial recovery", "Phases"]})
    return _layout(fig, title, f"Time ({escape_html(tz_label)})", None, height=300)


# -- data quality -------------------------------------------------------------

def field_gaps(fields: pd.DataFrame, limit: int = 15) -> go.Figure:
    """The template fields most often not filled in: placeholder left vs missing, per field."""
    title = "Template fields most often left empty"
    data = fields[(fields["placeholder"] + fields["missing"]) > 0].head(limit).iloc[::-1]
    if data.empty:
        return empty_figure(title, "Every post-mortem fills every template field")
    fig = _figure([
        dict(type="bar", y=data["field"], x=data["missing"], orientation="h", name="Missing",
             marker={"color": "#ef553b"}, hovertemplate="%{y}: %{x} post-mortems leave it out<extra></extra>"),
        dict(type="bar", y=data["field"], x=data["placeholder"], orientation="h", name="Placeholder left",
             marker={"color": "#ffa15a"},
             hovertemplate="%{y}: %{x} post-mortems left the placeholder<extra></extra>"),
    ])
    fig.layout.barmode = "stack"
    _count_axis(fig, (data["missing"] + data["placeholder"]).max(), axis="x")
    return _layout(fig, title, "Post-mortems (count)", "Template field", height=28 * len(data) + 160)


def completeness_by_team_chart(teams: pd.DataFrame) -> go.Figure:
    title = "Completeness per team (template fields filled)"
    if teams.empty:
        return empty_figure(title)
    fig = _figure([dict(
        type="bar",
        x=teams["completeness"], y=[escape_html(t) for t in teams["team"]], orientation="h",
        marker={"color": "#00cc96"},
        hovertext=[f"{escape_html(t)}: {format_percent(c)} over {n} post-mortems"
                   for t, c, n in zip(teams["team"], teams["completeness"], teams["incidents"])],
        hoverinfo="text",
    )])
    _set_axes(fig, "x", {"tickformat": ".0%", "range": [0, 1]})
    return _layout(fig, title, "Template fields filled (%)", "Team", height=max(280, 32 * len(teams) + 140))


def clicked_incident(event) -> str | None:
    """The incident id of the first point selected in a chart event (points carry it as customdata)."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points or []:
        data = point.get("customdata")
        if isinstance(data, (list, tuple)):
            data = data[0] if data else None
        if data:
            return str(data)
    return None


# -- insights -----------------------------------------------------------------

def themes_over_time(trend: pd.DataFrame, period: str = "quarter", top: int = 8, span=None) -> go.Figure:
    """Incidents per theme and period (the ``top`` biggest themes), stacked; every period of ``span`` shown."""
    title = f"Recurring themes: incidents per {period}"
    if trend.empty:
        return empty_figure(title, "No themes among these post-mortems")
    axis = _period_axis(period, span, trend["period_start"])
    biggest = trend.groupby("label")["incidents"].sum().sort_values(ascending=False).head(top).index
    totals = _periods.on_axis(trend.groupby("period_start", as_index=False)["incidents"].sum(), axis,
                              {"incidents": 0})["incidents"]
    placed = _periods.on_axis_by(trend[trend["label"].isin(biggest)][["label", "period_start", "incidents"]], "label",
                                 axis, {"incidents": 0})
    bars = []
    for index, label in enumerate(biggest):
        part = _solid_first(placed[label])
        bars.append(dict(type="bar", x=part["label"], y=part["incidents"], name=escape_html(label),
                         marker=_bar_marker(PALETTE[index % len(PALETTE)], part["partial"]),
                         hovertext=[f"{p}: {n} incidents" for p, n in zip(part["full_label"], part["incidents"])],
                         hoverinfo="text+name"))
    fig = _figure(bars)
    fig.layout.barmode = "stack"
    _period_xaxis(fig, axis)
    _zero_marks(fig, axis, totals)
    _count_axis(fig, totals.max())
    return _layout(fig, title, _period_label(period), "Incidents (count)", height=420)


def recurrence_by_team(summary: pd.DataFrame) -> go.Figure:
    """Per team: recurrences after every P0/P1 item was done vs while some were still open."""
    title = "Did the fixes work? Repeats of an earlier incident, by the state of its P0/P1 items"
    if summary.empty:
        return empty_figure(title, "No incident in these filters repeats an earlier one")
    data = summary.iloc[::-1]
    # Neither outcome is good news: a repeat after the fix was done means it did not work (red); one while
    # the fix was still open is a follow-through gap (amber). Greys: nothing to judge.
    colors = ("#d62728", "#ff9f1c", "#b8b8b8", "#dedede")
    teams = [escape_html(t) for t in data["team"]]
    fig = _figure([dict(type="bar", x=data[status], y=teams, orientation="h", name=status, marker={"color": color},
                        hovertemplate="%{y}: %{x} repeats (" + status + ")<extra></extra>")
                   for status, color in zip(RECURRENCE_STATUSES, colors)])
    fig.layout.barmode = "stack"
    _count_axis(fig, data[list(RECURRENCE_STATUSES)].sum(axis=1).max(), axis="x")
    return _layout(fig, title, "Repeats (count)", "Team", height=max(300, 30 * len(data) + 160))


def start_heatmap_chart(grid: pd.DataFrame) -> go.Figure:
    """Incidents by weekday and hour of their start, on their own clock."""
    title = "When incidents start (weekday × hour, each post-mortem's own time zone)"
    if grid.empty or grid.to_numpy().sum() == 0:
        return empty_figure(title, "No incident in these filters gives its start time")
    fig = _figure([dict(
        type="heatmap",
        z=grid.to_numpy(), x=[f"{h:02d}:00" for h in grid.columns], y=list(grid.index), colorscale=BLUES,
        hovertemplate="%{y} %{x}: %{z} incidents<extra></extra>",
        colorbar={"title": {"text": "Incidents"}, **_count_ticks(grid.to_numpy().max())})])
    weekend = [i for i, day in enumerate(grid.index) if day in ("Sat", "Sun")]
    off_hours = [(x0, x1, 0, 1, "y domain") for x0, x1 in ((-0.5, 7.5), (18.5, 23.5))]  # before 08:00, from 19:00
    if weekend:  # and the weekend's daytime (its rows, on the category axis)
        off_hours.append((7.5, 18.5, min(weekend) - 0.5, max(weekend) + 0.5, "y"))
    _add_layout_items(fig, [
        {"type": "rect", "x0": x0, "x1": x1, "xref": "x", "y0": y0, "y1": y1, "yref": yref, "fillcolor": "grey",
         "opacity": 0.08, "line": {"width": 0}} for x0, x1, y0, y1, yref in off_hours])
    _set_axes(fig, "y", {"autorange": "reversed"})
    return _layout(fig, title, "Hour of day (local)", "Weekday", height=360)


def _line(data: pd.DataFrame, value_column: str, hover, axis: pd.DataFrame) -> go.Figure:
    """All incidents as one line over every period of ``axis`` (a gap where there is no value)."""
    part = _periods.on_axis(data.drop(columns="group"), axis)
    fig = _figure([dict(
        type="scatter", x=part["label"], y=part[value_column], mode="lines+markers", name="All incidents",
        line={"color": PALETTE[0]},
        hovertext=[hover(row) if not pd.isna(getattr(row, value_column)) else f"{row.full_label}: unknown"
                   for row in part.itertuples()], hoverinfo="text")])
    _period_xaxis(fig, axis)
    _shade_partial(fig, axis)
    return fig


def _heatmap_layout(fig: go.Figure, title: str, period: str, groups: int) -> go.Figure:
    return _layout(fig, title, _period_label(period), "Team", height=max(260, 34 * groups + 150))


def off_hours_trend(share: pd.DataFrame, period: str = "quarter", span=None) -> go.Figure:
    """Share of incidents starting off hours (outside 08:00-19:00 on weekdays) per period: a line for
    all incidents; split by team, a team x period heatmap with "k of n" in each cell."""
    title = f"Incidents starting off hours, per {period}"
    data = share.dropna(subset=["off_hours_share"])
    if data.empty:
        return empty_figure(title, "No incident in these filters gives its start time")
    axis = _period_axis(period, span, share["period_start"])
    if set(data["group"]) != {"All"}:
        fig = _group_heatmap(data, "group", "off_hours_share", axis,
                             lambda r: f"{r.off_hours_share:.0%}<br>{r.off_hours:.0f} of {r.known:.0f}",
                             lambda r: f"{escape_html(r.group)}, {r.full_label}: {r.off_hours:.0f} of {r.known:.0f} "
                                       "incidents off hours", ".0%", (0, 1), empty="no incident gives its start time")
        return _heatmap_layout(fig, title, period, data["group"].nunique())
    fig = _line(data, "off_hours_share",
                lambda r: f"{r.full_label}: {r.off_hours:.0f} of {r.known:.0f} incidents off hours", axis)
    _set_axes(fig, "y", {"tickformat": ".0%", "range": [0, 1.05]})
    return _layout(fig, title, _period_label(period), "Share starting off hours (%)")


def engineers_trend(participants: pd.DataFrame, period: str = "quarter", span=None) -> go.Figure:
    """Mean engineers involved per incident, per period: a line for all incidents; split by team, a
    team x period heatmap with the mean and n (incidents saying how many) in each cell."""
    title = f"Engineers involved per incident (mean), per {period}"
    data = participants.dropna(subset=["engineers_total_mean"])
    if data.empty:
        return empty_figure(title, "No incident in these filters says how many engineers were involved")
    axis = _period_axis(period, span, participants["period_start"])
    if set(data["group"]) != {"All"}:
        fig = _group_heatmap(data, "group", "engineers_total_mean", axis,
                             lambda r: f"{r.engineers_total_mean:.1f}<br>n={r.incidents - r.engineers_total_unknown:.0f}",
                             lambda r: f"{escape_html(r.group)}, {r.full_label}: {r.engineers_total_mean:.1f} engineers "
                                       f"per incident ({r.incidents - r.engineers_total_unknown:.0f} incidents say)",
                             ".1f", (0, data["engineers_total_mean"].max()), empty="no incident says")
        return _heatmap_layout(fig, title, period, data["group"].nunique())
    fig = _line(data, "engineers_total_mean",
                lambda r: f"{r.full_label}: {r.engineers_total_mean:.1f} engineers per incident "
                          f"({r.incidents:.0f} incidents)", axis)
    _set_axes(fig, "y", {"rangemode": "tozero"})
    return _layout(fig, title, _period_label(period), "Engineers per incident (mean)")


def review_trend(summary: pd.DataFrame, period: str = "quarter", span=None) -> go.Figure:
    """Share of post-mortems fully reviewed (every reviewer LGTM) per team and period, as a heatmap with
    "k of n" in each cell (empty where a team had no post-mortem)."""
    title = f"Post-mortems fully reviewed, per {period} and team"
    if summary.empty:
        return empty_figure(title)
    axis = _period_axis(period, span, summary["period_start"])
    fig = _group_heatmap(summary, "team", "fully_reviewed_share", axis,
                         lambda r: f"{r.fully_reviewed_share:.0%}<br>{r.fully_reviewed:.0f} of {r.post_mortems:.0f}",
                         lambda r: f"{escape_html(r.team)}, {r.full_label}: {r.fully_reviewed:.0f} of "
                                   f"{r.post_mortems:.0f} fully reviewed", ".0%", (0, 1), empty="no post-mortem")
    return _heatmap_layout(fig, title, period, summary["team"].nunique())
