"""Does the recurrence detector find the repeats, and only them?

    .venv/bin/python benchmarks/repeats.py            # precision and recall on both labelled sets
    .venv/bin/python benchmarks/repeats.py --sweep    # ... and how the threshold is chosen on the sample

Labelled sets, each a list of families (one failure that happened more than once; every later
member repeats every earlier one):

- ``sample``: the bundled sample (``data/``) and the repeats its generator designed
  (``scripts/sample_repeats.json``). The detector's settings are chosen on this set.
- ``fixtures``: ``tests/fixtures/repeats/``, written separately (``labels.yaml``). Only reported,
  but its first result shaped the detector (docs/metrics.md), so it is no longer blind.
- ``blind``: ``tests/fixtures/repeats-blind/``, written after the settings were fixed. Only reported.

Each set is loaded as a user would load it (``load_into``), and the detector's answer is what the
Recurring incidents page lists with no filter: the (later, earlier) pairs of ``metrics.recurrences``.
Any listed pair outside the families is a false repeat. *Precision*: labelled pairs listed ÷ pairs
listed; *recall*: labelled pairs listed ÷ labelled pairs. Targets: precision ≥ 0.9, recall ≥ 0.7.

How the threshold is chosen (``--sweep``, on the sample only): the recurrences are derived again at
every text similarity from 0.05 to 0.80 in steps of 0.01; of the thresholds that meet both targets
with the highest recall and then the highest precision, the middle of the longest unbroken run (the
lower middle of an even run): as far as the sample allows from both the repeats and the rest.

Not a test (tests/test_repeats.py holds both sets to the targets): it always exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import yaml  # noqa: E402

from pm_analytics import insights, metrics  # noqa: E402
from pm_analytics.filters import Filters  # noqa: E402
from pm_analytics.load import load_into  # noqa: E402
from pm_analytics.store import derive_recurrences  # noqa: E402

SAMPLE, SAMPLE_TRUTH = ROOT / "data", ROOT / "scripts" / "sample_repeats.json"
FIXTURES = ROOT / "tests" / "fixtures" / "repeats"
BLIND = ROOT / "tests" / "fixtures" / "repeats-blind"
PRECISION_TARGET, RECALL_TARGET = 0.9, 0.7
THRESHOLDS = [round(0.05 + step / 100, 2) for step in range(76)]


@dataclass(frozen=True)
class LabelledSet:
    name: str
    folder: Path
    families: list[list[str]]  # file names under ``folder``
    note: str = ""


def sample_set() -> LabelledSet:
    truth = json.loads(SAMPLE_TRUTH.read_text())
    return LabelledSet("sample", SAMPLE, truth["families"], "data/, chooses the threshold")


def fixture_set(folder: Path = FIXTURES, name: str = "fixtures", note: str = "tests/fixtures/repeats, reported only"
                ) -> LabelledSet:
    labels = yaml.safe_load((folder / "labels.yaml").read_text())
    return LabelledSet(name, folder / "postmortems", [f["members"] for f in labels["families"]], note)


def blind_set() -> LabelledSet:
    return fixture_set(BLIND, "blind", "tests/fixtures/repeats-blind, written after the settings, reported only")


def labelled_sets() -> list[LabelledSet]:
    return [sample_set(), fixture_set(), blind_set()]


def labelled_pairs(families: list[list[str]]) -> set[tuple[str, str]]:
    """Every (later, earlier) pair of every family, by file name. Members are put in date order by their
    names, which start with the incident's date (no family has two on one day)."""
    pairs = set()
    for family in families:
        ordered = sorted(family)
        if len({name[:10] for name in ordered}) != len(ordered):
            raise ValueError(f"two members of a family on one day: {ordered}")
        pairs |= {(later, earlier) for k, later in enumerate(ordered) for earlier in ordered[:k]}
    return pairs


def listed_pairs(con) -> set[tuple[str, str]]:
    """What the Recurring incidents page lists with no filter, as (later, earlier) file names."""
    rows = metrics.recurrences(con, Filters())
    path = dict(con.execute("SELECT incident_id, source_path FROM incidents").fetchall())
    return {(path[later], path[earlier]) for later, earlier in zip(rows["later_id"], rows["earlier_id"])}


@dataclass
class Score:
    labelled: int
    listed: int
    found: int
    false: list[tuple[str, str]] = field(default_factory=list)
    missed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.found / self.listed if self.listed else None

    @property
    def recall(self) -> float | None:
        return self.found / self.labelled if self.labelled else None

    @property
    def meets_targets(self) -> bool:
        return (self.precision is not None and self.precision >= PRECISION_TARGET
                and self.recall is not None and self.recall >= RECALL_TARGET)


