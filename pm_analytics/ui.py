"""Streamlit glue every page shares: the data source and its caches, the sidebar (filters <-> URL
query parameters), navigation links, and small renderers. The only ``pm_analytics`` module that
imports Streamlit; pages call :func:`page` first and then only what is here, in
:mod:`~pm_analytics.metrics` and in :mod:`~pm_analytics.charts`.

Caching: the database is opened once per version (its path, mtime and size)
with ``st.cache_resource``; query results are cached with ``st.cache_data``
keyed on that version and the arguments, so changing a filter never re-reads
files, and a reload (a new database file) never serves stale numbers.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from pm_analytics import datasource, metrics, periods, report, targets
from pm_analytics.charts import PLOTLY_CONFIG, clicked_incident
from pm_analytics.filters import (
    PRESETS,
    Filters,
    RangeNote,
    comparison_range,
    from_query_params,
    resolve_range,
    to_query_params,
)
from pm_analytics.formatting import (
    EMPTY,
    UNKNOWN,
    chase_text,
    escape_markdown,
    format_completed,
    format_count,
    format_day,
    format_minutes,
    format_percent,
    highlight,
    incident_href,
    is_unknown,
    minutes_as_durations,
    page_href,
    percents,
    safe_csv,
    safe_url,
)
from pm_analytics import store
from pm_analytics.load import settle_heap
from pm_analytics.store import SCHEMA_VERSION, open_database, schema_version

NAV = (
    ("app.py", "Overview"),
    ("pages/response_times.py", "Response times"),
    ("pages/blast_radius.py", "Blast radius"),
    ("pages/action_items.py", "Action items"),
    ("pages/incidents.py", "Incidents"),
    ("pages/teams.py", "Teams"),
    ("pages/recurring.py", "Recurring incidents"),
    ("pages/severity.py", "Severity calibration"),
    ("pages/off_hours.py", "Off-hours load"),
    ("pages/reviews.py", "Review follow-through"),
    ("pages/search.py", "Search"),
    ("pages/data_quality.py", "Data quality"),
)
INCIDENT_PAGE = "pages/incident.py"
FILTER_KEYS = ("range", "from", "to", "until", "sev", "team", "audience", "platform", "drills")
MAX_TABLE_ROWS = 1000
# Post-mortems listed on the search page; more is a wall of text nobody reads (the CSV has them all).
SEARCH_POST_MORTEMS_SHOWN = 50
EMPTY_HINT = "Widen the date range or clear a filter in the sidebar."
EMPTY_MESSAGE = "No post-mortems match these filters. " + EMPTY_HINT


@dataclass(frozen=True)
class View:
    """What a page needs: the data version to query, the filter, "today", and the parameters links keep."""

    version: str
    filters: Filters
    preset: str
    as_of: date
    link_params: dict
    # The window the overview compares with (see :func:`~pm_analytics.filters.comparison_range`).
    previous: Filters | None = None
    # Targets and the data's first day, from pm-analytics.toml (see :mod:`pm_analytics.targets`).
    settings: targets.ProjectSettings = targets.ProjectSettings()


# -- data -----------------------------------------------------------------------

class _LoadJob:
    """One load of the folder, run on the process's loader thread so it finishes even if the viewer
    who asked for it leaves (a session that ends stops its script, and every viewer shares the data).

    ``usable`` is set once the new database is in place: viewers wait for that, not for the text model
    (related incidents, repeats, themes), which the same job computes next; ``future`` ends with both."""

    def __init__(self) -> None:
        self.done_files = 0
        self.total_files = 0
        self.future: Future | None = None
        self.usable = threading.Event()

    def tick(self, done: int, total: int) -> None:
        self.done_files, self.total_files = done, total

    @property
    def queued(self) -> bool:
        return self.future is not None and not self.future.running() and not self.future.done()


class _Loader:
    """One daemon thread running loads in the order asked. Daemon, so stopping the server does not
    wait for a load (a load cut short leaves the previous database in place)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._run, name="pm-analytics-load", daemon=True).start()

    def submit(self, function: Callable, *args) -> Future:
        future: Future = Future()
        self._queue.put((future, function, args))
        return future

    def _run(self) -> None:
        while True:
            future, function, args = self._queue.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(function(*args))
                except BaseException as exc:  # handed to the session waiting for it
                    future.set_exception(exc)


@st.cache_resource(show_spinner=False)
def _load_state() -> dict:
    """Per-process: the loader thread (one load at a time), each folder's latest load, and which loaded."""
    return {"lock": threading.Lock(), "loaded": set(), "jobs": {}, "loader": _Loader()}


# Two versions: the one pages read now, and the one a run that started before a reload still reads.
@st.cache_resource(show_spinner=False, max_entries=2)
def _connection(version: str):
    return open_database(version.split("|")[0])


def _start_or_join_load(source: datasource.DataSource, reload: bool) -> _LoadJob | None:
    """The load this run must wait for, started if needed: the first of the folder in this process,
    or a reload (joining one that is queued but not yet started). ``None``: read what is there."""
    state = _load_state()
    key = str(source.db_path)

    def finish(job: _LoadJob) -> None:
        result = datasource.refresh(source, progress=job.tick)
        state["loaded"].add(key)
        job.usable.set()
        if result is not None and result.pending is not None:
            result.pending.run()
        _settle_heap()

    with state["lock"]:
        job = state["jobs"].get(key)
        running = job is not None and not job.future.done()
        if (reload and not (job and job.queued)) or (key not in state["loaded"] and not running):
            job = _LoadJob()
            job.future = state["loader"].submit(finish, job)
            state["jobs"][key] = job
            return job
        if reload or (key not in state["loaded"] and running):
            return job
    return None


_heap_settled = threading.Event()


def _settle_heap() -> None:
    """Once per process, when its first data is in place (text model included), :func:`settle_heap`: what is
    alive then (the modules of Streamlit, pandas, plotly, DuckDB and scikit-learn, some 200,000 objects) is
    left out of Python's garbage collections from then on, and young objects are collected less often. A
    full collection walked all of it while every page run waited: six of about 0.28 s each while 20
    viewers opened their pages during a reload."""
    if _heap_settled.is_set():
        return
    _heap_settled.set()
    settle_heap()


