"""Severity calibration: is severity graded consistently with the harm done?"""

import streamlit as st

from pm_analytics import charts, ui

view = ui.page("Severity calibration", "Do our severities match the harm done? Incidents whose severity looks "
                                       "off against our own distribution, and does one team grade differently?")
ui.stop_if_empty(view)

left, right = st.columns(2)
with left:
    ui.chart(charts.distribution_by_severity(ui.get(view, "distribution", view.filters, "duration_min"),
                                             "Time to recover"), "duration", view, clickable=True)
with right:
    ui.chart(charts.distribution_by_severity(ui.get(view, "distribution", view.filters, "patients_affected"),
                                             "Patients affected", unit="patients"), "patients", view, clickable=True)
ui.chart(charts.distribution_by_severity(ui.get(view, "distribution", view.filters, "patient_impact_min"),
                                         "Patient impact-minutes", unit="patient-minutes"), "impact", view,
         clickable=True)
ui.excluded_note(view)

st.subheader("Severity that looks off")
st.caption("Against these filters' own medians of patient impact-minutes (patients × time to recover). "
           "Incidents with unknown impact are not judged.")
report = ui.get(view, "severity_report", view.filters, ui.MAX_TABLE_ROWS)
outliers = report["outliers"]
if outliers.empty:
    st.success("Every severity in these filters sits within the others' range.")
else:
    ui.table(outliers, "outliers", view,
             {"title": "Post-mortem", "incident_date": st.column_config.DateColumn("Date"), "severity": "Severity",
              "teams": "Teams", "patient_impact_min": "Patient impact-minutes", "duration_min": "Time to recover",
              "reason": "Why it looks off"}, file_name="severity_outliers", minute_columns=("duration_min",),
             count_columns=("patient_impact_min",), total_rows=report["total"],
             full=lambda: ui.get(view, "severity_outliers", view.filters))

by_team = ui.get(view, "severity_calibration_by_team", view.filters)
if not by_team.empty:
    st.subheader("By team")
    st.caption("Against the same medians, over all these filters' incidents. An incident with several teams counts "
               "once for each of them.")
    ui.table(by_team, "calibration_by_team", view,
             {"team": "Team", "looks_off_share": "Share that looks off", "graded_lower": "Graded lower than harm",
              "graded_higher": "Graded higher than harm", "judged": "Incidents judged"},
             file_name="severity_by_team", percent_columns=("looks_off_share",),
             count_columns=("graded_lower", "graded_higher", "judged"))
