"""Blast radius: clinics, providers and patients affected over time, impact-minutes, apps affected."""

import streamlit as st

from pm_analytics import charts, ui

view = ui.page("Blast radius", "How much harm do incidents do, to whom, and through which apps?")

left, right = st.columns(2)
with left:
    period = ui.control("radio", "Per", ["month", "quarter"], "period", "month", horizontal=True)
with right:
    measure = ui.control("radio", "Count", list(charts.BLAST_LABELS), "measure", "patients_affected",
                         format_func=charts.BLAST_LABELS.get, horizontal=True)
ui.stop_if_empty(view)

blast = ui.get(view, "blast_radius", view.filters, period)
ui.chart(charts.blast_over_time(blast, measure, period, ui.span(view)), "blast_over_time")
st.caption("Bars add up only the incidents that report the count; ✕ marks how many incidents left it unknown.")
ui.excluded_note(view)

left, right = st.columns(2)
with left:
    impact = ui.get(view, "impact_minutes", view.filters, None, "team")
    ui.chart(charts.impact_by_group(impact, "patient_impact_min"), "impact_patients")
    st.caption("Impact-minutes: people affected × time to recover. Incidents missing either are counted as unknown.")
with right:
    ui.chart(charts.impact_by_group(impact, "clinic_impact_min"), "impact_clinics")

ui.chart(charts.app_heatmap_chart(ui.get(view, "app_heatmap", view.filters)), "apps")

st.subheader("By severity")
ui.table(ui.get(view, "blast_radius", view.filters, None, "severity"), "by_severity", view,
         {"group": "Severity", "incidents": "Incidents", "clinics_affected_total": "Clinics",
          "clinics_affected_unknown": "Clinics unknown", "providers_affected_total": "Providers",
          "providers_affected_unknown": "Providers unknown", "patients_affected_total": "Patients",
          "patients_affected_unknown": "Patients unknown", "patients_affected_median": "Median patients"},
         file_name="blast_radius_by_severity",
         count_columns=("clinics_affected_total", "providers_affected_total", "patients_affected_total",
                        "patients_affected_median"))