def _wait_for(job: _LoadJob) -> None:
    """Until the job's database is in place (or the job failed: its error is raised here)."""
    bar = st.progress(0.0, text="Loading post-mortems…")
    try:
        while not job.usable.wait(timeout=0.2):
            if job.future.done():
                job.future.result()
                return
            if job.total_files:
                bar.progress(job.done_files / job.total_files,
                             text=f"Loading post-mortems: {job.done_files:,} of {job.total_files:,} files")
    finally:
        bar.empty()


def _text_model_failure(source: datasource.DataSource) -> BaseException | None:
    """The error that stopped this process's last load of the folder after its database was in place
    (while computing the text model), if it did."""
    job = _load_state()["jobs"].get(str(source.db_path))
    if job is None or not job.usable.is_set() or not job.future.done():
        return None
    return job.future.exception()


def _version_of(db_path) -> str:
    stat = db_path.stat()
    return f"{db_path}|{stat.st_mtime_ns}|{stat.st_size}"


def _data_version(reload: bool = False) -> str:
    """Make sure the data source is loaded (once per process, or again on reload) and name its version."""
    try:
        source = datasource.resolve()
    except OSError as exc:
        st.error(f"Cannot open the data source: {exc}")
        st.stop()
    if source.is_folder:
        job = _start_or_join_load(source, reload)
        if job is not None:
            _wait_for(job)
    elif not source.db_path.is_file():
        st.error(f"PM_ANALYTICS_DATA names {escape_markdown(str(source.path))}, which is neither a folder of "
                 "post-mortems nor a database file made by `pm-analytics load`.")
        st.stop()
    else:
        _settle_heap()
    version = _version_of(source.db_path)
    if not source.is_folder and (found := _schema_version(version)) != str(SCHEMA_VERSION):
        st.error(f"{escape_markdown(str(source.path))} was not written by this version of pm-analytics "
                 f"(its schema: {escape_markdown(str(found or 'none'))}; this version reads {SCHEMA_VERSION}). "
                 "Load the post-mortems into it again: `pm-analytics load <folder> --db <file>`.")
        st.stop()
    return version


@st.cache_data(show_spinner=False, max_entries=16)
def _schema_version(version: str) -> str | None:
    return schema_version(version.split("|")[0])


@st.cache_data(show_spinner=False, max_entries=1024)
def _query(version: str, name: str, call: str, _args: tuple, _kwargs: dict):
    """``call`` (:func:`_call_key`) stands for ``_args`` and ``_kwargs`` in the cache's key: Streamlit leaves
    a parameter named with an underscore out of it, and hashing a short string is cheaper than hashing the
    objects (its hasher walked each argument: about a twentieth of a page run's Python)."""
    return getattr(metrics, name)(_connection(version), *_args, **_kwargs)


def get(view: View | str, name: str, *args, **kwargs):
    """``metrics.<name>(con, *args, **kwargs)`` on the view's data, cached per data version and arguments."""
    version = view.version if isinstance(view, View) else view
    return _query(version, name, _call_key(args, kwargs), args, kwargs)


# What a metric's arguments are made of; their repr says all they hold (no address, no truncation).
_KEYED_TYPES = (str, int, float, bool, type(None), date, Filters)


def _call_key(args: tuple, kwargs: dict) -> str:
    """The arguments of a call written out (``repr``), checked to be of types whose repr is their value."""
    def check(value) -> None:
        if isinstance(value, (tuple, list)):
            for item in value:
                check(item)
        elif isinstance(value, dict):
            check(tuple(value.items()))
        elif not isinstance(value, _KEYED_TYPES):
            raise TypeError(f"ui.get cannot key its cache on a {type(value).__name__}: pass plain values")

    check(args)
    check(tuple(kwargs.values()))
    return repr((args, sorted(kwargs.items())))


# -- the URL ------------------------------------------------------------------

def _seed(keys: tuple[str, ...], values: dict) -> None:
    """Put URL-given values into widget state when the URL says something new (a link was opened).

    Otherwise the current values are written back as they are: Streamlit drops
    a widget's state when another page creates a widget with the same key, and
    a value the script set itself survives that.
    """
    url_now = {k: st.query_params.get(k) for k in keys}
    applied = st.session_state.setdefault("_url_applied", {})
    fresh = any(k not in st.session_state for k in values) or any(applied.get(k) != v for k, v in url_now.items())
    for key, value in values.items():
        st.session_state[key] = value if fresh else st.session_state[key]
    if fresh:
        applied.update(url_now)


def _publish(keys: tuple[str, ...], wanted: dict[str, str]) -> None:
    """Make the URL say ``wanted`` for ``keys`` (others untouched), so the view can be shared."""
    applied = st.session_state.setdefault("_url_applied", {})
    for key in keys:
        value = wanted.get(key)
        if st.query_params.get(key) != value:
            if value is None:
                del st.query_params[key]
            else:
                st.query_params[key] = value
        applied[key] = value


def control(kind: str, label: str, options: list, key: str, default, **kwargs):
    """A page's own control (``radio``, ``selectbox``, ``pills`` (several choices), ``toggle`` or
    ``text_input``) kept in the URL as ``key`` (several choices comma-separated, ``none`` for none)."""
    raw = st.query_params.get(key)
    if kind == "toggle":
        from_url = raw in ("1", "true") if raw is not None else default
    elif kind == "text_input":
        from_url = raw if raw is not None else default
    elif kind == "pills":
        from_url = [v for v in raw.split(",") if v in options] if raw is not None else list(default)
    else:
        from_url = raw if raw in options else default
    _seed((key,), {key: from_url})
    if kind == "pills":
        value = st.pills(label, options, selection_mode="multi", key=key, **kwargs)
    elif kind in ("radio", "selectbox"):
        value = {"radio": st.radio, "selectbox": st.selectbox}[kind](label, options, key=key, **kwargs)
    else:
        value = {"toggle": st.toggle, "text_input": st.text_input}[kind](label, key=key, **kwargs)
    if kind == "toggle":
        text = "1" if value else None
    elif kind == "pills":
        value = [v for v in options if v in (value or [])]
        text = None if value == list(default) else ",".join(value) or "none"
    else:
        text = str(value) if value not in (None, "") and value != default else None
    _publish((key,), {key: text})
    return value


def _as_of() -> date:
    raw = st.query_params.get("as_of")
    try:
        return date.fromisoformat(raw) if raw else date.today()
    except ValueError:
        return date.today()


# -- the page frame -------------------------------------------------------------

