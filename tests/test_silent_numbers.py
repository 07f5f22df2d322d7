"""Numbers that used to come out wrong without a warning, each checked from the reader's side: a small
folder of post-mortems, loaded as a user would, and the number a person reads from them."""

import json
import os
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import duckdb
import pytest

from pm_analytics import metrics
from pm_analytics.cli import main
from pm_analytics.filters import Filters
from pm_analytics.load import load_into
from pm_analytics.store import canonicalise_names, create_schema, open_database, utc_date

FOUR = {
    "2025-06-01-failover.md": """# Traffic failover
Severity: SEV2
Number of Patients affected: No estimate yet
## Timeline (all times UTC)
- 10:00 Started at
- 10:30 Mitigated: traffic failed over
- 12:00 Resolved at: fixed
## P1 Action Items
- AI1: Add queue alert, owner: Ann, [FAX-1] done (2025-06-05)
""",
    "2025-06-02-errors.md": """# Error spike
Severity: SEV2
Number of Patients affected: 40
## Timeline (all times UTC)
- 09:00 Started at
- 09:05 Over 500 errors per second reported
- 10:00 Resolved at
## P1 Action Items
- AI1: Retry on 503, owner: Bo, [FAX-2] done 6/10/2025
""",
    "2025-06-03-batch.md": """# Batch stuck
Severity: SEV3
Number of Patients affected: none
All times UTC.
Duration: 1,200 minutes
""",
    "2025-06-04-short.md": """# Short blip
Severity: SEV3
Number of Patients affected: 120
## Timeline (all times UTC)
- 08:00 Started at
- 08:30 Resolved at
""",
}


