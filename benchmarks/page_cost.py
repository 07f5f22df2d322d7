"""Page cost: the CPU time of one run of each page the viewers open, with each viewer's filter.

    .venv/bin/python benchmarks/page_cost.py                      # this checkout, 20 filters, one round
    .venv/bin/python benchmarks/page_cost.py --root /tmp/before   # another checkout's app and package
    .venv/bin/python benchmarks/page_cost.py --rounds 3 --pages overview,action_items
    .venv/bin/python benchmarks/page_cost.py --cached             # each filter's second run instead
    .venv/bin/python benchmarks/page_cost.py --string-storage pyarrow,python   # pandas' two ways, in turns

Writes the corpus of ``benchmarks/viewers.py`` (1,500 post-mortems) into ``--work`` once, loads it the way
the dashboard does, then runs each of the four pages ``benchmarks/viewers.py`` opens (overview, response
times, incidents, action items) once per viewer filter with Streamlit's ``AppTest``, in this process, and
prints per page the median, least and mean CPU milliseconds of a run. Each filter is new to the page's
cache, as each viewer of a burst is. This is what a page run asks of the server's one Python thread; the
server's own share (websocket, session, message queue) is left out, which ``viewers.py`` measures.

To compare two checkouts, run this for each in turns (``--root``; the interpreter and packages are this
one's), twice or more: on a shared machine a single pair of runs moves by a tenth. AppTest scans the
installed components' manifests for every instance it makes; that scan is cached here, as it is paid once
per server, not per page run.

``--cached`` times each filter's second run instead of its first: every query of the page is then in
Streamlit's cache, and what is left (figures, tables, widgets, the page's own Python) is what a page run
costs the server however small or fast the database.

``--string-storage A,B`` runs each page with each of pandas' string storages (``mode.string_storage``:
``pyarrow``, ``python``) in this one process, the storages taking turns filter by filter (A B, B A, ...),
each run after the cache is cleared and the warm-up filter run again, and prints a row per page and
storage and the median of the per-filter ratios: the comparison of ff52373. Not a test: nothing here fails.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=HERE.parent, help="the checkout whose app and package run")
    parser.add_argument("--work", type=Path, default=Path("/tmp/pm-analytics-page-cost"),
                        help="where the corpus and databases are kept between runs")
    parser.add_argument("--filters", type=int, default=20, help="viewer filters, each run once per page")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--pages", default="", help="comma-separated pages (overview, response_times, ...)")
    parser.add_argument("--cached", action="store_true",
                        help="time each filter's second run, every query of it cached, instead of its first")
    parser.add_argument("--string-storage", default="",
                        help="comma-separated pandas string storages (pyarrow, python) to take turns per filter")
    args = parser.parse_args()
    root = args.root.resolve()
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(root))
    import viewers

    args.work.mkdir(parents=True, exist_ok=True)
    folder = args.work / "postmortems"
    if not (args.work / "expected.duckdb").exists():
        viewers.prepare(1500, 3, args.work)
    os.environ["PM_ANALYTICS_DATA"] = str(folder)
    os.environ["PM_ANALYTICS_CACHE"] = str(args.work / f"cache-{hashlib.sha1(str(root).encode()).hexdigest()[:12]}")

    import streamlit as st
    import streamlit.components.v2.manifest_scanner as manifests
    from streamlit.testing.v1 import AppTest

    manifests.scan_component_manifests = functools.lru_cache(None)(manifests.scan_component_manifests)
    from pm_analytics import datasource, metrics, ui
    from pm_analytics.filters import Filters
    from pm_analytics.store import open_database

    con = open_database(args.work / "expected.duckdb")
    queries = viewers.view_queries(metrics.incidents_per_team(con, Filters())["team"].tolist(), args.filters + 1)
    warm = queries.pop()  # a filter of its own: every measured run misses the cache, as a new viewer's does
    con.close()
    job = ui._start_or_join_load(datasource.resolve(), reload=False)
    if job is not None:
        job.future.result(timeout=1200)

    def run(page: str, query: dict) -> None:
        app = AppTest.from_file(str(root / "app.py"), default_timeout=300)
        for key, value in query.items():
            app.query_params[key] = value
        if page:
            app.switch_page(f"pages/{page}.py")
        app.run()
        if app.exception:
            raise SystemExit(f"{page or 'overview'}: {app.exception}")

    wanted = {p for p in args.pages.split(",") if p}
    pages = [page for page, _ in viewers.PAGES if not wanted or (page or "overview") in wanted]
    storages = [s for s in args.string_storage.split(",") if s]
    if storages:
        compare_storages(run, pages, args.rounds, queries, warm, storages)
        return
    seconds: dict[str, list[float]] = {page: [] for page in pages}
    for _ in range(args.rounds):
        st.cache_data.clear()
        for page in pages:
            run(page, warm)  # imports and the first query of each kind, as a server has done long before
            for query in queries:
                if args.cached:
                    run(page, query)
                start = time.process_time()
                run(page, query)
                seconds[page].append(time.process_time() - start)
    which = "second run of each filter, its queries cached" if args.cached else "first run of each filter"
    print(f"{root} ({len(queries)} filters, {args.rounds} round(s), {which}; CPU ms per page run)")
    print("| page | median | least | mean |\n|---|---:|---:|---:|")
    for page, values in seconds.items():
        print(f"| {page or 'overview'} | {1000 * statistics.median(values):.0f} | {1000 * min(values):.0f} | "
              f"{1000 * statistics.fmean(values):.0f} |")


def compare_storages(run, pages: list[str], rounds: int, queries: list, warm: dict, storages: list[str]) -> None:
    """Each page's first run of each filter under each pandas string storage, the storages in turns."""
    import pandas as pd
    import streamlit as st

    seconds = {(page, storage): [] for page in pages for storage in storages}
    for round_ in range(rounds):
        for i, query in enumerate(queries):
            order = storages if (i + round_) % 2 == 0 else storages[::-1]
            for storage in order:
                pd.set_option("mode.string_storage", storage)
                st.cache_data.clear()
                for page in pages:
                    run(page, warm)
                    start = time.process_time()
                    run(page, query)
                    seconds[page, storage].append(time.process_time() - start)
    first = storages[0]
    print(f"{len(queries)} filters, {rounds} round(s), first run of each filter; CPU ms per page run; "
          f"pandas string storage in turns")
    print(f"| page | storage | median | least | mean | median of per-filter ratios to {first} |")
    print("|---|---|---:|---:|---:|---:|")
    for page in pages:
        for storage in storages:
            values = seconds[page, storage]
            ratio = statistics.median(v / w for v, w in zip(values, seconds[page, first]))
            print(f"| {page or 'overview'} | {storage} | {1000 * statistics.median(values):.0f} | "
                  f"{1000 * min(values):.0f} | {1000 * statistics.fmean(values):.0f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
