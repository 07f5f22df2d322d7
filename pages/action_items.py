"""Action items: are follow-ups done, and on time? What is overdue, and with whom?"""

import streamlit as st

from pm_analytics import charts, ui

view = ui.page("Action items", "Do we finish what post-mortems promise, within the template's deadlines "
                               "(P0 48 hours, P1 14 days, P2 28 days)?")
period = ui.control("radio", "Per", ["month", "quarter"], "period", "quarter", horizontal=True)
ui.stop_if_empty(view)

by_priority, trend, by_owner, by_team = ui.get(
    view, "action_item_summaries", view.filters, view.as_of,
    (("priority",), ("period_start", "priority"), ("owner",), ("team",)), period)


def rates() -> None:
    ui.table(by_priority, "by_priority", view,
             {"priority": "Priority", "total": "Items", "done": "Done", "completion_rate": "Completion",
              "due": f"Due by {view.as_of:%Y-%m-%d}", "due_done_on_time": "Of those, done on time",
              "on_time_rate": "On-time rate", "overdue": "Overdue now",
              "open_age_days_median": "Median age of open (days)", "open": "Open", "wontfix": "Won't fix"},
             file_name="action_items_by_priority", percent_columns=("completion_rate", "on_time_rate"))
    st.caption("On-time rate = of the items due, those done by their deadline; an open item past it counts as late.")
    ui.chart(charts.action_rates(trend, period, ui.span(view)), "rates")
    ui.excluded_note(view)


def who_to_chase() -> None:
    st.subheader(f"Who to chase: overdue as of {view.as_of:%Y-%m-%d}", anchor="chase")
    priorities = tuple(ui.control("pills", "Priority", ["P0", "P1", "P2"], "priority", ["P0", "P1"]))
    chase, summary = ui.get(view, "chase", view.filters, view.as_of, priorities, ui.MAX_TABLE_ROWS)
    if chase.empty:
        st.success(f"No {'/'.join(priorities) or 'chosen'} item is overdue in these filters.")
    else:
        ui.chase_headline(summary, priorities)
        st.caption("Grouped by the incident's team, then owner; most days overdue first within each.")
        ui.chase_list(view, chase, summary["items"], priorities)


# "Who to chase →" on the overview opens here on the list it names.
for section in ((who_to_chase, rates) if ui.opens_on("chase") else (rates, who_to_chase)):
    section()

left, right = st.columns(2)
with left:
    ui.chart(charts.open_items_by(by_owner, "owner", "owner"), "open_by_owner")
with right:
    ui.chart(charts.open_items_by(by_team, "team", "team"), "open_by_team")

ui.tracker_note(view)
