"""DuckDB: the schema, writing parsed post-mortems in bulk, and opening a database to read.

The schema is documented in the README (a test keeps the two in step). All
timestamps are ``TIMESTAMPTZ`` in UTC; durations are ``DOUBLE`` minutes; NULL
means unknown. A database file is always written whole to a temporary file
and renamed over the old one, so readers never see a half-written load. The
text model (related incidents, recurrences, themes) comes in a second step:
the database is put in place first with ``text_model`` = ``pending`` in
``load_info``, then a copy of it with the text model added replaces it
(:class:`DatabaseCopy`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pyarrow as pa

from pm_analytics.schema import INCIDENT_COLUMNS, Incident, Problem
from pm_analytics.tickets import TicketExport, item_ticket_key, ticket_index

SCHEMA_VERSION = 9

# load_info's ``text_model``: related incidents, recurrences and themes are in the database (done), are
# being computed by the load that wrote it (pending), or were left out (not computed, ``--no-text-model``).
TEXT_MODEL_DONE, TEXT_MODEL_PENDING, TEXT_MODEL_NOT_COMPUTED = "done", "pending", "not computed"

TABLES: dict[str, str] = {
    "incidents": """
        incident_id VARCHAR PRIMARY KEY,
        title VARCHAR,
        severity VARCHAR,
        severity_original VARCHAR,
        author VARCHAR,
        investigation_doc_name VARCHAR,
        investigation_doc_url VARCHAR,
        timezone VARCHAR,
        incident_date DATE NOT NULL,
        started_local TIMESTAMP,
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
        exclude_reason VARCHAR,
        placeholder_fields VARCHAR[] NOT NULL,
        missing_fields VARCHAR[] NOT NULL,
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
        due_at TIMESTAMPTZ,
        ticket_key VARCHAR,
        status_in_doc VARCHAR NOT NULL,
        owner_in_doc VARCHAR,
        completed_on_in_doc DATE,
        status_source VARCHAR NOT NULL,
        ticket_export VARCHAR,
        tracker_status VARCHAR
    """,
    "field_sources": "incident_id VARCHAR NOT NULL, field VARCHAR NOT NULL, line INTEGER, rule VARCHAR NOT NULL, text VARCHAR NOT NULL",
    "related_incidents": """
        incident_id VARCHAR NOT NULL,
        related_id VARCHAR NOT NULL,
        direction VARCHAR NOT NULL,
        rank INTEGER NOT NULL,
        similarity DOUBLE NOT NULL,
        text_similarity DOUBLE NOT NULL,
        shared_team BOOLEAN NOT NULL,
        shared_app BOOLEAN NOT NULL,
        shared_terms VARCHAR[] NOT NULL
    """,
    "recurrences": """
        earlier_id VARCHAR NOT NULL,
        later_id VARCHAR NOT NULL,
        text_similarity DOUBLE NOT NULL,
        shared_teams VARCHAR,
        shared_apps VARCHAR,
        shared_terms VARCHAR[] NOT NULL,
        items INTEGER NOT NULL,
        done_before INTEGER NOT NULL,
        p0_p1_items INTEGER NOT NULL,
        p0_p1_open INTEGER NOT NULL,
        p0_p1_done_undated INTEGER NOT NULL,
        days_past_due INTEGER
    """,
    "themes": "theme_id INTEGER PRIMARY KEY, label VARCHAR NOT NULL, top_terms VARCHAR[] NOT NULL, incidents INTEGER NOT NULL",
    "incident_themes": "incident_id VARCHAR NOT NULL, theme_id INTEGER NOT NULL",
    # The fitted text model, kept so that the next load updates it rather than fitting it again.
    "text_model_terms": "term_id INTEGER PRIMARY KEY, term VARCHAR NOT NULL, idf FLOAT NOT NULL",
    "text_model_documents": "incident_id VARCHAR PRIMARY KEY, fingerprint VARCHAR NOT NULL",
    "text_model_vectors": "incident_id VARCHAR PRIMARY KEY, term_ids INTEGER[] NOT NULL, weights FLOAT[] NOT NULL",
    "text_model_themes": "theme_id INTEGER PRIMARY KEY, label VARCHAR NOT NULL, top_terms VARCHAR[] NOT NULL, centroid FLOAT[] NOT NULL",
    "tickets": """
        source_path VARCHAR NOT NULL,
        line INTEGER,
        ticket_key VARCHAR NOT NULL,
        tracker VARCHAR NOT NULL,
        status_written VARCHAR,
        status VARCHAR,
        resolved_on DATE,
        assignee VARCHAR,
        url VARCHAR
    """,
    "ticket_exports": """
        source_path VARCHAR PRIMARY KEY,
        format VARCHAR,
        size_bytes BIGINT,
        mtime_ns BIGINT,
        source_sha256 VARCHAR,
        exported_on DATE,
        status VARCHAR NOT NULL,
        tickets INTEGER NOT NULL
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

# An action item's status_source when no tracker export holds its ticket.
POST_MORTEM = "post-mortem"

_CHILD_TABLES = {
    "incident_teams": lambda inc: [(inc.incident_id, t) for t in inc.teams],
    "affected_apps": lambda inc: [(inc.incident_id, a.audience, a.platform) for a in inc.apps],
    "reviewers": lambda inc: [(inc.incident_id, r.name, r.state, r.reviewed_on) for r in inc.reviewers],
    "timeline_events": lambda inc: [(inc.incident_id, e.seq, e.at, e.description) for e in inc.timeline],
    "findings": lambda inc: [(inc.incident_id, f.kind, f.seq, f.text) for f in inc.findings],
    # The document's own status, owner and completion date are kept beside the columns a tracker export may
    # overwrite (apply_tickets); until then both say what the post-mortem says.
    "action_items": lambda inc: [
        (inc.incident_id, seq, a.action_id, a.priority, a.description, a.owner, a.ticket, a.ticket_url, a.status,
         a.completed_on, a.due_at, item_ticket_key(a.ticket, a.ticket_url), a.status, a.owner, a.completed_on,
         POST_MORTEM, None, None)
        for seq, a in enumerate(inc.action_items, start=1)
    ],
    "field_sources": lambda inc: [(inc.incident_id, s.field, s.line, s.rule, s.text) for s in inc.sources],
}


# The tables a load copies, for unchanged files, from the previous one; every other table is written anew.
_PER_INCIDENT_TABLES = frozenset(["incidents", *_CHILD_TABLES, "load_issues"])

# The text model's tables whose rows an update keeps for the incidents it does not recompute. A reload that
# starts from a copy of the previous database and will update its text model keeps them under
# ``previous_<table>`` (:class:`DatabaseWriter`), so that :func:`write_text_model` deletes the rows it
# recomputes instead of copying every other row from the previous database.
_KEPT_TEXT_MODEL_TABLES = ("related_incidents", "text_model_vectors")


def _previous_table(table: str) -> str:
    return f"previous_{table}"


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


_ARROW_TYPES = {
    "VARCHAR": pa.string(), "DATE": pa.date32(), "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"), "TIMESTAMP": pa.timestamp("us"),
    "DOUBLE": pa.float64(), "FLOAT": pa.float32(), "BIGINT": pa.int64(), "INTEGER": pa.int32(), "BOOLEAN": pa.bool_(),
    "VARCHAR[]": pa.list_(pa.string()), "INTEGER[]": pa.list_(pa.int32()), "FLOAT[]": pa.list_(pa.float32()),
}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema matching a table's DDL, so batches built anywhere line up."""
    fields = []
    for part in TABLES[table].split(","):
        words = part.split()
        if words and words[0].upper() not in ("PRIMARY", "UNIQUE"):
            fields.append(pa.field(words[0].strip('"'), _ARROW_TYPES[words[1]]))
    return pa.schema(fields)


def rows_to_arrow(table: str, rows: Sequence[tuple]) -> pa.Table:
    """Tuples in the table's column order -> an Arrow table of the table's schema."""
    schema = arrow_schema(table)
    columns = list(zip(*rows)) if rows else [() for _ in schema]
    return pa.table([pa.array(list(values), type=f.type) for values, f in zip(columns, schema)], schema=schema)


def insert_arrow(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    """Bulk insert an Arrow table whose columns are the table's, in order."""
    if data.num_rows == 0:
        return
    con.register("_pm_rows", data)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _pm_rows")
    finally:
        con.unregister("_pm_rows")


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[tuple]) -> None:
    """Bulk insert tuples in the table's column order, through Arrow (never row by row)."""
    if rows:
        insert_arrow(con, table, rows_to_arrow(table, rows))


def incident_rows(incidents: Iterable[Incident]) -> dict[str, list[tuple]]:
    """Every table's rows for these incidents."""
    return _incident_rows_and_owners(incidents)[0]


def _incident_rows_and_owners(incidents: Iterable[Incident]) -> tuple[dict[str, list[tuple]], dict[str, list[int]]]:
    """Every table's rows, and for each row the position of the incident it belongs to (counted by
    position, never looked up by id: two incidents of one batch may share an id until duplicates are
    settled, and each keeps its own rows)."""
    rows: dict[str, list[tuple]] = {"incidents": [], **{t: [] for t in _CHILD_TABLES}}
    owners: dict[str, list[int]] = {table: [] for table in rows}
    for position, inc in enumerate(incidents):
        rows["incidents"].append(tuple(getattr(inc, c) for c in INCIDENT_COLUMNS))
        owners["incidents"].append(position)
        for table, make in _CHILD_TABLES.items():
            made = make(inc)
            rows[table].extend(made)
            owners[table].extend([position] * len(made))
    return rows, owners


def incident_tables(incidents: Sequence[Incident]) -> dict[str, pa.Table]:
    """Every table's rows for these incidents as Arrow tables, plus an ``_owner`` column giving the
    position in ``incidents`` each row came from (so a caller can drop one incident's rows)."""
    rows, owners = _incident_rows_and_owners(incidents)
    return {table: rows_to_arrow(table, data).append_column("_owner", pa.array(owners[table], pa.int32()))
            for table, data in rows.items()}


def write_database(db_path: str | os.PathLike, incidents: Sequence[Incident], problems: Sequence[Problem],
                   files: Sequence[SourceFile], info: dict[str, str] | None = None) -> None:
    """Write a complete database to ``db_path`` atomically (a new file renamed over the old one)."""
    with DatabaseWriter(db_path) as writer:
        writer.add(incidents, problems)
        writer.finish(files, info)


def fill(con: duckdb.DuckDBPyConnection, incidents: Sequence[Incident], problems: Sequence[Problem],
         files: Sequence[SourceFile], info: dict[str, str] | None = None) -> None:
    """Create the schema on ``con`` and insert everything (for in-memory databases in tests and tools)."""
    create_schema(con)
    _insert_all(con, incidents, problems)
    _insert_files(con, files, info)


def _insert_all(con, incidents: Sequence[Incident], problems: Sequence[Problem]) -> None:
    for table, rows in incident_rows(incidents).items():
        insert_rows(con, table, rows)
    insert_rows(con, "load_issues", [(p.source_path, p.level, p.line, p.field, p.message) for p in problems])


