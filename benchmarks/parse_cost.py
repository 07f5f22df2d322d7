"""Parsing cost per file: CPU time of ``parse_bytes`` on the benchmark corpus and other shapes.

    .venv/bin/python benchmarks/parse_cost.py              # 3,000 corpus files, data/, real-world fixtures
    .venv/bin/python benchmarks/parse_cost.py --files 10000
    git worktree add /tmp/before <commit> && .venv/bin/python benchmarks/parse_cost.py --compare /tmp/before

``--compare`` measures another checkout's parser on the same files in the same run, the two
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


def read_folder(folder: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(folder.rglob("*")) if p.suffix.lower() in SUFFIXES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000, help="benchmark corpus files to generate")
    parser.add_argument("--repeat", type=int, default=3, help="passes per file (the best counts)")
    parser.add_argument("--compare", metavar="CHECKOUT", help="another checkout whose parser to measure alongside")
    parser.add_argument("--corpus-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.compare:
        return compare(args)
    sets = {}
    with tempfile.TemporaryDirectory() as tmp:
        corpus.generate(args.files, Path(tmp), workers=1)
        sets[f"benchmark corpus ({args.files:,} files)"] = read_folder(Path(tmp))
    sets["bundled sample data/"] = read_folder(ROOT / "data")
    realworld = ROOT / "tests" / "fixtures" / "realworld"
    if realworld.is_dir():
        sets["real-world layout fixtures"] = read_folder(realworld)
    print("| files | n | median ms | p90 ms | mean ms |")
    print("|---|---:|---:|---:|---:|")
    for label, files in sets.items():
        ms = sorted(cpu_ms_per_file(files, args.repeat))
        p90 = ms[int(0.9 * (len(ms) - 1))]
        print(f"| {label} | {len(ms):,} | {statistics.median(ms):.2f} | {p90:.2f} | {statistics.fmean(ms):.2f} |")
    return 0


def compare(args) -> int:
    """The median CPU per corpus file of this checkout and of ``--compare``, interleaved twice."""
    import os
    import subprocess

    code = ("import sys, json, statistics; sys.argv=['x']; sys.path.insert(0, %r); import parse_cost as p; "
            "import tempfile, pathlib; d=pathlib.Path(%r); files=p.read_folder(d); "
            "print(statistics.median(p.cpu_ms_per_file(files, %d)))")
    with tempfile.TemporaryDirectory() as tmp:
        corpus.generate(args.files, Path(tmp), workers=1)
        print("| parser | median CPU ms per file, run 1 | run 2 |")
        print("|---|---:|---:|")
        figures: dict[str, list[float]] = {}
        for _ in range(2):
            for label, path in (("before", args.compare), ("after", str(ROOT))):
                env = {**os.environ, "PYTHONPATH": path}
                out = subprocess.run([sys.executable, "-c", code % (str(ROOT / "benchmarks"), tmp, args.repeat)],
                                     capture_output=True, text=True, env=env, check=True).stdout
                figures.setdefault(label, []).append(float(out.strip()))
        for label, values in figures.items():
            print(f"| {label} | {values[0]:.2f} | {values[1]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
