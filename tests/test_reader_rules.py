"""The reader's rules, each with its examples: a small post-mortem -> the values a careful reader takes.

Cases live in ``reader_rules.yaml`` (one per rule, or per defect a rule fixed); adding a layout adds a
case there. A ``pm-analytics explain`` test and the rule tables' own examples are here too.
"""

import dataclasses
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from pm_analytics.cli import main
from pm_analytics.parse import parse_bytes
from pm_analytics.parse.rules import prose_duration, split_time, zone_declaration
from pm_analytics.parse.vocabulary import timeline_kind

CASES = yaml.safe_load((Path(__file__).parent / "reader_rules.yaml").read_text())


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [dataclasses.asdict(v) if dataclasses.is_dataclass(v) else v for v in value]
    return value


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_rule(case):
    result = parse_bytes(case["text"].encode(), case["file"])
    assert result.incidents, [str(p) for p in result.problems]
    incident = result.incidents[0]
    warnings = [p.message for p in result.problems if p.level == "warning"]
    for key, want in case["expect"].items():
        if key == "incidents":
            assert len(result.incidents) == want
        elif key == "apps":
            assert [f"{a.audience} {a.platform}" for a in incident.apps] == want
        elif key == "timeline_at":
            assert [_plain(e.at) for e in incident.timeline if e.at is not None or want.count(None)] == want
        elif key == "action_items":
            assert len(incident.action_items) == len(want), [a.description for a in incident.action_items]
            for item, fields in zip(incident.action_items, want):
                assert {k: _plain(getattr(item, k)) for k in fields} == fields, item.description
        elif key == "sources":
            rules = {s.field: s.rule for s in incident.sources}
            for field, rule in want.items():
                assert rules.get(field) == rule, (field, rules.get(field))
        else:
            assert _plain(getattr(incident, key)) == want, key
    for fragment in case.get("warns", []):
        assert any(fragment in w for w in warnings), warnings
    for fragment in case.get("no_warning", []):
        assert not any(fragment in w for w in warnings), warnings


@pytest.mark.parametrize("text, when, event", [
    ("14:51 News reports a new sonnet", "14:51", "News reports a new sonnet"),
    ("[13:26] <bot> alert fired", "13:26", "<bot> alert fired"),
    ("00:27 UTC: Alert fired", "00:27 UTC", "Alert fired"),
    ("7:32 PM - Jobs fail", "7:32 PM", "Jobs fail"),
    ("03:26pm the site returns 504", "03:26pm", "the site returns 504"),
    ("14.43 Payment checks time out", "14.43", "Payment checks time out"),
    ("8:20 - 8:24 Nodes drained", "8:20", "Nodes drained"),
    ("2019-10-21 14:51 Traffic spikes", "2019-10-21 14:51", "Traffic spikes"),
    ("Oct 21, 14:51 UTC Traffic spikes", "Oct 21 14:51 UTC", "Traffic spikes"),
    ("7:09 AM Eastern – Support reports calls", "7:09 AM Eastern", "Support reports calls"),
    ("08:10 UTC on 14 June 2023 – Impact began", "14 June 2023 08:10 UTC", "Impact began"),
    ("14:05 DB failover", "14:05", "DB failover"),
    ("06:00", "06:00", ""),
])
def test_timeline_row_forms(text, when, event):
    assert split_time(text) == (when, event)


@pytest.mark.parametrize("text", ["1.5 hours later the queue drained", "3.5% of requests failed", "2019 was calm",
                                  "10 minutes later", "Release 7.4 shipped"])
def test_not_timeline_rows(text):
    assert split_time(text) is None


@pytest.mark.parametrize("text, zone", [
    ("All times are in America/Los_Angeles", "America/Los_Angeles"), ("Timeline (all times PST)", "PST"),
    ("times in BST", "BST"), ("All times UTC unless noted", "UTC"), ("(all times are US/Pacific)", "US/Pacific"),
    ("could not book at all times of day across the US", None), ("Time to detect the issue", None),
    ("All times are in <TTT (specify timezone)>", "<TTT (specify timezone)>"),
])
def test_zone_declarations(text, zone):
    assert zone_declaration(text) == zone


@pytest.mark.parametrize("text, kind", [
    ("OUTAGE BEGINS — backends melt down", "started"), ("Release deployed; 500s begin", "started"),
    ("Indexer stops consuming after a broker failover", "started"), ("First alert fired", "detected"),
    ("Reported by a maintainer", "detected"), ("Incident declared", "responded"), ("Root cause identified", "understood"),
    ("Mitigated: traffic failed over", "mitigated"), ("Release rolled back", "fixed"), ("OUTAGE ENDS", "resolved"),
    ("All systems operational", "resolved"), ("Over 500 errors per second reported", "detected"),
    ("Service partially recovered", "mitigated"), ("Not resolved yet", None), ("Calls started to succeed", None),
    ("All systems recovered", "resolved"), ("Recovered the logs from the failed node", None),
])
def test_timeline_words(text, kind):
    found = timeline_kind(text)
    assert (found[0] if found else None) == kind


@pytest.mark.parametrize("text, duration", [
    ("Search down for 66 minutes during the peak", "66 minutes"), ("the outage lasted 1 hour and 48 minutes", "1 hour and 48 minutes"),
    ("a 45-minute outage", "45 minute"), ("~1hr of downtime", "~1hr"), ("unavailable for about two hours", "about 2 hours"),
    ("down for just over an hour", "~1 hour"), ("outage lasted ~ 3 hours", "~3 hours"),
    ("retried within 5 minutes", None), ("the team met for an hour", None),
])
def test_durations_in_prose(text, duration):
    assert prose_duration(text) == duration


def test_explain_prints_each_value_with_its_line_rule_and_text(tmp_path, capsys):
    case = next(c for c in CASES if c["file"] == "edge-outage.md")
    path = tmp_path / case["file"]
    path.write_text(case["text"])
    assert main(["explain", str(path)]) == 0
    out = capsys.readouterr().out
    assert "started_at = 2019-10-21T16:58:00+00:00   (line 2, prose time range: 'On Oct 21, 2019" in out
    assert "duration_min = 108 min   (line 2, derived: resolved − started:" in out
    assert "not found: " in out and "severity" in out.split("not found: ")[1]


def test_explain_fails_on_a_rejected_file(tmp_path, capsys):
    path = tmp_path / "undated.md"
    path.write_text("# No date here\n")
    assert main(["explain", str(path)]) == 1
    assert "no date anywhere" in capsys.readouterr().out