def _insert_files(con, files: Sequence[SourceFile], info: dict[str, str] | None) -> None:
    insert_rows(con, "source_files", [(f.source_path, f.size_bytes, f.mtime_ns, f.source_sha256, f.status,
                                       f.incident_id) for f in files])
    meta = {"schema_version": str(SCHEMA_VERSION), "loaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    meta.update(info or {})
    insert_rows(con, "load_info", sorted(meta.items()))


@dataclass
class PreviousLoad:
    """What the database at ``db_path`` says about the files it was loaded from, and the ticket exports
    read with them (``source_path -> (size_bytes, mtime_ns, source_sha256)``), and
    whether its text model is done (``text_model``).

    ``con``, when given, is a connection to that database as it was read: the methods read the same file
    through it, even after a load has put another in its place, and without opening it again (about
    50 ms each time). :meth:`close` closes it."""

    db_path: Path
    files: list[SourceFile]
    exports: dict[str, tuple] = field(default_factory=dict)
    text_model: str | None = None
    con: duckdb.DuckDBPyConnection | None = field(default=None, repr=False, compare=False)

    def _rows(self, sql: str, wanted: Sequence[str] | None = None) -> list[tuple]:
        con = self.con if self.con is not None else open_database(self.db_path)
        try:
            with cursor(con) as cur:
                if wanted is None:
                    return cur.execute(sql).fetchall()
                cur.register("_wanted", pa.table({"source_path": pa.array(list(wanted), pa.string())}))
                try:
                    return cur.execute(sql).fetchall()
                finally:
                    cur.unregister("_wanted")
        finally:
            if con is not self.con:
                con.close()

    def ids_by_path(self) -> dict[str, list[str]]:
        """The incident ids each file gave in the previous load (several for a file that logs several)."""
        return {path: ids for path, ids in self._rows(
            "SELECT source_path, list(incident_id ORDER BY incident_id) FROM incidents GROUP BY source_path")}

    def problems(self, paths: Sequence[str] | None = None) -> list[Problem]:
        """The recorded problems of ``paths`` (all files when ``None``)."""
        sql = "SELECT source_path, level, line, field, message FROM load_issues"
        if paths is None:
            return [Problem(*row) for row in self._rows(sql + " ORDER BY ALL")]
        return [Problem(*row) for row in self._rows(
            sql + " WHERE source_path IN (SELECT source_path FROM _wanted) ORDER BY ALL", paths)]

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


def schema_version(db_path: str | os.PathLike) -> str | None:
    """The schema version a database file was written with (``None`` if it is not one of ours)."""
    try:
        con = open_database(db_path)
    except duckdb.Error:
        return None
    try:
        row = con.execute("SELECT value FROM load_info WHERE key = 'schema_version'").fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return row[0] if row else None


def previous_load(db_path: str | os.PathLike) -> PreviousLoad | None:
    """The previous load's file list, or ``None`` when there is no readable database of this schema version.
    The database stays open for the rest of what the load reads from it: :meth:`PreviousLoad.close`."""
    path = Path(db_path)
    if not path.is_file():
        return None
    try:
        con = open_database(path)
    except duckdb.Error:
        return None
    try:
        info = dict(con.execute("SELECT key, value FROM load_info").fetchall())
        if info.get("schema_version") != str(SCHEMA_VERSION):
            con.close()
            return None
        rows = con.execute("SELECT source_path, size_bytes, mtime_ns, source_sha256, status, incident_id "
                           "FROM source_files ORDER BY source_path").fetchall()
        exports = con.execute("SELECT source_path, size_bytes, mtime_ns, source_sha256 FROM ticket_exports").fetchall()
    except duckdb.Error:
        con.close()
        return None
    return PreviousLoad(path, [SourceFile(*row) for row in rows], {e[0]: tuple(e[1:]) for e in exports},
                        info.get("text_model"), con)


class DatabaseWriter:
    """Builds a new database next to ``db_path`` and renames it over the old one on :meth:`finish`.

    Until then the old database is untouched; if anything fails (or the process
    is killed) the temporary file is all that is lost.

    With ``from_previous`` the new database starts as a copy of the previous one holding only its
    incidents, their rows and their files' problems; :meth:`keep_only` then drops those of files that
    are not reused, before anything new is added. Copying the file and deleting a few incidents is
    much cheaper than inserting every unchanged row again (:meth:`copy_previous`) when few files changed.
    With ``keep_text_model``, the database it replaces stays readable under a temporary name (a hard link
    made on entering, which :meth:`finish` returns: the text model to update is in it), and a copy starts
    from that link, with the previous text model's related incidents and vectors kept under
    ``previous_<table>`` for :func:`write_text_model` to update: the rows kept and the model they belong
    to come from the same file, even if another load replaces the database meanwhile.
    """

    def __init__(self, db_path: str | os.PathLike, previous: PreviousLoad | None = None,
                 from_previous: bool = False, keep_text_model: bool = False) -> None:
        self.db_path = Path(db_path)
        self.previous = previous
        self.from_previous = from_previous and previous is not None
        self.keep_text_model = keep_text_model and previous is not None
        self.kept: Path | None = None
        self.con: duckdb.DuckDBPyConnection | None = None
        self.tmp_name = ""

    def __enter__(self) -> DatabaseWriter:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(self.db_path)
        self.tmp_name = _temporary_name(self.db_path)
        if self.keep_text_model:
            self.kept = Path(_temporary_name(self.db_path, "previous"))
            try:
                os.link(self.previous.db_path, self.kept)
            except OSError:  # no hard links here, or the file is gone: the text model is fitted afresh
                self.kept = None
        try:
            if self.from_previous:
                self._start_from_previous()
            else:
                self.con = _utc(duckdb.connect(self.tmp_name))
                create_schema(self.con)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start_from_previous(self) -> None:
        shutil.copyfile(self.kept or self.previous.db_path, self.tmp_name)
        self.con = _utc(duckdb.connect(self.tmp_name))
        for table in _KEPT_TEXT_MODEL_TABLES:
            self.con.execute(f"DROP TABLE IF EXISTS {_previous_table(table)}")
        for table, columns in TABLES.items():
            if table in _PER_INCIDENT_TABLES:
                continue
            if self.kept is not None and table in _KEPT_TEXT_MODEL_TABLES:
                self.con.execute(f"ALTER TABLE {table} RENAME TO {_previous_table(table)}")
            else:
                self.con.execute(f"DROP TABLE {table}")
            self.con.execute(f"CREATE TABLE {table} ({columns})")

    def add(self, incidents: Sequence[Incident], problems: Sequence[Problem]) -> None:
        """Insert parsed incidents and problems (in bulk)."""
        _insert_all(self.con, incidents, problems)

    def add_frames(self, frames: dict) -> None:
        """Insert whole DataFrames (table name -> frame with the table's columns)."""
        for table, frame in frames.items():
            insert_rows(self.con, table, list(frame[table_columns(table)].itertuples(index=False, name=None)))

    def add_tables(self, tables: dict[str, pa.Table], problems: Sequence[Problem]) -> None:
        """Insert Arrow tables made by :func:`incident_tables` (their ``_owner`` column dropped) and problems."""
        for table, data in tables.items():
            insert_arrow(self.con, table, data.drop_columns(["_owner"]) if "_owner" in data.column_names else data)
        insert_rows(self.con, "load_issues", [(p.source_path, p.level, p.line, p.field, p.message) for p in problems])

    def keep_only(self, paths: Sequence[str], exclude_ids: Sequence[str] = ()) -> None:
        """In a database started ``from_previous``: drop every incident, its rows and its file's problems
        but those of ``paths`` (files unchanged since the previous load), and the incidents ``exclude_ids``
        among them (they now lose to a duplicate id). Call it before adding anything."""
        con = self.con
        con.register("_keep", pa.table({"source_path": pa.array(list(paths), pa.string())}))
        con.register("_drop", pa.table({"incident_id": pa.array(list(exclude_ids), pa.string())}))
        try:
            con.execute("DELETE FROM incidents WHERE source_path NOT IN (SELECT source_path FROM _keep) "
                        "OR incident_id IN (SELECT incident_id FROM _drop)")
            for table in _CHILD_TABLES:
                con.execute(f"DELETE FROM {table} WHERE incident_id NOT IN (SELECT incident_id FROM incidents)")
            con.execute("DELETE FROM load_issues WHERE source_path NOT IN (SELECT source_path FROM _keep)")
        finally:
            con.unregister("_keep")
            con.unregister("_drop")

    def copy_previous(self, paths: Sequence[str], exclude_ids: Sequence[str] = ()) -> None:
        """Copy the rows of these files, unchanged since the previous load, from the previous database
        (but not the incidents ``exclude_ids``: they now lose to a duplicate id)."""
        if not paths or self.previous is None:
            return
        con = self.con
        con.register("_keep", pa.table({"source_path": pa.array(list(paths), pa.string())}))
        con.register("_drop", pa.table({"incident_id": pa.array(list(exclude_ids), pa.string())}))
        con.execute("ATTACH ? AS previous_db (READ_ONLY)", [str(self.kept or self.previous.db_path)])
        try:
            con.execute("CREATE TEMP TABLE _keep_ids AS SELECT incident_id FROM previous_db.incidents "
                        "WHERE source_path IN (SELECT source_path FROM _keep) "
                        "AND incident_id NOT IN (SELECT incident_id FROM _drop)")
            con.execute("INSERT INTO incidents SELECT * FROM previous_db.incidents "
                        "WHERE incident_id IN (SELECT incident_id FROM _keep_ids)")
            for table in _CHILD_TABLES:
                con.execute(f"INSERT INTO {table} SELECT * FROM previous_db.{table} "
                            "WHERE incident_id IN (SELECT incident_id FROM _keep_ids)")
            con.execute("INSERT INTO load_issues SELECT * FROM previous_db.load_issues "
                        "WHERE source_path IN (SELECT source_path FROM _keep)")
        finally:
            con.execute("DETACH previous_db")
            con.unregister("_keep")
            con.unregister("_drop")

    def finish(self, files: Sequence[SourceFile], info: dict[str, str] | None = None) -> Path | None:
        """Record the files and load info, then put the new database in place. Returns the link to the
        database it replaces when ``keep_text_model`` made one (the caller removes it), else ``None``."""
        _insert_files(self.con, files, info)
        self.con.execute("CHECKPOINT")
        self.con.close()
        self.con = None
        os.replace(self.tmp_name, self.db_path)
        kept, self.kept = self.kept, None
        return kept

    def __exit__(self, *exc) -> None:
        _close_and_remove(self.con, self.tmp_name)
        if self.kept is not None:
            self.kept.unlink(missing_ok=True)


def _close_and_remove(con: duckdb.DuckDBPyConnection | None, tmp_name: str | None) -> None:
    """Close a temporary database's connection and remove its file and write-ahead log, if still there
    (after a swap the file is already the database, and only a failed or unused one is left)."""
    if con is not None:
        con.close()
    for leftover in (tmp_name, f"{tmp_name}.wal" if tmp_name else None):
        if leftover and os.path.exists(leftover):
            os.unlink(leftover)


def file_identity(path: str | os.PathLike) -> tuple[int, int, int] | None:
    """(inode, mtime, size) of the file at ``path`` (``None`` when there is none): another file put in
    its place has another."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


class Superseded(Exception):
    """The database was replaced (by a newer load) while a copy of it was being completed."""


class DatabaseCopy:
    """A copy of the database at ``db_path`` (which must still be the file of ``identity``), opened for
    writing; :meth:`commit` puts it in place of the original, unless that was replaced meanwhile.

    Readers of the original are never disturbed: it is only read (copied) and then renamed over.
    """

    def __init__(self, db_path: str | os.PathLike, identity: tuple[int, int, int] | None) -> None:
        self.db_path = Path(db_path)
        self.identity = identity
        self.con: duckdb.DuckDBPyConnection | None = None
        self.tmp_name = ""

    def __enter__(self) -> DatabaseCopy:
        _remove_abandoned(self.db_path)
        self.tmp_name = _temporary_name(self.db_path)
        if self.identity is None or file_identity(self.db_path) != self.identity:
            raise Superseded(str(self.db_path))
        shutil.copyfile(self.db_path, self.tmp_name)
        if file_identity(self.db_path) != self.identity:
            raise Superseded(str(self.db_path))
        self.con = _utc(duckdb.connect(self.tmp_name))
        return self

    def commit(self) -> None:
        self.con.execute("CHECKPOINT")
        self.con.close()
        self.con = None
        if file_identity(self.db_path) != self.identity:
            raise Superseded(str(self.db_path))
        os.replace(self.tmp_name, self.db_path)

    def __exit__(self, *exc) -> None:
        _close_and_remove(self.con, self.tmp_name)


def _temporary_name(db_path: Path, kind: str = "") -> str:
    """A new name beside ``db_path`` for a file of this process (``.<name>.<pid>.<random>[.kind].tmp``),
    not yet taken."""
    fd, name = tempfile.mkstemp(prefix=f".{db_path.name}.{os.getpid()}.", suffix=f".{kind}.tmp" if kind else ".tmp",
                                dir=db_path.parent)
    os.close(fd)
    os.unlink(name)
    return name


def _remove_abandoned(db_path: Path) -> None:
    """Delete temporary files left by loads that were killed (their process no longer exists)."""
    for leftover in db_path.parent.glob(f".{db_path.name}.*.tmp*"):
        pid = leftover.name[len(db_path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# Connections made by open_database: the file is attached to an in-memory instance as ``pm``, which
# every cursor of theirs must USE (a cursor starts in the instance's own, empty, catalog).
_READ_ALIAS = "pm"
# Connections whose instance's time zone is UTC for every cursor (SET GLOBAL), so a cursor of theirs
# needs no SET of its own (about a quarter of a millisecond each).
_in_utc: weakref.WeakSet = weakref.WeakSet()
# Per connection made by open_database, its cursors not in use (each already in ``pm``): a page run's
# queries each take one and give it back, instead of making a cursor and setting its time zone and
# catalog (about half a millisecond a query). Closing the connection closes them.
_idle_cursors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _utc(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """``con`` with UTC as its instance's time zone, for every cursor made from it."""
    con.execute("SET GLOBAL TimeZone = 'UTC'")
    _in_utc.add(con)
    return con


def open_database(db_path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """Open a database written by :func:`write_database` for reading, as the file is now.

    DuckDB hands a second ``connect()`` to a path the instance it already has
    open for that path, which after a reload is the replaced file: a reader
    would go on seeing the old data for as long as any connection to it lived.
    The file is attached to an in-memory instance of its own instead, so each
    call reads the file that is at the path when it is made. Query it through
    :func:`cursor` (or the connection itself).
    """
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH ? AS {_READ_ALIAS} (READ_ONLY)", [str(db_path)])
        con.execute(f"USE {_READ_ALIAS}")
        _utc(con)
    except BaseException:
        con.close()
        raise
    _idle_cursors[con] = []
    return con


@contextmanager
def cursor(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of ``con`` for one thread's queries, not shared while in use.

    Its time zone is UTC whatever the machine's, so timestamps reach pandas
    in UTC and a deadline's date is its UTC date. A reading connection's
    cursors are kept for the next query (leave nothing registered on one);
    any other is closed after.
    """
    idle = _idle_cursors.get(con)
    if idle is None:
        cur = con.cursor()
        if con not in _in_utc:
            cur.execute("SET TimeZone = 'UTC'")
        try:
            yield cur
        finally:
            cur.close()
        return
    try:
        cur = idle.pop()
    except IndexError:
        cur = con.cursor()
        cur.execute(f"USE {_READ_ALIAS}")
    try:
        yield cur
    except BaseException:
        cur.close()  # it may hold a query cut short
        raise
    idle.append(cur)


def fetch_df(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict | None = None):
    """Run one query with bound parameters and return a pandas DataFrame."""
    with cursor(con) as cur:
        return cur.execute(sql, params or []).df()


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
    "detect_to_resolved_min": "(floor(epoch(i.resolved_at)) - floor(epoch(i.detected_at))) / 60.0",
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


def _grouping(filters, by: str | None, alias: str = "i") -> tuple[str, str, list]:
    """(group expression, extra join, join parameters) for grouping rows of incidents (``alias``, with
    ``incident_id`` and ``severity``) by severity or team.

    Grouped by team, an incident counts once in each of its teams (the join gives it one row in each:
    :func:`canonicalise_names` leaves an incident each team once); when the filter names teams, only
    those teams form groups.
    """
    if by is None:
        return "'All'", "", []
    if by == "severity":
        return f"coalesce({alias}.severity, '{UNKNOWN_SEVERITY}')", "", []
    if by == "team":
        if filters.teams:
            return ("gt.team", f"JOIN incident_teams gt ON gt.incident_id = {alias}.incident_id "
                               "AND list_contains(?::VARCHAR[], gt.team)", [list(filters.teams)])
        return (f"coalesce(gt.team, '{NO_TEAM}')",
                f"LEFT JOIN incident_teams gt ON gt.incident_id = {alias}.incident_id", [])
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
    # Each metric is computed once per incident, then summarised (an expression with a subquery,
    # repeated in every statistic, would otherwise be joined once per statistic).
    values = "".join(f", {expr} AS \"_{name}\"" for name, expr in metrics.items())
    cols = [stat_sql[s].format(m=f'i."_{name}"') + f' AS "{name}__{s}"' for name in metrics for s in stats]
    period_col = f"{PERIOD_SQL[period]} AS period_start, " if period else ""
    sql = f"""
        SELECT {period_col}{group_sql} AS "group", count(*) AS incidents
               {''.join(', ' + c for c in cols)}
        FROM (SELECT i.*{values} FROM incidents i) i {join_sql}
        WHERE {where}
        GROUP BY ALL
        ORDER BY ALL
    """
    return fetch_df(con, sql, join_params + params)


def distribution_stats(con, filters, metric_sql: str):
    """Per severity: n, quartiles, min and max of a metric over matching incidents that report it."""
    where, params = filters.where()
    return fetch_df(con, f"""
        SELECT coalesce(i.severity, '{UNKNOWN_SEVERITY}') AS severity, count(*) AS n,
               quantile_cont(m, 0.25) AS q1, median(m) AS median, quantile_cont(m, 0.75) AS q3,
               min(m) AS min, max(m) AS max
        FROM (SELECT i.*, {metric_sql} AS m FROM incidents i) i
        WHERE {where} AND m IS NOT NULL
        GROUP BY ALL ORDER BY ALL
    """, params)


def distribution_points(con, filters, metric_sql: str, per_severity: int):
    """Up to ``per_severity`` incidents per severity with their value: all outliers (beyond 1.5 IQR)
    first, then a fixed pseudo-random pick (by a hash of the id), so the picture is stable.

    The pick is the ``per_severity`` smallest keys (not an outlier, hash, id) of each severity, kept
    while scanning (``min_by`` with a count), not a rank of every incident: ranking sorted them all
    (90 ms at 100,000 incidents, 41-46 ms this way). ``min_by`` refuses a count of 0, so it is given at
    least 1 and ``per_severity`` is bound a second time to keep 0 an empty frame."""
    where, params = filters.where()
    return fetch_df(con, f"""
        WITH v AS (SELECT i.incident_id, i.title, coalesce(i.severity, '{UNKNOWN_SEVERITY}') AS severity,
                          {metric_sql} AS value
                   FROM incidents i WHERE {where} AND ({metric_sql}) IS NOT NULL),
             q AS (SELECT severity, quantile_cont(value, 0.25) AS q1, quantile_cont(value, 0.75) AS q3
                   FROM v GROUP BY severity),
             picked AS (
                 SELECT unnest(min_by({{'incident_id': v.incident_id, 'title': v.title, 'severity': v.severity,
                                       'value': v.value}},
                                      {{'regular': NOT (v.value < q.q1 - 1.5 * (q.q3 - q.q1)
                                                        OR v.value > q.q3 + 1.5 * (q.q3 - q.q1)),
                                       'hash': hash(v.incident_id), 'id': v.incident_id}}, ?)) AS p
                 FROM v JOIN q USING (severity) GROUP BY v.severity)
        SELECT p.incident_id, p.title, p.severity, p.value FROM picked WHERE ? > 0 ORDER BY p.severity, p.incident_id
    """, params + [max(per_severity, 1), per_severity])


def metric_values(con, filters, metric_sql: str):
    """One value per matching incident (NULLs dropped) of a metric expression, for resampling."""
    where, params = filters.where()
    df = fetch_df(con, f"SELECT {metric_sql} AS v FROM incidents i WHERE {where} AND ({metric_sql}) IS NOT NULL", params)
    return df["v"].to_numpy(dtype=float)


def _either_period(current, previous, columns: str = "") -> tuple[str, list]:
    """A query of the incidents matching ``current`` or ``previous`` (two filters, usually two date
    ranges) with ``incident_id``, which they match (``in_current``, ``in_previous``) and ``columns``
    (SQL over ``i``, each after a comma); and its parameters."""
    current_where, current_params = current.where()
    previous_where, previous_params = previous.where()
    return (f"SELECT i.incident_id, coalesce({current_where}, FALSE) AS in_current, "
            f"coalesce({previous_where}, FALSE) AS in_previous{columns} "
            f"FROM incidents i WHERE ({current_where}) OR ({previous_where})",
            current_params + previous_params + current_params + previous_params)


def period_values(con, current, previous, metrics: dict[str, str]):
    """Per incident matching ``current`` or ``previous``, in one scan: ``incident_id``, ``in_current``,
    ``in_previous``, ``severity`` and each metric expression (NULL when unknown)."""
    columns = ", i.severity" + "".join(f", {expression} AS \"{name}\"" for name, expression in metrics.items())
    return fetch_df(con, *_either_period(current, previous, columns))


# Columns the incident table can be sorted by; unknown values always sort last.
INCIDENT_SORTS = ("incident_date", "severity", "duration_min", "time_to_detect_min", "patients_affected",
                  "patient_impact_min", "title")


def incident_table(con, filters, search: str | None = None, sort_by: str = "incident_date",
                   descending: bool = True, limit: int | None = None, harmful_only: bool = False):
    """One row per matching incident with the columns tables and charts show.

    ``search`` keeps incidents whose id, title, impact summary, findings or
    action items contain it (case-insensitive, bound as a parameter).
    ``harmful_only`` keeps incidents whose patient or clinic impact-minutes are
    known, ranked by them.
    """
    if sort_by not in INCIDENT_SORTS:
        raise ValueError(f"cannot sort by {sort_by!r}")
    direction = "DESC" if descending else "ASC"
    order = f"{sort_by} {direction} NULLS LAST, incident_date DESC, incident_id"
    if harmful_only:
        order = "patient_impact_min DESC NULLS LAST, clinic_impact_min DESC NULLS LAST, incident_date DESC, incident_id"
    where, params = _searched(filters, search)
    # Choose and order the rows first; teams and action-item counts are then looked up for those only.
    return fetch_df(con, f"""
        WITH chosen AS (
            SELECT i.*, i.patients_affected * i.duration_min AS patient_impact_min,
                   i.clinics_affected * i.duration_min AS clinic_impact_min
            FROM incidents i
            WHERE {where} AND (NOT ? OR i.patients_affected * i.duration_min IS NOT NULL
                                    OR i.clinics_affected * i.duration_min IS NOT NULL)
            ORDER BY {order}
            LIMIT ?
        ),
        teams AS (SELECT t.incident_id, string_agg(t.team, ', ' ORDER BY t.team) AS teams
                  FROM incident_teams t JOIN chosen USING (incident_id) GROUP BY t.incident_id),
        items AS (SELECT a.incident_id, count(*) AS total, count(*) FILTER (a.status = 'done') AS done
                  FROM action_items a JOIN chosen USING (incident_id) GROUP BY a.incident_id)
        SELECT c.incident_id, c.title, c.incident_date, c.severity, c.started_at, c.resolved_at,
               coalesce(teams.teams, '') AS teams,
               c.duration_min, c.time_to_detect_min, c.time_to_respond_min, c.time_to_understand_min,
               c.time_to_solution_min, c.time_to_full_recovery_min,
               c.clinics_affected, c.providers_affected, c.patients_affected, c.patient_impact_min,
               c.clinic_impact_min, coalesce(items.total, 0) AS action_items_total,
               coalesce(items.done, 0) AS action_items_done, c.exclude_from_metrics, c.source_path
        FROM chosen c LEFT JOIN teams USING (incident_id) LEFT JOIN items USING (incident_id)
        ORDER BY {order}
    """, params + [harmful_only, limit])


def _like(search: str) -> tuple[str, str]:
    """(SQL condition after a column, its pattern) for text containing ``search`` as written, in any case.

    Percent signs, underscores and backslashes are escaped only when the search
    has them: an ``ILIKE`` with an ``ESCAPE`` clause takes about twice as long.
    """
    if not any(c in search for c in "%_\\"):
        return "ILIKE ?", f"%{search}%"
    return "ILIKE ? ESCAPE '\\'", "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _searched(filters, search: str | None) -> tuple[str, list]:
    """The filter's where-clause, narrowed to incidents whose text contains ``search``."""
    where, params = filters.where()
    if not search:
        return where, params
    like, pattern = _like(search)
    texts = (f"SELECT incident_id FROM findings WHERE text {like}",
             f"SELECT incident_id FROM action_items WHERE description {like}",
             f"SELECT incident_id FROM incident_teams WHERE team {like}")
    where += (f" AND (i.incident_id {like} OR i.title {like} OR i.impact_summary {like} "
              + "".join(f"OR i.incident_id IN ({t}) " for t in texts) + ")")
    return where, params + [pattern] * 6


def incident_count(con, filters, search: str | None = None) -> int:
    """How many incidents match the filter (and the search)."""
    where, params = _searched(filters, search)
    with cursor(con) as cur:
        return cur.execute(f"SELECT count(*) FROM incidents i WHERE {where}", params).fetchone()[0]


def insight_inputs(con, boilerplate_post_mortems: int):
    """What the text model reads: per incident its start (for time order) and text: the title,
    counted twice as it names the incident best, the impact summary, then what went wrong, why, the
    timeline's events and the action items, leaving out any of these written word for word (case and
    punctuation aside) in ``boilerplate_post_mortems`` or more post-mortems: a sentence many
    post-mortems share is a habit of writing, not what happened. The cause, the fix and the follow-ups
    are what make two post-mortems the same failure; what went well and where we got lucky are left
    out, as they describe the response, which unrelated incidents share. Also each incident's teams
    and apps."""
    with cursor(con) as cur:
        # The parts inline, not a CTE of their own: DuckDB 2.0 took 2.5x as long over the same rows.
        documents = cur.execute("""
            WITH keyed AS (
                SELECT *, trim(regexp_replace(lower(text), '[^a-z0-9]+', ' ', 'g')) AS sentence FROM (
                    SELECT incident_id, 1 AS part, kind, seq, text FROM findings WHERE kind IN ('went_wrong', 'why')
                    UNION ALL SELECT incident_id, 2, '', seq, description FROM timeline_events
                    UNION ALL SELECT incident_id, 3, '', seq, description FROM action_items
                )
            ),
            boilerplate AS (SELECT sentence FROM keyed GROUP BY sentence HAVING count(DISTINCT incident_id) >= ?),
            kept AS (SELECT k.incident_id, string_agg(k.text, ' ' ORDER BY k.part, k.kind, k.seq) AS body
                     FROM keyed k ANTI JOIN boilerplate b ON b.sentence = k.sentence GROUP BY k.incident_id)
            SELECT i.incident_id, coalesce(i.started_at, CAST(i.incident_date AS TIMESTAMPTZ)) AS started,
                   concat_ws(' ', i.title, i.title, i.impact_summary, kept.body) AS text
            FROM incidents i LEFT JOIN kept ON kept.incident_id = i.incident_id ORDER BY i.incident_id
        """, [boilerplate_post_mortems]).df()
        teams = cur.execute("SELECT incident_id, team FROM incident_teams").df()
        apps = cur.execute("SELECT incident_id, concat_ws(' ', audience, platform) AS app FROM affected_apps").df()
    return documents, teams, apps


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
        "sources": "SELECT field, line, rule, text FROM field_sources WHERE incident_id = ? ORDER BY line NULLS LAST, field",
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


def utc_date(timestamp_sql: str) -> str:
    """SQL for the UTC date of a ``TIMESTAMPTZ`` expression (NULL stays NULL), whatever the session's zone.

    ``CAST(x AS DATE)`` gives the same date in a UTC session, but goes through ICU's calendar for
    every value: about six times slower, and most of the time of the action-item queries at 100,000
    incidents (550,000 deadlines, cast up to four times each). The instant's microseconds read as a
    plain timestamp are its UTC wall time, whose date is a division."""
    return f"CAST(make_timestamp(epoch_us({timestamp_sql})) AS DATE)"


_DUE_ON = utc_date("a.due_at")
# The (UTC) day an incident ended (resolved, else started): where an open item's age and a review's
# days count from.
_ENDED_ON = utc_date("coalesce(i.resolved_at, i.started_at)")
# An action item done by its deadline's (UTC) date; NULL unless done with both dates known.
DONE_ON_TIME_SQL = ("CASE WHEN a.status = 'done' AND a.completed_on IS NOT NULL AND a.due_at IS NOT NULL "
                    f"THEN a.completed_on <= {_DUE_ON} END")
# An item whose deadline has passed by as of (the ``?``), done or not: what the on-time rate divides by.
# Won't-fix items and done items without a completion date (on time or not, nobody knows) are left out.
DUE_SQL = (f"(a.due_at IS NOT NULL AND a.status <> 'wontfix' AND {_DUE_ON} < ? "
           "AND NOT (a.status = 'done' AND a.completed_on IS NULL))")


def _action_items_sql(filters, as_of, incident_id: str | None = None) -> tuple[str, list]:
    """A query of the selection's action items with their flags as of ``as_of`` (a date).

    Done on time: completed on or before the deadline's (UTC) date. Due: the
    deadline's date is before ``as_of`` (see :data:`DUE_SQL`). Overdue: open
    and due. Unknown deadline or completion date leaves the flag NULL.
    """
    where, params = filters.where()
    if incident_id is not None:
        where += " AND a.incident_id = ?"
        params = params + [incident_id]
    sql = f"""
        SELECT a.incident_id, i.title, i.incident_date, i.severity, a.seq, a.action_id,
               coalesce(a.priority, 'No priority') AS priority, a.description, a.owner, a.ticket, a.ticket_url,
               a.status, a.completed_on, a.due_at, a.status_in_doc, a.status_source,
               {DONE_ON_TIME_SQL} AS done_on_time,
               {DUE_SQL} AS due,
               CASE WHEN a.status = 'open' AND a.due_at IS NOT NULL THEN {_DUE_ON} < ? END AS overdue,
               CASE WHEN a.status = 'open' AND a.due_at IS NOT NULL AND {_DUE_ON} < ?
                    THEN date_diff('day', {_DUE_ON}, CAST(? AS DATE)) END AS days_overdue,
               CASE WHEN a.status = 'open'
                    THEN date_diff('day', {_ENDED_ON}, CAST(? AS DATE)) END
                   AS open_age_days
        FROM action_items a JOIN incidents i ON i.incident_id = a.incident_id
        WHERE {where}
    """
    return sql, [as_of, as_of, as_of, as_of, as_of] + params


def action_item_rows(con, filters, as_of, incident_id: str | None = None, overdue_only: bool = False,
                     limit: int | None = None):
    """Action items of matching incidents with ``done_on_time``, ``overdue``, ``days_overdue`` and
    ``open_age_days`` as of ``as_of``; ``incident_id`` narrows to one incident, ``overdue_only`` to
    the overdue ones (most days overdue first, the first ``limit``)."""
    sql, params = _action_items_sql(filters, as_of, incident_id)
    if overdue_only:
        return fetch_df(con, f"SELECT * FROM ({sql}) WHERE overdue ORDER BY days_overdue DESC, incident_id, seq "
                             "LIMIT ?", params + [limit])
    return fetch_df(con, f"SELECT * FROM ({sql}) ORDER BY incident_id, seq", params)


def _chase_sql(filters, as_of, priorities: Sequence[str]) -> tuple[str, list]:
    """The chase list's rows (``o``): overdue items of ``priorities`` as of ``as_of``."""
    sql, params = _action_items_sql(filters, as_of)
    return f"FROM ({sql}) o WHERE o.overdue AND list_contains(?::VARCHAR[], o.priority)", params + [list(priorities)]


def chase_rows(con, filters, as_of, priorities: Sequence[str], limit: int | None = None):
    """Overdue items of the given priorities as of ``as_of``, each with its incident's teams (``teams``,
    comma-separated), grouped by teams then owner (no team or owner last), most days overdue first; the
    first ``limit``. Every row also says what all of them come to (not only the first ``limit``), so a page
    needs no second query: ``chase_items`` (how many), ``chase_owners`` (how many owners, no owner counting
    as one) and ``most_overdue`` (``owner``, ``days_overdue``, ``incident_id``, ``action_id`` of the most
    overdue one; ties: incident, then its order)."""
    rows, params = _chase_sql(filters, as_of, priorities)
    return fetch_df(con, f"""
        SELECT o.*, (SELECT string_agg(t.team, ', ' ORDER BY t.team) FROM incident_teams t
                     WHERE t.incident_id = o.incident_id) AS teams,
               count(*) OVER () AS chase_items,
               count(DISTINCT coalesce(o.owner, '(no owner)')) OVER () AS chase_owners,
               first({{'owner': o.owner, 'days_overdue': o.days_overdue, 'incident_id': o.incident_id,
                      'action_id': o.action_id}})
                   OVER (ORDER BY o.days_overdue DESC, o.incident_id, o.seq
                         ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS most_overdue
        {rows}
        ORDER BY teams NULLS LAST, o.owner NULLS LAST, o.days_overdue DESC, o.incident_id, o.seq
        LIMIT ?""", params + [limit])


ACTION_GROUPS = {"priority": "ai.priority", "owner": "coalesce(ai.owner, '(no owner)')",
                 "severity": f"coalesce(ai.severity, '{UNKNOWN_SEVERITY}')", "team": "team"}


# Per group of action items: how many, by status, done on time (of those with both dates, and how many
# those are), overdue.
_ITEM_COUNTS_SQL = """
               count(*) AS total,
               count(*) FILTER (ai.status = 'done') AS done,
               count(*) FILTER (ai.status = 'open') AS open,
               count(*) FILTER (ai.status = 'wontfix') AS wontfix,
               count(*) FILTER (ai.done_on_time) AS done_on_time,
               count(ai.done_on_time) AS done_on_time_known,
               count(*) FILTER (ai.due) AS due,
               count(*) FILTER (ai.due AND ai.done_on_time) AS due_done_on_time,
               count(*) FILTER (ai.overdue) AS overdue"""


_ITEM_PERIOD_SQL = {name: sql.replace("i.incident_date", "ai.incident_date") for name, sql in PERIOD_SQL.items()}


def action_item_aggregates(con, filters, as_of, by: Sequence[str], period: str | None = None):
    """Per group of ``by``, a team among them (and priority, owner, severity; ``period_start`` first for a
    period): the counts of :func:`action_item_aggregate_sets`, which also counts groupings without a team,
    several in one query.

    An item counts once in each of its incident's teams (only the filtered
    teams when the filter names some). Items are counted per incident (and the
    other keys) first, so the team join sees one row per incident instead of
    one per item. An open item's age is its incident's, so the median age is
    over each incident's age repeated once per open item.
    """
    sql, params = _team_aggregates_sql(filters, as_of, by, period)
    return fetch_df(con, f"{sql} ORDER BY ALL", params)


def _team_aggregates_sql(filters, as_of, by: Sequence[str], period: str | None) -> tuple[str, list]:
    """The query of :func:`action_item_aggregates`, unordered, and its parameters."""
    if "team" not in by:
        raise ValueError(f"action_item_aggregates groups by a team, not {tuple(by)!r}: see action_item_aggregate_sets")
    sql, params = _action_items_sql(filters, as_of)
    item_keys = [f"{ACTION_GROUPS[k]} AS \"{k}\"" for k in by if k != "team"]
    if period:
        item_keys.insert(0, _ITEM_PERIOD_SQL[period] + " AS period_start")
    team, join, join_params = _grouping(filters, "team", alias="per")
    keys = ", ".join(["period_start"] * bool(period) + [f'"{k}"' for k in by])
    return f"""
        WITH per AS (
            SELECT ai.incident_id, {"".join(k + ", " for k in item_keys)}{_ITEM_COUNTS_SQL},
                   max(ai.open_age_days) AS open_age_days
            FROM ({sql}) ai
            GROUP BY ALL
        ),
        grouped AS (SELECT {team} AS team, per.* FROM per {join}),
        ages AS (SELECT {keys}, median(open_age_days) AS open_age_days_median
                 FROM grouped, range(grouped.open) WHERE open > 0 GROUP BY ALL)
        SELECT {keys},
               sum(total)::BIGINT AS total, sum(done)::BIGINT AS done, sum(open)::BIGINT AS open,
               sum(wontfix)::BIGINT AS wontfix, sum(done_on_time)::BIGINT AS done_on_time,
               sum(done_on_time_known)::BIGINT AS done_on_time_known,
               sum(due)::BIGINT AS due, sum(due_done_on_time)::BIGINT AS due_done_on_time,
               sum(overdue)::BIGINT AS overdue,
               any_value(ages.open_age_days_median) AS open_age_days_median,
               max(open_age_days) AS open_age_days_max
        FROM grouped LEFT JOIN ages USING ({keys})
        GROUP BY ALL
    """, params + join_params


def action_item_aggregate_sets(con, filters, as_of, groupings: Sequence[Sequence[str]], period: str | None = None):
    """Per group of each of ``groupings``, in one query: total, done, open, wontfix, done_on_time (and
    done_on_time_known: the done items with both dates), due
    (deadline passed by ``as_of``), due_done_on_time, overdue, open_age_days_median, open_age_days_max.

    ``groupings`` are tuples of keys among priority, owner, severity, team and,
    with ``period``, ``period_start``. Each row says in ``grouping_set`` which
    grouping it belongs to (its index; of groupings with the same keys, the
    first's) and has only that grouping's keys set; rows are ordered by
    grouping, then by its keys in the order that grouping names them.
    Groupings without a team are counted together (``GROUPING SETS``); one
    with a team counts an item once per team (:func:`action_item_aggregates`)
    and is a part of its own, joined with ``UNION ALL``. DuckDB takes about as
    long to plan one of these queries as to run it on a page's selection (a
    few milliseconds), and each query has a fixed cost of its own besides, so
    a page that shows several groupings has one query, not one each.
    """
    if not groupings or any(k == "period_start" and not period for g in groupings for k in g):
        raise ValueError(f"action_item_aggregate_sets needs a grouping, and period_start in one only with a period, "
                         f"not {groupings!r} with period {period!r}")
    first_of: dict[frozenset, int] = {}
    for index, grouping in enumerate(groupings):
        first_of.setdefault(frozenset(grouping), index)
    firsts = sorted(first_of.values())
    plain = [i for i in firsts if "team" not in groupings[i]]
    parts, params = [], []
    if plain:
        sql, plain_params = _grouping_sets_sql(filters, as_of, {i: groupings[i] for i in plain}, period)
        parts.append(sql)
        params += plain_params
    for i in firsts:
        if "team" in groupings[i]:
            by = [k for k in groupings[i] if k != "period_start"]
            sql, team_params = _team_aggregates_sql(filters, as_of, by, period if "period_start" in groupings[i] else None)
            parts.append(f"SELECT {i}::BIGINT AS grouping_set, * FROM ({sql})")
            params += team_params
    order = "".join(f', CASE WHEN grouping_set = {i} THEN "{k}" END' for i in firsts for k in groupings[i])
    # The union is a subquery: DuckDB before 2.0 orders a UNION only by columns, not by expressions of them.
    return fetch_df(con, f"SELECT * FROM ({' UNION ALL BY NAME '.join(f'({part})' for part in parts)}) "
                         f"ORDER BY grouping_set{order}", params)


def _grouping_sets_sql(filters, as_of, groupings: dict[int, Sequence[str]], period: str | None) -> tuple[str, list]:
    """The counts of each of ``groupings`` (by its index; none with a team, none the same keys as another)
    in one ``GROUPING SETS`` query, unordered, and its parameters."""
    sql, params = _action_items_sql(filters, as_of)
    keys = list(dict.fromkeys(k for g in groupings.values() for k in g))
    quoted = {k: f'"{k}"' for k in keys}
    exprs = "".join(f", {_ITEM_PERIOD_SQL[period] if k == 'period_start' else ACTION_GROUPS[k]} AS {quoted[k]}"
                    for k in keys)
    # GROUPING(k1, ..., kn) sets the bit of each key a row is not grouped by, k1's the highest.
    mask_of = {index: sum(1 << (len(keys) - 1 - i) for i, k in enumerate(keys) if k not in grouping)
               for index, grouping in groupings.items()}
    grouping_set = (f"CASE grouping({', '.join(quoted.values())}) "
                    + " ".join(f"WHEN {mask} THEN {index}" for index, mask in mask_of.items()) + " END"
                    if keys else str(next(iter(groupings))))
    sets = ", ".join("(" + ", ".join(quoted[k] for k in grouping) + ")" for grouping in groupings.values())
    return f"""
        SELECT ({grouping_set})::BIGINT AS grouping_set, {"".join(q + ", " for q in quoted.values())}{_ITEM_COUNTS_SQL},
               median(ai.open_age_days) AS open_age_days_median,
               max(ai.open_age_days) AS open_age_days_max
        FROM (SELECT ai.status, ai.done_on_time, ai.due, ai.overdue, ai.open_age_days{exprs} FROM ({sql}) ai) ai
        GROUP BY GROUPING SETS ({sets})
    """, params


def headline_row(con, filters, as_of) -> dict[str, Any]:
    """The overview's numbers in one query of two scans (incidents, then action items) rather than one
    query per statistic: medians of detect/respond/duration, p90 duration, blast radius sums and known
    counts, incidents per severity (``incidents_by_severity``: ``Unknown`` for none given), and action
    item totals as of ``as_of``."""
    where, params = filters.where()
    items_sql, items_params = _action_items_sql(filters, as_of)
    with cursor(con) as cur:
        cur.execute(f"""
            WITH chosen AS (
                SELECT count(*) AS incidents,
                       histogram(coalesce(i.severity, '{UNKNOWN_SEVERITY}')) AS incidents_by_severity,
                       median(i.time_to_detect_min) AS median_time_to_detect_min,
                       median(i.time_to_respond_min) AS median_time_to_respond_min,
                       median(i.duration_min) AS median_duration_min,
                       quantile_cont(i.duration_min, 0.9) AS p90_duration_min,
                       sum(i.clinics_affected) AS clinics_affected_total,
                       count(i.clinics_affected) AS clinics_affected_known,
                       sum(i.patients_affected) AS patients_affected_total,
                       count(i.patients_affected) AS patients_affected_known
                FROM incidents i WHERE {where}),
            items AS (
                SELECT count(*) AS action_items_total,
                       count(*) FILTER (ai.status = 'done') AS action_items_done,
                       count(*) FILTER (ai.done_on_time) AS action_items_done_on_time,
                       count(*) FILTER (ai.status = 'done' AND ai.done_on_time IS NULL)
                           AS action_items_done_on_time_unknown,
                       count(*) FILTER (ai.due) AS action_items_due,
                       count(*) FILTER (ai.due AND ai.done_on_time) AS action_items_due_done_on_time,
                       count(*) FILTER (ai.overdue) AS action_items_overdue,
                       count(*) FILTER (ai.overdue AND ai.priority IN ('P0', 'P1')) AS action_items_overdue_p0_p1
                FROM ({items_sql}) ai)
            SELECT * FROM chosen, items
        """, params + items_params)
        names = [d[0] for d in cur.description]
        row = dict(zip(names, cur.fetchone()))
    row["incidents_by_severity"] = dict(row["incidents_by_severity"] or {})
    return row


def on_time_flags(con, current, previous, as_of):
    """For every item of the incidents of two filters whose deadline had passed by ``as_of``: 1.0 when
    it was done on time, 0.0 when late or still open (one scan): (current flags, previous flags)."""
    chosen, params = _either_period(current, previous)
    df = fetch_df(con, f"""
        WITH chosen AS ({chosen})
        SELECT c.in_current, c.in_previous, CAST(coalesce({DONE_ON_TIME_SQL}, false) AS DOUBLE) AS v
        FROM action_items a JOIN chosen c ON c.incident_id = a.incident_id
        WHERE {DUE_SQL}
    """, params + [as_of])
    return (df.loc[df["in_current"], "v"].to_numpy(dtype=float), df.loc[df["in_previous"], "v"].to_numpy(dtype=float))


def severity_counts(con, filters) -> dict[str, int]:
    """Matching incidents per severity (``Unknown`` for none given)."""
    where, params = filters.where()
    with cursor(con) as cur:
        rows = cur.execute(f"SELECT coalesce(i.severity, '{UNKNOWN_SEVERITY}'), count(*) FROM incidents i "
                           f"WHERE {where} GROUP BY 1", params).fetchall()
    return dict(rows)


def field_state_counts(con, filters):
    """Per template field attribute left empty by some matching incident: ``placeholder`` and ``missing`` counts,
    and ``incidents`` (how many match)."""
    where, params = filters.where()
    return fetch_df(con, f"""
        WITH chosen AS (SELECT i.placeholder_fields, i.missing_fields FROM incidents i WHERE {where}),
             gaps AS (SELECT unnest(placeholder_fields) AS attribute, 'placeholder' AS state FROM chosen
                      UNION ALL SELECT unnest(missing_fields), 'missing' FROM chosen)
        SELECT attribute, count(*) FILTER (state = 'placeholder') AS placeholder,
               count(*) FILTER (state = 'missing') AS missing, (SELECT count(*) FROM chosen) AS incidents
        FROM gaps GROUP BY ALL ORDER BY ALL
    """, params)


def completeness_rows(con, filters, field_count: int, limit: int | None = None):
    """Per matching incident: share of the template's ``field_count`` fields filled and the empty ones,
    least complete first."""
    where, params = filters.where()
    return fetch_df(con, f"""
        SELECT i.incident_id, i.title, i.source_path,
               1 - (len(i.placeholder_fields) + len(i.missing_fields)) / ? AS completeness,
               list_concat(i.placeholder_fields, i.missing_fields) AS empty_attributes
        FROM incidents i WHERE {where}
        ORDER BY completeness, i.incident_id
        LIMIT ?
    """, [field_count] + params + [limit])


def completeness_by_team(con, filters, field_count: int):
    """Per team: post-mortems and their mean completeness; only the filtered teams when the filter names some."""
    group_sql, join_sql, join_params = _grouping(filters, "team")
    where, params = filters.where()
    return fetch_df(con, f"""
        SELECT {group_sql} AS team, count(*) AS incidents,
               avg(1 - (len(i.placeholder_fields) + len(i.missing_fields)) / ?) AS completeness
        FROM incidents i {join_sql}
        WHERE {where}
        GROUP BY ALL ORDER BY completeness, team
    """, [field_count] + join_params + params)


def load_problems(con, limit: int | None = None):
    """The problems of the last load, errors first, then by file and line (the first ``limit``)."""
    return fetch_df(con, """
        SELECT p.source_path, p.level, p.line, p.field, p.message,
               coalesce(f.status, CASE WHEN e.status IS NOT NULL THEN 'ticket export ' || e.status END) AS status
        FROM load_issues p LEFT JOIN source_files f ON f.source_path = p.source_path
        LEFT JOIN ticket_exports e ON e.source_path = p.source_path
        ORDER BY p.level = 'warning', p.source_path, p.line NULLS FIRST, p.message
        LIMIT ?
    """, [limit])


def load_problem_count(con) -> int:
    with cursor(con) as cur:
        return cur.execute("SELECT count(*) FROM load_issues").fetchone()[0]


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


def selection_counts(con, filters) -> tuple[int, int]:
    """Incidents the filter matches with drills/tests counted in: (those statistics keep, the drills/tests)."""
    where, params = replace(filters, include_excluded=True).where()
    with cursor(con) as cur:
        return cur.execute(f"SELECT count(*) FILTER (NOT i.exclude_from_metrics), count(*) FILTER (i.exclude_from_metrics) "
                           f"FROM incidents i WHERE {where}", params).fetchone()


def excluded_count(con, filters) -> int:
    """Drills/tests the filter would match but statistics leave out."""
    where, params = replace(filters, include_excluded=True).where()
    with cursor(con) as cur:
        return cur.execute(f"SELECT count(*) FROM incidents i WHERE {where} AND i.exclude_from_metrics", params).fetchone()[0]


def excluded_rows(con, filters, limit: int | None = None):
    """The drills/tests the filter would match, newest first, with what made each one a drill."""
    where, params = replace(filters, include_excluded=True).where()
    return fetch_df(con, f"""
        SELECT i.incident_id, i.title, i.incident_date, i.exclude_reason, i.source_path
        FROM incidents i WHERE {where} AND i.exclude_from_metrics
        ORDER BY i.incident_date DESC, i.incident_id LIMIT ?
    """, params + [limit])


# -- insights -------------------------------------------------------------------

def text_model_state(con) -> str:
    """Whether related incidents, recurrences and themes are in the database: ``TEXT_MODEL_DONE``,
    ``TEXT_MODEL_PENDING`` (the load that wrote it is computing them) or ``TEXT_MODEL_NOT_COMPUTED``."""
    with cursor(con) as cur:
        row = cur.execute("SELECT value FROM load_info WHERE key = 'text_model'").fetchone()
    return row[0] if row else TEXT_MODEL_NOT_COMPUTED


def read_text_model(db_path: str | os.PathLike) -> dict | None:
    """The text model stored in the database at ``db_path``, when it is done: ``info`` (load_info),
    Arrow tables ``terms`` (term, idf, by term id), ``documents`` (incident_id, fingerprint), ``vectors``
    (incident_id, term_ids, weights), ``themes`` (theme_id, label, top_terms, centroid), ``related``
    (every column of related_incidents) and ``membership`` (incident_id, theme_id).
    ``None`` when there is none to read."""
    try:
        con = open_database(db_path)
    except duckdb.Error:
        return None
    try:
        info = dict(con.execute("SELECT key, value FROM load_info").fetchall())
        if info.get("schema_version") != str(SCHEMA_VERSION) or info.get("text_model") != TEXT_MODEL_DONE:
            return None
        queries = {
            "terms": "SELECT term, idf FROM text_model_terms ORDER BY term_id",
            "documents": "SELECT incident_id, fingerprint FROM text_model_documents",
            "vectors": "SELECT incident_id, term_ids, weights FROM text_model_vectors",
            "themes": "SELECT theme_id, label, top_terms, centroid FROM text_model_themes ORDER BY theme_id",
            "related": "SELECT incident_id, related_id, direction, rank, similarity, text_similarity, shared_team, "
                       "shared_app, shared_terms FROM related_incidents",
            "membership": "SELECT incident_id, theme_id FROM incident_themes",
        }
        tables = {name: con.sql(sql).to_arrow_table() for name, sql in queries.items()}
    except duckdb.Error:
        return None
    finally:
        con.close()
    return {"info": info, **tables}


def write_text_model(con, previous: str | os.PathLike | None, tables: dict[str, pa.Table],
                     kept_related: Sequence[str], kept_vectors: Sequence[str], recurrence_text_similarity: float,
                     info: dict[str, str]) -> None:
    """Store a text model in the database of ``con`` (whose text model tables are empty, but for any
    ``previous_<table>`` a reload kept): ``tables``
    (Arrow, the tables' columns: ``related_incidents`` rows computed now, ``themes``, ``incident_themes``,
    ``text_model_terms``, ``text_model_documents``, ``text_model_themes``, and the ``text_model_vectors``
    computed now); the rows of ``kept_related`` and the vectors of ``kept_vectors`` kept as they are
    from the database at ``previous``; recurrences derived (:func:`derive_recurrences`); ``info`` into
    load_info.

    When the load kept the previous model's rows in ``con``'s database (``previous_<table>``, see
    :class:`DatabaseWriter`), those tables become the text model's again with the rows not kept deleted:
    on a reload of few changes that writes a few thousand rows where copying would write a hundred
    thousand. Otherwise the kept rows are copied from ``previous``."""
    kept = {"related_incidents": kept_related, "text_model_vectors": kept_vectors}
    keeps_rows = previous is not None and any(len(ids) for ids in kept.values())
    in_place = _has_previous_tables(con)
    if keeps_rows and in_place:
        _keep_in_place(con, kept)
    else:
        if in_place:
            for table in _KEPT_TEXT_MODEL_TABLES:
                con.execute(f"DROP TABLE {_previous_table(table)}")
        if keeps_rows:
            _copy_kept(con, previous, kept)
    for table, data in tables.items():
        insert_arrow(con, table, data)
    derive_recurrences(con, recurrence_text_similarity)
    for key, value in info.items():
        con.execute("INSERT OR REPLACE INTO load_info VALUES (?, ?)", [key, value])


def _keep_in_place(con, kept: dict[str, Sequence[str]]) -> None:
    """Make the ``previous_<table>`` a reload kept the text model's tables again, with only the rows of
    the incidents in ``kept`` (table -> incident ids)."""
    for table, ids in kept.items():
        con.register("_kept", pa.table({"incident_id": pa.array(list(ids), pa.string())}))
        try:
            con.execute(f"DROP TABLE {table}")
            con.execute(f"ALTER TABLE {_previous_table(table)} RENAME TO {table}")
            con.execute(f"DELETE FROM {table} WHERE incident_id NOT IN (SELECT incident_id FROM _kept)")
        finally:
            con.unregister("_kept")


def _copy_kept(con, previous: str | os.PathLike, kept: dict[str, Sequence[str]]) -> None:
    """Copy into the text model's tables the rows of the incidents in ``kept`` (table -> incident ids)
    from the database at ``previous``."""
    con.execute("ATTACH ? AS previous_model (READ_ONLY)", [str(previous)])
    try:
        for table, ids in kept.items():
            con.register("_kept", pa.table({"incident_id": pa.array(list(ids), pa.string())}))
            try:
                con.execute(f"INSERT INTO {table} SELECT t.* FROM previous_model.{table} t "
                            "SEMI JOIN _kept k ON k.incident_id = t.incident_id")
            finally:
                con.unregister("_kept")
    finally:
        con.execute("DETACH previous_model")


def _has_previous_tables(con) -> bool:
    """Whether ``con``'s database holds a previous text model's rows kept by :class:`DatabaseWriter`."""
    names = [_previous_table(t) for t in _KEPT_TEXT_MODEL_TABLES]
    found = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                        "AND schema_name = current_schema() AND table_name IN (?, ?)", names).fetchall()[0][0]
    return found == len(names)


def related_for(con, incident_id: str):
    """One incident's related incidents (both directions) with their titles, dates and severities."""
    return fetch_df(con, """
        SELECT r.related_id AS incident_id, o.title, o.incident_date, o.severity, r.direction, r.rank,
               r.similarity, r.text_similarity, r.shared_team, r.shared_app, r.shared_terms
        FROM related_incidents r JOIN incidents o ON o.incident_id = r.related_id
        WHERE r.incident_id = ?
        ORDER BY r.direction, r.rank
    """, [incident_id])


_NAMED = (("incident_teams", "team"), ("action_items", "owner"), ("reviewers", "name"))


def canonicalise_names(con) -> None:
    """One spelling per team, owner and reviewer across every file: names that differ only in case or
    surrounding spaces ("Payments", "payments ", "PAYMENTS") all take the most common spelling (on a tie,
    the first in sort order), so a team is one team on every page and in every filter.

    Then an incident holds each team once (two spellings of one team in one post-mortem are one row):
    the queries grouping incidents by team count each group's rows as its incidents."""
    with cursor(con) as cur:
        for table, column in _NAMED:
            cur.execute(f"""
                UPDATE {table} SET {column} = canon.spelling
                FROM (
                    SELECT key, arg_min(spelling, (-n, spelling)) AS spelling
                    FROM (SELECT lower(trim({column})) AS key, trim({column}) AS spelling, count(*) AS n
                          FROM {table} WHERE {column} IS NOT NULL GROUP BY ALL)
                    GROUP BY key
                ) canon
                WHERE lower(trim({table}.{column})) = canon.key AND {table}.{column} <> canon.spelling
            """)
        cur.execute("""
            DELETE FROM incident_teams WHERE rowid NOT IN (
                SELECT min(rowid) FROM incident_teams GROUP BY incident_id, team)
        """)


def apply_tickets(con, exports: Sequence[TicketExport]) -> list[Problem]:
    """Let the ticket exports win over the post-mortems for the action items whose ticket they hold.

    Every item first takes its post-mortem's status, owner and completion date again (rows copied from
    the previous load may hold an older export's). Then, for an item whose ticket key is in a loaded
    export with a status the map knows: ``status`` is the tracker's, ``completed_on`` its resolution
    date (the post-mortem's date when both say done and the tracker gives none; none unless done),
    ``owner`` its assignee (the post-mortem's when it has none), ``status_source`` the export and its
    date. An item whose ticket is in an export with a status not in the map keeps its post-mortem's
    values; ``ticket_export`` and ``tracker_status`` say where its ticket is and what it said. Records
    every export in ``ticket_exports`` and the tickets of loaded ones in ``tickets``; returns the
    problems of matching (a key in two exports)."""
    with cursor(con) as cur:
        cur.execute("""
            UPDATE action_items SET status = status_in_doc, owner = owner_in_doc, completed_on = completed_on_in_doc,
                   status_source = ?, ticket_export = NULL, tracker_status = NULL
        """, [POST_MORTEM])
    insert_rows(con, "ticket_exports", [
        (e.source_path, e.format or None, e.size_bytes, e.mtime_ns, e.source_sha256, e.exported_on,
         "loaded" if e.loaded else "rejected", len(e.tickets)) for e in exports])
    insert_rows(con, "tickets", [
        (e.source_path, t.line, t.key, t.tracker, t.status_written, t.status, t.resolved_on, t.assignee, t.url)
        for e in exports if e.loaded for t in e.tickets])
    index, problems = ticket_index(list(exports))
    if not index:
        return problems
    with cursor(con) as cur:
        keys = [row[0] for row in cur.execute(
            "SELECT DISTINCT ticket_key FROM action_items WHERE ticket_key IS NOT NULL").fetchall()]
        found = [(key, *index[key]) for key in keys if key in index]
        if not found:
            return problems
        cur.register("_matches", pa.table({
            "item_key": pa.array([key for key, _, _ in found], pa.string()),
            "source_path": pa.array([export.source_path for _, _, export in found], pa.string()),
            "label": pa.array([export.label for _, _, export in found], pa.string()),
            "status_written": pa.array([ticket.status_written for _, ticket, _ in found], pa.string()),
            "status": pa.array([ticket.status for _, ticket, _ in found], pa.string()),
            "resolved_on": pa.array([ticket.resolved_on for _, ticket, _ in found], pa.date32()),
            "assignee": pa.array([ticket.assignee for _, ticket, _ in found], pa.string()),
        }))
        try:
            cur.execute("""
                UPDATE action_items SET
                    ticket_export = m.source_path,
                    tracker_status = m.status_written,
                    status = coalesce(m.status, action_items.status),
                    completed_on = CASE
                        WHEN m.status IS NULL THEN action_items.completed_on
                        WHEN m.status = 'done' THEN coalesce(m.resolved_on, CASE WHEN action_items.status_in_doc = 'done'
                                                                            THEN action_items.completed_on_in_doc END)
                        END,
                    owner = CASE WHEN m.status IS NULL THEN action_items.owner
                                 ELSE coalesce(m.assignee, action_items.owner_in_doc) END,
                    status_source = CASE WHEN m.status IS NULL THEN action_items.status_source ELSE m.label END
                FROM _matches m
                WHERE action_items.ticket_key = m.item_key
            """)
        finally:
            cur.unregister("_matches")
    return problems


# An item whose status, completion date and owner come from a tracker export.
FROM_TRACKER_SQL = f"(a.status_source <> '{POST_MORTEM}')"
# An item whose tracker export says something else than its post-mortem: another status, or another
# completion date when both say done and the post-mortem gives one. Owners are not compared (a tracker
# and a document spell people differently).
DISAGREES_SQL = (f"({FROM_TRACKER_SQL} AND (a.status <> a.status_in_doc OR (a.status = 'done' "
                 "AND a.status_in_doc = 'done' AND a.completed_on_in_doc IS NOT NULL "
                 "AND a.completed_on IS DISTINCT FROM a.completed_on_in_doc)))")
HAS_TICKET_SQL = "(a.ticket IS NOT NULL OR a.ticket_url IS NOT NULL)"
TRACKER_LISTS = {"disagree": DISAGREES_SQL, "not_in_export": f"({HAS_TICKET_SQL} AND a.ticket_export IS NULL)"}


def tracker_counts(con, filters) -> dict[str, int]:
    """For the matching incidents' action items: how many name a ticket, have it in an export, take their
    status from one, disagree with it (:data:`DISAGREES_SQL`), and name a ticket no export holds."""
    where, params = filters.where()
    with cursor(con) as cur:
        cur.execute(f"""
            SELECT count(*) AS items,
                   count(*) FILTER ({HAS_TICKET_SQL}) AS with_ticket,
                   count(*) FILTER (a.ticket_export IS NOT NULL) AS in_export,
                   count(*) FILTER ({FROM_TRACKER_SQL}) AS from_tracker,
                   count(*) FILTER ({TRACKER_LISTS['disagree']}) AS disagree,
                   count(*) FILTER ({TRACKER_LISTS['not_in_export']}) AS not_in_export
            FROM action_items a JOIN incidents i ON i.incident_id = a.incident_id
            WHERE {where}
        """, params)
        names = [d[0] for d in cur.description]
        return {name: int(value) for name, value in zip(names, cur.fetchone())}


def tracker_items(con, filters, which: str, limit: int | None = None):
    """The matching incidents' action items that disagree with their tracker export (``disagree``) or
    name a ticket no export holds (``not_in_export``), newest incident first (the first ``limit``)."""
    condition = TRACKER_LISTS[which]
    where, params = filters.where()
    return fetch_df(con, f"""
        SELECT a.incident_id, i.title, i.incident_date, a.action_id, coalesce(a.priority, 'No priority') AS priority,
               a.description, coalesce(a.ticket, a.ticket_url) AS ticket, a.ticket_url,
               a.status_in_doc, a.status, a.completed_on_in_doc, a.completed_on, a.owner_in_doc, a.owner,
               a.tracker_status, a.status_source
        FROM action_items a JOIN incidents i ON i.incident_id = a.incident_id
        WHERE {where} AND {condition}
        ORDER BY i.incident_date DESC, a.incident_id, a.seq
        LIMIT ?
    """, params + [limit])


def ticket_export_rows(con):
    """The ticket exports the last load read: file, format, date, status and how many tickets."""
    return fetch_df(con, "SELECT source_path, format, exported_on, status, tickets FROM ticket_exports "
                         "ORDER BY source_path")


def derive_recurrences(con, text_similarity: float) -> None:
    """Fill ``recurrences`` from ``related_incidents`` (once per load, not per page run): each
    (earlier, later) related pair at least ``text_similarity`` alike that shares a team or an app, the
    teams and apps they share and the terms that make them alike, and the earlier incident's action
    items as of the later one's start (items won't fix left out). Dates are UTC dates, whatever the
    machine's time zone."""
    with cursor(con) as cur:
        cur.execute(f"""
            INSERT INTO recurrences
            WITH pairs AS (
                SELECT r.incident_id AS earlier_id, r.related_id AS later_id, r.text_similarity, r.shared_terms,
                       l.incident_date AS later_date
                FROM related_incidents r JOIN incidents l ON l.incident_id = r.related_id
                WHERE r.direction = 'later' AND r.text_similarity >= ? AND (r.shared_team OR r.shared_app)
            ),
            shared AS (
                SELECT p.earlier_id, p.later_id, string_agg(DISTINCT te.team, ', ' ORDER BY te.team) AS shared_teams
                FROM pairs p JOIN incident_teams te ON te.incident_id = p.earlier_id
                JOIN incident_teams tl ON tl.incident_id = p.later_id AND tl.team = te.team
                GROUP BY ALL
            ),
            apps AS (
                SELECT p.earlier_id, p.later_id, string_agg(DISTINCT concat_ws(' ', ae.audience, ae.platform), ', '
                                                            ORDER BY concat_ws(' ', ae.audience, ae.platform)) AS shared_apps
                FROM pairs p JOIN affected_apps ae ON ae.incident_id = p.earlier_id
                JOIN affected_apps al ON al.incident_id = p.later_id
                     AND concat_ws(' ', al.audience, al.platform) = concat_ws(' ', ae.audience, ae.platform)
                GROUP BY ALL
            ),
            items AS (
                SELECT p.earlier_id, p.later_id, count(*) AS items,
                       count(*) FILTER (a.status = 'done' AND a.completed_on < p.later_date) AS done_before,
                       count(*) FILTER (a.priority IN ('P0', 'P1')) AS p0_p1_items,
                       count(*) FILTER (a.priority IN ('P0', 'P1')
                                        AND (a.status <> 'done' OR a.completed_on >= p.later_date)) AS p0_p1_open,
                       count(*) FILTER (a.priority IN ('P0', 'P1') AND a.status = 'done'
                                        AND a.completed_on IS NULL) AS p0_p1_done_undated,
                       max(date_diff('day', {_DUE_ON}, p.later_date))
                           FILTER (a.priority IN ('P0', 'P1') AND {_DUE_ON} < p.later_date
                                   AND (a.status <> 'done' OR a.completed_on >= p.later_date)) AS days_past_due
                FROM pairs p JOIN action_items a ON a.incident_id = p.earlier_id AND a.status <> 'wontfix'
                GROUP BY ALL
            )
            SELECT p.earlier_id, p.later_id, p.text_similarity, shared.shared_teams, apps.shared_apps, p.shared_terms,
                   coalesce(items.items, 0), coalesce(items.done_before, 0), coalesce(items.p0_p1_items, 0),
                   coalesce(items.p0_p1_open, 0), coalesce(items.p0_p1_done_undated, 0), items.days_past_due
            FROM pairs p LEFT JOIN shared USING (earlier_id, later_id) LEFT JOIN apps USING (earlier_id, later_id)
            LEFT JOIN items USING (earlier_id, later_id)
            ORDER BY p.earlier_id, p.later_id
        """, [text_similarity])


def recurrence_rows(con, filters, limit: int | None = None, later_id: str | None = None):
    """Recurrences whose later incident matches the filter (and is ``later_id``, when given), newest
    first (the first ``limit``), with both incidents' titles and dates."""
    where, params = filters.where("l")
    if later_id is not None:
        where, params = f"{where} AND r.later_id = ?", params + [later_id]
    return fetch_df(con, f"""
        SELECT r.earlier_id, e.title AS earlier_title, e.incident_date AS earlier_date,
               r.later_id, l.title AS later_title, l.incident_date AS later_date, l.severity AS later_severity,
               r.text_similarity, r.shared_teams, r.shared_apps, r.shared_terms, r.items, r.done_before,
               r.p0_p1_items, r.p0_p1_open, r.p0_p1_done_undated, r.days_past_due
        FROM recurrences r
        JOIN incidents l ON l.incident_id = r.later_id
        JOIN incidents e ON e.incident_id = r.earlier_id
        WHERE {where}
        ORDER BY l.incident_date DESC, r.later_id, r.text_similarity DESC, r.earlier_id
        LIMIT ?
    """, params + [limit])


def recurrence_total(con, filters) -> int:
    """How many recurrences have a later incident matching the filter."""
    where, params = filters.where("l")
    with cursor(con) as cur:
        return cur.execute(f"SELECT count(*) FROM recurrences r JOIN incidents l ON l.incident_id = r.later_id "
                           f"WHERE {where}", params).fetchone()[0]


_RECURRENCE_STATUS_SQL = """CASE WHEN r.p0_p1_items = 0 THEN 'none' WHEN r.p0_p1_open > 0 THEN 'open'
                    WHEN r.p0_p1_done_undated > 0 THEN 'undated' ELSE 'done' END"""


def recurrence_status_counts(con, filters) -> dict[str, int]:
    """Recurrences whose later incident matches the filter, per status (as :func:`recurrence_counts`,
    each counted once)."""
    where, params = filters.where("l")
    with cursor(con) as cur:
        rows = cur.execute(f"""
            SELECT {_RECURRENCE_STATUS_SQL} AS status, count(*)
            FROM recurrences r JOIN incidents l ON l.incident_id = r.later_id
            WHERE {where} GROUP BY ALL""", params).fetchall()
    return {status: count for status, count in rows}


def recurrence_counts(con, filters):
    """Per team shared by the two incidents (``(app only)`` when they share only an app) and status
    (``done``: every earlier P0/P1 item done before the repeat, ``open``: some not, ``undated``: none open
    but some done on a day not given, ``none``: no P0/P1 items): recurrences whose later incident matches
    the filter."""
    where, params = filters.where("l")
    return fetch_df(con, f"""
        SELECT coalesce(t.team, '(app only)') AS team, {_RECURRENCE_STATUS_SQL} AS status,
               count(*) AS recurrences
        FROM recurrences r JOIN incidents l ON l.incident_id = r.later_id,
             unnest(CASE WHEN r.shared_teams IS NULL THEN [NULL] ELSE string_split(r.shared_teams, ', ') END) AS t(team)
        WHERE {where}
        GROUP BY ALL ORDER BY ALL
    """, params)


_OUTLIERS_CTE = """
        chosen AS (SELECT i.*, i.patients_affected * i.duration_min AS patient_impact_min
                   FROM incidents i WHERE {where} AND i.patients_affected * i.duration_min IS NOT NULL),
        medians AS (SELECT median(patient_impact_min) FILTER (severity = 'SEV1') AS sev1_median,
                           median(patient_impact_min) FILTER (severity = 'SEV3') AS sev3_median FROM chosen),
        outliers AS (SELECT c.*, m.sev1_median, m.sev3_median FROM chosen c, medians m
                     WHERE (c.severity IN ('SEV2', 'SEV3') AND c.patient_impact_min > m.sev1_median)
                        OR (c.severity IN ('SEV1', 'SEV2') AND c.patient_impact_min < m.sev3_median))"""


def severity_outlier_rows(con, filters, limit: int | None = None):
    """Matching incidents with known patient impact-minutes above the SEV1 median (SEV2/SEV3) or below
    the SEV3 median (SEV1/SEV2), with both medians; newest first, the first ``limit``."""
    where, params = filters.where()
    return fetch_df(con, f"""
        WITH {_OUTLIERS_CTE.format(where=where)},
        shown AS (SELECT * FROM outliers ORDER BY incident_date DESC, incident_id LIMIT ?)
        SELECT s.incident_id, s.title, s.incident_date, s.severity,
               coalesce((SELECT string_agg(team, ', ' ORDER BY team) FROM incident_teams t
                         WHERE t.incident_id = s.incident_id), '') AS teams,
               s.patient_impact_min, s.duration_min, s.patients_affected, s.sev1_median, s.sev3_median
        FROM shown s
        ORDER BY s.incident_date DESC, s.incident_id
    """, params + [limit])


def severity_outlier_count(con, filters) -> int:
    """How many incidents :func:`severity_outlier_rows` would list without a limit."""
    where, params = filters.where()
    with cursor(con) as cur:
        return cur.execute(f"WITH {_OUTLIERS_CTE.format(where=where)} SELECT count(*) FROM outliers", params).fetchone()[0]


def severity_calibration_counts(con, filters):
    """Per team (an incident counts in each of its teams; only the filtered teams when the filter names
    some): incidents whose impact can be judged (known patient impact-minutes), and how many of them
    :func:`severity_outlier_rows` flags as graded lower (SEV2/SEV3 above the SEV1 median) or higher
    (SEV1/SEV2 below the SEV3 median) than their harm. The medians are the whole selection's."""
    group_sql, join_sql, join_params = _grouping(filters, "team", alias="c")
    where, params = filters.where()
    return fetch_df(con, f"""
        WITH {_OUTLIERS_CTE.format(where=where)}
        SELECT {group_sql} AS team, count(*) AS judged,
               count(*) FILTER (c.severity IN ('SEV2', 'SEV3') AND c.patient_impact_min > m.sev1_median)
                   AS graded_lower,
               count(*) FILTER (c.severity IN ('SEV1', 'SEV2') AND c.patient_impact_min < m.sev3_median)
                   AS graded_higher
        FROM chosen c CROSS JOIN medians m {join_sql}
        GROUP BY ALL ORDER BY ALL
    """, params + join_params)


# Per incident: reviewers listed, how many said LGTM, and the date of the last LGTM.
_REVIEW_CTE = """review AS (
            SELECT incident_id, count(*) AS reviewers, count(*) FILTER (state = 'LGTM') AS lgtm,
                   max(reviewed_on) FILTER (state = 'LGTM') AS last_lgtm_on
            FROM reviewers GROUP BY incident_id
        )"""


def review_aggregates(con, filters, period: str):
    """Per period and team (an incident counts in each of its teams; only the filtered teams when the
    filter names some): post-mortems, fully reviewed, median days from resolution to the last LGTM."""
    group_sql, join_sql, join_params = _grouping(filters, "team")
    where, params = filters.where()
    return fetch_df(con, f"""
        WITH {_REVIEW_CTE}
        SELECT {PERIOD_SQL[period]} AS period_start, {group_sql} AS team,
               count(*) AS post_mortems,
               count(*) FILTER (r.reviewers > 0 AND r.reviewers = r.lgtm) AS fully_reviewed,
               median(date_diff('day', {_ENDED_ON}, r.last_lgtm_on))
                   AS median_days_to_last_lgtm
        FROM incidents i {join_sql} LEFT JOIN review r ON r.incident_id = i.incident_id
        WHERE {where}
        GROUP BY ALL ORDER BY ALL
    """, join_params + params)


def theme_counts(con, filters, period: str = "quarter"):
    """Incidents per theme and period among matching incidents."""
    where, params = filters.where()
    return fetch_df(con, f"""
        SELECT {PERIOD_SQL[period]} AS period_start, th.theme_id, th.label, count(*) AS incidents
        FROM incidents i JOIN incident_themes it ON it.incident_id = i.incident_id
        JOIN themes th ON th.theme_id = it.theme_id
        WHERE {where}
        GROUP BY ALL ORDER BY ALL
    """, params)


def themes_table(con, filters):
    """Themes with their top terms and how many matching incidents each has."""
    where, params = filters.where()
    return fetch_df(con, f"""
        SELECT th.theme_id, th.label, th.top_terms, count(i.incident_id) AS incidents,
               min(i.incident_date) AS first_seen, max(i.incident_date) AS last_seen
        FROM themes th JOIN incident_themes it ON it.theme_id = th.theme_id
        JOIN incidents i ON i.incident_id = it.incident_id
        WHERE {where}
        GROUP BY ALL ORDER BY incidents DESC, th.theme_id
    """, params)


def start_hours(con, filters):
    """Matching incidents per weekday (0 = Monday) and hour of their start, on their own clock."""
    where, params = filters.where()
    return fetch_df(con, f"""
        SELECT isodow(i.started_local) - 1 AS weekday, hour(i.started_local) AS hour, count(*) AS incidents
        FROM incidents i WHERE {where} AND i.started_local IS NOT NULL
        GROUP BY ALL ORDER BY ALL
    """, params)


OFF_HOURS_SQL = "(isodow(i.started_local) >= 6 OR hour(i.started_local) < 8 OR hour(i.started_local) >= 19)"


def off_hours_counts(con, filters, period: str | None = "quarter", by: str | None = None):
    """Per period/group: incidents, those with a known start, and those starting off hours."""
    group_sql, join_sql, join_params = _grouping(filters, by)
    where, params = filters.where()
    period_col = f"{PERIOD_SQL[period]} AS period_start, " if period else ""
    return fetch_df(con, f"""
        SELECT {period_col}{group_sql} AS "group", count(*) AS incidents,
               count(*) FILTER (i.started_local IS NOT NULL) AS known,
               count(*) FILTER ({OFF_HOURS_SQL}) AS off_hours
        FROM incidents i {join_sql}
        WHERE {where}
        GROUP BY ALL ORDER BY ALL
    """, join_params + params)


def review_rows(con, filters, as_of, waiting_only: bool = False, limit: int | None = None):
    """Per matching incident: reviewers, LGTMs, the last LGTM date and the days from resolution to it,
    whether every reviewer said LGTM, and the days since it was resolved as of ``as_of``.
    ``waiting_only`` keeps those not fully reviewed, longest waiting first (the first ``limit``)."""
    where, params = filters.where()
    return fetch_df(con, f"""
        WITH {_REVIEW_CTE},
        chosen AS (
            SELECT i.incident_id, i.title, i.incident_date, i.severity,
                   coalesce(r.reviewers, 0) AS reviewers, coalesce(r.lgtm, 0) AS lgtm, r.last_lgtm_on,
                   date_diff('day', {_ENDED_ON}, r.last_lgtm_on)
                       AS days_to_last_lgtm,
                   coalesce(r.reviewers > 0 AND r.reviewers = r.lgtm, false) AS fully_reviewed,
                   date_diff('day', coalesce({_ENDED_ON}, i.incident_date),
                             CAST(? AS DATE)) AS days_since_resolved
            FROM incidents i LEFT JOIN review r ON r.incident_id = i.incident_id
            WHERE {where} AND NOT (? AND coalesce(r.reviewers > 0 AND r.reviewers = r.lgtm, false))
            ORDER BY CASE WHEN ? THEN -days_since_resolved END, i.incident_date, i.incident_id
            LIMIT ?
        )
        SELECT c.incident_id, c.title, c.incident_date, c.severity,
               coalesce((SELECT string_agg(team, ', ' ORDER BY team) FROM incident_teams t
                         WHERE t.incident_id = c.incident_id), '') AS teams,
               c.reviewers, c.lgtm, c.last_lgtm_on, c.days_to_last_lgtm, c.fully_reviewed, c.days_since_resolved
        FROM chosen c
        ORDER BY CASE WHEN ? THEN -c.days_since_resolved END, c.incident_date, c.incident_id
    """, [as_of] + params + [waiting_only, waiting_only, limit, waiting_only])


def waiting_count(con, filters) -> int:
    """How many matching post-mortems are not yet LGTM'd by everyone listed (or have no reviewer)."""
    where, params = filters.where()
    with cursor(con) as cur:
        return cur.execute(f"""
            WITH {_REVIEW_CTE}
            SELECT count(*) FROM incidents i LEFT JOIN review r ON r.incident_id = i.incident_id
            WHERE {where} AND NOT coalesce(r.reviewers > 0 AND r.reviewers = r.lgtm, false)
        """, params).fetchone()[0]


def _search_hits(filters, search: str) -> tuple[str, list]:
    """The CTEs ``chosen`` (matching post-mortems) and ``hits`` (each place ``search`` occurs), and their
    parameters: shared by the search and its count."""
    where, params = filters.where()
    like, pattern = _like(search)
    return f"""
        WITH chosen AS (SELECT i.incident_id, i.title, i.incident_date, i.impact_summary, i.exclude_from_metrics,
                               i.exclude_reason FROM incidents i WHERE {where}),
        hits AS (
            SELECT incident_id, 'Title' AS field, 0 AS seq, title AS text FROM chosen WHERE title {like}
            UNION ALL SELECT incident_id, 'Impact summary', 0, impact_summary FROM chosen
                WHERE impact_summary {like}
            UNION ALL SELECT f.incident_id, CASE f.kind WHEN 'went_well' THEN 'What went well'
                    WHEN 'went_wrong' THEN 'What didn''t go well' WHEN 'got_lucky' THEN 'Where we got lucky'
                    ELSE 'Why it happened' END, f.seq, f.text
                FROM findings f JOIN chosen c USING (incident_id) WHERE f.text {like}
            UNION ALL SELECT a.incident_id, 'Action item ' || a.action_id || coalesce(' (' || a.priority || ')', ''),
                    a.seq, a.description
                FROM action_items a JOIN chosen c USING (incident_id) WHERE a.description {like}
        )""", params + [pattern] * 4


def search_matches(con, filters, search: str, limit: int):
    """Where ``search`` occurs (case-insensitive) in matching post-mortems: incident, field and text, and
    whether the post-mortem is a drill/test the statistics leave out (and why)."""
    hits, params = _search_hits(filters, search)
    return fetch_df(con, f"""{hits}
        SELECT h.incident_id, c.title, c.incident_date, h.field, h.text,
               c.exclude_from_metrics AS drill, c.exclude_reason
        FROM hits h JOIN chosen c USING (incident_id)
        ORDER BY c.incident_date DESC, h.incident_id, h.field, h.seq
        LIMIT ?
    """, params + [limit])


def search_count(con, filters, search: str) -> tuple[int, int]:
    """How many places ``search`` occurs in matching post-mortems, and in how many post-mortems."""
    hits, params = _search_hits(filters, search)
    with cursor(con) as cur:
        matches, post_mortems = cur.execute(f"{hits} SELECT count(*), count(DISTINCT incident_id) FROM hits",
                                            params).fetchone()
    return int(matches), int(post_mortems)
