"""The oldest versions pyproject.toml allows, as pip constraints, and the locks that pin everything else.

Each runtime dependency with a lower bound (``name>=X``, for the Python at hand where a marker says so) is
held to X's release series (``name==X.*``); a lock per Python version (``tests/oldest-versions/3.11.txt``,
...) pins every other package of that environment, indirect dependencies and the test tools included, to
the release the run was last checked with. Without it, the oldest-versions run of ``tests/test_install.py``
would take whatever PyPI held that day, and a new release of an indirect dependency (altair, protobuf,
narwhals, ...) could turn a fresh clone's suite red with no change of ours.

Write every lock again after changing a lower bound (then run ``tests/test_install.py`` on each Python; the
other interpreters come from pyenv, say, as on this project's machine)::

    .venv/bin/python tests/oldest_versions.py                        # this Python's
    .venv/bin/python tests/oldest_versions.py --python python3.13    # another's
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "tests" / "oldest-versions"
THIS_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def applies(requirement: Requirement, python: str) -> bool:
    """Whether ``requirement`` is one on Python ``python`` (``3.13``): its marker, if any, holds there."""
    return requirement.marker is None or requirement.marker.evaluate(
        {"python_version": python, "python_full_version": f"{python}.0"})


def oldest_versions(dependencies: list[str], python: str = THIS_PYTHON) -> list[str]:
    """pip constraints holding each dependency with a lower bound (``name>=X``) on Python ``python`` to X's
    release series (``name==X.*``): the oldest series pyproject.toml lets a user of that Python have.
    A bound in any other form (``~=``, ``>=X,<Y``, a pre-release) is refused rather than left untested."""
    constraints = []
    for dependency in dependencies:
        requirement = Requirement(dependency)
        if not applies(requirement, python) or not requirement.specifier:
            continue
        bounds = list(requirement.specifier)
        if len(bounds) != 1 or bounds[0].operator != ">=" or Version(bounds[0].version).is_prerelease:
            raise ValueError(f"{dependency}: a floor to test is written name>=X (X a release)")
        constraints.append(f"{requirement.name}=={bounds[0].version}.*")
    return constraints


def in_series(version: str, constraint: str) -> bool:
    """Whether ``version`` lies in the release series of ``constraint`` (``name==X.*``)."""
    return SpecifierSet("==" + constraint.split("==", 1)[1]).contains(version, prereleases=True)


def oldest_python() -> str:
    """The oldest Python pyproject.toml allows (``requires-python``'s floor, ``3.11``)."""
    return re.search(r">=\s*(\d+\.\d+)", project()["requires-python"])[1]


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def run_tools(project_table: dict) -> list[str]:
    """The test extras the oldest-versions run needs (pytest and hypothesis; no browser)."""
    return [d for d in project_table["optional-dependencies"]["test"] if d.startswith(("pytest", "hypothesis"))]


def lock(python: str = THIS_PYTHON) -> Path:
    return LOCKS / f"{python}.txt"


def locked(text: str) -> dict[str, str]:
    """A lock's pins: canonical name -> version."""
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def write_lock(python_command: str) -> None:
    """Install the runtime and test dependencies at their floors' series into a new environment of
    ``python_command`` and pin what pip chose there."""
    table = project()
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([python_command, "-m", "venv", venv], check=True)
        python = venv / "bin" / "python"
        version = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], check=True,
                                 capture_output=True, text=True).stdout.strip()
        constraints = Path(tmp) / "floors.txt"
        constraints.write_text("\n".join(oldest_versions(table["dependencies"], version)) + "\n")
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--only-binary=:all:", "-c", constraints,
                        *table["dependencies"], *run_tools(table)], check=True)
        freeze = subprocess.run([python, "-m", "pip", "freeze"], check=True, capture_output=True, text=True).stdout
    header = (f"# Every package of the oldest-versions run (tests/test_install.py) on Python {version}, pinned:\n"
              f"# written by `.venv/bin/python tests/oldest_versions.py --python python{version}`; see that file.\n")
    LOCKS.mkdir(exist_ok=True)
    lock(version).write_text(header + "".join(sorted(freeze.splitlines(keepends=True), key=str.lower)))
    print(f"wrote {lock(version).relative_to(ROOT)}: {len(locked(lock(version).read_text()))} packages")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="the Python to write the lock for (default: this one)")
    write_lock(parser.parse_args().python)
