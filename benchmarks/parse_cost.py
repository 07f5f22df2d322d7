"""Parsing cost per file: CPU time of ``parse_bytes`` on the benchmark corpus and other shapes.

    .venv/bin/python benchmarks/parse_cost.py              # 3,000 corpus files, data/, real-world fixtures
    .venv/bin/python benchmarks/parse_cost.py --files 10000
    git worktree add /tmp/before <commit> && .venv/bin/python benchmarks/parse_cost.py --compare /tmp/before

``--compare`` measures another checkout's parser on the same files in the same run, each checkout in
its own interpreter started in its own folder (so neither imports the other's code), the two
interleaved twice (before, after, before, after), so the ratio holds on a busy machine.

Prints, per set of files, the median / p90 / mean CPU milliseconds per file
(``time.process_time`` around each parse, best of ``--repeat`` passes, so a
busy machine inflates the figures less than wall time would). Not a test:
nothing here fails. The corpus is ``benchmarks/corpus.py`` (deterministic).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus  # noqa: E402

from pm_analytics.parse import SUFFIXES, parse_bytes  # noqa: E402


def cpu_ms_per_file(files: list[tuple[str, bytes]], repeat: int) -> list[float]:
    """Each file's best CPU time over ``repeat`` passes, in milliseconds."""
    best = [float("inf")] * len(files)
    for _ in range(repeat):
        for i, (name, data) in enumerate(files):
            start = time.process_time()
            parse_bytes(data, name)
            best[i] = min(best[i], (time.process_time() - start) * 1000)
    return best


def files_in(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.rglob("*")) if p.suffix.lower() in SUFFIXES and p.name != "README.md"]


def read_folder(folder: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in files_in(folder)]


def file_sets(files: int, corpus_dir: Path) -> dict[str, list[Path]]:
    """The sets of files measured: the benchmark corpus (written to ``corpus_dir``), the bundled sample and
    the real-world layout fixtures (front matter, bold labels, pipe tables, status pages, prose)."""
    corpus.generate(files, corpus_dir, workers=1)
    fixtures = ROOT / "tests" / "fixtures"
    return {f"benchmark corpus ({files:,} files)": files_in(corpus_dir),
            "bundled sample data/": files_in(ROOT / "data"),
            "real-world layout fixtures": [p for name in ("realworld", "realworld-holdout", "realworld-blind")
                                           if (fixtures / name).is_dir() for p in files_in(fixtures / name)]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000, help="benchmark corpus files to generate")
    parser.add_argument("--repeat", type=int, default=3, help="passes per file (the best counts)")
    parser.add_argument("--compare", metavar="CHECKOUT", help="another checkout whose parser to measure alongside")
    parser.add_argument("--corpus-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.compare:
        return compare(args)
    with tempfile.TemporaryDirectory() as tmp:
        sets = {label: [(p.name, p.read_bytes()) for p in paths] for label, paths in file_sets(args.files, Path(tmp)).items()}
    print("| files | n | median ms | p90 ms | mean ms |")
    print("|---|---:|---:|---:|---:|")
    for label, files in sets.items():
        ms = sorted(cpu_ms_per_file(files, args.repeat))
        p90 = ms[int(0.9 * (len(ms) - 1))]
        print(f"| {label} | {len(ms):,} | {statistics.median(ms):.2f} | {p90:.2f} | {statistics.fmean(ms):.2f} |")
    return 0


# Run in the other checkout's folder with only it on the path, so that it measures that checkout's parser.
_CHILD = """
import json, statistics, sys, time
import pm_analytics
from pm_analytics.parse import parse_bytes
sets, repeat = json.load(open(sys.argv[1])), int(sys.argv[2])
out = {"parser": pm_analytics.__file__}
for label, paths in sets.items():
    files = [(p.rsplit("/", 1)[-1], open(p, "rb").read()) for p in paths]
    best = [float("inf")] * len(files)
    for _ in range(repeat):
        for i, (name, data) in enumerate(files):
            start = time.process_time()
            parse_bytes(data, name)
            best[i] = min(best[i], (time.process_time() - start) * 1000)
    out[label] = [statistics.median(best), statistics.fmean(best)]
print(json.dumps(out))
"""


def compare(args) -> int:
    """Median and mean CPU ms per file of ``--compare``'s parser (before) and this one (after) on each set
    of files, each checkout in its own interpreter, interleaved twice."""
    import json
    import os
    import subprocess

    figures: dict[str, list[dict]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        sets = file_sets(args.files, Path(tmp) / "corpus")
        listing = Path(tmp) / "sets.json"
        listing.write_text(json.dumps({label: [str(p) for p in paths] for label, paths in sets.items()}))
        for _ in range(2):
            for label, checkout in (("before", args.compare), ("after", str(ROOT))):
                checkout = str(Path(checkout).resolve())
                out = json.loads(subprocess.run(
                    [sys.executable, "-c", _CHILD, str(listing), str(args.repeat)], capture_output=True, text=True,
                    env={**os.environ, "PYTHONPATH": checkout}, cwd=checkout, check=True).stdout)
                if not out["parser"].startswith(checkout + os.sep):
                    raise SystemExit(f"{label}: measured {out['parser']}, not the checkout {checkout}")
                figures[label].append(out)
    print(f"before: {args.compare}; after: {ROOT}; best of {args.repeat} CPU passes per file; "
          "runs interleaved (before, after, before, after)\n")
    print("| files | n | before: median ms, run 1 / run 2 | after: median ms, run 1 / run 2 | "
          "before: mean ms | after: mean ms | before / after (median) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, paths in sets.items():
        b = [run[label] for run in figures["before"]]
        a = [run[label] for run in figures["after"]]
        ratio = statistics.fmean(x[0] for x in b) / statistics.fmean(x[0] for x in a)
        print(f"| {label} | {len(paths):,} | {b[0][0]:.2f} / {b[1][0]:.2f} | {a[0][0]:.2f} / {a[1][0]:.2f} | "
              f"{statistics.fmean(x[1] for x in b):.2f} | {statistics.fmean(x[1] for x in a):.2f} | {ratio:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