def page(title: str, question: str | None, show_title: bool = True) -> View:
    """Set up a page: config, data, the shared sidebar; returns the :class:`View` to query with."""
    st.set_page_config(page_title=f"{title} · pm-analytics", layout="wide")
    version = _data_version()
    as_of = _as_of()
    choices = get(version, "filter_choices")
    with st.sidebar:
        navigation = st.container()
        filters, preset, note = _filter_widgets(version, choices, as_of)
        link_params = to_query_params(filters, preset, _until())
        if st.query_params.get("as_of"):
            link_params["as_of"] = as_of.isoformat()
        with navigation:
            _navigation(link_params)
        summary = get(version, "load_summary")
        if st.button("Reload", key="reload", help="Read the post-mortem folder again to pick up changed files"):
            _data_version(reload=True)
            st.rerun()
        st.caption(f"{format_count(summary['loaded'])} post-mortems loaded from {format_count(summary['files_seen'])} "
                   f"files ({format_count(summary['rejected'])} rejected) at {_loaded_at(summary)}.")
        project = targets.load(datasource.resolve().path)
        if project.path is not None:
            st.caption(f"Targets and settings from {escape_markdown(str(project.path))}.")
        for problem in project.problems:
            st.warning(escape_markdown(problem), icon=":material/settings:")
    if show_title:
        st.title(title)
        st.caption(question)
    if note is not None:
        range_note(note)
    window = comparison_range(preset, filters.date_from, filters.date_to)
    previous = filters.with_dates(*window) if window else None
    return View(version, filters, preset, as_of, link_params, previous, project)


def range_note(note: RangeNote) -> None:
    """The note saying the range was anchored on the data (or holds none of it), with its one-click change."""
    with st.container(border=True):
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f":material/event_note: {note.text}")
        right.button(note.action_label, key="range_note_action", on_click=_replace_range, args=(note.action_params,))


def _replace_range(params: dict) -> None:
    for key in ("range", "from", "to", "until"):
        if key in st.query_params and key not in params:
            del st.query_params[key]
    for key, value in params.items():
        st.query_params[key] = value


def _until() -> date | None:
    raw = st.query_params.get("until")
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _filter_widgets(version: str, choices: dict, as_of: date) -> tuple[Filters, str, RangeNote | None]:
    url_filters, url_preset = from_query_params(st.query_params.to_dict(), as_of)
    lists = {"sev": ("severities", "Severity"), "team": ("teams", "Team"),
             "audience": ("audiences", "Audience"), "platform": ("platforms", "Platform")}
    seeded = {"range": url_preset, "drills": url_filters.include_excluded}
    for key, (field, _) in lists.items():
        seeded[key] = [v for v in getattr(url_filters, field) if v in choices[field]]
    first, last = choices["first_date"] or as_of, max(choices["last_date"] or as_of, as_of)
    seeded["dates"] = (url_filters.date_from or first, url_filters.date_to or last)
    _seed(FILTER_KEYS, seeded)

    st.header("Filters")
    preset = st.selectbox("Date range", list(PRESETS), format_func=PRESETS.get, key="range")
    picked = (None, None)
    if preset == "custom":
        chosen = st.date_input("From – to (incident start date)", key="dates", format="YYYY-MM-DD")
        picked = (tuple(chosen) + (None, None))[:2] if isinstance(chosen, (list, tuple)) else (chosen, None)
    picked_lists = {key: st.multiselect(label, choices[field], key=key, placeholder="All")
                    for key, (field, label) in lists.items()}
    include_drills = st.checkbox("Include drills and tests", key="drills",
                                 help="Post-mortems marked as drills are left out of every statistic unless ticked")

    def holds(date_from: date | None, date_to: date | None) -> bool:
        dated = Filters(date_from=date_from, date_to=date_to, include_excluded=include_drills)
        return get(version, "incident_count", dated, include_drills=include_drills) > 0

    until = _until()
    date_from, date_to, note = resolve_range(preset, picked, until, as_of, choices["last_date"], holds)
    filters = Filters(date_from=date_from, date_to=date_to, severities=tuple(picked_lists["sev"]),
                      teams=tuple(picked_lists["team"]), audiences=tuple(picked_lists["audience"]),
                      platforms=tuple(picked_lists["platform"]), include_excluded=include_drills)
    _publish(FILTER_KEYS, to_query_params(filters, preset, until))
    return filters, preset, note


def _navigation(link_params: dict) -> None:
    st.divider()
    for target, label in NAV:
        st.page_link(target, label=label, query_params=link_params)
    st.divider()


# -- renderers ------------------------------------------------------------------

def empty_state(view: View, frame: pd.DataFrame | None = None) -> bool:
    """Show the empty-filter message and return True when ``frame`` (or the whole selection) is empty."""
    empty = get(view, "selection_counts", view.filters)["incidents"] == 0 if frame is None else frame.empty
    if empty:
        st.info(EMPTY_MESSAGE)
    return empty


def matching_count(view: View, search: str = "") -> int:
    """How many incidents the view's filter (and ``search``) match, drills counted only when the filter
    includes them. Without a search this is the count :func:`empty_state` already asked for: no query."""
    if search:
        return get(view, "incident_count", view.filters, search, view.filters.include_excluded)
    return get(view, "selection_counts", view.filters)["incidents"]


def stop_if_empty(view: View) -> None:
    """End the page with the empty-filter message when no incident matches."""
    if empty_state(view):
        st.stop()


def excluded_note(view: View) -> None:
    left_out = get(view, "selection_counts", view.filters)["left_out"]
    if left_out:
        st.caption(f"{left_out} drill/test post-mortem{'s' if left_out != 1 else ''} left out of these numbers.")


def span(view: View) -> tuple[date, date] | None:
    """The days the view's time axes cover: its date range within the data (:func:`periods.view_span`)."""
    choices = get(view, "filter_choices")
    return periods.view_span(view.filters.date_from, view.filters.date_to, choices["first_date"],
                             choices["last_date"], view.as_of)


def chart(fig, key: str, view: View | None = None, clickable: bool = False) -> None:
    """A plotly figure with plotly's own toolbar (PNG download); clicking a point with an incident
    id as ``customdata`` opens that incident."""
    if clickable and view is not None:
        event = st.plotly_chart(fig, config=PLOTLY_CONFIG, width="stretch", key=key, on_select="rerun",
                                selection_mode="points")
        incident_id = clicked_incident(event)
        if incident_id:
            st.switch_page(INCIDENT_PAGE, query_params={"id": incident_id, **view.link_params})
    else:
        st.plotly_chart(fig, config=PLOTLY_CONFIG, width="stretch", key=key)


