"""The oldest versions pyproject.toml allows, as pip constraints, and the lock that pins everything else.

Each runtime dependency with a lower bound (``name>=X``) is held to X's release series (``name==X.*``); the
lock (``tests/oldest-versions.txt``) pins every other package of that environment, indirect dependencies and
the test tools included, to the release the run was last checked with. Without it, the oldest-versions run
of ``tests/test_install.py`` would take whatever PyPI held that day, and a new release of an indirect
dependency (altair, protobuf, narwhals, ...) could turn a fresh clone's suite red with no change of ours.

Write the lock again after changing a lower bound (then run ``tests/test_install.py``)::

    .venv/bin/python tests/oldest_versions.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "tests" / "oldest-versions.txt"


def oldest_versions(dependencies: list[str]) -> list[str]:
    """pip constraints holding each dependency with a lower bound (``name>=X``) to X's release series
    (``name==X.*``, of which pip takes the newest release): the oldest series pyproject.toml lets a user have."""
    constraints = []
    for dependency in dependencies:
        found = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9][0-9.]*)", dependency.replace(" ", ""))
        if found:
            constraints.append(f"{found[1]}=={found[2]}.*")
    return constraints


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def run_tools(project_table: dict) -> list[str]:
    """The test extras the oldest-versions run needs (pytest and hypothesis; no browser)."""
    return [d for d in project_table["optional-dependencies"]["test"] if d.startswith(("pytest", "hypothesis"))]


def locked(text: str) -> dict[str, str]:
    """The lock's pins: canonical name -> version."""
    from packaging.utils import canonicalize_name

    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def write_lock() -> None:
    """Install the runtime and test dependencies at their floors' series into a new environment and pin
    what pip chose there."""
    table = project()
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        constraints = Path(tmp) / "floors.txt"
        constraints.write_text("\n".join(oldest_versions(table["dependencies"])) + "\n")
        subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--only-binary=:all:",
                        "-c", constraints, *table["dependencies"], *run_tools(table)], check=True)
        freeze = subprocess.run([venv / "bin" / "python", "-m", "pip", "freeze"], check=True, capture_output=True, text=True).stdout
    header = ("# Every package of the oldest-versions run (tests/test_install.py), pinned: written by\n"
              "# `.venv/bin/python tests/oldest_versions.py` (Python "
              f"{sys.version_info.major}.{sys.version_info.minor}); see that file.\n")
    LOCK.write_text(header + "".join(sorted(freeze.splitlines(keepends=True), key=str.lower)))
    print(f"wrote {LOCK.relative_to(ROOT)}: {len(locked(LOCK.read_text()))} packages")


if __name__ == "__main__":
    write_lock()
