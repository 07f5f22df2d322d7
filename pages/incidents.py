"""Incidents: every post-mortem in the filters, searchable and sortable; each row opens its page."""

import streamlit as st

from pm_analytics import ui

SORTS = {
    "incident_date": "Date", "severity": "Severity", "duration_min": "Time to recover",
    "time_to_detect_min": "Time to detect", "patients_affected": "Patients affected",
    "patient_impact_min": "Patient impact-minutes", "title": "Title",
}

view = ui.page("Incidents", "Every post-mortem in the filters. Click a row (or its id) to open the incident.")
search_col, sort_col, order_col = st.columns([4, 2, 1])
with search_col:
    search = ui.control("text_input", "Search titles, summaries, findings, action items and teams", [], "q", "",
                        placeholder="e.g. certificate")
with sort_col:
    sort_by = ui.control("selectbox", "Sort by", list(SORTS), "sort", "incident_date", format_func=SORTS.get)
with order_col:
    ascending = ui.control("toggle", "Ascending", [], "asc", False)

drills = view.filters.include_excluded  # drills are listed only when the sidebar includes them, as counted
incidents = ui.get(view, "incident_list", view.filters, search, sort_by, not ascending, drills, ui.MAX_TABLE_ROWS)
total = ui.matching_count(view, search)
st.caption(f"{total:,} post-mortems" + (f" matching “{ui.escape_markdown(search)}”" if search else "") +
           ". Unknown values read “unknown” and sort last.")
ui.excluded_note(view)
if not ui.empty_state(view, incidents):
    ui.table(incidents, "incidents", view,
             {"incident_date": st.column_config.DateColumn("Date", format="YYYY-MM-DD"), "severity": "Severity",
              "duration_min": "Time to recover", "time_to_detect_min": "Time to detect",
              "patients_affected": "Patients affected", "title": st.column_config.TextColumn("Title", width="medium"),
              "teams": "Teams", "action_items_done": "Action items done", "action_items_total": "Action items",
              "exclude_from_metrics": st.column_config.CheckboxColumn("Drill")},
             file_name="incidents", minute_columns=("duration_min", "time_to_detect_min"),
             count_columns=("patients_affected",), height=640, total_rows=total,
             full=lambda: ui.get(view, "incident_list", view.filters, search, sort_by, not ascending, drills))
