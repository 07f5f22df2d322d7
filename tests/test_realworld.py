"""Real-world layouts: how many of the fields a careful reader takes from post-mortems written like the
ones people publish come out right (benchmarks/realworld.py scores them; here the score is held).

Three sets, each in its own words: tests/fixtures/realworld (the layouts issue 10 lists), realworld-holdout
(written later without seeing the parser) and realworld-blind (written without seeing the parser or the
other sets). The floors sit just under today's scores, so a rule that breaks a layout fails here."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import realworld  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
FLOORS = {"realworld": 95.0, "realworld-holdout": 88.0, "realworld-blind": 80.0}


@pytest.fixture(scope="module")
def scores():
    return {name: realworld.summarise([realworld.score_file(p) for p in realworld.fixtures(FIXTURES / name)])
            for name in FLOORS}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_fields_a_careful_reader_takes_come_out_right(scores, name):
    assert scores[name]["overall"]["accuracy"] >= FLOORS[name], scores[name]["per_field"]


def test_eighty_five_percent_over_every_set(scores):
    right = sum(s["overall"]["right"] for s in scores.values())
    scored = sum(s["overall"]["scored"] for s in scores.values())
    assert right / scored >= 0.85, f"{right} of {scored}"


def test_every_file_that_states_a_date_loads(scores):
    rejected = [f["file"] for s in scores.values() for f in s["per_file"] if f["rejected"]]
    assert rejected == []


def test_every_layout_of_the_issue_has_a_fixture():
    readme = (FIXTURES / "realworld" / "README.md").read_text()
    for layout in ("MM/DD/YYYY", "DD-MM-YYYY", "6th November, 2022", "31st July 2018", "Oct 21, 2019", "`### HH:MM`",
                   "**02:10 UTC:**", "[13:26]", "7:32 PM", "14.43", "8:20 - 8:24", "SAST", "OUTAGE BEGINS",
                   "Time to repair", "SEV0", "Major", "[x]", "Immediate", "@handle", "CRLF", "<details>"):
        assert layout in readme, layout
