"""The scale benchmark: load, reload, analytics and page timings at 1k / 10k / 100k post-mortems.

    .venv/bin/python benchmarks/bench.py                      # 1,000, 10,000 and 100,000 files
    .venv/bin/python benchmarks/bench.py --sizes 1000,10000   # quicker

Prints one Markdown table: every figure is the median of ``--runs`` runs
(timings noted "x1" ran once because one run already takes minutes), with the
target next to it and whether it was met. Ratios (naive / ours, ours / floor)
come from the same run on the same machine, so they hold up when the machine
is shared and noisy; absolute seconds do not. Not a test: nothing here fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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
import naive  # noqa: E402

from pm_analytics import insights, metrics  # noqa: E402
from pm_analytics.filters import Filters  # noqa: E402
from pm_analytics.load import load_into  # noqa: E402
from pm_analytics.store import insight_inputs, open_database  # noqa: E402

AS_OF = date(2026, 11, 26)
PAGES = ["app.py", "pages/response_times.py", "pages/blast_radius.py", "pages/action_items.py",
         "pages/incidents.py", "pages/incident.py", "pages/recurring.py", "pages/severity.py", "pages/off_hours.py",
         "pages/reviews.py", "pages/search.py", "pages/data_quality.py"]


def timed(function, runs: int) -> tuple[float, object]:
    """Median wall time of ``runs`` calls, and the last call's result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir())


def child_peak_rss_mb(code: str, env: dict | None = None) -> tuple[float, str]:
    """Run ``code`` in a fresh interpreter; its peak RSS (with its worker processes) in MB and its output."""
    wrapper = code + (
        "\nimport resource\n"
        "print('PEAK', max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024)\n")
    out = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, **(env or {})}, check=True).stdout
    peak = float(out.strip().splitlines()[-1].split()[1])
    return peak, out


