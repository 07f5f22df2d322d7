"""A cold load with the interpreted parser and with the parser compiled by mypyc, in turns, against the floor.

    .venv/bin/python benchmarks/compiled_load.py --files 10000 --rounds 2

Builds the compiled package (``compiled_build.py``: the wheel ``PM_ANALYTICS_COMPILE=1`` gives, unpacked),
generates the benchmark corpus once, then each round times the floor (``naive.floor``: read every file,
libyaml on the YAML parts) and one cold load per build, each load in a fresh interpreter whose
``PYTHONPATH`` picks the build (two parse workers, as ``bench.py``'s split load): the database usable
(text model deferred) and the text model written. The order of the two builds alternates by round, so
a busy machine slows both alike. Prints a Markdown table of medians. Not a test: nothing here fails.

Each load also reports the CPU its parse workers used (``RUSAGE_CHILDREN``: the workers are its only
child processes, reaped when their pool ends) and its own, until the database is usable and in all. Half
the workers' CPU is the least time two workers can parse the corpus in on two cores, whatever the rest
of the load costs: the table prints it against the floor, the bound under which no change outside the
parser brings the load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import compiled_build  # noqa: E402
import corpus  # noqa: E402
import naive  # noqa: E402

_CHILD = """
import json, resource, sys, time
from pm_analytics.load import load_into
import pm_analytics.parse.reader as reader
folder, db = sys.argv[1], sys.argv[2]
def cpu_s(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime
marks = {}
start = time.perf_counter()
load_into([folder], db, relative_to=folder, workers=2, incremental=False,
          phase=lambda name: marks.setdefault(name, (time.perf_counter() - start, cpu_s(resource.RUSAGE_SELF))))
print(json.dumps({"usable_s": marks["replaced"][0], "total_s": time.perf_counter() - start, "reader": reader.__file__,
                  "workers_cpu_s": cpu_s(resource.RUSAGE_CHILDREN), "own_cpu_usable_s": marks["replaced"][1],
                  "own_cpu_s": cpu_s(resource.RUSAGE_SELF)}))
"""


def load_once(package: Path, folder: Path, db: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(package)}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(folder), str(db)], env=env, cwd=str(package),
                         capture_output=True, text=True, check=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    if not figures["reader"].startswith(str(package) + os.sep):
        raise SystemExit(f"measured {figures['reader']}, not the build in {package}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        builds = {"interpreted": ROOT, "compiled (mypyc)": compiled_build.build(work / "compiled")}
        print(f"compiled build: {time.perf_counter() - start:.0f} s", flush=True)
        folder = work / "corpus"
        corpus.generate(args.files, folder)
        floors, figures = [], {name: [] for name in builds}
        for round_ in range(args.rounds):
            start = time.perf_counter()
            naive.floor([folder])
            floors.append(time.perf_counter() - start)
            order = list(builds) if round_ % 2 == 0 else list(reversed(builds))
            for name in order:
                figures[name].append(load_once(builds[name], folder, work / "pm.duckdb"))
                print(f"round {round_ + 1}: {name}: {figures[name][-1]}", flush=True)
        floor_s = statistics.median(floors)
        print(f"\n{args.files:,} files, {args.rounds} rounds in turns, {os.cpu_count()} cores; floor "
              f"{floor_s:.2f} s (median of {', '.join(f'{f:.2f}' for f in floors)} s)\n")
        print("| parser | usable, text model deferred (s) | / floor | text model included (s) | / floor "
              "| parse workers' CPU (s) | its half / floor | loading process's CPU, to usable / in all (s) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, runs in figures.items():
            usable = statistics.median(r["usable_s"] for r in runs)
            total = statistics.median(r["total_s"] for r in runs)
            each_usable = " / ".join(format(r["usable_s"], ".2f") for r in runs)
            each_total = " / ".join(format(r["total_s"], ".2f") for r in runs)
            workers_cpu = statistics.median(r["workers_cpu_s"] for r in runs)
            own_usable = statistics.median(r["own_cpu_usable_s"] for r in runs)
            own_cpu = statistics.median(r["own_cpu_s"] for r in runs)
            print(f"| {name} | {usable:.2f} ({each_usable}) | {usable / floor_s:.2f}x | {total:.2f} ({each_total}) | "
                  f"{total / floor_s:.2f}x | {workers_cpu:.1f} | {workers_cpu / 2 / floor_s:.2f}x | "
                  f"{own_usable:.1f} / {own_cpu:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
