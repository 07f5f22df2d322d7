"""Does another checkout's parser give exactly the same records as this one, file for file?

    git -C /work/main worktree add --detach /tmp/parse-before main
    .venv/bin/python benchmarks/parse_same.py --against /tmp/parse-before             # 3,000 corpus files
    .venv/bin/python benchmarks/parse_same.py --against /tmp/parse-before --files 10000 --seed 11

Each checkout parses the same files in its own interpreter (``PYTHONPATH`` pointing at it, the same
``PYTHONHASHSEED``): the benchmark corpus (``benchmarks/corpus.py``), ``data/`` and every file under
``tests/fixtures/``. A file's result is everything :func:`~pm_analytics.parse.parse_bytes` returns
(incidents with their sources, problems, format, digest), written out with ``repr`` of
``dataclasses.asdict``. Prints how many files agree and, for the first that do not, where they part.
Exits 1 when any file differs: a refactoring of the parser must leave this at 0.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus  # noqa: E402

_CHILD = """
import dataclasses, json, sys
from pm_analytics.parse import parse_bytes
out = {}
for path in json.load(open(sys.argv[1])):
    with open(path, "rb") as fh:
        out[path] = repr(dataclasses.asdict(parse_bytes(fh.read(), path.rsplit("/", 1)[-1])))
json.dump({"parser": __import__("pm_analytics").__file__, "results": out}, open(sys.argv[2], "w"))
"""


def records(checkout: str, paths: list[str], tmp: Path, label: str) -> dict[str, str]:
    """Each file's result from ``checkout``'s parser, as text."""
    listing, output = tmp / f"{label}.files.json", tmp / f"{label}.out.json"
    listing.write_text(json.dumps(paths))
    env = {**os.environ, "PYTHONPATH": checkout, "PYTHONHASHSEED": "0"}
    subprocess.run([sys.executable, "-c", _CHILD, str(listing), str(output)], env=env, cwd=checkout, check=True)
    found = json.loads(output.read_text())
    if not found["parser"].startswith(str(Path(checkout).resolve())):
        raise SystemExit(f"{label}: imported {found['parser']}, not the checkout {checkout}")
    return found["results"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, metavar="CHECKOUT", help="the other checkout")
    parser.add_argument("--files", type=int, default=3000, help="benchmark corpus files to generate")
    parser.add_argument("--seed", type=int, default=7, help="the corpus seed")
    parser.add_argument("--show", type=int, default=5, help="differing files to show")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpus.generate(args.files, tmp / "corpus", seed=args.seed, workers=1)
        folders = {"benchmark corpus": tmp / "corpus", "data/": ROOT / "data", "tests/fixtures/": ROOT / "tests" / "fixtures"}
        sets = {label: sorted(str(p) for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".json"))
                for label, folder in folders.items()}
        paths = [p for files in sets.values() for p in files]
        before = records(args.against, paths, tmp, "before")
        after = records(str(ROOT), paths, tmp, "after")
    differing = [p for p in paths if before[p] != after[p]]
    for label, files in sets.items():
        same = sum(1 for p in files if before[p] == after[p])
        print(f"{label}: {same:,} of {len(files):,} files give the same records")
    for path in differing[:args.show]:
        print(f"\n--- {path}")
        lines = difflib.unified_diff(before[path].replace("), ", "),\n").splitlines(),
                                     after[path].replace("), ", "),\n").splitlines(), "before", "after", lineterm="", n=1)
        print("\n".join(list(lines)[:40]))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
