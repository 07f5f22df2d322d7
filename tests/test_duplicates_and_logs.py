"""A duplicate id never costs the kept incident its rows; a file logging several incidents loads each."""

import shutil
from pathlib import Path

import pytest

from pm_analytics.load import load_into, load_paths
from pm_analytics.parse import parse_bytes
from pm_analytics.store import open_database

FULL = """# Invoices sent twice

Investigation doc\t[INV-7](https://docs.example.com/inv-7)
Severity\tSEV2

## Reviewers

| Name | State | Date |
|---|---|---|
| Mira Kovac | LGTM | 2025-04-03 |

## Timeline summary – All times are in UTC

- 2025-04-01 09:00 — Started at: the invoice job ran twice
- 10:30 — Resolved at: duplicates voided

## Teams involved

Billing

## What went well?

- Support spotted it quickly
- Voiding was scripted

## What didn't go well?

- No idempotency key

## Where did we get lucky?

- Few customers paid twice

## Why did it happen?

- The scheduler retried a job that had succeeded

## Action Items

### P0 Action Items

- AI1: add an idempotency key, owner: Ana, [BIL-61]

### P1 Action Items

- AI1: alert on duplicate invoice numbers, owner: Ben, [BIL-62]
- AI2: document the void script, owner: Ana, [BIL-63]
"""
DUPLICATE = """---
id: {id}
date: 2025-04-02
---
# Another note that reuses the id
"""


def table_rows(db: Path, incident_id: str) -> dict[str, list]:
    con = open_database(db)
    try:
        return {table: con.execute(f"SELECT * EXCLUDE (incident_id) FROM {table} WHERE incident_id = ? ORDER BY ALL",
                                   [incident_id]).fetchall()
                for table in ("incident_teams", "reviewers", "findings", "action_items", "timeline_events")}
    finally:
        con.close()


@pytest.mark.parametrize("duplicate_name", ["2025-04-02-later.md", "2025-03-31-earlier.md"])
def test_a_duplicate_id_never_removes_the_kept_incidents_rows(tmp_path, duplicate_name):
    alone, both = tmp_path / "alone", tmp_path / "both"
    alone.mkdir()
    (alone / "2025-04-01-invoices.md").write_text(FULL)
    shutil.copytree(alone, both)
    (both / duplicate_name).write_text(DUPLICATE.format(id="2025-04-01-invoices"))
    load_into([alone], tmp_path / "alone.duckdb", relative_to=alone)
    result = load_into([both], tmp_path / "both.duckdb", relative_to=both)

    status = {f.source_path: f.status for f in result.files}
    kept_first = duplicate_name > "2025-04-01-invoices.md"
    assert status["2025-04-01-invoices.md"] == ("loaded" if kept_first else "duplicate")
    assert status[duplicate_name] == ("duplicate" if kept_first else "loaded")
    rows = table_rows(tmp_path / "both.duckdb", "2025-04-01-invoices")
    if kept_first:
        assert rows == table_rows(tmp_path / "alone.duckdb", "2025-04-01-invoices")
        assert [len(rows[t]) for t in ("incident_teams", "reviewers", "findings", "action_items")] == [1, 1, 5, 3]
    else:
        assert all(not rows[t] for t in ("incident_teams", "reviewers", "findings", "action_items"))
    loser = duplicate_name if kept_first else "2025-04-01-invoices.md"
    assert any(p.source_path == loser and "duplicate incident id" in p.message for p in result.problems)


def test_google_docs_escaped_bullets_are_action_items():
    text = FULL.replace("- AI1: add", "\\- AI1: add").replace("- AI1: alert", "\\- AI1: alert") \
        .replace("- AI2: document", "\\- AI2: document").replace("[BIL-61]", "\\[BIL-61\\]")
    incident = parse_bytes(text.encode(), "2025-04-01-invoices.md").incident
    assert [(a.priority, a.owner, a.ticket) for a in incident.action_items] == [
        ("P0", "Ana", "BIL-61"), ("P1", "Ben", "BIL-62"), ("P1", "Ana", "BIL-63")]


LOG = """# Platform incident log

One section per incident. All times UTC.

## 2025-05-02 — Checkout latency after cache eviction (Major)

- 09:14 New cache limit applied; checkout errors begin
- 09:19 Alert fired: checkout p99 above 2 s
- 10:02 Checkout latency back to normal, resolved

## 2025-05-20 — Search indexing stalled overnight (Minor)

- 22:40 Indexer stops consuming after a broker failover
- 22:55 Consumer lag alert fired
- 00:15 Index caught up, resolved

- [ ] Make the indexer rejoin its consumer group
"""


def test_an_incident_log_gives_one_incident_per_section():
    result = parse_bytes(LOG.encode(), "platform-log.md")
    assert [i.incident_id for i in result.incidents] == ["platform-log#1", "platform-log#2"]
    first, second = result.incidents
    assert (first.title, str(first.incident_date), first.severity, first.severity_original) == (
        "Checkout latency after cache eviction", "2025-05-02", "SEV2", "Major")
    assert (first.duration_min, first.time_to_detect_min) == (48, 5)
    assert (second.title, second.severity, second.duration_min, len(second.action_items)) == (
        "Search indexing stalled overnight", "SEV3", 95, 1)
    assert str(second.resolved_at) == "2025-05-21 00:15:00+00:00", "rows past midnight are on the next day"


def test_a_logged_incident_that_repeats_an_id_is_reported_alone(tmp_path):
    (tmp_path / "a.md").write_text(DUPLICATE.format(id="platform-log#2"))
    (tmp_path / "platform-log.md").write_text(LOG)
    result = load_paths([tmp_path], relative_to=tmp_path)
    assert sorted(i.incident_id for i in result.incidents) == ["platform-log#1", "platform-log#2"]
    assert [i.source_path for i in result.incidents if i.incident_id == "platform-log#2"] == ["a.md"]
    assert any(p.source_path == "platform-log.md" and "platform-log#2" in p.message for p in result.problems)
    assert {f.source_path: f.status for f in result.files} == {"a.md": "loaded", "platform-log.md": "loaded"}


def test_a_long_post_mortem_with_dated_headings_stays_one_incident():
    text = """# Storage outage in FRA1

## Summary

The array accepted writes at a fraction of its rate. We handled it as a Sev 1 incident.

## Timeline

### 2023-09-12 08:20

Firmware update applied; the document service stalls. Outage begins.

### 2023-09-12 08:41

First detected: support reports hangs.

### 2023-09-14 14:30

All systems operational. Incident resolved.
"""
    result = parse_bytes(text.encode(), "fra1.md")
    assert len(result.incidents) == 1
    incident = result.incident
    assert (incident.severity, incident.duration_min, incident.time_to_detect_min) == ("SEV1", 3250, 21)
    assert sum(e.at is not None for e in incident.timeline) == 3