def table(frame: pd.DataFrame, key: str, view: View, columns: dict | None = None, file_name: str | None = None,
          height: int | str = "auto", minute_columns: tuple[str, ...] = (), percent_columns: tuple[str, ...] = (),
          count_columns: tuple[str, ...] = (), optional_columns: tuple[str, ...] = (), total_rows: int | None = None,
          full: Callable[[], pd.DataFrame] | None = None, max_rows: int = MAX_TABLE_ROWS, period: str | None = None,
          span: tuple[date, date] | None = None) -> None:
    """A table with a CSV download; rows with an ``incident_id`` link to the incident's page, and
    selecting a row opens it. ``columns`` maps column -> header (others are hidden).

    On screen, minute columns read ``1 hr, 5 min`` (the browser's words for a duration), percent and count
    columns ``83%`` and ``1,480``, each sorting by size when its header is clicked, and any missing value
    reads "unknown"; optional
    columns (a field that may be left empty) show a dash there instead (a link
    column: nothing). With ``period``, ``period_start`` reads ``2026 Q1``
    (``2025 Q4, Dec only`` where ``span`` covers part of it). At most ``max_rows`` rows are shown; the
    CSV (made only when asked for, from ``full()`` when given) has them all,
    with the raw numbers and, first, the ``incident_id`` (to match rows to a tracker or another export).
    """
    total = total_rows if total_rows is not None else len(frame)
    shown = frame.head(max_rows).copy()
    # Numbers stay numbers (a click on the header sorts them by size, not as text), read as the formats say.
    formats = {}
    for convert, display, names in ((minutes_as_durations, "localized", minute_columns),
                                    (percents, "%.0f%%", percent_columns), (None, "%,d", count_columns)):
        for column in names:
            shown[column] = convert(shown[column]) if convert else pd.to_numeric(shown[column], errors="coerce")
            formats[column] = display
    if period and "period_start" in shown.columns:
        shown["period_start"] = pd.Series(periods.labels(shown["period_start"], period, span), index=shown.index,
                                          dtype="str")
    for column in optional_columns:
        header = (columns or {}).get(column)
        link = isinstance(header, dict) and header.get("type_config", {}).get("type") == "link"
        shown[column] = shown[column].map(lambda v: ("" if link else EMPTY) if pd.isna(v) else str(v)).astype("str")
    config: dict = {}
    if "incident_id" in shown.columns:
        shown.insert(0, "link", [incident_href(i, view.link_params) for i in shown["incident_id"]])
        config["link"] = st.column_config.LinkColumn("Incident", display_text=r"id=([^&]*)",
                                                     help="Open the incident's page")
    order = ["link"] if "link" in shown.columns and "link" not in (columns or {}) else []
    if columns:
        order += [c for c in columns if c in shown.columns]
        for column, header in columns.items():
            if header is None:
                continue
            if isinstance(header, str):
                config.setdefault(column, st.column_config.NumberColumn(header, format=formats[column])
                                  if column in formats else header)
            else:
                config[column] = header
    for column, display in formats.items():
        config.setdefault(column, st.column_config.NumberColumn(format=display))
    event = st.dataframe(shown, hide_index=True, column_order=order or None, column_config=config, key=key,
                         placeholder=UNKNOWN,
                         on_select="rerun" if "incident_id" in shown.columns else "ignore",
                         selection_mode="single-row", height=height, width="stretch")
    if "incident_id" in shown.columns and event and event.selection.rows:
        chosen = shown.iloc[event.selection.rows[0]]["incident_id"]
        st.switch_page(INCIDENT_PAGE, query_params={"id": chosen, **view.link_params})
    if total > len(shown):
        st.caption(f"Showing the first {len(shown):,} of {total:,} rows; the CSV has them all.")

    st.download_button("Download CSV", lambda: table_csv(full() if full is not None else frame, columns),
                       file_name=f"{file_name or key}.csv", mime="text/csv", key=f"{key}_csv", on_click="ignore")


def table_csv(data: pd.DataFrame, columns: dict | None = None) -> bytes:
    """A table's CSV: the ``incident_id`` first where there is one (on screen it hides in the link, but a
    CSV row must be matched to the tracker or another export), then the shown columns, raw numbers."""
    wanted = (["incident_id"] if columns and "incident_id" not in columns else []) + list(columns or data.columns)
    return safe_csv(data[[c for c in wanted if c in data.columns]])


def _loaded_at(summary: dict) -> str:
    """When the database was loaded, to the minute: ``2026-12-03 12:43 UTC`` (stored as ISO with +00:00)."""
    return f"{summary['loaded_at'][:16].replace('T', ' ')} UTC" if summary["loaded_at"] else "an unknown time"


def chase_headline(summary: dict, priorities: tuple[str, ...]) -> None:
    """One line: how many items, with how many owners, and the most overdue one."""
    owner, days, incident_id, action_id = summary["most_overdue"]
    st.markdown(f"**{summary['items']} overdue {'/'.join(priorities)} item{'s' if summary['items'] != 1 else ''}** "
                f"with {summary['owners']} owner{'s' if summary['owners'] != 1 else ''}. Most overdue: "
                f"**{escape_markdown(owner or '(no owner)')}**, {days} days "
                f"({escape_markdown(incident_id)} {escape_markdown(action_id or '')}).")


def review_headline(report: dict) -> None:
    """The Reviews page's answer in one line: how many post-mortems are fully reviewed, how many wait and
    the longest wait."""
    total, done, waiting = report["post_mortems"], report["fully_reviewed"], report["total"]
    line = (f"**{done:,} of {total:,} post-mortems fully reviewed** ({format_percent(done / total if total else None)}); "
            f"**{waiting:,} waiting**")
    if report["longest_days"] is not None:
        line += f", the longest {report['longest_days']:,} days after its incident ended"
    st.markdown(line + ".")


