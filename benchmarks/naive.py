#!/usr/bin/env python3
"""The two reference points the load benchmark compares ``pm_analytics.load`` against.

``naive_load``: a loader written the obvious way. It walks the folder and, per
file, reads the text, parses YAML with the pure-Python ``yaml.safe_load``
(whole ``.yaml``/``.yml`` files and the front matter of Markdown), reads the
template with pm_analytics' own parser, builds the record with pm_analytics'
own builder, and writes it with one ``INSERT INTO ... VALUES (?, ...)`` per
row, for the incidents table and every child table. The only differences from
``pm_analytics.load.load_into`` are meant to be those two: the pure-Python
YAML loader instead of libyaml's C loader, and row-by-row inserts instead of
bulk Arrow inserts. (It skips the loader's defensive checks -- size limit,
binary/encoding sniffing, YAML expansion bound -- which cost little on valid
files, and writes the database in place inside one transaction.)

``floor``: what no loader can avoid -- walk, open and read every file, and run
libyaml (``yaml.CSafeLoader``) over the YAML parts only. Nothing else.

    python benchmarks/naive.py FOLDER [--db naive.duckdb]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path, PurePath

import duckdb
import yaml

from pm_analytics.parse import SUFFIXES, TEXT_SUFFIXES, YAML_SUFFIXES
from pm_analytics.parse.build import build_incident
from pm_analytics.parse.document import read_document, split_front_matter
from pm_analytics.parse.reader import read_blocks
from pm_analytics.parse.yaml_doc import YamlError, raw_from_yaml
from pm_analytics.store import SCHEMA_VERSION, create_schema, incident_rows, table_columns

PathLike = str | os.PathLike


def _walk(paths: Iterable[PathLike]) -> list[tuple[Path, str]]:
    """(file, name relative to the folder given) for every post-mortem file, sorted by name."""
    found: dict[str, Path] = {}
    for given in paths:
        root = Path(given)
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for name in filenames:
                    if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                        continue
                    path = Path(dirpath) / name
                    found.setdefault(path.relative_to(root).as_posix(), path)
        else:
            found.setdefault(root.name, root)
    return [(found[k], k) for k in sorted(found)]


def _insert_sql(table: str) -> str:
    cols = table_columns(table)
    return f"INSERT INTO {table} VALUES ({', '.join('?' for _ in cols)})"


def naive_load(paths: Sequence[PathLike], db_path: PathLike, *, transaction: bool = True) -> dict:
    """Load ``paths`` into a new DuckDB file at ``db_path`` the straightforward way.

    Returns counts: ``files``, ``loaded``, ``rejected``, ``problems``. With
    ``transaction=False`` every INSERT autocommits (the truly naive way, and
    much slower); the default wraps the load in one transaction.
    """
    db_path = Path(db_path)
    for leftover in (db_path, Path(str(db_path) + ".wal")):
        if leftover.exists():
            leftover.unlink()
    con = duckdb.connect(str(db_path))
    counts = {"files": 0, "loaded": 0, "rejected": 0, "problems": 0}
    try:
        create_schema(con)
        if transaction:
            con.execute("BEGIN TRANSACTION")
        sql = {t: _insert_sql(t) for t in ("incidents", "incident_teams", "affected_apps", "reviewers",
                                           "timeline_events", "findings", "action_items", "field_sources", "load_issues",
                                           "source_files", "load_info")}
        owner_of: dict[str, str] = {}
        for path, name in _walk(paths):
            counts["files"] += 1
            stat = path.stat()
            with open(path, "rb") as fh:
                data = fh.read()
            sha = hashlib.sha256(data).hexdigest()
            text = data.decode("utf-8-sig", errors="replace")
            suffix = path.suffix.lower()
            try:
                if suffix in YAML_SUFFIXES:
                    fmt = "yaml"
                    raw = raw_from_yaml(yaml.safe_load(text), text)
                    raw.text_lines = text.splitlines()
                else:
                    split = split_front_matter(text)
                    if split is None:
                        fmt = "text" if suffix == ".txt" else "markdown"
                        raw = read_blocks(read_document(text))
                    else:
                        fmt = "front_matter"
                        _, front_text, body, offset = split
                        front = raw_from_yaml(yaml.safe_load(front_text), front_text, line_offset=1,
                                              where="front matter")
                        front.text_lines = text.splitlines()
                        raw = read_blocks(read_document(body, line_offset=offset))
                        raw.merge_over(front)
            except (yaml.YAMLError, YamlError) as exc:
                con.execute(sql["load_issues"], (name, "error", getattr(exc, "line", None), None, f"malformed YAML: {exc}"))
                con.execute(sql["source_files"], (name, stat.st_size, stat.st_mtime_ns, sha, "rejected", None))
                counts["rejected"] += 1
                counts["problems"] += 1
                continue
            incident, problems = build_incident(raw, source_path=name, source_format=fmt, source_sha256=sha,
                                                file_stem=PurePath(name).stem)
            for line, field, level, message in problems:
                con.execute(sql["load_issues"], (name, level, line, field, message))
            counts["problems"] += len(problems)
            status, incident_id = "rejected", None
            if incident is not None:
                incident_id = incident.incident_id
                first = owner_of.get(incident_id)
                if first is not None:
                    con.execute(sql["load_issues"], (name, "error", None, "id",
                                                     f"duplicate incident id '{incident_id}': already used by {first}; not loaded"))
                    counts["problems"] += 1
                    status = "duplicate"
                else:
                    owner_of[incident_id] = name
                    status = "loaded"
                    for table, rows in incident_rows([incident]).items():
                        for row in rows:
                            con.execute(sql[table], row)
            counts["loaded" if status == "loaded" else "rejected"] += 1
            con.execute(sql["source_files"], (name, stat.st_size, stat.st_mtime_ns, sha, status, incident_id))
        info = {"schema_version": str(SCHEMA_VERSION), "source": ", ".join(str(p) for p in paths),
                "files_seen": str(counts["files"]),
                "loaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        for key, value in sorted(info.items()):
            con.execute(sql["load_info"], (key, value))
        if transaction:
            con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


def floor(paths: Sequence[PathLike]) -> int:
    """Walk, open and read every post-mortem file and parse its YAML parts with libyaml; nothing else.

    Whole ``.yaml``/``.yml`` files and the ``---`` front matter of Markdown files
    go through ``yaml.load(..., Loader=yaml.CSafeLoader)``. Returns the number of files read.
    """
    loader = yaml.CSafeLoader
    files = 0
    for given in paths:
        root = Path(given)
        walk = os.walk(root) if root.is_dir() else [(str(root.parent), [], [root.name])]
        for dirpath, dirnames, filenames in walk:
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                lower = name.lower()
                if name.startswith(".") or not lower.endswith(SUFFIXES):
                    continue
                with open(os.path.join(dirpath, name), "rb") as fh:
                    data = fh.read()
                files += 1
                if lower.endswith(YAML_SUFFIXES):
                    yaml.load(data, Loader=loader)  # noqa: S506 - CSafeLoader is a safe loader
                elif lower.endswith(TEXT_SUFFIXES) and data.startswith(b"---"):
                    end = data.find(b"\n---", 3)
                    if end != -1:
                        yaml.load(data[3:end], Loader=loader)  # noqa: S506
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the floor and the naive loader on a folder.")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--db", type=Path, default=None, help="where the naive loader writes (default: a temp file)")
    args = parser.parse_args(argv)
    import tempfile

    t = time.perf_counter()
    n = floor([args.folder])
    print(f"floor: {n:,} files in {time.perf_counter() - t:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "naive.duckdb"
        t = time.perf_counter()
        counts = naive_load([args.folder], db)
        print(f"naive_load: {counts} in {time.perf_counter() - t:.2f} s -> {db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
