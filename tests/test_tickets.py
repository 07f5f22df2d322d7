"""Action-item status from ticket tracker exports (pm_analytics/tickets.py, store.apply_tickets).

tests/fixtures/tickets/ holds four post-mortems with twelve action items and exports written in each
tool's column layout: a Jira CSV ("Export Excel CSV (all fields)"), `gh issue list --state all --json
number,state,closedAt,assignees,url` as gh writes it to a file, a Linear CSV, and a Jira CSV with a
malformed row. The numbers below are worked out by hand in its README.md.
"""

import json
import os
import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pm_analytics import metrics
from pm_analytics.cli import main
from pm_analytics.filters import Filters
from pm_analytics.load import load_into
from pm_analytics.tickets import TicketExport, item_ticket_key, parse_export, read_export, status_of

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "tickets"
AS_OF = date(2026, 3, 1)
EXPORTED = datetime(2026, 2, 28, 18, 0, tzinfo=timezone.utc).timestamp()


@pytest.fixture
def workspace(tmp_path):
    """A copy of the fixture folder whose exports are dated 2026-02-28 (the status source names the date)."""
    shutil.copytree(FIXTURES, tmp_path / "tickets")
    exports = tmp_path / "tickets" / "exports"
    for path in exports.iterdir():
        os.utime(path, (EXPORTED, EXPORTED))
    return tmp_path / "tickets"


def exports_of(workspace: Path, *names: str) -> list[str]:
    return [str(workspace / "exports" / name) for name in names]


ALL = ("jira.csv", "github.json", "linear.csv", "broken-jira.csv")