def team_headline(highlights: dict) -> None:
    """The Teams page's answer in one line."""
    if not highlights:
        return
    team, incidents, sev1 = highlights["most_incidents"]
    parts = [f"Most incidents: **{escape_markdown(team)}** ({incidents}, {sev1} of them SEV1)"]
    if "slowest_median" in highlights:
        parts.append(f"slowest median recovery: **{escape_markdown(highlights['slowest_median'][0])}** "
                     f"({format_minutes(highlights['slowest_median'][1])})")
    if "worst_p90" in highlights:
        parts.append(f"worst p90: **{escape_markdown(highlights['worst_p90'][0])}** "
                     f"({format_minutes(highlights['worst_p90'][1])})")
    st.markdown(" · ".join(parts) + ".")


def chase_list(view: View, items: pd.DataFrame, total: int, priorities: tuple[str, ...]) -> None:
    """The chase list: who to chase for what, the deciding columns first, and the same list as plain
    text with a copy button, ready for a message."""
    table(items, "chase", view,
          {"priority": "Priority", "owner": "Owner", "teams": "Team", "days_overdue": "Days overdue",
           "ticket": "Ticket", "ticket_url": st.column_config.LinkColumn("Ticket link"), "link": None,
           "title": "Post-mortem", "action_id": "Item", "description": "Action item",
           "due_at": st.column_config.DatetimeColumn("Due (UTC)", format="YYYY-MM-DD HH:mm")},
          file_name="chase_list", total_rows=total, optional_columns=("owner", "teams", "ticket"),
          full=lambda: get(view, "chase_list", view.filters, view.as_of, priorities))
    with st.expander("Copy as text for a message"):
        st.code(chase_text(items, view.as_of, priorities), language=None, wrap_lines=True)


def chase_link(view: View) -> None:
    """A link to the chase list (overdue P0/P1 items) with the view's filters, opening on it (a page link
    takes no ``#anchor``; :func:`opens_on` puts the list first instead)."""
    st.page_link("pages/action_items.py", label="Who to chase →", query_params={**view.link_params, "open": "chase"})


def opens_on(section: str) -> bool:
    """Whether the URL asks the page to open on ``section`` (``?open=chase``): it then comes first."""
    return st.query_params.get("open") == section


def team_table(view: View, teams: pd.DataFrame) -> None:
    """The Teams page's table: a row per team with a link to the overview filtered to that team and its
    incidents per quarter as small bars."""
    shown = teams.assign(overview=[None if team == store.NO_TEAM else page_href("", {**view.link_params, "team": team})
                                   for team in teams["team"]])
    table(shown, "teams", view,
          {"team": "Team", "overview": st.column_config.LinkColumn("Overview", display_text="Open ↗",
                                                                   help="The overview filtered to this team"),
           "incidents": "Incidents", "sev1": "SEV1",
           "median_duration_min": "Median time to recover", "p90_duration_min": "p90 time to recover",
           "median_time_to_detect_min": "Median time to detect", "patients_affected": "Patients affected",
           "patients_affected_unknown": st.column_config.NumberColumn(
               "Patients unknown", help="Incidents that did not say how many patients were affected"),
           "patient_impact_min": "Patient impact-minutes", "overdue_p0_p1": "Overdue P0/P1 items",
           "off_hours_share": "Off hours", "fully_reviewed_share": "Fully reviewed",
           "incidents_per_quarter": st.column_config.BarChartColumn("Incidents per quarter", y_min=0)},
          file_name="teams", full=lambda: teams,
          minute_columns=("median_duration_min", "p90_duration_min", "median_time_to_detect_min"),
          percent_columns=("off_hours_share", "fully_reviewed_share"),
          count_columns=("patients_affected", "patient_impact_min"))


def incident_link(view: View, incident_id: str, label: str) -> None:
    st.page_link(INCIDENT_PAGE, label=escape_markdown(label), query_params={"id": incident_id, **view.link_params})


def metric_card(card: dict) -> None:
    """One headline number with its change against the window before, the plain verdict, and (under
    it) which window that was and what it held: the wording the review report uses too
    (:func:`pm_analytics.report.card_view`).

    The change is coloured only when the verdict is "improved" or "worse": a
    difference the data cannot support stays grey.
    """
    shown = report.card_view(card)
    judged = card["verdict"] in (metrics.IMPROVED, metrics.WORSE)
    lower_is_better = card["unit"] != "percent"
    lines = [line for line in shown["lines"] if line != card["note"]]
    # Streamlit points the arrow down (and colours it) only for a change starting with an ASCII "-"; the
    # report's typographic minus read as a rise, so an improvement showed red.
    # " vs before" is what every card's change means (the line under it names the window); without it the
    # change fits its chip in a 190 px card ("+24,000 a month" whole, not "+24,000 a month vs b…").
    delta = shown["delta"].replace("−", "-", 1).removesuffix(" vs before") if shown["delta"] else None
    st.metric(CARD_LABELS.get(card["key"], card["label"]), shown["value"], delta=delta, border=True,
              delta_color=("inverse" if lower_is_better else "normal") if judged else "off",
              help=card.get("how") or None)
    if shown["target"]:
        word = "on target" if card.get("on_target") else "off target" if card.get("on_target") is False else ""
        lines.append(shown["target"].replace(word, f"**{word}**", 1) if word else shown["target"])
    if card["note"]:
        lines.append(card["note"])
    st.caption(" · ".join(([card["verdict"]] if card["verdict"] else []) + lines))


CARD_WIDTH_PX = 190
# A card's label in the words that fit it whole at CARD_WIDTH_PX (the review report, wider, keeps the full ones).
CARD_LABELS = {"on_time": "Action items on time", "overdue": "Overdue P0/P1 items"}


def cards(count: int) -> list:
    """``count`` places for headline cards, side by side while they fit and wrapping onto more rows when
    they do not. Fixed columns squeezed each card at 800 px with the sidebar open until its number read
    "15…"; a card this wide holds "1 h 46 min" and "393,051" whole."""
    row = st.container(horizontal=True)
    return [row.container(width=CARD_WIDTH_PX) for _ in range(count)]


def text(value) -> None:
    """Post-mortem text as inert Markdown (nothing in it becomes a link, image or HTML)."""
    st.markdown(escape_markdown(value))


def download_review(view: View) -> None:
    """The incident review of this view's filters as one HTML file (:mod:`pm_analytics.report`), built
    only when the button is pressed; its incidents link back to this dashboard."""
    from pm_analytics import report

    base = report.dashboard_base(st.context.url, st.get_option("server.baseUrlPath"))
    title = f"Incident review {report.window_label(view.filters.date_from, view.filters.date_to)}"
    # Links carry the report's "today", so an incident opens with the overdue items the report counted.
    link_params = {**view.link_params, "as_of": view.as_of.isoformat()}

    def build() -> bytes:
        return report.review_html(_connection(view.version), view.filters, view.as_of, view.previous, title=title,
                                  base_url=base, link_params=link_params, project=view.settings).encode("utf-8")

    st.download_button("Download review", build, file_name=report.file_name(title), mime="text/html",
                       key="review_download", on_click="ignore",
                       help="These filters' review as one HTML file to read offline, print or send on")



