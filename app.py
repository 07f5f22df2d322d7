"""Overview: headline numbers against the previous period, incidents per month, the most harmful incidents.

Start with `make run` (or `streamlit run app.py`); PM_ANALYTICS_DATA names the data (default: data/).
"""

import streamlit as st

from pm_analytics import charts, ui
from pm_analytics.formatting import format_count, format_minutes

view = ui.page("Are we getting better at incidents?",
               "Headline numbers for the filtered period, each against the equally long period before it.")

cards = ui.get(view, "overview_cards", view.filters, view.as_of)
for column, card in zip(st.columns(4) + st.columns(3), cards):
    with column:
        ui.metric_card(card)
ui.excluded_note(view)

counts = ui.get(view, "incident_counts", view.filters, "month", "severity")
ui.chart(charts.incidents_per_period(counts, "month"), "incidents_per_month")

st.subheader("The five most harmful incidents")
st.caption("Ranked by patient impact-minutes: patients affected × time to recover.")
harmful = ui.get(view, "most_harmful", view.filters, 5)
if not ui.empty_state(view, harmful):
    for row in harmful.itertuples():
        ui.incident_link(view, row.incident_id, f"{row.title or row.incident_id} ({row.severity or 'severity unknown'}, "
                                                f"{row.incident_date:%Y-%m-%d})")
        st.caption(f"{format_count(row.patient_impact_min)} patient-minutes · {format_count(row.patients_affected)} "
                   f"patients · {format_count(row.clinics_affected)} clinics · down {format_minutes(row.duration_min)}")
