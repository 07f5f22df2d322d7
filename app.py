"""pm-analytics dashboard: `streamlit run app.py` (data: PM_ANALYTICS_DATA, default data/)."""

import streamlit as st

from pm_analytics import datasource
from pm_analytics.store import list_incidents, load_summary, open_database

st.set_page_config(page_title="pm-analytics", layout="wide")


@st.cache_resource(show_spinner="Loading post-mortems…")
def _connection(path: str):
    source = datasource.resolve(path or None)
    datasource.refresh(source)
    return open_database(source.db_path)


con = _connection("")
summary = load_summary(con)
st.title("Post-mortems")
st.caption(f"{summary['loaded']} of {summary['files_seen']} files loaded · {summary['rejected']} rejected")
st.dataframe(list_incidents(con), hide_index=True)
