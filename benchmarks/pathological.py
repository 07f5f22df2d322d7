"""Ten pathological post-mortems of 1.5 MB beside ten good ones: does `pm-analytics load` finish, with
every good file loaded and every bad one loaded or reported, in under a minute?

    .venv/bin/python benchmarks/pathological.py

The ten are the shapes issue 17 tried: a `Time to detect:` value that is a long run of digits, and runs
of spaces, colons, `#`, `|`, `**`, `[`, a repeated `owner:`, repeated dates and a repeated `1h `.
Prints the wall time of the load and what became of each file. Not a test: nothing here fails.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = 1_500_000
RUNS = {"digits": "1234567890", "spaces": " ", "colons": ":", "hashes": "#", "pipes": "|", "bold": "**",
        "brackets": "[", "owners": "owner: ", "dates": "2025-01-01 ", "hours": "1h "}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "postmortems"
        folder.mkdir()
        for n, (name, unit) in enumerate(RUNS.items(), start=1):
            value = (unit * (SIZE // len(unit) + 1))[:SIZE]
            (folder / f"2025-01-{n:02d}-{name}.md").write_text(f"# Pathological {name}\nTime to detect: {value}\n")
        for n in range(11, 21):
            (folder / f"2025-01-{n:02d}-good.md").write_text(
                (ROOT / "tests" / "fixtures" / "good" / "2025-09-02-cws-api-5xx.md").read_text()
                .replace("id: INC-2025-077", f"id: GOOD-{n}"))
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "pm_analytics.cli", "load", str(folder), "--db",
                              str(Path(tmp) / "pm.duckdb")], capture_output=True, text=True, cwd=ROOT)
        elapsed = time.perf_counter() - start
        print(f"pm-analytics load: {elapsed:.1f} s (exit {out.returncode})")
        print(out.stdout.strip().splitlines()[-1])
        for line in out.stdout.splitlines():
            if ": error: " in line:
                print("  ", line[:160])
    return 0


if __name__ == "__main__":
    sys.exit(main())
