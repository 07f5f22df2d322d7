"""Action items: are follow-ups done, and on time? What is overdue, and with whom?"""

import streamlit as st

from pm_analytics import charts, ui

view = ui.page("Action items", "Do we finish what post-mortems promise, within the template's deadlines "
                               "(P0 48 hours, P1 14 days, P2 28 days)?")
period = ui.control("radio", "Per", ["month", "quarter"], "period", "quarter", horizontal=True)
ui.stop_if_empty(view)

by_priority = ui.get(view, "action_item_summary", view.filters, view.as_of, ("priority",))
ui.table(by_priority, "by_priority", view,
         {"priority": "Priority", "total": "Items", "done": "Done", "open": "Open", "wontfix": "Won't fix",
          "completion_rate": "Completion", "done_on_time": "Done on time", "on_time_rate": "On-time rate",
          "overdue": "Overdue now", "open_age_days_median": "Median age of open items (days)"},
         file_name="action_items_by_priority", percent_columns=("completion_rate", "on_time_rate"))

trend = ui.get(view, "action_item_summary", view.filters, view.as_of, ("priority",), period)
ui.chart(charts.action_rates(trend, period, ui.span(view)), "rates")
ui.excluded_note(view)

st.subheader(f"Overdue as of {view.as_of:%Y-%m-%d}, most days overdue first")
overdue = ui.get(view, "overdue_items", view.filters, view.as_of, ui.MAX_TABLE_ROWS)
if overdue.empty:
    st.success("Nothing is overdue in these filters.")
else:
    ui.table(overdue, "overdue", view,
             {"title": "Post-mortem", "action_id": "Item", "priority": "Priority", "description": "Action item",
              "owner": "Owner", "ticket": "Ticket", "ticket_url": st.column_config.LinkColumn("Ticket link"),
              "due_at": st.column_config.DatetimeColumn("Due (UTC)", format="YYYY-MM-DD HH:mm"),
              "days_overdue": "Days overdue"},
             file_name="overdue_action_items", total_rows=ui.get(view, "headline", view.filters, view.as_of)[
                 "action_items_overdue"], full=lambda: ui.get(view, "overdue_items", view.filters, view.as_of))

left, right = st.columns(2)
with left:
    by_owner = ui.get(view, "action_item_summary", view.filters, view.as_of, ("owner",))
    ui.chart(charts.open_items_by(by_owner, "owner", "owner"), "open_by_owner")
with right:
    by_team = ui.get(view, "action_item_summary", view.filters, view.as_of, ("team",))
    ui.chart(charts.open_items_by(by_team, "team", "team"), "open_by_team")