def headline(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        numbers = metrics.headline(con, Filters(), AS_OF)
    finally:
        con.close()
    return {k: numbers[k] for k in ("action_items_total", "action_items_done", "action_items_done_on_time",
                                    "action_items_overdue")}


def items(db: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("""
            SELECT coalesce(ticket, action_id), status, completed_on, owner, status_in_doc, completed_on_in_doc,
                   owner_in_doc, status_source, ticket_export IS NOT NULL
            FROM action_items""").fetchall()
    finally:
        con.close()
    return {row[0]: row[1:] for row in rows}


# -- the hand-computed figures --------------------------------------------------------------------------

BEFORE = {"action_items_total": 12, "action_items_done": 3, "action_items_done_on_time": 3, "action_items_overdue": 6}
AFTER = {"action_items_total": 12, "action_items_done": 4, "action_items_done_on_time": 2, "action_items_overdue": 4}


def test_the_exports_change_counts_on_time_and_overdue_exactly_as_they_say(workspace, tmp_path):
    db = tmp_path / "pm.duckdb"
    load_into([workspace / "postmortems"], db, relative_to=workspace / "postmortems")
    assert headline(db) == BEFORE
    result = load_into([workspace / "postmortems"], db, relative_to=workspace / "postmortems",
                       tickets=exports_of(workspace, *ALL))
    assert result.written, "a new set of exports is a change, though no post-mortem changed"
    assert headline(db) == AFTER
    jira = f"tracker export {workspace / 'exports' / 'jira.csv'}, 2026-02-28"
    got = items(db)
    assert got["PAY-101"] == ("done", date(2026, 1, 8), "Dana Whitfield", "open", None, "Dana", jira, True)
    assert got["PAY-102"] == ("open", None, "Marco Diaz", "done", date(2026, 1, 10), "Marco", jira, True)
    assert got["PAY-103"][:2] == ("wontfix", None)
    assert got["PAY-104"][0] == "open" and got["PAY-104"][6] == jira, "'Parked' reads by its Status Category"
    assert got["acme/ios#7"][:3] == ("done", date(2026, 1, 25), "Jonas Berg")
    assert got["#9"][:2] == ("open", None), "matched by its GitHub URL"
    assert got["ENG-12"][:2] == ("done", date(2026, 2, 10))
    assert got["ENG-13"][0] == "wontfix"
    assert got["ENG-14"] == ("done", date(2026, 2, 5), "Amara Okafor", "done", date(2026, 2, 5), "Amara Okafor",
                             "post-mortem", True), "an unknown status is reported, not guessed"
    assert got["OPS-99"][6:] == ("post-mortem", False) and got["AI5"][6:] == ("post-mortem", False)
    assert got["SEC-5"][6:] == ("post-mortem", False), "the broken export gives nothing"


def test_summary_json_says_the_same(workspace, tmp_path, capsys):
    db = tmp_path / "pm.duckdb"
    assert main(["load", str(workspace / "postmortems"), "--db", str(db), "--tickets",
                 *exports_of(workspace, *ALL)]) == 0
    out = capsys.readouterr().out
    assert "4 ticket exports (3 read, 1 rejected, 11 tickets)" in out
    assert f"{workspace / 'exports' / 'broken-jira.csv'}:3: error: -: the row has 8 fields; the header has 7" in out
    assert main(["summary", "--db", str(db), "--as-of", AS_OF.isoformat(), "--json"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    assert {k: numbers[k] for k in AFTER} == AFTER


@pytest.mark.parametrize("form", ["joined", "repeated"])
def test_load_reads_tickets_joined_or_repeated_as_the_dashboard_does(workspace, tmp_path, capsys, form):
    """``--tickets a.csv:b.json`` (the separator PM_ANALYTICS_TICKETS and the dashboard's option use) and
    ``--tickets a.csv --tickets b.json`` both name every export, not one file called "a.csv:b.json"."""
    exports = exports_of(workspace, *ALL)
    given = ["--tickets", os.pathsep.join(exports)] if form == "joined" else [
        arg for path in exports for arg in ("--tickets", path)]
    assert main(["load", str(workspace / "postmortems"), "--db", str(tmp_path / "pm.duckdb"), *given]) == 0
    assert "4 ticket exports (3 read, 1 rejected, 11 tickets)" in capsys.readouterr().out


def test_the_data_quality_counts_and_lists(workspace, tmp_path):
    db = tmp_path / "pm.duckdb"
    load_into([workspace / "postmortems"], db, tickets=exports_of(workspace, *ALL))
    con = duckdb.connect(str(db), read_only=True)
    try:
        report = metrics.tracker_report(con, Filters())
    finally:
        con.close()
    assert report["counts"] == {"items": 12, "with_ticket": 11, "in_export": 9, "from_tracker": 8, "disagree": 7,
                                "not_in_export": 2}
    assert sorted(report["disagree"]["ticket"]) == sorted(["PAY-101", "PAY-102", "PAY-103", "acme/ios#7", "#9",
                                                           "ENG-12", "ENG-13"])
    assert sorted(report["not_in_export"]["ticket"]) == ["OPS-99", "SEC-5"]
    assert list(report["exports"]["status"]) == ["rejected", "loaded", "loaded", "loaded"]
    assert list(report["exports"]["tickets"]) == [0, 3, 5, 3]
    assert list(report["exports"]["format"]) == ["jira_csv", "github_json", "jira_csv", "linear_csv"]


def test_a_reload_picks_up_a_changed_export_and_a_removed_one(workspace, tmp_path):
    db = tmp_path / "pm.duckdb"
    folder = workspace / "postmortems"
    tickets = exports_of(workspace, *ALL)
    load_into([folder], db, relative_to=folder, tickets=tickets)
    assert not load_into([folder], db, relative_to=folder, tickets=tickets).written
    jira = workspace / "exports" / "jira.csv"
    text = jira.read_text().replace(
        "Add a circuit breaker,PAY-102,10102,Task,In Progress,PAY,Payments,software,High,,Marco Diaz,Dana Whitfield,"
        "Dana Whitfield,05/Jan/26 2:12 PM,12/Feb/26 4:00 PM,,,",
        "Add a circuit breaker,PAY-102,10102,Task,Done,PAY,Payments,software,High,Done,Marco Diaz,Dana Whitfield,"
        "Dana Whitfield,05/Jan/26 2:12 PM,12/Feb/26 4:00 PM,,15/Jan/26 10:00 AM,")
    assert text != jira.read_text()
    jira.write_text(text)
    again = load_into([folder], db, relative_to=folder, tickets=tickets)
    assert again.written and again.parsed == 0, "the export changed, no post-mortem did"
    assert headline(db) == {**AFTER, "action_items_done": 5, "action_items_done_on_time": 3,
                            "action_items_overdue": 3}
    without = load_into([folder], db, relative_to=folder, tickets=[])
    assert without.written and headline(db) == BEFORE, "without exports, every item is as its post-mortem says"
    assert set(v[6] for v in items(db).values()) == {"post-mortem"}


def test_the_dashboard_reads_the_exports_of_its_setting(workspace, tmp_path, monkeypatch):
    from pm_analytics import datasource

    monkeypatch.setenv("PM_ANALYTICS_DATA", str(workspace / "postmortems"))
    monkeypatch.setenv("PM_ANALYTICS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PM_ANALYTICS_TICKETS", os.pathsep.join(exports_of(workspace, *ALL)))
    source = datasource.resolve()
    result = datasource.refresh(source)
    assert len(result.exports) == 4 and headline(source.db_path) == AFTER


# -- the pages -----------------------------------------------------------------------------------------

@pytest.fixture
def served(workspace, tmp_path, monkeypatch):
    monkeypatch.setenv("PM_ANALYTICS_DATA", str(workspace / "postmortems"))
    monkeypatch.setenv("PM_ANALYTICS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PM_ANALYTICS_TICKETS", os.pathsep.join(exports_of(workspace, *ALL)))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def page(name: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in {"as_of": AS_OF.isoformat(), "range": "all", **params}.items():
        at.query_params[key] = value
    at.switch_page(name)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_data_quality_page_counts_and_lists_the_disagreements(served):
    at = page("pages/data_quality.py")
    shown = {m.label: m.value for m in at.metric}
    assert shown["Document and tracker disagree"] == "7" and shown["Ticket in no export"] == "2"
    assert shown["Status from the tracker"] == "8" and shown["Items with a ticket"] == "11"
    tables = {t.value.shape[0]: t.value for t in at.dataframe if "status_in_doc" in t.value.columns}
    assert set(tables) == {7, 2}
    captions = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "broken-jira.csv (Jira CSV, 2026-02-28, rejected, 0 tickets)" in captions
    assert "github.json (GitHub JSON, 2026-02-28, loaded, 3 tickets)" in captions


def test_the_action_items_and_incident_pages_show_where_a_status_came_from(served):
    at = page("pages/action_items.py")
    assert any("8 of 12 action items take their status" in c.value and "7 of them disagree" in c.value
               for c in at.caption)
    assert any(link.label == "Where post-mortems and the tracker disagree" for link in at.get("page_link"))
    at = page("pages/incident.py", id="2026-01-05-payments-timeout")
    items = next(t.value for t in at.dataframe if "status_source" in t.value.columns)
    assert list(items["status"]) == ["done", "open", "wontfix", "open"]
    assert list(items["status_in_doc"]) == ["open", "done", "open", "open"]


def test_without_exports_the_data_quality_page_says_how_to_give_them(served, monkeypatch):
    monkeypatch.delenv("PM_ANALYTICS_TICKETS")
    at = page("pages/data_quality.py")
    assert any("No ticket tracker export was read" in c.value for c in at.caption)


# -- reading exports -------------------------------------------------------------------------------------

def parsed(text: str, name: str = "export.csv") -> TicketExport:
    export = TicketExport(name)
    parse_export(text.encode(), export)
    return export


@pytest.mark.parametrize("written, status", [
    ("Done", "done"), ("CLOSED", "done"), ("Resolved", "done"), ("Won't Do", "wontfix"), ("Won’t Fix", "wontfix"),
    ("Cancelled", "wontfix"), ("Duplicate", "wontfix"), ("In Progress", "open"), ("To Do", "open"),
    ("Selected for Development", "open"), ("Backlog", "open"), ("Parked", None), ("Blocked by legal", None),
])
def test_the_status_map(written, status):
    assert status_of(written) == status


@pytest.mark.parametrize("ticket, url, key", [
    ("BIL-61", None, "BIL-61"), ("bil-61", None, "BIL-61"), ("acme/Billing#42", None, "acme/billing#42"),
    ("billing#42", None, "billing#42"), ("#42", "https://github.com/acme/billing/issues/42", "acme/billing#42"),
    (None, "https://github.com/acme/billing/pull/43/files", "acme/billing#43"),
    ("link", "https://acme.atlassian.net/browse/BIL-61", "BIL-61"),
    (None, "https://linear.app/acme/issue/ENG-123/fix-the-sync-lag", "ENG-123"),
    (None, "https://acme.atlassian.net/jira/software/projects/BIL/boards/1?selectedIssue=BIL-7", "BIL-7"),
    ("Bug 5554823", None, None), (None, "https://docs.example.com/runbook", None), (None, None, None),
])
def test_the_key_an_action_item_names(ticket, url, key):
    assert item_ticket_key(ticket, url) == key


def test_jira_column_variants_delimiters_and_dates():
    export = parsed("\ufeffKey;Summary;Status;Resolution;Resolution Date;Assignee\n"
                    "OPS-1;a;Done;Fixed;2026-01-05T23:30:00.000-0800;Ann\n"
                    "OPS-2;b;Done;Duplicate;05.01.2026 10:00;\n"
                    "OPS-3;c;Reopened;;;\n")
    assert export.format == "jira_csv" and export.loaded
    assert [(t.key, t.status, t.resolved_on, t.assignee) for t in export.tickets] == [
        ("OPS-1", "done", date(2026, 1, 6), "Ann"), ("OPS-2", "wontfix", None, None), ("OPS-3", "open", None, None)]


def test_a_jira_status_outside_the_map_without_a_category_is_reported_not_guessed():
    export = parsed("Issue key,Status\nOPS-1,Parked\n", "jira.csv")
    assert export.loaded and export.tickets[0].status is None
    assert [str(p) for p in export.problems] == [
        "jira.csv:2: warning: Status: OPS-1: status 'Parked' is not in the status map; its action items keep the "
        "post-mortem's status"]


def test_github_state_reasons_null_dates_and_aliases():
    export = parsed(json.dumps([
        {"number": 1, "state": "CLOSED", "stateReason": "NOT_PLANNED", "closedAt": "2026-01-02T01:00:00Z",
         "assignees": [], "url": "https://github.com/acme/app/issues/1"},
        {"number": 2, "state": "OPEN", "closedAt": None, "assignees": [{"login": "ann", "name": "Ann"},
                                                                       {"login": "bo", "name": ""}],
         "url": "https://github.com/acme/app/issues/2"}], indent=2), "gh.json")
    assert [(t.key, t.status, t.assignee, t.line, t.aliases) for t in export.tickets] == [
        ("acme/app#1", "wontfix", None, 2, ("app#1",)), ("acme/app#2", "open", "Ann, bo", 10, ("app#2",))]


def test_linear_dates_as_javascript_writes_them():
    export = parsed("ID,Title,Status,Completed,Canceled\n"
                    "ENG-1,x,Done,Tue Mar 10 2026 23:30:00 GMT-0500 (Eastern Standard Time),\n")
    assert export.tickets[0].resolved_on == date(2026, 3, 11)


@pytest.mark.parametrize("text, line, message", [
    ('[{"number": 1, "state": "OPEN",\n "url": "https://github.com/a/b/issues/1"},\n {"number": 2,, }]', 3,
     "not valid JSON"),
    ('[{"number": 1, "state": "OPEN"}]', 1, "number and url needed"),
    ("Summary,Status\nx,Done\n", 1, "no 'Issue key' (Jira) or 'ID' (Linear) column"),
    ("Issue key,Status,Resolved\nOPS-1,Done,yesterday\n", 2, "'yesterday' is not a date"),
    ("Issue key,Status\nOPS-1,Done\nnot a key,Done\n", 3, "'not a key' is not an issue key"),
    ('Issue key,Status,Description\nOPS-1,Done,"a\nb"\nOPS-2,Done\n', 4, "the row has 2 fields; the header has 3"),
])
def test_a_malformed_export_is_reported_with_its_line_and_gives_nothing(text, line, message):
    export = parsed(text, "bad.export")
    assert not export.loaded and export.tickets == []
    errors = [p for p in export.problems if p.level == "error"]
    assert errors[0].line == line and message in errors[0].message, [str(p) for p in errors]
    assert errors[-1].message == "nothing of this export was used"


def test_a_missing_export_is_reported_and_the_load_goes_on(workspace, tmp_path):
    db = tmp_path / "pm.duckdb"
    result = load_into([workspace / "postmortems"], db, tickets=[str(tmp_path / "nope.csv"),
                                                                 *exports_of(workspace, "jira.csv")])
    assert any(p.source_path.endswith("nope.csv") and "cannot read the ticket export" in p.message
               for p in result.problems)
    assert items(db)["PAY-101"][0] == "done"
    assert read_export(tmp_path / "nope.csv").loaded is False


def test_a_ticket_in_two_exports_takes_the_later_one_with_a_warning(workspace, tmp_path):
    later = tmp_path / "later.csv"
    later.write_text("Issue key,Status\nPAY-101,Reopened\n")
    db = tmp_path / "pm.duckdb"
    result = load_into([workspace / "postmortems"], db, tickets=[*exports_of(workspace, "jira.csv"), str(later)])
    assert items(db)["PAY-101"][0] == "open"
    assert any(p.source_path == str(later) and "PAY-101 is also in" in p.message for p in result.problems)
