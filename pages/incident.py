"""One incident: every metric from its post-mortem, against the median of its severity."""

import streamlit as st

from pm_analytics import charts, ui

view = ui.page("Incident", None, show_title=False)
incident_id = st.query_params.get("id")
detail = ui.get(view, "incident_detail", incident_id, view.as_of) if incident_id else None
if detail is None:
    st.error(f"No post-mortem has the id “{ui.escape_markdown(incident_id)}”." if incident_id else
             "No incident chosen: open one from the Incidents page.")
    st.page_link("pages/incidents.py", label="All incidents", query_params=view.link_params)
    st.stop()

ui.incident_header(detail)
ui.incident_banner(view, detail)
ui.incident_metrics(detail)
ui.incident_sources(detail)
ui.chart(charts.phases_vs_median(detail["phases"], detail["peer_label"]), "phases")
ui.chart(charts.incident_timeline(detail["local"], detail["timeline_local"], detail["tz_label"]), "timeline")
ui.incident_sections(view, detail)
ui.related_section(view, incident_id)
