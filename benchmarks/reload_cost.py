"""Reload cost: what a reload after 1 % of the files changed spends, phase by phase.

    .venv/bin/python benchmarks/reload_cost.py                     # 10,000 files, 6 reloads
    git worktree add /tmp/before <commit> && .venv/bin/python benchmarks/reload_cost.py --compare /tmp/before

Writes the benchmark corpus (``benchmarks/corpus.py``), loads it cold (the text model fitted), reloads once
to warm up, then ``--rounds`` times rewrites the title of 1 % of the files (as ``bench.py``'s "1% changed"
row does) and reloads, text model included. Prints the median seconds of the reload and of its main steps
(``load_into``'s own and the text model's).

``--compare`` runs another checkout alongside, each checkout in its own interpreter started in its own
folder (so neither imports the other's code) on its own copy of the corpus, the two taking turns reload
by reload (A B, B A, ...), so a busy machine slows both alike and the ratio holds. Rounds stay below the
text model's refit point (10 % of the incidents changed since the fit), so every measured reload is an
update, never a refit. Not a test: nothing here fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench  # noqa: E402
import corpus  # noqa: E402
from checkout_process import CheckoutProcess, checkouts, in_turns  # noqa: E402

# The steps timed, where the checkout has them: (module[:class], attribute, label). Steps are in the order a
# reload takes them and do not overlap, but for those labelled "(in ...)", part of the step before.
STEPS = [
    ("pm_analytics.load", "previous_load", "previous load read"),
    ("pm_analytics.load", "discover", "files listed"),
    ("pm_analytics.load", "_plan", "files compared"),
    ("pm_analytics.store:DatabaseWriter", "__enter__", "previous database copied"),
    ("pm_analytics.store:PreviousLoad", "ids_by_path", "previous ids read"),
    ("pm_analytics.load", "_run", "changed files parsed and written"),
    ("pm_analytics.store:DatabaseWriter", "keep_only", "changed files' rows deleted"),
    ("pm_analytics.load", "canonicalise_names", "names made one spelling"),
    ("pm_analytics.store:DatabaseWriter", "finish", "database finished and swapped"),
    ("pm_analytics.store:PreviousLoad", "problems", "previous problems read"),
    ("pm_analytics.store:DatabaseCopy", "__enter__", "text model: database copied"),
    ("pm_analytics.text_model", "insight_inputs", "text model: inputs read"),
    ("pm_analytics.text_model", "read_text_model", "text model: previous model read"),
    ("pm_analytics.text_model", "fitted_model", "text model: previous model unpacked"),
    ("pm_analytics.insights", "fingerprints", "text model: fingerprints"),
    ("pm_analytics.insights", "update", "text model: update"),
    ("pm_analytics.insights", "_related_pairs", "text model: related incidents (in update)"),
    ("pm_analytics.text_model", "outcome_tables", "text model: rows made"),
    ("pm_analytics.text_model", "write_text_model", "text model: written"),
    ("pm_analytics.store:DatabaseCopy", "commit", "text model: database swapped"),
]
OTHER = "other (outside the steps above)"

# Runs in a checkout's folder with only that checkout on the path. Reads a round number per line, reloads
# and answers with the reload's seconds, each step's and the text model's summary.
_CHILD = """
import functools, importlib, json, sys, time
import pm_analytics
from pm_analytics.load import load_into
folder, db, steps = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
times = {}
for where, name, label in steps:
    module, _, cls = where.partition(":")
    try:
        owner = importlib.import_module(module)
        owner = getattr(owner, cls) if cls else owner
        original = getattr(owner, name)
    except (ImportError, AttributeError):
        continue
    def timed(*args, _original=original, _label=label, **kwargs):
        start = time.perf_counter()
        try:
            return _original(*args, **kwargs)
        finally:
            times[_label] = times.get(_label, 0.0) + time.perf_counter() - start
    setattr(owner, name, functools.wraps(original)(timed))
load_into([folder], db, relative_to=folder, incremental=False)
print(json.dumps({"ready": pm_analytics.__file__}), flush=True)
for line in sys.stdin:
    times.clear()
    start = time.perf_counter()
    result = load_into([folder], db, relative_to=folder)
    print(json.dumps({"seconds": time.perf_counter() - start, "steps": times,
                      "text_model": result.text_model.summary() if result.text_model else ""}), flush=True)
"""


class Checkout:
    """A checkout's reloading interpreter, on its own copy of the corpus."""

    def __init__(self, label: str, checkout: Path, folder: Path, db: Path) -> None:
        self.label, self.folder = label, folder
        self.child = CheckoutProcess(label, checkout, _CHILD, [str(folder), str(db), json.dumps(STEPS)], "reloading")
        self.runs: list[dict] = []

    def reload(self, round_: int, keep: bool) -> None:
        bench.retitle_one_percent(self.folder, round_)
        answer = self.child.ask(round_)
        if keep:
            self.runs.append(answer)

    def close(self) -> None:
        self.child.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000, help="benchmark corpus files")
    parser.add_argument("--rounds", type=int, default=6, help="reloads measured per checkout (at most 8)")
    parser.add_argument("--compare", metavar="CHECKOUT", help="another checkout to reload alongside (before)")
    args = parser.parse_args(argv)
    rounds = max(1, min(args.rounds, 8))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus.generate(args.files, work / "corpus")
        sides = []
        for label, checkout in checkouts(ROOT, args.compare):
            copy = work / label.replace(" ", "-")
            shutil.copytree(work / "corpus", copy)
            sides.append(Checkout(label, checkout, copy, copy.with_suffix(".duckdb")))
        try:
            for round_ in range(rounds + 1):
                for side in in_turns(sides, round_):
                    side.reload(round_, keep=round_ > 0)
        finally:
            for side in sides:
                side.close()
    report(sides, args.files, rounds)
    return 0


def report(sides: list[Checkout], files: int, rounds: int) -> None:
    print(f"{files:,} files, 1 % of titles rewritten before each reload; median of {rounds} reloads each"
          + (", the checkouts taking turns" if len(sides) > 1 else "") + f"; {os.cpu_count()} cores\n")
    print("| step | " + " | ".join(f"{s.label} (s)" for s in sides) + (" | after / before |" if len(sides) > 1 else " |"))
    print("|---|" + "---:|" * (len(sides) + (len(sides) > 1)))
    labels = ["reload, text model included"] + [label for _, _, label in STEPS] + [OTHER]
    for side in sides:
        for run in side.runs:
            run["steps"][OTHER] = run["seconds"] - sum(seconds for label, seconds in run["steps"].items()
                                                       if "(in " not in label)
    for label in labels:
        values = []
        for side in sides:
            figures = [run["seconds"] if label == labels[0] else run["steps"].get(label) for run in side.runs]
            figures = [f for f in figures if f is not None]
            values.append(statistics.median(figures) if figures else None)
        cells = [f"{v:.3f}" if v is not None else "–" for v in values]
        if len(sides) > 1:
            cells.append(f"{values[0] / values[1]:.2f}" if None not in values and values[1] else "–")
        print(f"| {label} | " + " | ".join(cells) + " |")
    for side in sides:
        print(f"\n{side.label}: " + ", ".join(f"{run['seconds']:.2f}" for run in side.runs) + " s; last: "
              + side.runs[-1]["text_model"])


if __name__ == "__main__":
    sys.exit(main())