# -- the incident page ----------------------------------------------------------

_FINDING_TITLES = {"went_well": "What went well?", "went_wrong": "What didn't go well?",
                   "got_lucky": "Where did we get lucky?", "why": "Why did it happen?"}


def incident_header(detail: dict) -> None:
    incident = detail["incident"]
    st.header(escape_markdown(incident["title"] or incident["incident_id"]))
    teams = ", ".join(detail["teams"]["team"]) or "no team given"
    facts = [f"**{escape_markdown(incident['severity'] or 'Severity unknown')}**",
             escape_markdown(format_day(incident["incident_date"])), escape_markdown(teams),
             f"author {escape_markdown(incident['author'] or 'unknown')}",
             f"id {escape_markdown(incident['incident_id'])}"]
    st.markdown(" · ".join(facts))
    if incident["exclude_from_metrics"]:
        st.warning("This post-mortem is marked as a drill or test: it is left out of every statistic.")
    doc_url = safe_url(incident["investigation_doc_url"])
    doc_name = incident["investigation_doc_name"]
    if doc_url:
        st.link_button(f"Investigation doc: {doc_name or doc_url}", doc_url)
    elif doc_name:
        st.caption(f"Investigation doc: {escape_markdown(doc_name)} (no link given)")
    st.caption(f"Source: {escape_markdown(incident['source_path'])} ({escape_markdown(incident['source_format'])})")


def incident_banner(view: View, detail: dict) -> None:
    """What a reviewer must see first: this incident repeats an earlier one (or that this is not known yet),
    or P0/P1 items are overdue."""
    repeats_unknown_note(view)
    for row in detail["repeats"].itertuples():
        outcome = {metrics.RECURRENCE_STATUSES[0]: "its P0/P1 items were all done first, so the fix did not prevent this",
                   metrics.RECURRENCE_STATUSES[1]: f"{row.p0_p1_open} of its P0/P1 items were still open when this "
                                                   "started",
                   metrics.RECURRENCE_STATUSES[2]: "its post-mortem had no P0/P1 items",
                   metrics.RECURRENCE_STATUSES[3]: "its P0/P1 items were done, on a day not given"}[row.status]
        with st.container(border=True):
            st.markdown(f":material/repeat: **Repeats an earlier incident** "
                        f"({escape_markdown(format_day(row.earlier_date))}): {escape_markdown(outcome)}.")
            incident_link(view, row.earlier_id, row.earlier_title or row.earlier_id)
    overdue = detail["overdue_p0_p1"]
    if overdue["count"]:
        st.warning(f"{overdue['count']} P0/P1 action item{'s are' if overdue['count'] != 1 else ' is'} overdue "
                   f"as of {view.as_of:%Y-%m-%d} (the most by {overdue['max_days']} days): see Action items below.",
                   icon=":material/schedule:")


def incident_metrics(detail: dict) -> None:
    """Time to recover first, against its severity's median; then the template's phases in the order this
    incident went through them, each named by where it starts and ends; then blast radius and people."""
    incident = detail["incident"]
    phases = detail["phases"].set_index("metric")
    recover = phases.loc["duration_min"]
    impact = incident["patients_affected"] * incident["duration_min"] \
        if not (pd.isna(incident["patients_affected"]) or pd.isna(incident["duration_min"])) else None
    delta = None
    if not is_unknown(recover["minutes"]) and not is_unknown(recover["severity_median"]):
        difference = recover["minutes"] - recover["severity_median"]
        delta = (f"{'+' if difference > 0 else '-' if difference < 0 else '±'}{format_minutes(abs(difference))} "
                 f"vs {detail['peer_label']} median")
    cols = cards(4)
    with cols[0]:
        st.metric("Time to recover", format_minutes(recover["minutes"]), delta=delta, delta_color="inverse",
                  border=True, help=f"From the start to resolution. From {source_of(detail, 'duration_min')}.")
        st.caption(f"start → resolved · {detail['peer_label']} median {format_minutes(recover['severity_median'])}")
    for column, (label, value) in zip(cols[1:], (("Patients affected", incident["patients_affected"]),
                                                 ("Clinics affected", incident["clinics_affected"]),
                                                 ("Patient impact-minutes", impact))):
        with column:
            st.metric(label, format_count(value), border=True)
    st.markdown("**Phases, in the order this incident went through them**")
    peers = "incident" if detail["peer_label"] == "all severities" else f"{detail['peer_label']} incident"
    st.caption(f"Each median is over every {peers} loaded, whatever the sidebar's dates, drills and tests "
               "left out.")
    order = detail["phase_order"]
    for column, metric in zip(cards(len(order)), order):
        row = phases.loc[metric]
        with column:
            st.metric(row["card_label"], format_minutes(row["minutes"]), border=True,
                      help=f"Median for {detail['peer_label']}: {format_minutes(row['severity_median'])}. "
                           f"From {source_of(detail, metric)}.")
            st.caption(f"{metrics.PHASE_SPANS[metric]} · {detail['peer_label']} median "
                       f"{format_minutes(row['severity_median'])}")
    for column, (label, value) in zip(cards(4), (
            ("Providers affected", incident["providers_affected"]), ("TechOps engineers", incident["techops_engineers"]),
            ("Software engineers", incident["software_engineers"]), ("Security engineers", incident["security_engineers"]))):
        with column:
            st.metric(label, format_count(value), border=True)
    teams = len(detail["teams"])
    st.caption(f"Teams involved: {teams}." if teams else f"Teams involved: {UNKNOWN} (the post-mortem names none).")


def incident_sources(detail: dict) -> None:
    """How we know: for each value on the page, the line of the post-mortem, the rule that read it and the
    text it read (``pm-analytics explain`` prints the same)."""
    sources = detail["sources"]
    with st.expander("How we know: where each number came from", expanded=False):
        if sources.empty:
            st.caption("No sources recorded (a database loaded by an older version).")
            return
        lines = []
        for row in sources.itertuples():
            where = f"line {int(row.line)}" if not is_unknown(row.line) else "no line"
            lines.append(f"- **{escape_markdown(row.label)}** — {where}, {escape_markdown(row.rule)}: "
                         f"“{escape_markdown(row.text)}”")
        st.markdown("\n".join(lines))


