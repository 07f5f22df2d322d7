"""Each good fixture parses to exactly its reviewed golden record (tests/golden.py rewrites them)."""

import json

import pytest

from golden import as_golden, fixtures


@pytest.mark.parametrize("fixture", fixtures(), ids=lambda p: p.name)
def test_fixture_matches_golden(fixture):
    expected = json.loads(fixture.with_name(fixture.name + ".expected.json").read_text())
    assert as_golden(fixture) == expected


def test_every_input_shape_has_a_golden_file():
    suffixes = {p.suffix for p in fixtures()}
    assert {".md", ".txt", ".yaml"} <= suffixes
    texts = [p.read_text() for p in fixtures()]
    assert any(t.startswith("---") for t in texts), "a front-matter Markdown fixture"
    assert any("|---|" in t for t in texts), "a pipe-table fixture"
    assert any("\t" in t for t in texts), "a tab-separated fixture"


def parse_yaml(text: str):
    from pm_analytics.parse import parse_bytes

    result = parse_bytes(text.encode(), "2025-11-02-test.yaml")
    return result.incident, [str(p) for p in result.problems]


def test_bare_resolved_clock_after_midnight_is_the_next_day():
    incident, problems = parse_yaml(
        'id: X\ndate: 2025-03-04\ntimezone: UTC\nstarted_at: "23:30"\nresolved_at: "00:40"\n')
    assert incident.duration_min == 70
    assert not [p for p in problems if "before started" in p]


def test_clock_repeated_when_daylight_saving_ends_is_not_the_next_day():
    incident, _ = parse_yaml(
        'id: X\ndate: 2025-11-02\ntimezone: America/New_York\ntimeline:\n'
        '  - {time: "01:20", event: Started at}\n  - {time: "01:40", event: paged}\n'
        '  - {time: "01:10", event: Resolved at}\n')
    # 01:20 EDT (05:20 UTC) -> 01:10 EST (06:10 UTC), after the clocks went back an hour
    assert incident.duration_min == 50


def test_crossing_midnight_on_the_night_clocks_go_back_counts_real_minutes():
    incident, _ = parse_yaml(
        'id: X\ndate: 2025-11-01\ntimezone: America/New_York\ntimeline:\n'
        '  - {time: "23:30", event: Started at}\n  - {time: "03:30", event: Resolved at}\n')
    assert incident.duration_min == 5 * 60  # four clock hours plus the repeated one
