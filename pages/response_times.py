"""Response times: MTTx trends with their spread, where the time goes, and the distribution."""

import streamlit as st

from pm_analytics import charts, metrics, ui

view = ui.page("Response times", "Are we detecting, responding and recovering faster? Medians lead; p90 shows the tail.")

left, middle, right, far = st.columns([2, 2, 3, 2])
with left:
    period = ui.control("radio", "Per", ["month", "quarter"], "period", "month", horizontal=True)
with middle:
    by = ui.control("radio", "Split by", ["all", "severity", "team"], "by", "all", horizontal=True)
with right:
    metric = ui.control("selectbox", "Time", list(metrics.RESPONSE_METRICS), "metric", "duration_min",
                        format_func=metrics.RESPONSE_METRICS.get)
with far:
    show_mean = ui.control("toggle", "Show mean", [], "mean", False)
ui.stop_if_empty(view)

label = metrics.RESPONSE_METRICS[metric]
trend = ui.get(view, "response_time_trend", view.filters, period, None if by == "all" else by, [metric])
ui.chart(charts.response_trend(trend, label, period, show_mean, view.settings.time_targets(metric), ui.span(view)),
         "trend")
st.caption("Hollow markers: fewer than 5 incidents report this time in that bucket, too few to trust. "
           "n = incidents with a value. Shaded: a period the date range covers only in part.")
ui.excluded_note(view)

stats = ui.get(view, "response_time_stats", view.filters)
ui.table(stats, "stats", view, {"label": "Time", "median": "Median", "p90": "90th percentile",
                                "n": "Incidents with a value", "unknown": "Unknown", "mean": "Mean", "min": "Min",
                                "max": "Max"},
         file_name="response_times", minute_columns=("median", "p90", "mean", "min", "max"))

breakdown = ui.get(view, "time_breakdown", view.filters, "quarter", "severity")
ui.chart(charts.time_breakdown_chart(breakdown, "quarter", ui.span(view)), "breakdown")

spread = ui.get(view, "distribution", view.filters, metric)
ui.chart(charts.distribution_by_severity(spread, label), "distribution", view, clickable=True)
st.caption("Boxes: quartiles and 1.5 × IQR whiskers over every incident. Dots: outliers and a fixed sample of "
           "up to 300 incidents per severity; click one to open it.")
