"""The package with its parser compiled by mypyc, built as a compiled release would be, for the benchmarks.

    .venv/bin/python benchmarks/compiled_build.py /tmp/compiled    # then: PYTHONPATH=/tmp/compiled ...

Builds the sdist and from it the wheel with ``PM_ANALYTICS_COMPILE=1`` (packaging_hooks/compile_option.py),
and unpacks the wheel into the folder, which then imports as an installed ``pm_analytics`` would:
``parse_cost.py --compare /tmp/compiled`` and ``compiled_load.py`` (which builds its own) measure it.
Needs a C compiler; one to two minutes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(folder: Path) -> Path:
    """Build the compiled wheel and unpack it into ``folder`` (emptied first); returns ``folder``."""
    folder = Path(folder).resolve()
    with tempfile.TemporaryDirectory() as dist:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PM_ANALYTICS_COMPILE": "1"}
        # The sdist, then the wheel from it in a folder of its own: nothing of an earlier build in the clone's
        # build/ can find its way in.
        done = subprocess.run([sys.executable, "-m", "build", "--outdir", dist, str(ROOT)], cwd=dist, env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"the compiled build failed (exit {done.returncode}):\n{done.stdout[-4000:]}\n"
                               f"{done.stderr[-4000:]}")
        wheel, = Path(dist).glob("*.whl")
        if folder.exists():
            shutil.rmtree(folder)
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(folder)
    return folder


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
