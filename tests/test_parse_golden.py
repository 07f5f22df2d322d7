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