def source_of(detail: dict, field: str) -> str:
    """One value's source in a sentence, for a tooltip: ``line 46, label 'Time to detect'``."""
    found = detail["sources"][detail["sources"]["field"] == field]
    if found.empty:
        return "not stated in the post-mortem"
    row = found.iloc[0]
    where = f"line {int(row.line)}" if not is_unknown(row.line) else "no line"
    return f"{where}, {row.rule}"


def incident_sections(view: View, detail: dict) -> None:
    incident = detail["incident"]
    st.subheader("Impact summary")
    text(incident["impact_summary"])
    apps = detail["apps"]
    st.markdown("**Apps/APIs affected:** " + (escape_markdown(", ".join(
        f"{a} {p}" if a else p for a, p in zip(apps["audience"], apps["platform"]))) if not apps.empty else "unknown"))
    left, right = st.columns(2)
    with left:
        st.subheader("Reviewers")
        if detail["reviewers"].empty:
            st.caption("No reviewers listed.")
        else:
            st.dataframe(detail["reviewers"], hide_index=True, width="stretch", placeholder=EMPTY, column_config={
                "name": "Reviewer", "state": "State", "reviewed_on": st.column_config.DateColumn("Date")})
    with right:
        st.subheader("Timeline")
        timeline = detail["timeline_local"]
        if timeline.empty:
            st.caption("No timeline rows.")
        else:
            st.dataframe(timeline, hide_index=True, width="stretch", column_order=["at", "description"],
                         placeholder=UNKNOWN,
                         column_config={"at": st.column_config.DatetimeColumn(
                             f"Time ({detail['tz_label']})", format="YYYY-MM-DD HH:mm"), "description": "Event"})
    findings = detail["findings"]
    columns = st.columns(4)
    for column, (kind, title) in zip(columns, _FINDING_TITLES.items()):
        with column:
            st.subheader(title)
            items = findings[findings["kind"] == kind]["text"]
            if items.empty:
                st.caption("Not filled in.")
            for item in items:
                st.markdown("- " + escape_markdown(item))
    st.subheader("Action items")
    items = detail["action_items"]
    if items.empty:
        st.caption("No action items.")
    else:
        st.dataframe(items.assign(ticket_url=[safe_url(u) or "" for u in items["ticket_url"]],
                                  completed_on=[format_completed(s, d) for s, d in zip(items["status"],
                                                                                      items["completed_on"])]),
                     hide_index=True, width="stretch", placeholder=UNKNOWN,
                     column_order=["action_id", "priority", "description", "owner", "status", "due_local",
                                   "completed_on", "done_on_time", "overdue", "ticket", "ticket_url", "status_in_doc",
                                   "status_source"],
                     column_config={"action_id": "Item", "priority": "Priority", "description": "Action item",
                                    "owner": "Owner", "status": "Status", "status_in_doc": "Post-mortem says",
                                    "status_source": "Status from",
                                    "due_local": st.column_config.DatetimeColumn(f"Due ({detail['tz_label']})",
                                                                                 format="YYYY-MM-DD HH:mm"),
                                    "completed_on": "Completed",
                                    "done_on_time": st.column_config.CheckboxColumn("On time"),
                                    "overdue": st.column_config.CheckboxColumn(f"Overdue on {view.as_of:%Y-%m-%d}"),
                                    "ticket": "Ticket", "ticket_url": st.column_config.LinkColumn("Ticket link")})
    if not detail["problems"].empty:
        with st.expander(f"{len(detail['problems'])} problems found in this post-mortem's file"):
            st.dataframe(detail["problems"], hide_index=True, width="stretch", placeholder=EMPTY)


TRACKER_COLUMNS = {"title": "Post-mortem", "action_id": "Item", "priority": "Priority", "description": "Action item",
                   "ticket": "Ticket", "status_in_doc": "Post-mortem says", "status": "Tracker says",
                   "tracker_status": "Tracker status", "completed_on_in_doc": "Done on (post-mortem)",
                   "completed_on": "Done on (tracker)", "owner_in_doc": "Owner (post-mortem)",
                   "owner": "Owner (tracker)", "status_source": "From"}


_EXPORT_FORMATS = {"jira_csv": "Jira CSV", "github_json": "GitHub JSON", "linear_csv": "Linear CSV"}


def tracker_counts(report: dict) -> bool:
    """The action items against the ticket exports, as numbers, and which exports were read; False
    (with a note on how to give some) when none was."""
    exports = report["exports"]
    if exports.empty:
        st.caption("No ticket tracker export was read: give some with `pm-analytics load --tickets` or "
                   "`PM_ANALYTICS_TICKETS` to take action items' status from the tracker.")
        return False
    counts = report["counts"]
    for column, (label, key) in zip(cards(5), (("Items with a ticket", "with_ticket"), ("Ticket in an export", "in_export"),
                                           ("Status from the tracker", "from_tracker"),
                                           ("Document and tracker disagree", "disagree"),
                                           ("Ticket in no export", "not_in_export"))):
        with column:
            st.metric(label, format_count(counts[key]), border=True)
    st.caption("Read: " + "; ".join(
        f"{escape_markdown(row.source_path)} ({_EXPORT_FORMATS.get(row.format, 'not a known export')}, "
        f"{format_day(row.exported_on)}, {escape_markdown(row.status)}, {format_count(row.tickets)} tickets)"
        for row in exports.itertuples()))
    return True


def tracker_note(view: View) -> None:
    """How many of the selection's action items take their status from a tracker export, and where the
    two disagree (a link to the data-quality page)."""
    counts = get(view, "tracker_counts", view.filters)
    if counts["from_tracker"]:
        st.caption(f"{format_count(counts['from_tracker'])} of {format_count(counts['items'])} action items take "
                   "their status, completion date and owner from a ticket tracker export; "
                   f"{format_count(counts['disagree'])} of them disagree with their post-mortem. Each incident's "
                   "page shows what its post-mortem says beside the tracker's status.")
        st.page_link("pages/data_quality.py", label="Where post-mortems and the tracker disagree",
                     query_params=view.link_params)


