"""DuckDB: the schema, writing parsed post-mortems in bulk, and opening a database to read.

The schema is documented in the README (a test keeps the two in step). All
timestamps are ``TIMESTAMPTZ`` in UTC; durations are ``DOUBLE`` minutes; NULL
means unknown. A database file is always written whole to a temporary file
and renamed over the old one, so readers never see a half-written load.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pyarrow as pa

from pm_analytics.schema import INCIDENT_COLUMNS, Incident, Problem

SCHEMA_VERSION = 1

TABLES: dict[str, str] = {
    "incidents": """
        incident_id VARCHAR PRIMARY KEY,
        title VARCHAR,
        severity VARCHAR,
        author VARCHAR,
        investigation_doc_name VARCHAR,
        investigation_doc_url VARCHAR,
        timezone VARCHAR,
        incident_date DATE NOT NULL,
        started_at TIMESTAMPTZ,
        detected_at TIMESTAMPTZ,
        responded_at TIMESTAMPTZ,
        understood_at TIMESTAMPTZ,
        partially_recovered_at TIMESTAMPTZ,
        solution_at TIMESTAMPTZ,
        resolved_at TIMESTAMPTZ,
        time_to_detect_min DOUBLE,
        time_to_respond_min DOUBLE,
        time_to_understand_min DOUBLE,
        time_to_partial_recovery_min DOUBLE,
        time_to_solution_min DOUBLE,
        time_to_full_recovery_min DOUBLE,
        duration_min DOUBLE,
        clinics_affected BIGINT,
        providers_affected BIGINT,
        patients_affected BIGINT,
        techops_engineers INTEGER,
        software_engineers INTEGER,
        security_engineers INTEGER,
        impact_summary VARCHAR,
        exclude_from_metrics BOOLEAN NOT NULL,
        placeholder_fields VARCHAR[] NOT NULL,
        source_path VARCHAR NOT NULL,
        source_format VARCHAR NOT NULL,
        source_sha256 VARCHAR NOT NULL
    """,
    "incident_teams": "incident_id VARCHAR NOT NULL, team VARCHAR NOT NULL",
    "affected_apps": "incident_id VARCHAR NOT NULL, audience VARCHAR, platform VARCHAR NOT NULL",
    "reviewers": "incident_id VARCHAR NOT NULL, name VARCHAR NOT NULL, state VARCHAR, reviewed_on DATE",
    "timeline_events": 'incident_id VARCHAR NOT NULL, seq INTEGER NOT NULL, "at" TIMESTAMPTZ, description VARCHAR NOT NULL',
    "findings": "incident_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, seq INTEGER NOT NULL, text VARCHAR NOT NULL",
    "action_items": """
        incident_id VARCHAR NOT NULL,
        seq INTEGER NOT NULL,
        action_id VARCHAR NOT NULL,
        priority VARCHAR,
        description VARCHAR NOT NULL,
        owner VARCHAR,
        ticket VARCHAR,
        ticket_url VARCHAR,
        status VARCHAR NOT NULL,
        completed_on DATE,
        due_at TIMESTAMPTZ
    """,
    "load_issues": "source_path VARCHAR NOT NULL, level VARCHAR NOT NULL, line INTEGER, field VARCHAR, message VARCHAR NOT NULL",
    "source_files": """
        source_path VARCHAR PRIMARY KEY,
        size_bytes BIGINT,
        mtime_ns BIGINT,
        source_sha256 VARCHAR,
        status VARCHAR NOT NULL,
        incident_id VARCHAR
    """,
    "load_info": "key VARCHAR PRIMARY KEY, value VARCHAR",
}

_CHILD_TABLES = {
    "incident_teams": lambda inc: [(inc.incident_id, t) for t in inc.teams],
    "affected_apps": lambda inc: [(inc.incident_id, a.audience, a.platform) for a in inc.apps],
    "reviewers": lambda inc: [(inc.incident_id, r.name, r.state, r.reviewed_on) for r in inc.reviewers],
    "timeline_events": lambda inc: [(inc.incident_id, e.seq, e.at, e.description) for e in inc.timeline],
    "findings": lambda inc: [(inc.incident_id, f.kind, f.seq, f.text) for f in inc.findings],
    "action_items": lambda inc: [
        (inc.incident_id, seq, a.action_id, a.priority, a.description, a.owner, a.ticket, a.ticket_url, a.status,
         a.completed_on, a.due_at)
        for seq, a in enumerate(inc.action_items, start=1)
    ],
}


def table_columns(table: str) -> list[str]:
    """Column names of one table, in order, from its DDL."""
    cols = []
    for part in TABLES[table].split(","):
        words = part.split()
        if words and words[0].upper() not in ("PRIMARY", "UNIQUE"):
            cols.append(words[0].strip('"'))
    return cols


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    for name, columns in TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")


@dataclass
class SourceFile:
    """A file seen by a load, with what became of it (``loaded``, ``rejected`` or ``duplicate``)."""

    source_path: str
    size_bytes: int | None
    mtime_ns: int | None
    source_sha256: str | None
    status: str
    incident_id: str | None


def _arrow(table: str, rows: Sequence[tuple]) -> pa.Table:
    cols = table_columns(table)
    columns = list(zip(*rows)) if rows else [[] for _ in cols]
    return pa.table({c: pa.array(list(v)) if v else pa.nulls(0) for c, v in zip(cols, columns)})


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[tuple]) -> None:
    """Bulk insert tuples in the table's column order, through Arrow (never row by row)."""
    if not rows:
        return
    data = _arrow(table, rows)
    con.register("_pm_rows", data)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _pm_rows")
    finally:
        con.unregister("_pm_rows")


