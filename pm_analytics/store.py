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