def load_counts(report: dict) -> None:
    summary = report["summary"]
    for column, (label, value) in zip(cards(4), (("Files seen", summary["files_seen"]), ("Loaded", summary["loaded"]),
                                             ("Loaded with warnings", summary["with_warnings"]),
                                             ("Rejected", summary["rejected"]))):
        with column:
            st.metric(label, format_count(value), border=True)
    st.caption(f"Source: {escape_markdown(summary['source'] or 'unknown')} · loaded at {_loaded_at(summary)}")


def search_results(view: View, matches: pd.DataFrame, query: str, shown: int = SEARCH_POST_MORTEMS_SHOWN) -> None:
    """Per post-mortem (newest first, the first ``shown``): a link to it, then one block with each place
    the query occurs, the match highlighted. ``matches`` may be the first ``MAX_TABLE_ROWS`` only; the
    CSV has every match."""
    groups = list(matches.groupby("incident_id", sort=False))
    capped = len(matches) >= MAX_TABLE_ROWS
    st.caption(f"The newest {len(matches):,} matches, in {len(groups):,} post-mortems; the CSV has every match"
               if capped else f"{len(matches):,} matches in {len(groups):,} post-mortems")
    for incident_id, group in groups[:shown]:
        first = group.iloc[0]
        drill = f", drill/test left out of the statistics: {first['exclude_reason'] or 'marked'}" if first["drill"] else ""
        incident_link(view, incident_id, f"{first['title'] or incident_id} ({format_day(first['incident_date'])}{drill})")
        st.markdown("  \n".join(f"**{escape_markdown(row.field)}:** {highlight(_around(row.text, query), query)}"
                                for row in group.itertuples()))
    if len(groups) > shown:
        st.caption(f"Showing the first {shown} of these {len(groups):,} post-mortems; narrow the search or the "
                   "filters, or download every match.")
    if groups:
        every = (lambda: get(view, "search", view.filters, query, None)) if capped else (lambda: matches)
        st.download_button("Download CSV", lambda: safe_csv(every()), file_name="search.csv",
                           mime="text/csv", key="search_csv", on_click="ignore")


def search_scope(view: View, query: str) -> None:
    """Say which dates the search covers when the sidebar's range limits it, how many matches lie outside,
    and offer the search over all time."""
    filters = view.filters
    if filters.date_from is None and filters.date_to is None:
        return
    outside = get(view, "search_outside_range", filters, query)
    window = (f"{filters.date_from.isoformat() if filters.date_from else 'the first post-mortem'} – "
              f"{filters.date_to.isoformat() if filters.date_to else 'today'}")
    more = (f"{outside['matches']:,} more matches outside it, in {outside['post_mortems']:,} post-mortems"
            if outside["matches"] else "no match outside it")
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.caption(f"Searching {window} (the sidebar's date range): {more}.")
    if outside["matches"]:
        right.button("Search all time", key="search_all_time", on_click=_replace_range, args=({"range": "all"},))


def _around(text: str, query: str, width: int = 160) -> str:
    """The part of ``text`` around the first match of ``query``."""
    at = str(text).lower().find(query.lower())
    if at < 0 or len(text) <= 2 * width:
        return str(text)
    start = max(0, at - width)
    return ("…" if start else "") + text[start:at + len(query) + width] + ("…" if at + len(query) + width < len(text) else "")


def text_model_notice(view: View) -> bool:
    """When the database has no related incidents, repeats and themes yet (the load is computing them)
    or at all (loaded with ``--no-text-model``), say so and return True. While they are being computed,
    the page reruns by itself when they land."""
    state = get(view, "text_model_state")
    if state == store.TEXT_MODEL_DONE:
        return False
    if state == store.TEXT_MODEL_PENDING:
        source = datasource.resolve()
        failure = _text_model_failure(source) if source.is_folder else None
        if failure is not None:
            st.warning("Related incidents, repeats and themes could not be computed "
                       f"({escape_markdown(str(failure) or type(failure).__name__)}). Press Reload to try again.")
        else:
            st.info("Related incidents are being computed (and with them repeats and themes); they appear here "
                    "when they are ready. Everything else is up to date."
                    + ("" if source.is_folder else " If the `pm-analytics load` that wrote this database was "
                       "stopped, load it again."), icon=":material/hourglass_top:")
            _rerun_when_replaced(view.version)
    else:
        st.info("Related incidents, repeats and themes were not computed for this database (it was loaded with "
                "`--no-text-model`): they are unknown here. Load the post-mortems again without it to see them.")
    return True


def repeats_unknown_note(view: View) -> None:
    """On an incident's page, above the fold: whether it repeats an earlier incident is not known yet."""
    state = get(view, "text_model_state")
    if state == store.TEXT_MODEL_PENDING:
        st.caption("Whether this incident repeats an earlier one is not known yet: related incidents are being "
                   "computed (see Related incidents below).")
    elif state != store.TEXT_MODEL_DONE:
        st.caption("Whether this incident repeats an earlier one is unknown: related incidents were not computed "
                   "for this database.")


@st.fragment(run_every=2)
def _rerun_when_replaced(version: str) -> None:
    """Every 2 s: rerun the page once the database at the version's path is another file."""
    path = version.split("|")[0]
    try:
        current = _version_of(Path(path))
    except OSError:
        return
    if current != version:
        st.rerun()


def related_section(view: View, incident_id: str) -> None:
    """The incident's most similar earlier and later incidents, each with its similarity and a link."""
    st.subheader("Related incidents")
    if text_model_notice(view):
        return
    related = get(view, "related", incident_id)
    if related.empty:
        st.caption("No other post-mortem reads like this one.")
        return
    columns = st.columns(2)
    for column, direction in zip(columns, ("earlier", "later")):
        with column:
            st.markdown(f"**{direction.capitalize()}**")
            part = related[related["direction"] == direction]
            if part.empty:
                st.caption(f"No similar {direction} incident.")
            for row in part.itertuples():
                incident_link(view, row.incident_id, f"{row.title or row.incident_id} ({format_day(row.incident_date)})")
                shared = [w for w, flag in (("same team", row.shared_team), ("same app", row.shared_app)) if flag]
                st.caption(f"similarity {row.similarity:.2f} (text {row.text_similarity:.2f})"
                           + (f" · {', '.join(shared)}" if shared else "")
                           + (f" · shared words: {', '.join(row.shared_terms)}" if len(row.shared_terms) else ""))
