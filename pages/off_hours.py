"""Off-hours load: when incidents start, and how many engineers they pull in."""

import streamlit as st

from pm_analytics import charts, ui

view = ui.page("Off-hours load", "How often are people paged outside working hours, and how many engineers "
                                 "does an incident take? Times are each post-mortem's own local time.")
left, right = st.columns(2)
with left:
    period = ui.control("radio", "Per", ["month", "quarter"], "period", "quarter", horizontal=True)
with right:
    by = ui.control("radio", "Split by", ["all", "team"], "by", "all", horizontal=True)
ui.stop_if_empty(view)

ui.chart(charts.start_heatmap_chart(ui.get(view, "start_heatmap", view.filters)), "heatmap")
st.caption("Shaded: off hours, that is before 08:00 and from 19:00 on weekdays, and all weekend.")
group, span = (None if by == "all" else by), ui.span(view)
ui.chart(charts.off_hours_trend(ui.get(view, "off_hours", view.filters, period, group), period, span), "share")
ui.chart(charts.engineers_trend(ui.get(view, "participants", view.filters, period, group), period, span), "engineers")
ui.excluded_note(view)