def write(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def with_teams(text: str, teams: str) -> str:
    """The post-mortem with a 'Teams involved' line under its title."""
    title, rest = text.split("\n", 1)
    return f"{title}\nTeams involved: {teams}\n{rest}"


def summary(db, capsys, *args):
    assert main(["summary", "--db", str(db), "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_four_incident_example_reads_as_a_person_reads_it(tmp_path, capsys):
    folder = write(tmp_path / "four", FOUR)
    assert main(["load", str(folder), "--db", str(tmp_path / "pm.duckdb")]) == 0
    capsys.readouterr()
    numbers = summary(tmp_path / "pm.duckdb", capsys, "--as-of", "2025-06-30")
    assert numbers["median_duration_min"] == 90
    assert numbers["p90_duration_min"] == 876
    assert numbers["patients_affected_unknown"] == 1
    assert (numbers["action_items_done"], numbers["action_items_overdue"]) == (2, 0)


def test_source_paths_are_relative_to_the_loaded_folder(tmp_path, capsys):
    folder = write(tmp_path / "four", FOUR)
    os.chdir(tmp_path)
    assert main(["load", "four", "--db", "pm.duckdb"]) == 0
    con = open_database(tmp_path / "pm.duckdb")
    try:
        paths = sorted(r[0] for r in con.execute("SELECT source_path FROM incidents").fetchall())
    finally:
        con.close()
    assert paths == sorted(FOUR)
    assert folder.exists()


def test_summary_reads_severity_and_team_as_the_parser_does(tmp_path, capsys):
    files = {name: with_teams(text, team)
             for (name, text), team in zip(FOUR.items(), ["Payments", "payments", " Payments", "Data"])}
    folder = write(tmp_path / "teams", files)
    assert main(["load", str(folder), "--db", str(tmp_path / "pm.duckdb")]) == 0
    capsys.readouterr()
    assert summary(tmp_path / "pm.duckdb", capsys, "--severity", "sev2")["incidents"] == 2
    assert summary(tmp_path / "pm.duckdb", capsys, "--team", "Payments")["incidents"] == 3
    assert summary(tmp_path / "pm.duckdb", capsys, "--team", "PAYMENTS")["incidents"] == 3
    con = open_database(tmp_path / "pm.duckdb")
    try:
        assert metrics.filter_choices(con)["teams"] == ["Data", "Payments"], "one team, its most common spelling"
    finally:
        con.close()


def test_an_incident_holds_each_team_once_when_names_become_one_spelling():
    """Two spellings of one team in one post-mortem become one row: the queries that group incidents by
    team count a group's rows as its incidents."""
    con = duckdb.connect()
    try:
        create_schema(con)
        con.executemany("INSERT INTO incident_teams VALUES (?, ?)",
                        [("INC-1", "Payments"), ("INC-1", "payments "), ("INC-2", "PAYMENTS"), ("INC-2", "Data")])
        canonicalise_names(con)
        rows = sorted(con.execute("SELECT incident_id, team FROM incident_teams").fetchall())
    finally:
        con.close()
    assert rows == [("INC-1", "PAYMENTS"), ("INC-2", "Data"), ("INC-2", "PAYMENTS")]


def test_teams_per_incident_leaves_out_a_post_mortem_that_lists_none(tmp_path):
    files = {"2025-06-01-a.md": with_teams(FOUR["2025-06-01-failover.md"], "Payments, Data"),
             "2025-06-02-b.md": with_teams(FOUR["2025-06-02-errors.md"], "Platform"),
             "2025-06-03-c.md": FOUR["2025-06-03-batch.md"]}
    folder = write(tmp_path / "teams", files)
    load_into([folder], tmp_path / "pm.duckdb", relative_to=folder)
    con = open_database(tmp_path / "pm.duckdb")
    try:
        table = metrics.participants(con, Filters(), period=None)
    finally:
        con.close()
    assert (table["teams_involved_mean"].iloc[0], table["teams_involved_unknown"].iloc[0]) == (1.5, 1)


def test_symlinked_folders_inside_load_once_outside_are_reported(tmp_path):
    data = write(tmp_path / "data" / "2025", {"2025-06-01-failover.md": FOUR["2025-06-01-failover.md"]})
    other = write(tmp_path / "other", {"2025-06-02-errors.md": FOUR["2025-06-02-errors.md"]})
    (data.parent / "current").symlink_to(data, target_is_directory=True)
    (data.parent / "archive").symlink_to(other, target_is_directory=True)
    result = load_into([data.parent], tmp_path / "pm.duckdb", relative_to=data.parent)
    status = {f.source_path: f.status for f in result.files}
    assert status == {"2025/2025-06-01-failover.md": "loaded", "current": "skipped", "archive": "rejected"}
    messages = {p.source_path: p.message for p in result.problems}
    assert "outside the data folder" in messages["archive"] and "not read twice" in messages["current"]


def test_a_done_item_without_a_date_is_counted_apart_for_a_repeat(tmp_path):
    first = """# Certificate expired on the payments gateway
Severity: SEV2
Teams involved: Payments
## Why did it happen?
- The payments gateway certificate expired because renewal was manual and nobody owned certificate renewal
## Timeline (all times UTC)
- 10:00 Started at
- 11:00 Resolved at
## P1 Action Items
- AI1: Automate certificate renewal, owner: Ann, [PAY-1] done
"""
    later = first.replace("# Certificate expired on", "# Certificate expired again on")
    folder = write(tmp_path / "repeat", {"2025-01-10-cert.md": first, "2025-09-10-cert-again.md": later})
    load_into([folder], tmp_path / "pm.duckdb", relative_to=folder)
    con = open_database(tmp_path / "pm.duckdb")
    try:
        report = metrics.recurrence_report(con, Filters())
    finally:
        con.close()
    repeat = report["repeats"].iloc[0]
    assert (repeat["p0_p1_open"], repeat["p0_p1_done_undated"], repeat["status"]) == (
        0, 1, "P0/P1 done, date unknown")


@pytest.mark.parametrize("as_of, overdue", [(date(2025, 6, 30), 0), (date(2025, 6, 3), 0)])
def test_done_items_are_never_overdue(tmp_path, as_of, overdue):
    folder = write(tmp_path / "four", FOUR)
    load_into([folder], tmp_path / "pm.duckdb", relative_to=folder)
    con = open_database(tmp_path / "pm.duckdb")
    try:
        assert metrics.headline(con, Filters(), as_of)["action_items_overdue"] == overdue
    finally:
        con.close()


def load_one(tmp_path, name: str, text: str, query: str = "SELECT duration_min FROM incidents"):
    """What one post-mortem file loads as: the rows ``query`` gives, and the warnings."""
    folder = write(tmp_path / "one", {name: text})
    result = load_into([folder], tmp_path / "pm.duckdb", relative_to=folder)
    con = open_database(tmp_path / "pm.duckdb")
    try:
        rows = con.execute(query).fetchall()
    finally:
        con.close()
    return rows, [p.message for p in result.problems if p.level == "warning"]


def test_a_row_in_the_hour_the_clocks_repeat_goes_forward(tmp_path):
    text = """# Night failover
## Timeline (all times America/Los_Angeles)
- 01:55 Started at
- 01:45 Resolved at
"""
    rows, warnings = load_one(tmp_path, "2025-11-02-x.md", text)
    assert rows == [(50,)], "01:55 daylight time to 01:45 standard time, once the clocks went back"
    assert not [w for w in warnings if "earlier than" in w or "before started" in w]


def test_a_yaml_line_under_its_priority_reads_as_the_same_line_in_a_list(tmp_path):
    text = """title: Queue stuck
date: 2025-05-01
action_items:
  P1:
    - "AI1: Add queue alert, owner: Ann, [FAX-1] done 2025-05-10"
    -
  P2: "AI2: Page the vendor, owner: Bo, [FAX-2]"
"""
    rows, _ = load_one(tmp_path, "2025-05-01-x.yaml", text, "SELECT priority, description, owner, ticket, status, "
                                                          "completed_on FROM action_items ORDER BY priority")
    assert rows == [("P1", "Add queue alert", "Ann", "FAX-1", "done", date(2025, 5, 10)),
                    ("P2", "Page the vendor", "Bo", "FAX-2", "open", None)]


def test_an_empty_entry_in_a_yaml_list_of_action_items_is_no_item(tmp_path):
    text = 'title: Queue stuck\ndate: 2025-05-01\naction_items:\n  -\n  - "AI1: Add queue alert, owner: Ann"\n'
    rows, _ = load_one(tmp_path, "2025-05-01-x.yaml", text, "SELECT description FROM action_items")
    assert rows == [("Add queue alert",)]


@pytest.mark.parametrize("name, title, first_day, second_day", [
    ("checkout.md", "**Timeline summary – All times are in UTC**", "**2025-05-01**", "**2025-05-02**"),
    ("2025-05-01-checkout.md", "**Timeline summary – All times are in UTC**", "", "### 2025-05-02"),
    ("2025-05-01-checkout.md", "Timeline summary – All times are in UTC", "", "### Friday, 2 May 2025"),
])
def test_a_date_line_under_a_bold_or_plain_timeline_title_sets_the_day(tmp_path, name, title, first_day, second_day):
    text = f"# Checkout failures\n\n{title}\n\n{first_day}\n- 05:23 — Started at\n\n{second_day}\n- 22:54 — Resolved at\n"
    rows, _ = load_one(tmp_path, name, text, "SELECT incident_date, duration_min FROM incidents")
    assert rows == [(date(2025, 5, 1), 2491)]


def test_a_row_later_on_the_clock_stays_on_the_day_the_row_before_gave(tmp_path):
    text = """# Checkout failures
## Timeline (all times UTC)
- 05:23 Started at
- 2025-05-02 10:46 Error rate still over 20%
- 22:54 Resolved at
"""
    rows, warnings = load_one(tmp_path, "2025-05-01-x.md", text, "SELECT resolved_at, duration_min FROM incidents")
    assert rows == [(datetime(2025, 5, 2, 22, 54, tzinfo=timezone.utc), 2491)]
    assert not [w for w in warnings if "earlier than" in w]


@pytest.mark.parametrize("row, resolved", [
    ("Recovered the logs from the failed node", None),
    ("Recovered data from the standby for the audit", None),
    ("Recovered", datetime(2025, 5, 1, 10, 30, tzinfo=timezone.utc)),
    ("Service recovered", datetime(2025, 5, 1, 10, 30, tzinfo=timezone.utc)),
    ("All systems recovered", datetime(2025, 5, 1, 10, 30, tzinfo=timezone.utc)),
    ("Fully recovered after the failover", datetime(2025, 5, 1, 10, 30, tzinfo=timezone.utc)),
])
def test_only_a_row_that_says_the_service_recovered_ends_the_incident(tmp_path, row, resolved):
    text = f"# Node lost\n## Timeline (all times UTC)\n- 10:00 Started at\n- 10:30 {row}\n"
    rows, _ = load_one(tmp_path, "2025-05-01-x.md", text, "SELECT resolved_at, duration_min FROM incidents")
    assert rows == [(resolved, None if resolved is None else 30)]


@pytest.mark.parametrize("name, text", [
    ("2025-05-01-x.md", "# Blip\n## Timeline (all times UTC)\n- 10:00 Started at\n- 10:00 Resolved at: auto-recovered\n"),
    ("2025-05-01-x.yaml", 'title: Blip\ndate: 2025-05-01\ntimezone: UTC\nstarted_at: "10:00"\nresolved_at: "10:00"\n'),
], ids=["timeline rows", "yaml fields"])
def test_an_incident_over_within_its_minute_lasted_zero_minutes(tmp_path, name, text):
    rows, _ = load_one(tmp_path, name, text)
    assert rows == [(0,)]


def test_a_file_given_by_itself_keeps_the_name_it_was_given_by(tmp_path, capsys):
    """A pre-commit hook passes `postmortems/x.md`; its messages must name that path, not `x.md`."""
    folder = write(tmp_path / "postmortems", {"no-date.md": "# Checkout down\n\nNothing else.\n"})
    os.chdir(tmp_path)
    assert main(["validate", "postmortems/no-date.md"]) == 1
    assert "postmortems/no-date.md: error: date: no date anywhere" in capsys.readouterr().out
    assert folder.exists()


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Los_Angeles"])
def test_the_sql_utc_date_is_the_utc_calendar_day_in_any_session_zone(zone):
    """``store.utc_date``, which dates every deadline in the action-item and review queries, gives an
    instant's UTC day whatever the session's zone: on both sides of UTC midnight, written in other
    zones, before 1970, and unknown staying unknown."""
    instants = [datetime(2025, 3, 9, 23, 59, 59, 999999, tzinfo=timezone.utc),
                datetime(2025, 3, 10, 0, 0, tzinfo=timezone.utc),
                datetime(2025, 3, 9, 17, 30, tzinfo=ZoneInfo("America/Los_Angeles")),
                datetime(2025, 3, 10, 9, 30, tzinfo=ZoneInfo("Pacific/Kiritimati")),
                datetime(1969, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
                datetime(1955, 6, 1, 0, 30, tzinfo=ZoneInfo("Europe/Paris")),
                None]
    con = duckdb.connect()
    try:
        con.execute(f"SET TimeZone = '{zone}'")
        con.execute("CREATE TABLE t (seq INTEGER, stamp TIMESTAMPTZ)")
        con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(instants)))
        got = [row[0] for row in con.execute(f"SELECT {utc_date('stamp')} FROM t ORDER BY seq").fetchall()]
    finally:
        con.close()
    assert got == [at.astimezone(timezone.utc).date() if at else None for at in instants]
