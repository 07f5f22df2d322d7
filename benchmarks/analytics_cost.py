"""Analytics cost: every analytics call a page makes, timed on one large database, two checkouts in turns.

    .venv/bin/python benchmarks/analytics_cost.py                          # 100,000 files, this checkout
    git worktree add /tmp/before <commit> && .venv/bin/python benchmarks/analytics_cost.py --compare /tmp/before
    .venv/bin/python benchmarks/analytics_cost.py --files 10000 --calls review,off_hours

Writes the benchmark corpus (``benchmarks/corpus.py``) and loads it with this checkout, text model
included, into ``--work`` once (about 3-6 minutes at 100,000 files; kept for the next run). Then each
checkout, in its own interpreter started in its own folder (so neither imports the other's code), times
the calls of ``bench.analytics_calls`` (the median of 5 calls each, all filters off and SEV2 + one team,
as ``bench.py`` does at 100,000), the two taking turns round by round (A B, B A, ...) so a busy machine
slows both alike. Prints per call the least of the rounds' medians for each checkout and their ratio.
The database is this checkout's: a checkout of another schema version cannot be compared on it, and a
call one checkout lacks is shown as "–". Not a test: nothing here fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus  # noqa: E402
from checkout_process import CheckoutProcess, checkouts, in_turns  # noqa: E402

# Runs in a checkout's folder with only that checkout on the path: its pm_analytics is imported before
# bench.py (of the checkout that runs this benchmark) can put another one first. Reads a round number per
# line and answers with {"<call> (<filters>)": seconds}.
_CHILD = """
import json, sys
import pm_analytics, pm_analytics.filters, pm_analytics.insights, pm_analytics.load, pm_analytics.metrics
import pm_analytics.store
db, benchmarks, wanted = sys.argv[1], sys.argv[2], [w for w in sys.argv[3].split(",") if w]
sys.path.append(benchmarks)
import bench
from pm_analytics.filters import Filters
con = pm_analytics.store.open_database(db)
team = con.execute("SELECT team FROM incident_teams GROUP BY team ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
print(json.dumps({"ready": pm_analytics.__file__}), flush=True)
for line in sys.stdin:
    seconds = {}
    for label, filters in (("all filters off", Filters()), ("SEV2 + one team", Filters(severities=("SEV2",), teams=(team,)))):
        for name, call in bench.analytics_calls(con, filters):
            if wanted and not any(w in name for w in wanted):
                continue
            try:
                seconds[f"{name} ({label})"], _ = bench.timed(call, 5)
            except Exception:
                seconds[f"{name} ({label})"] = None
    print(json.dumps(seconds), flush=True)
"""


def prepare(files: int, work: Path) -> Path:
    """The database of ``files`` corpus files, loaded by this checkout (made once, then reused)."""
    db = work / f"pm-{files}.duckdb"
    if db.exists():
        return db
    sys.path.insert(0, str(ROOT))
    from pm_analytics.load import load_into

    folder = work / f"corpus-{files}"
    corpus.generate(files, folder)
    print(f"loading {files:,} files into {db} (once)", flush=True)
    load_into([folder], db, relative_to=folder, incremental=False)
    return db


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000, help="benchmark corpus files")
    parser.add_argument("--work", type=Path, default=Path("/tmp/pm-analytics-analytics-cost"),
                        help="where the corpus and database are kept between runs")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per checkout (each call's least is kept)")
    parser.add_argument("--calls", default="", help="comma-separated parts of call names to time (default: all)")
    parser.add_argument("--compare", metavar="CHECKOUT", help="another checkout to time alongside (before)")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    db = prepare(args.files, args.work)
    sides = [(label, CheckoutProcess(label, path, _CHILD, [str(db), str(ROOT / "benchmarks"), args.calls], "timing"))
             for label, path in checkouts(ROOT, args.compare)]
    seconds: dict[str, dict[str, list[float | None]]] = {label: {} for label, _ in sides}
    try:
        for turn in range(args.rounds):
            for label, child in in_turns(sides, turn):
                for call, value in child.ask(turn).items():
                    seconds[label].setdefault(call, []).append(value)
    finally:
        for _, child in sides:
            child.close()

    def least(label: str, call: str) -> float | None:
        values = [v for v in seconds[label].get(call, []) if v is not None]
        return min(values) if values else None

    labels = [label for label, _ in sides]
    print(f"\n{args.files:,} files; least of {args.rounds} rounds of the median of 5 calls, in ms"
          + (f"; {labels[1]}: {Path(args.compare).resolve()}" if args.compare else ""))
    print("| call | " + " | ".join(labels) + (" | after / before |" if len(labels) == 2 else " |"))
    print("|---|" + "---:|" * (len(labels) + (len(labels) == 2)))
    calls = list(dict.fromkeys(call for label in labels for call in seconds[label]))
    for call in calls:
        figures = [least(label, call) for label in labels]
        cells = ["–" if f is None else f"{f * 1000:.0f}" for f in figures]
        if len(labels) == 2:
            cells.append("–" if None in figures else f"{figures[0] / figures[1]:.2f}")
        print(f"| {call} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
