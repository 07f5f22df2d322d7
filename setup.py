"""The wheel carries the dashboard: a copy of app.py, pages/, data/, .streamlit/config.toml and docs/metrics.md.

They stay at the top of the repository, where Streamlit and the project's layout
put them; when a wheel is built they are copied into ``pm_analytics/_app/``,
keeping their relative paths, so ``pm-analytics dashboard`` finds the same files
whether it runs from a clone or from an installed wheel (see
``pm_analytics/settings.py``). With ``PM_ANALYTICS_COMPILE=1`` (packaging_hooks/compile_option.py) the
parser's hot modules are compiled by mypyc as well. Everything else is declared in pyproject.toml.
"""

import os
from pathlib import Path

from compile_option import COMPILING_ENV  # packaging_hooks/, the build backend's path
from compiled_modules import COMPILED_MODULES
from setuptools import setup
from setuptools.command.build_py import build_py

# What the dashboard needs besides the package, relative to the repository (the sdist ships them too:
# MANIFEST.in).
# docs/metrics.md is the review report's last section (pm_analytics/report.py).
DASHBOARD_FILES = ("app.py", "pages/*.py", "data/*", ".streamlit/config.toml", "docs/metrics.md")


class BuildWithDashboard(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads them where they are
            return
        root = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "pm_analytics" / "_app"
        for pattern in DASHBOARD_FILES:
            sources = sorted(p for p in root.glob(pattern) if p.is_file())
            if not sources:
                raise FileNotFoundError(f"{pattern}: the dashboard's files are missing from {root}")
            for source in sources:
                relative = source.relative_to(root)
                (target / relative.parent).mkdir(parents=True, exist_ok=True)
                self.copy_file(str(source), str(target / relative))


def compiled_extensions() -> list:
    """The parse modules compiled by mypyc, inside a compiled wheel's build only (packaging_hooks/)."""
    if os.environ.get(COMPILING_ENV, "") != "1":
        return []
    from mypyc.build import mypycify

    return mypycify(["--ignore-missing-imports", "--follow-imports=silent",
                     *(f"pm_analytics/parse/{name}.py" for name in COMPILED_MODULES)], opt_level="3")


setup(cmdclass={"build_py": BuildWithDashboard}, ext_modules=compiled_extensions())