def incident_rows(incidents: Iterable[Incident]) -> dict[str, list[tuple]]:
    """Every table's rows for these incidents."""
    rows: dict[str, list[tuple]] = {"incidents": [], **{t: [] for t in _CHILD_TABLES}}
    for inc in incidents:
        rows["incidents"].append(tuple(getattr(inc, c) for c in INCIDENT_COLUMNS))
        for table, make in _CHILD_TABLES.items():
            rows[table].extend(make(inc))
    return rows


def write_database(db_path: str | os.PathLike, incidents: Sequence[Incident], problems: Sequence[Problem],
                   files: Sequence[SourceFile], info: dict[str, str] | None = None) -> None:
    """Write a complete database to ``db_path`` atomically (a new file renamed over the old one)."""
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{db_path.name}.", suffix=".tmp", dir=db_path.parent)
    os.close(fd)
    os.unlink(tmp_name)
    try:
        con = duckdb.connect(tmp_name)
        try:
            fill(con, incidents, problems, files, info)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp_name, db_path)
    finally:
        for leftover in (tmp_name, tmp_name + ".wal"):
            if os.path.exists(leftover):
                os.unlink(leftover)


def fill(con: duckdb.DuckDBPyConnection, incidents: Sequence[Incident], problems: Sequence[Problem],
         files: Sequence[SourceFile], info: dict[str, str] | None = None) -> None:
    """Create the schema on ``con`` and insert everything, in one transaction."""
    create_schema(con)
    con.execute("BEGIN TRANSACTION")
    try:
        for table, rows in incident_rows(incidents).items():
            insert_rows(con, table, rows)
        insert_rows(con, "load_issues", [(p.source_path, p.level, p.line, p.field, p.message) for p in problems])
        insert_rows(con, "source_files", [(f.source_path, f.size_bytes, f.mtime_ns, f.source_sha256, f.status,
                                           f.incident_id) for f in files])
        meta = {"schema_version": str(SCHEMA_VERSION), "loaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        meta.update(info or {})
        insert_rows(con, "load_info", sorted(meta.items()))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def open_database(db_path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """Open a database written by :func:`write_database` for reading."""
    return duckdb.connect(str(db_path), read_only=True)


@contextmanager
def cursor(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of ``con`` for one thread's queries, closed after."""
    cur = con.cursor()
    try:
        yield cur
    finally:
        cur.close()


def fetch_df(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict | None = None):
    """Run one query with bound parameters and return a pandas DataFrame."""
    with cursor(con) as cur:
        return cur.execute(sql, params or []).df()


def list_incidents(con: duckdb.DuckDBPyConnection):
    """Every incident's headline columns, newest first."""
    return fetch_df(con, """
        SELECT i.incident_id, i.title, i.incident_date, i.severity,
               (SELECT string_agg(team, ', ' ORDER BY team) FROM incident_teams t WHERE t.incident_id = i.incident_id) AS teams,
               i.duration_min, i.time_to_detect_min, i.patients_affected, i.source_path
        FROM incidents i
        ORDER BY i.incident_date DESC, i.incident_id
    """)


def load_summary(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Files seen, loaded, with warnings and rejected, and when the data was loaded."""
    with cursor(con) as cur:
        seen, loaded, rejected = cur.execute("""
            SELECT count(*), count(*) FILTER (status = 'loaded'), count(*) FILTER (status <> 'loaded') FROM source_files
        """).fetchone()
        warned = cur.execute("""
            SELECT count(DISTINCT f.source_path) FROM source_files f JOIN load_issues p USING (source_path)
            WHERE f.status = 'loaded' AND p.level = 'warning'
        """).fetchone()[0]
        info = dict(cur.execute("SELECT key, value FROM load_info").fetchall())
    return {"files_seen": seen, "loaded": loaded, "with_warnings": warned, "rejected": rejected,
            "loaded_at": info.get("loaded_at"), "source": info.get("source")}


# ---------------------------------------------------------------------------
# Queries. Every one takes a Filters (pm_analytics.filters) and binds its values;
# the only text spliced into SQL comes from the fixed tables below.
# ---------------------------------------------------------------------------

PERIOD_SQL = {
    "month": "CAST(date_trunc('month', i.incident_date) AS DATE)",
    "quarter": "CAST(date_trunc('quarter', i.incident_date) AS DATE)",
    "year": "CAST(date_trunc('year', i.incident_date) AS DATE)",
}
RESPONSE_METRIC_SQL = {
    "time_to_detect_min": "i.time_to_detect_min",
    "time_to_respond_min": "i.time_to_respond_min",
    "time_to_understand_min": "i.time_to_understand_min",
    "time_to_partial_recovery_min": "i.time_to_partial_recovery_min",
    "time_to_solution_min": "i.time_to_solution_min",
    "time_to_full_recovery_min": "i.time_to_full_recovery_min",
    "duration_min": "i.duration_min",
    "detect_to_resolved_min": "date_diff('second', i.detected_at, i.resolved_at) / 60.0",
}
COUNT_METRIC_SQL = {
    "clinics_affected": "i.clinics_affected",
    "providers_affected": "i.providers_affected",
    "patients_affected": "i.patients_affected",
    "patient_impact_min": "i.patients_affected * i.duration_min",
    "clinic_impact_min": "i.clinics_affected * i.duration_min",
    "techops_engineers": "i.techops_engineers",
    "software_engineers": "i.software_engineers",
    "security_engineers": "i.security_engineers",
    "engineers_total": "i.techops_engineers + i.software_engineers + coalesce(i.security_engineers, 0)",
}
NO_TEAM = "(no team)"
UNKNOWN_SEVERITY = "Unknown"


def _grouping(filters, by: str | None) -> tuple[str, str, list]:
    """(group expression, extra join, join parameters) for grouping incidents by severity or team.

    Grouped by team, an incident counts once in each of its teams; when the
    filter names teams, only those teams form groups.
    """
    if by is None:
        return "'All'", "", []
    if by == "severity":
        return f"coalesce(i.severity, '{UNKNOWN_SEVERITY}')", "", []
    if by == "team":
        if filters.teams:
            return ("gt.team", "JOIN incident_teams gt ON gt.incident_id = i.incident_id "
                               "AND list_contains(?::VARCHAR[], gt.team)", [list(filters.teams)])
        return f"coalesce(gt.team, '{NO_TEAM}')", "LEFT JOIN incident_teams gt ON gt.incident_id = i.incident_id", []
    raise ValueError(f"cannot group by {by!r}")


def incident_aggregates(con, filters, metrics: dict[str, str], period: str | None = None,
                        by: str | None = None, stats: Sequence[str] = ("n", "mean", "median", "p90", "min", "max", "sum")):
    """Per (period, group): incidents and, for each metric expression, the requested statistics.

    Columns: ``period_start`` (when ``period``), ``group``, ``incidents``, then ``<metric>__<stat>``.
    NULL values are left out of every statistic (``n`` counts the known ones).
    """
    group_sql, join_sql, join_params = _grouping(filters, by)
    where, params = filters.where()
    stat_sql = {
        "n": "count({m})", "mean": "avg({m})", "median": "median({m})", "p90": "quantile_cont({m}, 0.9)",
        "min": "min({m})", "max": "max({m})", "sum": "sum({m})",
    }
    cols = [f"{stat_sql[s].format(m=expr)} AS \"{name}__{s}\"" for name, expr in metrics.items() for s in stats]
    period_col = f"{PERIOD_SQL[period]} AS period_start, " if period else ""
    sql = f"""
        SELECT {period_col}{group_sql} AS "group", count(DISTINCT i.incident_id) AS incidents
               {''.join(', ' + c for c in cols)}
        FROM incidents i {join_sql}
        WHERE {where}
        GROUP BY ALL
        ORDER BY ALL
    """
    return fetch_df(con, sql, join_params + params)


def metric_values(con, filters, metric_sql: str):
    """One value per matching incident (NULLs dropped) of a metric expression, for resampling."""
    where, params = filters.where()
    df = fetch_df(con, f"SELECT {metric_sql} AS v FROM incidents i WHERE {where} AND ({metric_sql}) IS NOT NULL", params)
    return df["v"].to_numpy(dtype=float)


def incident_table(con, filters, search: str | None = None):
    """One row per matching incident with the columns tables and charts show.

    ``search`` keeps incidents whose id, title, impact summary, findings or
    action items contain it (case-insensitive, bound as a parameter).
    """
    where, params = filters.where()
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where += """ AND (i.incident_id ILIKE ? ESCAPE '\\' OR i.title ILIKE ? ESCAPE '\\'
                      OR i.impact_summary ILIKE ? ESCAPE '\\'
                      OR i.incident_id IN (SELECT incident_id FROM findings WHERE text ILIKE ? ESCAPE '\\')
                      OR i.incident_id IN (SELECT incident_id FROM action_items WHERE description ILIKE ? ESCAPE '\\')
                      OR i.incident_id IN (SELECT incident_id FROM incident_teams WHERE team ILIKE ? ESCAPE '\\'))"""
        params = params + [pattern] * 6
    return fetch_df(con, f"""
        SELECT i.incident_id, i.title, i.incident_date, i.severity, i.started_at, i.resolved_at,
               coalesce((SELECT string_agg(team, ', ' ORDER BY team) FROM incident_teams t
                         WHERE t.incident_id = i.incident_id), '') AS teams,
               i.duration_min, i.time_to_detect_min, i.time_to_respond_min, i.time_to_understand_min,
               i.time_to_solution_min, i.time_to_full_recovery_min,
               i.clinics_affected, i.providers_affected, i.patients_affected,
               i.patients_affected * i.duration_min AS patient_impact_min,
               i.clinics_affected * i.duration_min AS clinic_impact_min,
               (SELECT count(*) FROM action_items a WHERE a.incident_id = i.incident_id) AS action_items_total,
               (SELECT count(*) FILTER (a.status = 'done') FROM action_items a WHERE a.incident_id = i.incident_id)
                   AS action_items_done,
               i.exclude_from_metrics, i.source_path
        FROM incidents i
        WHERE {where}
        ORDER BY i.incident_date DESC, i.incident_id
    """, params)


def incident_record(con, incident_id: str) -> dict | None:
    """Everything stored about one incident: its row (a dict) and each child table (DataFrames)."""
    incident = fetch_df(con, "SELECT * FROM incidents WHERE incident_id = ?", [incident_id])
    if incident.empty:
        return None
    children = {
        "teams": "SELECT team FROM incident_teams WHERE incident_id = ? ORDER BY team",
        "apps": "SELECT audience, platform FROM affected_apps WHERE incident_id = ? ORDER BY platform, audience",
        "reviewers": "SELECT name, state, reviewed_on FROM reviewers WHERE incident_id = ? ORDER BY name",
        "timeline": 'SELECT seq, "at", description FROM timeline_events WHERE incident_id = ? ORDER BY seq',
        "findings": "SELECT kind, seq, text FROM findings WHERE incident_id = ? ORDER BY kind, seq",
        "problems": """SELECT p.level, p.line, p.field, p.message FROM load_issues p
                       WHERE p.source_path = (SELECT source_path FROM incidents WHERE incident_id = ?)
                       ORDER BY p.level, p.line NULLS FIRST""",
    }
    record = {"incident": incident.iloc[0].to_dict()}
    for name, sql in children.items():
        record[name] = fetch_df(con, sql, [incident_id])
    return record


def app_counts(con, filters):
    """Incidents per (audience, platform) among matching incidents."""
    where, params = filters.where()
    return fetch_df(con, f"""
        SELECT coalesce(a.audience, 'Unspecified') AS audience, a.platform, count(DISTINCT i.incident_id) AS incidents
        FROM incidents i JOIN affected_apps a ON a.incident_id = i.incident_id
        WHERE {where}
        GROUP BY ALL ORDER BY ALL
    """, params)


def action_item_rows(con, filters, as_of, incident_id: str | None = None):
    """Action items of matching incidents, with on-time / overdue flags as of ``as_of`` (a date).

    Done on time: completed on or before the deadline's (UTC) date. Overdue:
    open and the deadline's date is before ``as_of``. Unknown deadline or
    completion date leaves the flag NULL. ``incident_id`` narrows to one incident.
    """
    where, params = filters.where()
    if incident_id is not None:
        where += " AND a.incident_id = ?"
        params = params + [incident_id]
    return fetch_df(con, f"""
        SELECT a.incident_id, i.title, i.incident_date, i.severity, a.seq, a.action_id,
               coalesce(a.priority, 'No priority') AS priority, a.description, a.owner, a.ticket, a.ticket_url, a.status,
               a.completed_on, a.due_at,
               CASE WHEN a.status = 'done' AND a.completed_on IS NOT NULL AND a.due_at IS NOT NULL
                    THEN a.completed_on <= CAST(a.due_at AS DATE) END AS done_on_time,
               CASE WHEN a.status = 'open' AND a.due_at IS NOT NULL THEN CAST(a.due_at AS DATE) < ? END AS overdue,
               CASE WHEN a.status = 'open' AND a.due_at IS NOT NULL AND CAST(a.due_at AS DATE) < ?
                    THEN date_diff('day', CAST(a.due_at AS DATE), CAST(? AS DATE)) END AS days_overdue,
               CASE WHEN a.status = 'open'
                    THEN date_diff('day', CAST(coalesce(i.resolved_at, i.started_at) AS DATE), CAST(? AS DATE)) END
                   AS open_age_days
        FROM action_items a JOIN incidents i ON i.incident_id = a.incident_id
        WHERE {where}
        ORDER BY a.incident_id, a.seq
    """, [as_of, as_of, as_of, as_of] + params)


def team_memberships(con, filters):
    """(incident_id, team) for matching incidents; incidents without a team appear as ``(no team)``."""
    where, params = filters.where()
    return fetch_df(con, f"""
        SELECT i.incident_id, coalesce(t.team, '{NO_TEAM}') AS team
        FROM incidents i LEFT JOIN incident_teams t ON t.incident_id = i.incident_id
        WHERE {where}
        ORDER BY ALL
    """, params)


def filled_flags(con, filters, fields: Sequence[tuple[str, str]]):
    """Per matching incident, for each template field a column ``<field>__state``: ``filled``,
    ``placeholder`` or ``missing``."""
    from pm_analytics.schema import FINDING_KINDS

    child = {"reviewers": "reviewers", "apps": "affected_apps", "teams": "incident_teams",
             "action_items": "action_items"}
    cols = []
    for _, attr in fields:
        if attr in child:
            filled = f"i.incident_id IN (SELECT incident_id FROM {child[attr]})"
        elif attr in FINDING_KINDS:
            filled = f"i.incident_id IN (SELECT incident_id FROM findings WHERE kind = '{attr}')"
        else:
            filled = f"i.{attr} IS NOT NULL"
        cols.append(f"CASE WHEN {filled} THEN 'filled' WHEN list_contains(i.placeholder_fields, '{attr}') "
                    f"THEN 'placeholder' ELSE 'missing' END AS \"{attr}__state\"")
    where, params = filters.where()
    return fetch_df(con, f"""
        SELECT i.incident_id, i.title, i.source_path, {', '.join(cols)}
        FROM incidents i WHERE {where} ORDER BY i.incident_id
    """, params)


def load_problems(con):
    """Every problem of the last load, worst first, then by file and line."""
    return fetch_df(con, """
        SELECT p.source_path, p.level, p.line, p.field, p.message, f.status
        FROM load_issues p LEFT JOIN source_files f USING (source_path)
        ORDER BY p.level = 'warning', p.source_path, p.line NULLS FIRST, p.message
    """)


def source_file_counts(con):
    """Files seen by the last load, per status."""
    return fetch_df(con, "SELECT status, count(*) AS files FROM source_files GROUP BY ALL ORDER BY ALL")


def dimension_values(con) -> dict[str, list[str]]:
    """The severities, teams, audiences and platforms present, for filter choices."""
    with cursor(con) as cur:
        def column(sql: str) -> list[str]:
            return [r[0] for r in cur.execute(sql).fetchall()]

        return {
            "severities": column("SELECT DISTINCT severity FROM incidents WHERE severity IS NOT NULL ORDER BY 1"),
            "teams": column("SELECT DISTINCT team FROM incident_teams ORDER BY 1"),
            "audiences": column("SELECT DISTINCT audience FROM affected_apps WHERE audience IS NOT NULL ORDER BY 1"),
            "platforms": column("SELECT DISTINCT platform FROM affected_apps ORDER BY 1"),
        }


def date_bounds(con):
    """(first, last) incident date, or (None, None) for an empty database."""
    with cursor(con) as cur:
        return cur.execute("SELECT min(incident_date), max(incident_date) FROM incidents").fetchone()


def excluded_count(con, filters) -> int:
    """Drills/tests the filter would match but statistics leave out."""
    from dataclasses import replace

    where, params = replace(filters, include_excluded=True).where()
    with cursor(con) as cur:
        return cur.execute(f"SELECT count(*) FROM incidents i WHERE {where} AND i.exclude_from_metrics", params).fetchone()[0]
