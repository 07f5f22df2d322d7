"""Parsing cost per file: CPU time of ``parse_bytes`` on the benchmark corpus and other shapes.

    .venv/bin/python benchmarks/parse_cost.py              # 3,000 corpus files, data/, real-world fixtures
    .venv/bin/python benchmarks/parse_cost.py --files 10000

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
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
