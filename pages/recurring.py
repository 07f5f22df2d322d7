"""Recurring incidents: what keeps happening, and whether the earlier follow-ups were done first."""

import streamlit as st

from pm_analytics import charts, insights, ui

view = ui.page("Recurring incidents", "What keeps happening? And when an incident repeats an earlier one, had "
                                      "the earlier post-mortem's P0/P1 action items been done?")
period = ui.control("radio", "Per", ["month", "quarter"], "period", "quarter", horizontal=True)
ui.stop_if_empty(view)
if ui.text_model_notice(view):
    st.stop()

report = ui.get(view, "recurrence_report", view.filters, ui.MAX_TABLE_ROWS)
st.markdown(f"**Did the earlier fixes work?** {report['answer']}")
ui.chart(charts.recurrence_by_team(report["by_team"]), "fixes")
st.caption("A repeat: a later incident whose post-mortem reads like an earlier one (TF-IDF similarity of title, impact, "
           f"what went wrong, why, timeline and action items ≥ {insights.RECURRENCE_TEXT_SIMILARITY}) and shares a team "
           "or an app. Counted by the teams they share. Shared words: what the two post-mortems have most in common.")
repeats = report["repeats"]
if repeats.empty:
    st.info("No incident in these filters repeats an earlier one.")
else:
    ui.table(repeats, "repeats", view,
             {"later_title": "Repeat", "later_date": st.column_config.DateColumn("On"), "earlier_title": "Repeats",
              "earlier_date": st.column_config.DateColumn("Earlier on"), "shared_terms": "Shared words",
              "shared_with": "Same team or app", "text_similarity": "Similarity",
              "status": "Earlier P0/P1 items (and what it says)", "p0_p1_open": "P0/P1 still open", "days_past_due": "Days past due",
              "done_before": "Items done before", "items": "Items"}, file_name="repeats", total_rows=report["total"],
             full=lambda: ui.get(view, "recurrences", view.filters))

st.subheader("Recurring themes")
ui.chart(charts.themes_over_time(ui.get(view, "theme_trend", view.filters, period), period, span=ui.span(view)), "themes")
ui.table(ui.get(view, "themes", view.filters), "theme_table", view,
         {"label": "Theme", "top_terms": "Top terms", "incidents": "Incidents",
          "first_seen": st.column_config.DateColumn("First"), "last_seen": st.column_config.DateColumn("Latest")},
         file_name="themes")
