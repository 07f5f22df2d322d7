"""Data quality: what was loaded or rejected, every problem with file and line, what gets left empty."""

import streamlit as st

from pm_analytics import charts, ui

view = ui.page("Data quality", "Can we trust these numbers? Which post-mortems were rejected, and which "
                               "template fields do people leave empty?")
report = ui.get(view, "load_report", ui.MAX_TABLE_ROWS)
ui.load_counts(report)

st.subheader("Problems found while loading")
problems = report["problems"]
if problems.empty:
    st.success("Every file loaded without a warning.")
else:
    ui.table(problems, "problems", view,
             {"source_path": "File", "line": "Line", "level": "Level", "field": "Field", "message": "Problem",
              "status": "File status"}, file_name="load_problems", height=420, optional_columns=("line", "field"),
             total_rows=report["problem_count"], full=lambda: ui.get(view, "load_report")["problems"])

st.subheader("Action items: post-mortems against the ticket tracker")
tracker = ui.get(view, "tracker_report", view.filters, ui.MAX_TABLE_ROWS)
if ui.tracker_counts(tracker):
    for which, title in (("disagree", "Document and tracker disagree"), ("not_in_export", "Ticket in no export")):
        if not tracker[which].empty:
            st.markdown(f"**{title}**")
            ui.table(tracker[which], f"tracker_{which}", view, ui.TRACKER_COLUMNS, file_name=f"tracker_{which}",
                     total_rows=tracker["counts"][which],
                     full=lambda which=which: ui.get(view, "tracker_items", view.filters, which))

drills = ui.get(view, "excluded_list", view.filters, ui.MAX_TABLE_ROWS)
if not drills.empty:
    st.subheader("Left out of every statistic as drills or tests")
    ui.table(drills, "excluded_drills", view, {"title": "Title", "incident_date": "Date", "exclude_reason": "Why",
                                      "source_path": "File"}, file_name="drills")

fields = ui.get(view, "field_completeness", view.filters)
left, right = st.columns(2)
with left:
    ui.chart(charts.field_gaps(fields), "field_gaps")
with right:
    ui.chart(charts.completeness_by_team_chart(ui.get(view, "completeness_by_team", view.filters)), "teams")

st.subheader("Completeness per post-mortem, least complete first")
scores = ui.get(view, "completeness_by_incident", view.filters, ui.MAX_TABLE_ROWS)
if not ui.empty_state(view, scores):
    ui.table(scores, "completeness", view, {"title": "Title", "completeness": "Fields filled",
                                            "empty_fields": "Not filled in", "source_path": "File"},
             file_name="completeness", percent_columns=("completeness",))
