"""Review follow-through: are post-mortems reviewed, and how long does it take?"""

import streamlit as st

from pm_analytics import charts, ui

view = ui.page("Review follow-through", "Does every post-mortem get its reviewers' LGTM, and how long after the "
                                        "incident? Which are still waiting?")
period = ui.control("radio", "Per", ["month", "quarter"], "period", "quarter", horizontal=True)
ui.stop_if_empty(view)

report = ui.get(view, "waiting_report", view.filters, view.as_of, ui.MAX_TABLE_ROWS)
ui.review_headline(report)
summary, span = ui.get(view, "review_summary", view.filters, view.as_of, period), ui.span(view)
ui.chart(charts.review_trend(summary, period, span), "reviewed")
ui.table(summary, "review_summary", view,
         {"period_start": period.capitalize(), "team": "Team", "post_mortems": "Post-mortems",
          "fully_reviewed": "Fully reviewed", "fully_reviewed_share": "Share",
          "median_days_to_last_lgtm": "Median days to last LGTM"}, file_name="review_summary",
         percent_columns=("fully_reviewed_share",), period=period, span=span)

st.subheader(f"Waiting for review as of {view.as_of:%Y-%m-%d}, longest first")
waiting = report["waiting"]
if waiting.empty:
    st.success("Every post-mortem in these filters has all its reviewers' LGTM.")
else:
    ui.table(waiting, "waiting", view,
             {"title": "Post-mortem", "incident_date": st.column_config.DateColumn("Date"), "teams": "Teams",
              "reviewers": "Reviewers", "lgtm": "LGTM", "days_since_resolved": "Days since resolved"},
             file_name="waiting_for_review", total_rows=report["total"],
             full=lambda: ui.get(view, "waiting_for_review", view.filters, view.as_of))
