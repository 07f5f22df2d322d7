"""Loading folders: every file loaded or reported, duplicates, the database written atomically, the CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pm_analytics.cli import main
from pm_analytics.load import load_into, load_paths
from pm_analytics.store import TABLES, cursor, open_database, previous_load, table_columns

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BAD = FIXTURES / "bad"
GOOD = FIXTURES / "good"
EXPECTED = json.loads((BAD / "expected.json").read_text())


@pytest.fixture(scope="module")
def bad_load():
    return load_paths([BAD], relative_to=BAD)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_fixture_gives_its_expected_problem(bad_load, name):
    want = EXPECTED[name]
    status = {f.source_path: f.status for f in bad_load.files}
    assert status[name] == want["status"]
    if "message" not in want:
        assert not [p for p in bad_load.problems if p.source_path == name and p.level == "error"]
        return
    matching = [p for p in bad_load.problems if p.source_path == name and p.level == want["level"]
                and want["message"] in p.message]
    assert matching, [str(p) for p in bad_load.problems if p.source_path == name]
    if "line" in want:
        assert matching[0].line == want["line"]
    if "field" in want:
        assert matching[0].field == want["field"]


def test_every_bad_fixture_is_listed(bad_load):
    assert {f.source_path for f in bad_load.files} == set(EXPECTED) | {"expected.json"}


def test_every_file_is_loaded_or_reported(bad_load):
    reported = {p.source_path for p in bad_load.problems}
    for source in bad_load.files:
        assert source.status == "loaded" or source.source_path in reported
    loaded_ids = [i.incident_id for i in bad_load.incidents]
    assert len(loaded_ids) == len(set(loaded_ids)) == bad_load.count("loaded")


def test_unsafe_yaml_tag_does_not_run(tmp_path, bad_load):
    assert not Path("/tmp/pm-analytics-pwned").exists()


def test_database_has_documented_tables_and_rows(tmp_path):
    db = tmp_path / "pm.duckdb"
    result = load_into([GOOD], db, relative_to=GOOD)
    con = open_database(db)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert set(TABLES) <= tables
        for table in TABLES:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [table]).fetchall()]
            assert cols == table_columns(table)
        assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == result.count("loaded") == 5
        row = con.execute("""
            SELECT severity, started_at, resolved_at, duration_min, providers_affected, patients_affected
            FROM incidents WHERE incident_id = '2025-06-14-reminders-delayed'
        """).fetchone()
        assert row[0] == "SEV2"
        assert row[1].isoformat().startswith("2025-06-14T15:40:00") and row[1].utcoffset().total_seconds() == 0
        assert row[3] == 145.0
        assert row[4] is None, "an unknown count stays NULL, never 0"
        assert row[5] == 1480
        due = con.execute("""
            SELECT priority, due_at - i.resolved_at FROM action_items a JOIN incidents i USING (incident_id)
            WHERE incident_id = 'INC-2025-102' ORDER BY seq
        """).fetchall()
        assert [(p, d.total_seconds() / 3600) for p, d in due] == [("P0", 48), ("P1", 336), ("P2", 672), ("P2", 672)]
        warnings = con.execute("SELECT count(*) FROM load_issues WHERE level = 'warning'").fetchone()[0]
        assert warnings == sum(1 for p in result.problems if p.level == "warning") > 0
    finally:
        con.close()


def test_a_reload_replaces_the_database_whole(tmp_path):
    db = tmp_path / "pm.duckdb"
    load_into([GOOD], db, relative_to=GOOD)
    reader = open_database(db)
    assert reader.execute("SELECT count(*) FROM incidents").fetchone()[0] == 5
    one = tmp_path / "one"
    one.mkdir()
    (one / "2025-06-14-reminders-delayed.txt").write_bytes((GOOD / "2025-06-14-reminders-delayed.txt").read_bytes())
    load_into([one], db, relative_to=one)
    assert reader.execute("SELECT count(*) FROM incidents").fetchone()[0] == 5, "an open reader keeps its snapshot"
    reader.close()
    fresh = open_database(db)
    assert fresh.execute("SELECT count(*) FROM incidents").fetchone()[0] == 1
    fresh.close()
    assert sorted(os.listdir(tmp_path)) == ["one", "pm.duckdb"], "no temporary files left behind"


def test_a_reader_opened_after_a_reload_sees_it_while_an_older_one_is_open(tmp_path):
    """The dashboard keeps the last version's connection open while it opens the new one: DuckDB would
    hand the new connect() the instance already open for that path, reading the replaced file."""
    db = tmp_path / "pm.duckdb"
    load_into([GOOD], db, relative_to=GOOD)
    old = open_database(db)
    one = tmp_path / "one"
    one.mkdir()
    (one / "2025-06-14-reminders-delayed.txt").write_bytes((GOOD / "2025-06-14-reminders-delayed.txt").read_bytes())
    load_into([one], db, relative_to=one)
    new = open_database(db)
    try:
        with cursor(new) as cur:
            assert cur.execute("SELECT count(*) FROM incidents").fetchone()[0] == 1
        with cursor(old) as cur:
            assert cur.execute("SELECT count(*) FROM incidents").fetchone()[0] == 5, "the older keeps its snapshot"
    finally:
        old.close()
        new.close()


def test_a_readers_queries_reuse_its_cursors_one_query_at_a_time_in_utc(tmp_path):
    """A reading connection's cursors are kept between queries (no cursor made and set up per query), a
    cursor is never handed to a second query while the first holds it, one whose query failed is not kept,
    and every cursor, kept or new, reading or writing, answers in UTC on a machine that is not."""
    db = tmp_path / "pm.duckdb"
    load_into([GOOD], db, relative_to=GOOD)
    con = open_database(db)
    try:
        with cursor(con) as first:
            with cursor(con) as second:
                assert second is not first, "a cursor in use is not shared"
        with cursor(con) as again:
            assert again in (first, second), "a reader's cursor is kept for the next query"
        with pytest.raises(duckdb.CatalogException):
            with cursor(con) as failing:
                failing.execute("SELECT * FROM no_such_table")
        with cursor(con) as after, cursor(con) as other, cursor(con) as third:
            assert failing not in (after, other, third), "a cursor whose query failed is not kept"
        previous = previous_load(db)
        assert previous.problems(["no-such-file.md"]) == []
        with cursor(previous.con) as cur, pytest.raises(duckdb.CatalogException):
            cur.execute("SELECT * FROM _wanted")
        previous.close()
    finally:
        con.close()
    script = ("import sys, duckdb\n"
              "from pm_analytics.store import DatabaseWriter, cursor, open_database\n"
              "con = open_database(sys.argv[1])\n"
              "zones = [duckdb.connect().execute(\"SELECT current_setting('TimeZone')\").fetchone()[0]]\n"
              "for _ in range(2):\n"
              "    with cursor(con) as cur:\n"
              "        zones.append(cur.execute(\"SELECT current_setting('TimeZone')\").fetchone()[0])\n"
              "with DatabaseWriter(sys.argv[2]) as writer, cursor(writer.con) as cur:\n"
              "    zones.append(cur.execute(\"SELECT current_setting('TimeZone')\").fetchone()[0])\n"
              "print(' '.join(zones))\n")
    env = {**os.environ, "TZ": "Pacific/Kiritimati"}
    zones = subprocess.run([sys.executable, "-c", script, str(db), str(tmp_path / "other.duckdb")], env=env,
                           cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, check=True)
    assert zones.stdout.split() == ["Pacific/Kiritimati", "UTC", "UTC", "UTC"], zones.stderr


def test_the_dashboards_loads_parse_at_a_lower_cpu_priority_than_the_dashboard(tmp_path, monkeypatch):
    """A load the dashboard runs (``datasource.refresh``, beside its viewers' page runs) parses in workers
    ``BACKGROUND_NICENESS`` below the process that runs it, so a page run gets a core first; any other load
    parses at the caller's priority. Both run in a thread, as the dashboard's do (a thread parses in
    workers however few the files)."""
    import threading

    from pm_analytics import datasource, load

    seen = tmp_path / "seen"
    seen.mkdir()
    read_candidate = load.read_candidate

    def recording(candidate, read=None):
        (seen / candidate.source_path.replace("/", "_")).write_text(f"{os.getpid()} {os.getpriority(os.PRIO_PROCESS, 0)}")
        return read_candidate(candidate, read)

    monkeypatch.setattr(load, "read_candidate", recording)  # the workers are forked after this
    own = os.getpriority(os.PRIO_PROCESS, 0)
    loads = {
        "dashboard": lambda: datasource.refresh(datasource.DataSource(GOOD, tmp_path / "dashboard.duckdb")),
        "user": lambda: load_into([GOOD], tmp_path / "user.duckdb", relative_to=GOOD, workers=2),
    }
    for name, run in loads.items():
        for old in seen.iterdir():
            old.unlink()
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        readings = [tuple(map(int, f.read_text().split())) for f in seen.iterdir()]
        assert len(readings) == 5, f"{name}: every post-mortem read once"
        assert all(pid != os.getpid() for pid, _ in readings), f"{name}: parsed in workers"
        wanted = min(19, own + load.BACKGROUND_NICENESS) if name == "dashboard" else own
        assert {priority for _, priority in readings} == {wanted}, name
    con = open_database(tmp_path / "dashboard.duckdb")
    try:
        assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == 5
    finally:
        con.close()


def test_a_failed_write_leaves_the_previous_database(tmp_path, monkeypatch):
    db = tmp_path / "pm.duckdb"
    load_into([GOOD], db, relative_to=GOOD)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("pm_analytics.store.insert_rows", explode)
    with pytest.raises(RuntimeError):
        load_into([GOOD], db, relative_to=GOOD, incremental=False)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == 5
    con.close()
    assert sorted(os.listdir(tmp_path)) == ["pm.duckdb"]


def test_cli_load_prints_summary_and_problems(tmp_path, capsys):
    db = tmp_path / "out.duckdb"
    assert main(["load", str(BAD), str(GOOD), "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    good_files = len(list(GOOD.iterdir()))
    loaded = sum(1 for v in EXPECTED.values() if v["status"] == "loaded") + good_files // 2
    assert out[-1].startswith(f"{len(EXPECTED) + 1 + good_files} files seen, {loaded} loaded")
    # named relative to the folder the two loaded folders share
    assert "bad/malformed.yaml:6: error: -: malformed YAML: mapping values are not allowed in this context" in out
    assert db.exists()


def test_cli_validate_exit_codes(tmp_path, capsys):
    assert main(["validate", str(GOOD)]) == 0
    assert main(["validate", str(BAD / "no-date.md")]) == 1
    assert not list(tmp_path.iterdir())
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(tmp_path / "missing")])
    assert exc.value.code == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_cli_summary_json_and_text(tmp_path, capsys):
    db = tmp_path / "pm.duckdb"
    load_into([GOOD], db, relative_to=GOOD)
    capsys.readouterr()
    assert main(["summary", "--db", str(db), "--as-of", "2026-02-01", "--json", "--severity", "SEV1"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    # SEV1: INC-2025-102 (210 min, 2,140 patients) and the iOS crash (200 min, patients unknown)
    assert numbers["incidents"] == 2 and numbers["incidents_by_severity"]["SEV1"] == 2
    assert numbers["median_duration_min"] == 205
    assert (numbers["patients_affected_total"], numbers["patients_affected_unknown"]) == (2140, 1)
    assert numbers["action_items_total"] == 8 and numbers["action_items_done"] == 4
    # overdue on 2026-02-01: PAY-503 (due 2025-12-19) and PA-883 (due 2026-01-24); the P2 runbook is due 2026-02-07
    assert numbers["action_items_overdue"] == 2
    assert main(["summary", "--db", str(db), "--from", "2026-01-01", "--to", "2026-01-31", "--as-of", "2026-02-01"]) == 0
    text = capsys.readouterr().out
    assert "Median time to recover           3 h 20 min" in text and "Incidents" in text
    assert main(["summary", "--db", str(tmp_path / "none.duckdb")]) == 2


def table_contents(db) -> dict:
    """Every table's rows, sorted, except the load's own timestamp."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        contents = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES if t != "load_info"}
        contents["load_info"] = con.execute("SELECT * FROM load_info WHERE key <> 'loaded_at' ORDER BY ALL").fetchall()
        return contents
    finally:
        con.close()


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "postmortems"
    folder.mkdir()
    for path in sorted((ROOT / "data").iterdir()):
        if not path.name.startswith("."):
            (folder / path.name).write_bytes(path.read_bytes())
    return folder


ROOT = FIXTURES.parent.parent


def test_reload_with_nothing_changed_leaves_the_database(corpus, tmp_path):
    db = tmp_path / "pm.duckdb"
    first = load_into([corpus], db, relative_to=corpus)
    stamp = db.stat().st_mtime_ns
    again = load_into([corpus], db, relative_to=corpus)
    assert (first.written, again.written, again.parsed) == (True, False, 0)
    assert db.stat().st_mtime_ns == stamp
    assert again.summary() == first.summary()
    assert sorted(map(str, again.problems)) == sorted(map(str, first.problems))


def test_a_load_reads_the_previous_database_as_it_was_and_closes_it(corpus, tmp_path, monkeypatch):
    """What a load reads of the previous database (files, ids, problems) comes from one snapshot, even
    if another load replaces the file meanwhile, and the load closes it when done."""
    from pm_analytics import store

    db = tmp_path / "pm.duckdb"
    load_into([corpus], db, relative_to=corpus, text_model=False)
    previous = store.previous_load(db)
    ids, problems = previous.ids_by_path(), previous.problems()
    assert ids and problems
    for path in sorted(corpus.iterdir())[:40]:
        path.unlink()
    load_into([corpus], db, relative_to=corpus, text_model=False, incremental=False)
    assert previous.ids_by_path() == ids and previous.problems() == problems
    now = store.PreviousLoad(db, [])
    assert len(now.ids_by_path()) < len(ids)
    previous.close()
    assert previous.con is None

    opened = []
    monkeypatch.setattr("pm_analytics.load.previous_load", lambda path: opened.append(store.previous_load(path)) or opened[-1])
    (corpus / "zz-new.md").write_text((ROOT / "data" / sorted(os.listdir(ROOT / "data"))[-1]).read_text())
    load_into([corpus], db, relative_to=corpus, text_model=False)
    assert opened and opened[0] is not None and opened[0].con is None


@pytest.fixture
def refit_always(monkeypatch):
    """A reload that changes anything fits the text model again, as a cold load does: these tests are
    about the files. (An update keeps the fitted vocabulary and themes; tests/test_text_model.py holds
    it to a recompute with that vocabulary.)"""
    monkeypatch.setattr("pm_analytics.insights.REFIT_SHARE", 0.0)


@pytest.fixture(params=["from a copy", "rebuilt"])
def reload_way(request, monkeypatch):
    """Both ways a reload writes its database: a copy of the previous one with the changed files' rows
    dropped (few files changed), or a new one the unchanged rows are copied into (many changed). Yields
    the list of the writer methods the reload called, to show which way it went."""
    from pm_analytics.store import DatabaseWriter

    if request.param == "rebuilt":
        monkeypatch.setattr("pm_analytics.load.COPY_AT_MOST_SHARE", 0.0)
    called = []
    for method in ("keep_only", "copy_previous"):
        original = getattr(DatabaseWriter, method)

        def spy(self, *args, _original=original, _name=method, **kwargs):
            called.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(DatabaseWriter, method, spy)
    yield request.param, called


def _went(reload_way) -> bool:
    way, called = reload_way
    return called[-1:] == (["keep_only"] if way == "from a copy" else ["copy_previous"])


def test_reload_parses_only_what_changed_and_matches_a_cold_load(corpus, tmp_path, refit_always, reload_way):
    db = tmp_path / "pm.duckdb"
    load_into([corpus], db, relative_to=corpus)
    files = sorted(corpus.iterdir())
    changed = files[3]
    changed.write_text(changed.read_text().replace("Started at", "Started at ", 1))
    os.utime(files[5], ns=(files[5].stat().st_atime_ns, files[5].stat().st_mtime_ns + 10**9))  # touched, same bytes
    files[7].unlink()
    (corpus / "2026-11-21-new-incident.yaml").write_text(
        "id: INC-NEW\ntitle: A new incident\ndate: 2026-11-21\ntimezone: UTC\nseverity: SEV3\n")
    result = load_into([corpus], db, relative_to=corpus)
    assert (result.written, result.parsed) == (True, 2)
    assert result.reused == len(files) - 2  # one deleted, one changed; the touched one is reused by its hash
    assert _went(reload_way)
    cold = tmp_path / "cold.duckdb"
    load_into([corpus], cold, relative_to=corpus, incremental=False)
    assert table_contents(db) == table_contents(cold)


def test_reload_settles_duplicates_across_reused_and_new_files(corpus, tmp_path, refit_always, reload_way):
    db = tmp_path / "pm.duckdb"
    load_into([corpus], db, relative_to=corpus)
    reused = sorted(corpus.glob("*.yaml"))[-1]
    taken_id = next(line.split(":", 1)[1].strip() for line in reused.read_text().splitlines() if line.startswith("id:"))
    (corpus / "0000-first.yaml").write_text(f"id: {taken_id}\ntitle: Earlier path wins\ndate: 2025-01-01\n")
    result = load_into([corpus], db, relative_to=corpus)
    status = {f.source_path: f.status for f in result.files}
    assert (status["0000-first.yaml"], status[reused.name]) == ("loaded", "duplicate")
    assert _went(reload_way)
    cold = tmp_path / "cold.duckdb"
    load_into([corpus], cold, relative_to=corpus, incremental=False)
    assert table_contents(db) == table_contents(cold)
    (corpus / "0000-first.yaml").unlink()
    load_into([corpus], db, relative_to=corpus)
    assert _went(reload_way)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT source_path FROM incidents WHERE incident_id = ?", [taken_id]).fetchone() == (reused.name,)
    con.close()


def test_worker_count_does_not_change_the_database(corpus, tmp_path, monkeypatch):
    monkeypatch.setattr("pm_analytics.load.PARALLEL_MIN_FILES", 10)
    monkeypatch.setattr("pm_analytics.load.CHUNK_FILES", 7)
    one, two = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    load_into([corpus], one, relative_to=corpus, workers=1)
    load_into([corpus], two, relative_to=corpus, workers=2)
    assert table_contents(one) == table_contents(two)


def test_parse_workers_leave_the_heap_they_were_forked_with_out_of_their_collections():
    """Each collection walked every object a worker was forked with (modules, mostly), and at Python's default
    threshold a worker of a 10,000-file load ran about 1,600 of them: 0.9-1.8 s of its CPU."""
    import gc
    import multiprocessing

    from pm_analytics import load

    threshold = gc.get_threshold()
    with multiprocessing.Pool(1, initializer=load._start_worker) as pool:
        frozen, young = pool.apply(gc.get_freeze_count), pool.apply(gc.get_threshold)[0]
    assert frozen > 1000 and young == load.YOUNG_COLLECTION_OBJECTS
    assert gc.get_threshold() == threshold, "this process is left as it was"


def test_reload_drops_only_the_logged_incident_that_now_loses_its_id(tmp_path, refit_always, reload_way):
    from test_duplicates_and_logs import DUPLICATE, LOG

    folder = tmp_path / "postmortems"
    folder.mkdir()
    (folder / "platform-log.md").write_text(LOG)
    for n in range(6):
        (folder / f"z-{n}.yaml").write_text(f"id: INC-{n}\ntitle: Filler {n}\ndate: 2025-06-0{n + 1}\n")
    db = tmp_path / "pm.duckdb"
    load_into([folder], db, relative_to=folder)
    (folder / "a.md").write_text(DUPLICATE.format(id="platform-log#2"))
    result = load_into([folder], db, relative_to=folder)
    assert (result.parsed, result.reused) == (1, 7)
    assert _went(reload_way)
    cold = tmp_path / "cold.duckdb"
    cold_result = load_into([folder], cold, relative_to=folder, incremental=False)
    assert table_contents(db) == table_contents(cold)
    # The reload reports what a cold load does, each problem once (it read the new duplicate's problem
    # back from the new database as a reused file's, and listed it twice, before fc9b67e).
    assert sorted(map(str, result.problems)) == sorted(map(str, cold_result.problems))
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT source_path FROM incidents WHERE incident_id LIKE 'platform-log#%' "
                       "ORDER BY incident_id").fetchall() == [("platform-log.md",), ("a.md",)]
    con.close()
