"""A cold load with the interpreted parser and with the parser compiled by mypyc, in turns, against the floor.

    .venv/bin/python benchmarks/compiled_load.py --files 10000 --rounds 2

Builds the compiled package (``compiled_build.py``: the wheel ``PM_ANALYTICS_COMPILE=1`` gives, unpacked),
generates the benchmark corpus once, then each round times the floor (``naive.floor``: read every file,
libyaml on the YAML parts) and one cold load per build, each load in a fresh interpreter whose
``PYTHONPATH`` picks the build (two parse workers, as ``bench.py``'s split load): the database usable
(text model deferred) and the text model written. The order of the two builds alternates by round, so
a busy machine slows both alike. Prints a Markdown table of medians. Not a test: nothing here fails.
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
import json, sys, time
from pm_analytics.load import load_into
import pm_analytics.parse.reader as reader
folder, db = sys.argv[1], sys.argv[2]
marks = {}
start = time.perf_counter()
load_into([folder], db, relative_to=folder, workers=2, incremental=False,
          phase=lambda name: marks.setdefault(name, time.perf_counter() - start))
print(json.dumps({"usable_s": marks["replaced"], "total_s": time.perf_counter() - start, "reader": reader.__file__}))
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
        print("| parser | usable, text model deferred (s) | / floor | text model included (s) | / floor |")
        print("|---|---:|---:|---:|---:|")
        for name, runs in figures.items():
            usable = statistics.median(r["usable_s"] for r in runs)
            total = statistics.median(r["total_s"] for r in runs)
            each_usable = " / ".join(format(r["usable_s"], ".2f") for r in runs)
            each_total = " / ".join(format(r["total_s"], ".2f") for r in runs)
            print(f"| {name} | {usable:.2f} ({each_usable}) | {usable / floor_s:.2f}x | {total:.2f} ({each_total}) | "
                  f"{total / floor_s:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
