"""Loading folders: every file loaded or reported, duplicates, the database written atomically, the CLI."""

import json
import os
from pathlib import Path

import duckdb
import pytest

from pm_analytics.cli import main
from pm_analytics.load import load_into, load_paths
from pm_analytics.store import TABLES, open_database, table_columns

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
        assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == len(result.incidents) == 5
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


def test_a_failed_write_leaves_the_previous_database(tmp_path, monkeypatch):
    db = tmp_path / "pm.duckdb"
    load_into([GOOD], db, relative_to=GOOD)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("pm_analytics.store.insert_rows", explode)
    with pytest.raises(RuntimeError):
        load_into([GOOD], db, relative_to=GOOD)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == 5
    con.close()
    assert sorted(os.listdir(tmp_path)) == ["pm.duckdb"]


def test_cli_load_prints_summary_and_problems(tmp_path, capsys):
    db = tmp_path / "out.duckdb"
    assert main(["load", str(BAD), str(GOOD), "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith(f"{len(EXPECTED) + 1 + 10} files seen, 8 loaded")
    assert f"{BAD}/malformed.yaml:6: error: -: malformed YAML: mapping values are not allowed in this context" in out
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