def score(listed: set[tuple[str, str]], labelled: set[tuple[str, str]]) -> Score:
    return Score(len(labelled), len(listed), len(listed & labelled), sorted(listed - labelled), sorted(labelled - listed))


def load(labelled: LabelledSet, db: Path) -> None:
    load_into([labelled.folder], db, relative_to=labelled.folder)


def measure(labelled: LabelledSet, workdir: Path) -> Score:
    """Load the set and score what the page lists against its labels."""
    db = workdir / f"{labelled.name}.duckdb"
    load(labelled, db)
    with duckdb.connect(str(db), read_only=True) as con:
        return score(listed_pairs(con), labelled_pairs(labelled.families))


def sweep(db: Path, labelled: set[tuple[str, str]], thresholds=THRESHOLDS) -> list[tuple[float, Score]]:
    """The score at each threshold: recurrences derived again from the loaded related incidents (the same
    code as a load), on a copy of the database."""
    points = []
    with duckdb.connect(str(db)) as con:
        for threshold in thresholds:
            con.execute("DELETE FROM recurrences")
            derive_recurrences(con, threshold)
            points.append((threshold, score(listed_pairs(con), labelled)))
    return points


def choose_threshold(points: list[tuple[float, Score]]) -> tuple[float, list[float]] | None:
    """Of the thresholds that meet both targets, those with the highest recall and, among them, the
    highest precision; the middle of their longest unbroken run (the lower middle of an even run; the
    lowest of equally long runs), and that run. ``None`` when no threshold meets the targets."""
    meeting = [(t, s) for t, s in points if s.meets_targets]
    if not meeting:
        return None
    best = max((s.recall, s.precision) for _, s in meeting)
    chosen = {t for t, s in meeting if (s.recall, s.precision) == best}
    runs: list[list[float]] = []
    for t, _ in points:
        if t in chosen:
            if runs and runs[-1][-1] == previous:
                runs[-1].append(t)
            else:
                runs.append([t])
        previous = t
    run = max(runs, key=len)
    return run[(len(run) - 1) // 2], run


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def report(scores: dict[str, tuple[LabelledSet, Score]]) -> str:
    lines = [f"Recurrence detector: text similarity ≥ {insights.RECURRENCE_TEXT_SIMILARITY} and a shared team or app "
             f"(targets: precision ≥ {PRECISION_TARGET}, recall ≥ {RECALL_TARGET})", "",
             "| set | labelled pairs | listed | found | false | missed | precision | recall |",
             "|---|---|---|---|---|---|---|---|"]
    for labelled, s in scores.values():
        lines.append(f"| {labelled.name} ({labelled.note}) | {s.labelled} | {s.listed} | {s.found} | {len(s.false)} | "
                     f"{len(s.missed)} | {_figure(s.precision)} | {_figure(s.recall)} |")
    for labelled, s in scores.values():
        for kind, pairs in (("false repeat", s.false), ("missed", s.missed)):
            lines += [f"{labelled.name}: {kind}: {later} repeats {earlier}" for later, earlier in pairs]
    return "\n".join(lines)


def sweep_report(points: list[tuple[float, Score]]) -> str:
    chosen = choose_threshold(points)
    lines = ["Sample, threshold by threshold (every 0.05, and the chosen run):", "",
             "| text similarity ≥ | listed | found | false | precision | recall | meets targets |", "|---|---|---|---|---|---|---|"]
    run = chosen[1] if chosen else []
    for t, s in points:
        if round(t * 100) % 5 == 0 or t in run:
            lines.append(f"| {t:.2f} | {s.listed} | {s.found} | {len(s.false)} | {_figure(s.precision)} | {_figure(s.recall)} | "
                         f"{'yes' if s.meets_targets else ''} |")
    if chosen:
        best = dict(points)[chosen[0]]
        lines += ["", f"Chosen: {chosen[0]:.2f}, the middle of {run[0]:.2f}–{run[-1]:.2f}, where recall ({_figure(best.recall)}) "
                      f"and then precision ({_figure(best.precision)}) are highest."]
    else:
        lines += ["", "No threshold meets both targets."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweep", action="store_true", help="also show how the threshold is chosen on the sample")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        workdir = Path(work)
        scores = {s.name: (s, measure(s, workdir)) for s in labelled_sets()}
        print(report(scores))
        if args.sweep:
            print()
            print(sweep_report(sweep(workdir / "sample.duckdb", labelled_pairs(sample_set().families))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
