"""Chart cost: the CPU time of the charts that draw a panel or a row per group, on the benchmark corpus.

    .venv/bin/python benchmarks/chart_cost.py                      # 1,500 files, 7 builds per chart
    git worktree add /tmp/before <commit> && .venv/bin/python benchmarks/chart_cost.py --compare /tmp/before

Writes the benchmark corpus (``benchmarks/corpus.py``; 1,500 files hold 20 teams), loads it, and builds
each chart ``--builds`` times from the same metrics tables, over a span that cuts the first and last
quarter short (so the partial-period bands are drawn). Prints the median CPU milliseconds per chart.

``--compare`` builds the same charts with another checkout, each checkout in its own interpreter started
in its own folder (so neither imports the other's code), reading the same database; the two take turns
chart by chart, so a busy machine slows both alike and the ratio holds. Not a test: nothing here fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from checkout_process import CheckoutProcess, checkouts, in_turns  # noqa: E402

TWO_TARGETS = {"median": 45, "p90": 240}
# (label, metrics call, chart call): evaluated in the child with ``metrics``, ``charts``, ``con``, ``span``,
# ``flt`` (the span's filter), ``as_of`` and ``targets`` (TWO_TARGETS) in scope.
CASES = [
    ("response times by team", "metrics.response_time_trend(con, flt, 'quarter', 'team', ['time_to_detect_min'])",
     "charts.response_trend(data, 'Time to detect', 'quarter', span=span)"),
    ("response times by team, two targets",
     "metrics.response_time_trend(con, flt, 'quarter', 'team', ['time_to_detect_min'])",
     "charts.response_trend(data, 'Time to detect', 'quarter', targets=targets, span=span)"),
    ("response times by team, per month", "metrics.response_time_trend(con, flt, 'month', 'team', ['duration_min'])",
     "charts.response_trend(data, 'Time to recover', 'month', span=span)"),
    ("response times by severity, two targets",
     "metrics.response_time_trend(con, flt, 'quarter', 'severity', ['time_to_detect_min'])",
     "charts.response_trend(data, 'Time to detect', 'quarter', targets=targets, span=span)"),
    ("where the time goes", "metrics.time_breakdown(con, flt)", "charts.time_breakdown_chart(data, 'quarter', span)"),
    ("incidents per month by severity", "metrics.incident_counts(con, flt, 'month')",
     "charts.incidents_per_period(data, 'month', span)"),
    ("action item rates by priority", "metrics.action_item_summary(con, flt, as_of, ('priority',), 'quarter')",
     "charts.action_rates(data, 'quarter', span)"),
    ("off hours by team (heatmap)", "metrics.off_hours(con, flt, 'quarter', 'team')",
     "charts.off_hours_trend(data, 'quarter', span)"),
    ("engineers by team (heatmap)", "metrics.participants(con, flt, 'quarter', 'team')",
     "charts.engineers_trend(data, 'quarter', span)"),
]

# Runs in a checkout's folder with only that checkout on the path. Reads a case number per line, builds
# that chart ``builds`` times, each after a full garbage collection (so one build does not pay for the
# garbage of the one before), and answers with the median CPU seconds.
_CHILD = """
import gc, json, statistics, sys, time
from datetime import date, timedelta
import pm_analytics
from pm_analytics import charts, metrics, store
from pm_analytics.filters import Filters
db, builds, cases, targets = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
con = store.open_database(db)
first, last = con.execute("SELECT min(incident_date), max(incident_date) FROM incidents").fetchone()
span = (first + timedelta(days=40), last - timedelta(days=40))
flt, as_of = Filters(date_from=span[0], date_to=span[1]), last + timedelta(days=30)
print(json.dumps({"ready": pm_analytics.__file__}), flush=True)
for line in sys.stdin:
    label, data_call, chart_call = cases[int(line)]
    data = eval(data_call)
    times = []
    for _ in range(builds):
        gc.collect()
        start = time.process_time()
        eval(chart_call)
        times.append(time.process_time() - start)
    print(json.dumps({"seconds": statistics.median(times)}), flush=True)
"""


class Checkout:
    """A checkout's chart-building interpreter."""

    def __init__(self, label: str, checkout: Path, db: Path, builds: int) -> None:
        self.label = label
        self.child = CheckoutProcess(label, checkout, _CHILD, [str(db), str(builds), json.dumps(CASES),
                                                               json.dumps(TWO_TARGETS)], "chart-building")
        self.seconds: list[float] = []

    def build(self, case: int) -> None:
        self.seconds.append(self.child.ask(case)["seconds"])

    def close(self) -> None:
        self.child.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1_500, help="benchmark corpus files")
    parser.add_argument("--builds", type=int, default=7, help="builds of each chart per checkout (median)")
    parser.add_argument("--compare", metavar="CHECKOUT", help="another checkout to build the charts with (before)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import corpus
    from pm_analytics.load import load_into

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus.generate(args.files, work / "corpus")
        load_into([work / "corpus"], work / "corpus.duckdb", relative_to=work / "corpus")
        sides = [Checkout(label, checkout, work / "corpus.duckdb", args.builds)
                 for label, checkout in checkouts(ROOT, args.compare)]
        try:
            for case in range(len(CASES)):
                for side in in_turns(sides, case):
                    side.build(case)
        finally:
            for side in sides:
                side.close()
    report(sides, args.files, args.builds)
    return 0


def report(sides: list[Checkout], files: int, builds: int) -> None:
    print(f"{files:,} files; median CPU time of {builds} builds of each chart"
          + (", the checkouts taking turns" if len(sides) > 1 else "") + f"; {os.cpu_count()} cores\n")
    print("| chart | " + " | ".join(f"{s.label} (ms)" for s in sides) + (" | after / before |" if len(sides) > 1 else " |"))
    print("|---|" + "---:|" * (len(sides) + (len(sides) > 1)))
    for case, (label, _, _) in enumerate(CASES):
        values = [side.seconds[case] for side in sides]
        cells = [f"{v * 1000:.0f}" for v in values]
        if len(sides) > 1:
            cells.append(f"{values[0] / values[1]:.2f}" if values[1] else "–")
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
