"""The review report at scale: a year of a 10,000-incident database, written by ``pm-analytics report``.

    .venv/bin/python benchmarks/report.py                    # 10,000 post-mortems, 3 runs
    .venv/bin/python benchmarks/report.py --files 1000 --runs 1

The corpus is ``benchmarks/corpus.py``'s (the one bench.py and viewers.py use: 10,000 post-mortems over
ten years, about 1,000 a year), loaded once with ``pm_analytics.load.load_into``. Each run is the command a
user types, in a fresh process (imports, opening the database, every metrics call, plotly's figures, the
template), for the calendar year before ``--as-of`` and for all ten years; then the same year in-process,
split into ``report.review_context`` (every metrics call, the charts, their JSON) and ``report.render``
(plotly.js and the template). ``--work DIR --reuse`` keeps the corpus's database between runs. Prints one
Markdown table with the targets (a year: under 10 s and under 10 MB). Not a test: nothing here fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus  # noqa: E402

from pm_analytics import metrics, report  # noqa: E402
from pm_analytics.filters import Filters  # noqa: E402
from pm_analytics.load import load_into  # noqa: E402
from pm_analytics.store import open_database  # noqa: E402

AS_OF = date(2026, 11, 26)
TARGET_S, TARGET_MB = 10.0, 10.0


def command(db: Path, out: Path, *window: str) -> tuple[float, int]:
    """Wall time of ``pm-analytics report`` in a fresh interpreter, and the size of what it wrote."""
    args = [sys.executable, "-m", "pm_analytics.cli", "report", "--db", str(db), "--as-of", AS_OF.isoformat(),
            "--out", str(out), "--base-url", "https://pm.example.com", *window]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env=env, cwd=ROOT)
    return time.perf_counter() - start, out.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000, help="post-mortems in the corpus")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--work", help="folder for the corpus and database (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="use the database already in --work, if there is one")
    args = parser.parse_args(argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="pm-report-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        folder, db = work / f"corpus-{args.files}", work / f"report-{args.files}.duckdb"
        if not (args.reuse and db.is_file()):
            start = time.perf_counter()
            corpus.generate(args.files, folder)
            load_into([folder], db, relative_to=folder)
            print(f"generated and loaded {args.files:,} post-mortems in {time.perf_counter() - start:.1f} s",
                  flush=True)
        year = AS_OF.year - 1
        con = open_database(db)
        year_filter = Filters(date_from=date(year, 1, 1), date_to=date(year, 12, 31))
        in_year = sum(int(n) for n in metrics.incident_counts(con, year_filter, "month", None)["incidents"])
        con.close()

        rows = []
        windows = ((f"year {year} ({in_year:,} incidents)", ("--from", f"{year}-01-01", "--to", f"{year}-12-31"), True),
                   (f"all {args.files:,} incidents (ten years)", ("--from", "2016-01-01", "--to", AS_OF.isoformat()),
                    False))
        for label, window, targeted in windows:
            runs = [command(db, work / "review.html", *window) for _ in range(args.runs)]
            seconds, size_mb = statistics.median(r[0] for r in runs), runs[-1][1] / 1e6
            rows.append((f"`pm-analytics report`, {label}: wall time, fresh process (x{args.runs})", f"{seconds:.2f} s",
                         f"< {TARGET_S:.0f} s" if targeted else "", seconds < TARGET_S if targeted else None))
            rows.append((f"`pm-analytics report`, {label}: file size", f"{size_mb:.2f} MB",
                         f"< {TARGET_MB:.0f} MB" if targeted else "", size_mb < TARGET_MB if targeted else None))

        con = open_database(db)
        previous = year_filter.with_dates(date(year - 1, 1, 1), date(year - 1, 12, 31))
        numbers, rendering = [], []
        for _ in range(args.runs):
            report.definitions_html.cache_clear()
            report._plotly_js.cache_clear()
            start = time.perf_counter()
            context = report.review_context(con, year_filter, AS_OF, previous, base_url="https://pm.example.com")
            middle = time.perf_counter()
            report.render(context)
            numbers.append(middle - start)
            rendering.append(time.perf_counter() - middle)
        con.close()
        rows.append((f"in-process, year {year}: every metrics call, the charts and their JSON (x{args.runs})",
                     f"{statistics.median(numbers):.2f} s", "", None))
        rows.append((f"in-process, year {year}: plotly.js read and inlined, the template (x{args.runs})",
                     f"{statistics.median(rendering):.2f} s", "", None))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\n{args.files:,} post-mortems (benchmarks/corpus.py), as of {AS_OF.isoformat()}, {os.cpu_count()} cores\n")
    print("| measure | figure | target | |\n|---|---|---|---|")
    for measure, figure, target, met in rows:
        verdict = "" if met is None else ("met" if met else "**missed**")
        print(f"| {measure} | {figure} | {target} | {verdict} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
