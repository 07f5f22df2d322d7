"""Repeats that hold up: the recurrence detector against labelled repeats (benchmarks/repeats.py).

The sample's designed repeats (scripts/sample_repeats.json) choose the threshold; the second set
(tests/fixtures/repeats) only reports it. Both are held to precision >= 0.9 and recall >= 0.7 of
"is a repeat of": a (later, earlier) pair the Recurring incidents page lists, against every (later,
earlier) pair of each labelled family. Expected pairs come from the labels, never from a run. The
figures are printed (pytest -s shows them). The third, blind set is reported by the benchmark and
docs/metrics.md, not held here: it was written to check the final settings once, and misses the
precision target.
"""

import shutil
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import repeats  # noqa: E402

from pm_analytics import insights, metrics  # noqa: E402
from pm_analytics.filters import Filters  # noqa: E402

SETS = {"sample": repeats.sample_set, "fixtures": repeats.fixture_set}
STATUS = {"done": metrics.RECURRENCE_STATUSES[0], "open": metrics.RECURRENCE_STATUSES[1],
          "none": metrics.RECURRENCE_STATUSES[2]}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """Each labelled set loaded as a user would: name -> (set, database path)."""
    work = tmp_path_factory.mktemp("repeats")
    found = {}
    for name, make in SETS.items():
        labelled = make()
        repeats.load(labelled, work / f"{name}.duckdb")
        found[name] = (labelled, work / f"{name}.duckdb")
    return found


@pytest.mark.parametrize("name", list(SETS))
def test_the_detector_finds_the_labelled_repeats_and_little_else(loaded, name):
    labelled, db = loaded[name]
    expected = repeats.labelled_pairs(labelled.families)
    with duckdb.connect(str(db), read_only=True) as con:
        score = repeats.score(repeats.listed_pairs(con), expected)
    print(f"\n{name}: text similarity >= {insights.RECURRENCE_TEXT_SIMILARITY}: {score.found} of {score.labelled} "
          f"labelled repeats listed, {len(score.false)} false; precision {score.precision:.2f}, recall {score.recall:.2f}")
    assert score.labelled == len(expected) >= 10
    assert score.precision >= repeats.PRECISION_TARGET, f"false repeats: {score.false}"
    assert score.recall >= repeats.RECALL_TARGET, f"missed: {score.missed}"


def test_the_threshold_is_the_one_the_sample_chooses(loaded, tmp_path):
    """RECURRENCE_TEXT_SIMILARITY comes from the sample's sweep (the rule in benchmarks/repeats.py), not
    from the second set: change the sample or the text model, and this asks for the threshold again."""
    labelled, db = loaded["sample"]
    copy = tmp_path / "sweep.duckdb"
    shutil.copy(db, copy)
    chosen = repeats.choose_threshold(repeats.sweep(copy, repeats.labelled_pairs(labelled.families)))
    assert chosen is not None, "no threshold meets both targets on the sample"
    assert insights.RECURRENCE_TEXT_SIMILARITY == chosen[0], f"the sample chooses {chosen[0]} (run {chosen[1]})"


def test_the_sample_truth_names_sample_files_and_every_pair_of_its_families():
    labelled = repeats.sample_set()
    truth = repeats.json.loads(repeats.SAMPLE_TRUTH.read_text())
    files = {p.name for p in repeats.SAMPLE.iterdir()}
    assert {name for family in labelled.families for name in family} <= files
    assert {(p["later"], p["earlier"]) for p in truth["pairs"]} == repeats.labelled_pairs(labelled.families)
    assert {p["earlier_p0_p1"] for p in truth["pairs"]} >= {"done", "open"}, "both kinds of repeat are designed"


def test_each_designed_repeat_shows_its_earlier_p0_p1_state(loaded):
    """The page's status of each designed repeat is the one the generator designed (done before the
    repeat: the fix did not prevent it; not all done: follow-through)."""
    _, db = loaded["sample"]
    truth = repeats.json.loads(repeats.SAMPLE_TRUTH.read_text())
    with duckdb.connect(str(db), read_only=True) as con:
        rows = metrics.recurrences(con, Filters())
        path = dict(con.execute("SELECT incident_id, source_path FROM incidents").fetchall())
    shown = {(path[r.later_id], path[r.earlier_id]): r.status for r in rows.itertuples()}
    for pair in truth["pairs"]:
        key = (pair["later"], pair["earlier"])
        if key in shown:
            assert shown[key] == STATUS[pair["earlier_p0_p1"]], key


@pytest.mark.parametrize("name", list(SETS))
def test_each_repeat_says_why_in_a_glance(loaded, name):
    """Shared words (3 to 5 terms both post-mortems weigh most) and the shared team or app, on every row."""
    _, db = loaded[name]
    with duckdb.connect(str(db), read_only=True) as con:
        rows = metrics.recurrences(con, Filters())
        apps = con.execute("SELECT DISTINCT concat_ws(' ', audience, platform) FROM affected_apps").fetchall()
    assert len(rows) > 0
    for row in rows.itertuples():
        terms = row.shared_terms.split(", ")
        assert 3 <= len(terms) <= insights.SHARED_TERMS, row
        assert row.shared_with == row.shared_teams or row.shared_with.removeprefix("app: ") in {a for (a,) in apps}


def test_no_related_pair_reads_less_alike_than_the_floor(loaded):
    _, db = loaded["sample"]
    with duckdb.connect(str(db), read_only=True) as con:
        lowest, pairs = con.execute("SELECT min(text_similarity), count(*) FROM related_incidents").fetchone()
    assert pairs > 0 and lowest >= insights.MIN_TEXT_SIMILARITY
