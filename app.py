"""Overview: headline numbers against the window before, incidents per month, the most harmful incidents.

Start with `make run` (or `streamlit run app.py`); PM_ANALYTICS_DATA names the data (default: data/).
"""

import streamlit as st

from pm_analytics import charts, ui
from pm_analytics.formatting import format_count, format_minutes

view = ui.page("Are we getting better at incidents?",
               "Headline numbers for the chosen window, each against the window before it "
               "(the quarter before, or the same quarter a year earlier, for the quarterly presets).")

cards = ui.get(view, "overview_cards", view.filters, view.as_of, previous=view.previous,
              data_since=view.settings.data_since, targets=view.settings.targets)
if cards[0]["value"] == 0:
    st.info("No post-mortems in this window. " + ui.EMPTY_HINT)
if cards[0]["value"] or cards[0]["previous"]:
    # None this window against some before is news (no SEV1 this quarter), not an empty page.
    for column, card in zip(ui.cards(len(cards)), cards):
        with column:
            ui.metric_card(card)
            if card["key"] == "overdue":
                ui.chase_link(view)
if cards[0]["value"]:
    ui.excluded_note(view)
    ui.download_review(view)

    counts = ui.get(view, "incident_counts", view.filters, "month", "severity")
    ui.chart(charts.incidents_per_period(counts, "month", ui.span(view)), "incidents_per_month")

    st.subheader("The five most harmful incidents")
    st.caption("Ranked by patient impact-minutes: patients affected × time to recover.")
    harmful = ui.get(view, "most_harmful", view.filters, 5)
    if not ui.empty_state(view, harmful):
        for row in harmful.itertuples():
            ui.incident_link(view, row.incident_id, f"{row.title or row.incident_id} "
                                                    f"({row.severity or 'severity unknown'}, {row.incident_date:%Y-%m-%d})")
            st.caption(f"{format_count(row.patient_impact_min)} patient-minutes · "
                       f"{format_count(row.patients_affected)} patients · {format_count(row.clinics_affected)} "
                       f"clinics · down {format_minutes(row.duration_min)}")
