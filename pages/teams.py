"""Teams: which teams carry the load, recover slowest, and leave follow-ups open."""

import streamlit as st

from pm_analytics import metrics, ui

view = ui.page("Teams", "Which teams carry the load, and which recover slowest?")
sort_by = ui.control("selectbox", "Sort by", list(metrics.TEAM_SORTS), "sort", "incidents",
                     format_func=metrics.TEAM_SORTS.get)
ui.stop_if_empty(view)

teams = ui.get(view, "team_table", view.filters, view.as_of, sort_by=sort_by)
ui.team_headline(metrics.team_highlights(teams))
st.caption("An incident with several teams counts once for each of them, so the rows add up to more than the "
           "incidents in these filters. Open a team to see the overview filtered to it.")
ui.team_table(view, teams)
ui.excluded_note(view)
