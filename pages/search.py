"""Search every post-mortem's text."""

import streamlit as st

from pm_analytics import ui

view = ui.page("Search", "Find every post-mortem that mentions something: titles, impact summaries, findings "
                         "and action items.")
query = ui.control("text_input", "Search", [], "q", "", placeholder="e.g. certificate expiry")
if query.strip():
    ui.search_scope(view, query)
    matches = ui.get(view, "search", view.filters, query, ui.MAX_TABLE_ROWS)
    if matches.empty:
        st.info("Nothing in these filters mentions that.")
    ui.search_results(view, matches, query)