def effective_cores() -> float:
    """How much faster two processes burn CPU than one, on this machine right now."""
    code = ("import time, multiprocessing as mp\n"
            "def burn(n):\n    s = 0\n    for i in range(n): s += i * i\n    return s\n"
            "if __name__ == '__main__':\n"
            "    t = time.perf_counter(); burn(10_000_000); one = time.perf_counter() - t\n"
            "    with mp.Pool(2) as pool:\n"
            "        t = time.perf_counter(); pool.map(burn, [10_000_000] * 2); two = time.perf_counter() - t\n"
            "    print(2 * one / two)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def touch_one_percent(folder: Path) -> int:
    """Append a blank line to 1% of the files (every 100th), so they must be parsed again."""
    files = sorted(folder.iterdir())[::100]
    for path in files:
        with open(path, "a") as fh:
            fh.write("\n")
    return len(files)


_LAST_WORD = re.compile(r"(\w+)(\W*)$")


def retitle_one_percent(folder: Path, round_: int) -> int:
    """Add words to the title of 1% of the files (every 100th, from the ``round_``th), so that they are
    parsed again and their text changed: the text model has work to do."""
    files = sorted(folder.iterdir())[round_ % 100::100]
    for path in files:
        lines = path.read_text(encoding="utf-8").split("\n")
        at = next(i for i, line in enumerate(lines) if "title" in line.lower())
        lines[at] = _LAST_WORD.sub(rf"\1 again after the cache failover {round_}\2", lines[at], count=1)
        path.write_text("\n".join(lines), encoding="utf-8")
    return len(files)


def analytics_calls(con, filters: Filters):
    """(name, call) for every analytics-core function a page uses."""
    return [
        ("response_time_stats", lambda: metrics.response_time_stats(con, filters)),
        ("response_time_trend month by severity", lambda: metrics.response_time_trend(con, filters, "month", "severity")),
        ("time_breakdown", lambda: metrics.time_breakdown(con, filters)),
        ("period_comparison", lambda: metrics.period_comparison(con, filters, AS_OF)),
        ("overview_cards", lambda: metrics.overview_cards(con, filters.with_dates(date(2025, 11, 27), AS_OF), AS_OF)),
        ("headline", lambda: metrics.headline(con, filters, AS_OF)),
        ("incident_counts", lambda: metrics.incident_counts(con, filters)),
        ("distribution", lambda: metrics.distribution(con, filters, "duration_min")),
        ("blast_radius by month", lambda: metrics.blast_radius(con, filters, "month")),
        ("impact_minutes by team", lambda: metrics.impact_minutes(con, filters)),
        ("most_harmful", lambda: metrics.most_harmful(con, filters)),
        ("app_heatmap", lambda: metrics.app_heatmap(con, filters)),
        ("action_item_summary by priority", lambda: metrics.action_item_summary(con, filters, AS_OF)),
        ("action_item_summary by priority, quarter",
         lambda: metrics.action_item_summary(con, filters, AS_OF, ("priority",), "quarter")),
        ("action_item_summary by owner", lambda: metrics.action_item_summary(con, filters, AS_OF, ("owner",))),
        ("action_item_summary by team", lambda: metrics.action_item_summary(con, filters, AS_OF, ("team",))),
        ("overdue_items (first 1,000)", lambda: metrics.overdue_items(con, filters, AS_OF, 1000)),
        ("participants by quarter", lambda: metrics.participants(con, filters)),
        ("incidents_per_team", lambda: metrics.incidents_per_team(con, filters)),
        ("incident_list (first 1,000)", lambda: metrics.incident_list(con, filters, limit=1000)),
        ("incident_list search", lambda: metrics.incident_list(con, filters, "certificate", limit=1000)),
        ("field_completeness", lambda: metrics.field_completeness(con, filters)),
        ("completeness_by_incident (1,000)", lambda: metrics.completeness_by_incident(con, filters, 1000)),
        ("completeness_by_team", lambda: metrics.completeness_by_team(con, filters)),
        ("filter_choices", lambda: metrics.filter_choices(con)),
        ("load_report", lambda: metrics.load_report(con, 1000)),
        ("recurrence_report (first 1,000)", lambda: metrics.recurrence_report(con, filters, 1000)),
        ("themes", lambda: metrics.themes(con, filters)),
        ("theme_trend", lambda: metrics.theme_trend(con, filters)),
        ("severity_outliers (first 1,000)", lambda: metrics.severity_outliers(con, filters, 1000)),
        ("severity_calibration_by_team", lambda: metrics.severity_calibration_by_team(con, filters)),
        ("start_heatmap", lambda: metrics.start_heatmap(con, filters)),
        ("off_hours by team", lambda: metrics.off_hours(con, filters, "quarter", "team")),
        ("review_summary", lambda: metrics.review_summary(con, filters, AS_OF)),
        ("waiting_report (first 1,000)", lambda: metrics.waiting_report(con, filters, AS_OF, 1000)),
        ("search", lambda: metrics.search(con, filters, "certificate", 1000)),
    ]


def page_timings(db: Path, incident_id: str, runs: int) -> dict[str, tuple[float, float]]:
    """Per page: (cold, warm) median seconds of a full server-side AppTest run on the database."""
    code = f"""
import json, os, statistics, time
import streamlit as st
from streamlit.testing.v1 import AppTest
os.environ["PM_ANALYTICS_DATA"] = {str(db)!r}
out = {{}}
warm_up = AppTest.from_file({str(ROOT / "app.py")!r}, default_timeout=600)
warm_up.run()  # imports and the database connection, paid once per server process, not per page
for page in {PAGES!r}:
    cold, warm = [], []
    for _ in range({runs}):
        st.cache_data.clear()
        at = AppTest.from_file({str(ROOT / "app.py")!r}, default_timeout=600)
        at.query_params["as_of"] = "2026-11-26"
        at.query_params["id"] = {incident_id!r}
        at.query_params["q"] = "certificate"
        if page != "app.py":
            at.switch_page(page)
        start = time.perf_counter(); at.run(); cold.append(time.perf_counter() - start)
        assert not at.exception, [e.message for e in at.exception]
        start = time.perf_counter(); at.run(); warm.append(time.perf_counter() - start)
    out[page] = (statistics.median(cold), statistics.median(warm))
print(json.dumps(out))
"""
    _, output = child_peak_rss_mb(code)
    return json.loads(output.strip().splitlines()[-2])


def page_peak_rss_mb(db: Path, incident_id: str) -> float:
    code = f"""
import os
from streamlit.testing.v1 import AppTest
os.environ["PM_ANALYTICS_DATA"] = {str(db)!r}
for page in {PAGES!r}:
    at = AppTest.from_file({str(ROOT / "app.py")!r}, default_timeout=600)
    at.query_params["as_of"] = "2026-11-26"
    at.query_params["id"] = {incident_id!r}
    if page != "app.py":
        at.switch_page(page)
    at.run()
"""
    peak, _ = child_peak_rss_mb(code)
    return peak


class Report:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add(self, n: int | str, what: str, figure: str, target: str = "", met: bool | None = None) -> None:
        verdict = "" if met is None else ("met" if met else "**missed**")
        self.rows.append((f"{n:,}" if isinstance(n, int) else n, what, figure, target, verdict))
        print(f"  {self.rows[-1][0]:>8}  {what:<48} {figure:<28} {target:<22} {verdict}", flush=True)

    def markdown(self) -> str:
        lines = ["| N | measure | figure | target | |", "|---:|---|---|---|---|"]
        lines += [f"| {' | '.join(row)} |" for row in self.rows]
        return "\n".join(lines)


def bench_size(n: int, runs: int, report: Report, work: Path, pages: bool, naive_runs: int) -> None:
    folder = work / f"corpus-{n}"
    start = time.perf_counter()
    corpus.generate(n, folder)
    print(f"generated {n:,} files in {time.perf_counter() - start:.1f} s", flush=True)
    megabytes = folder_bytes(folder) / 1e6
    db = work / f"pm-{n}.duckdb"

    floor_s, _ = timed(lambda: naive.floor([folder]), runs)
    report.add(n, "floor: read bytes + CSafeLoader on YAML parts", f"{floor_s:.2f} s")
    cold = {}
    load_runs = runs if n < 100_000 else 1
    for workers in (1, 2):
        cold[workers], _ = timed(lambda: load_into([folder], db, relative_to=folder, workers=workers,
                                                   incremental=False), load_runs)
        report.add(n, f"cold load, {workers} worker{'s' if workers > 1 else ''} (x{load_runs})",
                   f"{cold[workers]:.2f} s ({n / cold[workers]:,.0f} files/s, {megabytes / cold[workers]:.1f} MB/s)",
                   "< 60 s" if n >= 100_000 else "", cold[workers] < 60 if n >= 100_000 else None)
    best = min(cold.values())
    report.add(n, "cold load / floor (text model included)", f"{best / floor_s:.2f}x", "≤ 5x" if n == 10_000 else "",
               best / floor_s <= 5 if n == 10_000 else None)

    # The same cold load, timed to the moment its database is in place and usable (the text model deferred)
    # and to the end of the text model that follows, in one run.
    def split_load():
        marks = {}
        start = time.perf_counter()
        result = load_into([folder], db, relative_to=folder, workers=2, incremental=False,
                           phase=lambda name: marks.setdefault(name, time.perf_counter() - start))
        return marks["replaced"], time.perf_counter() - start, result.text_model

    splits = [split_load() for _ in range(load_runs)]
    usable_s = statistics.median(s[0] for s in splits)
    total_s = statistics.median(s[1] for s in splits)
    report.add(n, f"cold load, 2 workers: database usable, text model deferred (x{load_runs})", f"{usable_s:.2f} s")
    report.add(n, f"cold load, 2 workers: text model included (x{load_runs})",
               f"{total_s:.2f} s (text model {total_s - usable_s:.2f} s: {splits[-1][2].summary()})")
    report.add(n, "cold load / floor, text model deferred", f"{usable_s / floor_s:.2f}x", "≤ 3x" if n == 10_000 else "",
               usable_s / floor_s <= 3 if n == 10_000 else None)
    report.add(n, "cold load / floor, text model included", f"{total_s / floor_s:.2f}x", "≤ 5x" if n == 10_000 else "",
               total_s / floor_s <= 5 if n == 10_000 else None)
    if n <= 10_000 and naive_runs:
        naive_s, _ = timed(lambda: naive.naive_load([folder], work / f"naive-{n}.duckdb"), naive_runs)
        report.add(n, f"naive loader (x{naive_runs})", f"{naive_s:.2f} s")
        report.add(n, "naive / cold load", f"{naive_s / best:.1f}x faster", "≥ 5x" if n == 10_000 else "",
                   naive_s / best >= 5 if n == 10_000 else None)
    peak, _ = child_peak_rss_mb(
        f"from pm_analytics.load import load_into\n"
        f"load_into([{str(folder)!r}], {str(work / 'rss.duckdb')!r}, relative_to={str(folder)!r}, incremental=False)\n")
    report.add(n, "peak RSS of a cold load (with workers)", f"{peak:,.0f} MB", "< 2,048 MB", peak < 2048)

    load_into([folder], db, relative_to=folder)
    con = open_database(db)
    documents, teams, apps = insight_inputs(con, insights.BOILERPLATE_POST_MORTEMS)
    con.close()
    workers = 2
    model_s, _ = timed(lambda: insights.text_model(documents, teams, apps, threads=workers), 1)
    report.add(n, f"text model within the load: related incidents + themes, {workers} threads (x1)", f"{model_s:.2f} s")
    warm, result = timed(lambda: load_into([folder], db, relative_to=folder), runs)
    report.add(n, "reload, nothing changed", f"{warm * 1000:.0f} ms (parsed {result.parsed})",
               "< 500 ms" if n == 10_000 else "", warm < 0.5 if n == 10_000 else None)

    def one_percent():
        touch_one_percent(folder)
        return load_into([folder], db, relative_to=folder)

    changed, result = timed(one_percent, runs)
    report.add(n, "reload, 1% touched (text unchanged), text model included",
               f"{changed:.2f} s (parsed {result.parsed:,}; {result.text_model.summary()})")
    rounds = iter(range(1, 1000))

    def one_percent_text():
        retitle_one_percent(folder, next(rounds))
        return load_into([folder], db, relative_to=folder)

    changed, result = timed(one_percent_text, runs)
    report.add(n, "reload, 1% changed (titles rewritten), text model included",
               f"{changed:.2f} s (parsed {result.parsed:,}; {result.text_model.summary()})",
               "< 1 s" if n == 10_000 else "", changed < 1 if n == 10_000 else None)

    con = open_database(db)
    incident_id = con.execute("SELECT incident_id FROM incidents ORDER BY incident_id LIMIT 1").fetchone()[0]
    team = con.execute("SELECT team FROM incident_teams GROUP BY team ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    for label, filters in (("all filters off", Filters()), ("SEV2 + one team", Filters(severities=("SEV2",), teams=(team,)))):
        slowest = ("", 0.0)
        for name, call in analytics_calls(con, filters):
            seconds, _ = timed(call, runs)
            slowest = max(slowest, (name, seconds), key=lambda x: x[1])
            if n >= 100_000:
                report.add(n, f"{name} ({label})", f"{seconds * 1000:.0f} ms", "< 100 ms", seconds < 0.1)
        if n < 100_000:
            report.add(n, f"slowest analytics function ({label})", f"{slowest[0]}: {slowest[1] * 1000:.0f} ms")
    con.close()

    if pages and n >= 10_000:
        budget = 1.0 if n >= 100_000 else 0.3
        for page, (cold_s, warm_s) in page_timings(db, incident_id, runs).items():
            report.add(n, f"page {page}: first run / cached", f"{cold_s * 1000:.0f} / {warm_s * 1000:.0f} ms",
                       f"< {budget * 1000:.0f} ms", cold_s < budget)
        report.add(n, "peak RSS of running every page", f"{page_peak_rss_mb(db, incident_id):,.0f} MB")
    shutil.rmtree(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="corpus sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--naive-runs", type=int, default=1, help="runs of the (slow) naive loader (0: skip it)")
    parser.add_argument("--no-pages", action="store_true", help="skip the AppTest page timings")
    parser.add_argument("--work", help="folder for corpora and databases (default: a temporary one)")
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args(argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="pm-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    report = Report()
    report.add("-", "effective cores (2 processes vs 1, pure CPU)", f"{effective_cores():.2f}x")
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            bench_size(n, args.runs, report, work, not args.no_pages, args.naive_runs)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    table = report.markdown()
    print("\n" + table)
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
