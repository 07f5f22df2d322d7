"""Installed like a tool, as a leader or a post-mortem repository would.

The wheel is built as a release is (``python -m build``: sdist, then the wheel from it) and
installed into a fresh virtual environment outside the clone; its ``pm-analytics dashboard``,
started from a folder that is not the clone, serves the overview to a headless Chromium. The
pre-commit hook is tried with ``pre-commit try-repo`` on this clone from a repository of
post-mortems. The wheel is also installed with every bounded dependency held to its lower bound's
release series and everything else pinned (``tests/oldest_versions.py``), and the page, query, chart, text
model, export and report tests run there. Slow (they
install the dependencies into new environments from PyPI or pip's cache), and offline apart from PyPI.
"""

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import pm_analytics
from browser_support import ARTIFACTS, AS_OF, ROOT, free_port, wait_for_page, wait_until_serving
from oldest_versions import (THIS_PYTHON, applies, in_series, lock, locked, oldest_python, oldest_versions, project,
                             run_tools)
from pm_analytics import settings

FIXTURES = ROOT / "tests" / "fixtures"
# What the dashboard and the review report need besides the package, as the clone has it (setup.py copies
# these into the wheel).
DASHBOARD_FILES = sorted(p.relative_to(ROOT).as_posix()
                         for pattern in ("app.py", "pages/*.py", "data/*", ".streamlit/config.toml", "docs/metrics.md")
                         for p in ROOT.glob(pattern) if p.is_file())


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    """``args`` run to success; by default without the test run's ``PYTHONPATH``/``PYTHONHOME``: pointing at a
    checkout (which has a ``pm_analytics.egg-info``), they made pip in the fresh environment take the package
    for installed already, and install no ``pm-analytics`` command."""
    kwargs.setdefault("env", {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")})
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def _user_env(home: Path) -> dict:
    """A user's environment: none of this project's or Python's settings from the test run, a new home."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PM_ANALYTICS_", "PYTHON", "STREAMLIT_", "VIRTUAL_ENV"))}
    return {**env, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", dist, ROOT], cwd=dist)
    (built,) = dist.glob("pm_analytics-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The ``bin/`` of a fresh virtual environment outside the clone with the wheel installed."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    _run([sys.executable, "-m", "venv", venv])
    # pip's own cache (in the real home) is allowed: it saves downloading streamlit & co. again.
    _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel], cwd=venv.parent)
    return venv / "bin"


def test_the_wheel_carries_the_dashboard_and_the_sample(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for relative in DASHBOARD_FILES:
            assert archive.read(f"pm_analytics/_app/{relative}") == (ROOT / relative).read_bytes(), relative
    assert {"app.py", "pages/incident.py", ".streamlit/config.toml", "docs/metrics.md"} <= set(DASHBOARD_FILES)
    assert sum(name.startswith("pm_analytics/_app/data/2") for name in names) >= 90
    assert "pm_analytics/templates/review.html.j2" in names, "the review report's template"


def test_the_installed_report_has_its_template_and_definitions(installed, tmp_path):
    env = _user_env(tmp_path / "home")
    _run([installed / "pm-analytics", "load", "--sample", "postmortems", "--db", "sample.duckdb"], cwd=tmp_path, env=env)
    _run([installed / "pm-analytics", "report", "--db", "sample.duckdb", "--quarter", "2026Q3", "--as-of", AS_OF,
          "--out", "review.html"], cwd=tmp_path, env=env)
    html = (tmp_path / "review.html").read_text(encoding="utf-8")
    assert "<h1>Incident review 2026 Q3</h1>" in html and html.count('class="chart"') == 5
    assert 'id="def-comparing-periods"' in html and "Unknown is never zero" in html, "docs/metrics.md, shipped"


def test_the_installed_command(installed, tmp_path):
    env = _user_env(tmp_path)
    assert _run([installed / "pm-analytics", "--version"], cwd=tmp_path, env=env).stdout.split() == [
        "pm-analytics", pm_analytics.__version__]
    where = _run([installed / "python", "-c", "import pm_analytics; print(pm_analytics.__file__)"],
                 cwd=tmp_path, env=env).stdout.strip()
    assert Path(where).is_relative_to(installed.parent), "the wheel's package, not the clone's"
    help_text = _run([installed / "pm-analytics", "dashboard", "--help"], cwd=tmp_path, env=env).stdout
    for setting in settings.SETTINGS:
        assert setting.env in help_text and (setting.option or setting.metavar) in help_text


def test_the_installed_dashboard_serves_the_overview_in_a_real_browser(installed, chromium, tmp_path):
    elsewhere = tmp_path / "elsewhere"  # not the clone: no app.py, pages/ or .streamlit/ here
    elsewhere.mkdir()
    env = _user_env(tmp_path / "home")
    wrote = _run([installed / "pm-analytics", "load", "--sample", "postmortems"], cwd=elsewhere, env=env).stdout
    assert "pm-analytics dashboard postmortems" in wrote
    port, log = free_port(), tmp_path / "dashboard.log"
    with open(log, "w") as out:
        server = subprocess.Popen([installed / "pm-analytics", "dashboard", "postmortems", "--port", str(port),
                                   "--cache", "cache"], cwd=elsewhere, env=env, stdout=out, stderr=subprocess.STDOUT)
    context = None
    try:
        base = wait_until_serving(server, port, log)
        context = chromium.new_context(viewport={"width": 1440, "height": 2200})
        elsewhere_requests = []
        context.on("request", lambda request: elsewhere_requests.append(request.url)
                   if urlparse(request.url).hostname not in (None, "127.0.0.1") else None)
        page = wait_for_page(context.new_page(), f"{base}/?range=all&as_of={AS_OF}", charts=True)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "installed-overview.png"))
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        samples = sum(not p.name.startswith(".") for p in (ROOT / "data").iterdir())
        assert f"{samples} post-mortems loaded from {samples} files (0 rejected)" in sidebar
        assert page.locator('[data-testid="stMetricValue"]').count() >= 7
        assert page.locator('[data-testid="stPageLink-NavLink"][href*="incident?id="]').count() == 5
        assert page.locator(".js-plotly-plot").count() >= 1
        # The project's Streamlit settings held without the clone: its own navigation only, and no usage
        # statistics (nor anything else) sent anywhere but the dashboard.
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        assert elsewhere_requests == []
        assert list((elsewhere / "cache").glob("*.duckdb")), "the folder's database goes to --cache"
    finally:
        if context is not None:
            context.close()
        server.terminate()
        server.wait(timeout=30)
    assert "127.0.0.1" in log.read_text()


# The tests run on the oldest release series pyproject.toml allows: those of the pages (Streamlit), the queries
# (DuckDB, pandas, pyarrow), the charts (plotly), the text model (scikit-learn), the Word and HTML exports
# (python-docx, lxml) and the review report (Jinja2, markdown-it-py). None of them needs a browser.
OLDEST_VERSIONS_TESTS = ["tests/test_pages.py", "tests/test_metrics.py", "tests/test_load.py", "tests/test_text_model.py",
                         "tests/test_charts.py", "tests/test_export_readers.py", "tests/test_exports.py",
                         "tests/test_report.py"]


def test_oldest_versions_hold_each_bounded_dependency_to_its_floor_series():
    dependencies = ["duckdb>=2.0", "pyarrow >= 15; python_version < '3.13'", "pyarrow>=18; python_version >= '3.13'",
                    "tzdata", "hypothesis==6.170.17; extra == 'test'"]
    assert oldest_versions(dependencies, "3.11") == ["duckdb==2.0.*", "pyarrow==15.*"]
    assert oldest_versions(dependencies, "3.13") == ["duckdb==2.0.*", "pyarrow==18.*"]
    for untestable in ["x>=1.2,<3", "x~=1.2", "x>1.2", "x>=1.0rc1", "x==1.2"]:
        with pytest.raises(ValueError, match="written name>=X"):
            oldest_versions([untestable], "3.11")
    assert in_series("2.0", "duckdb==2.0.*") and in_series("2.0.1", "duckdb==2.0.*")
    assert not in_series("2.1.0", "duckdb==2.0.*") and not in_series("12.0", "x==1.*")


@pytest.mark.parametrize("python", sorted(p.stem for p in lock().parent.glob("*.txt")))
def test_the_oldest_versions_lock_pins_every_dependency_within_its_floor_series(python):
    """A lower bound changed without writing the locks again (``tests/oldest_versions.py``) fails here, in a
    second, rather than in pip's resolver ten minutes into the suite; so does a runtime dependency left
    without a floor to test."""
    table = project()
    floors = oldest_versions(table["dependencies"], python)
    floored = {canonicalize_name(pin.split("==")[0]) for pin in floors}
    unbounded = [d for d in table["dependencies"] if applies(Requirement(d), python)
                 and canonicalize_name(Requirement(d).name) not in floored | {"tzdata"}]
    assert unbounded == [], "every runtime dependency but tzdata has a lower bound to test"
    pins = locked(lock(python).read_text())
    name_of = f"oldest-versions/{python}.txt"
    for dependency in table["dependencies"] + run_tools(table):
        requirement = Requirement(dependency)
        if not applies(requirement, python):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in {name_of}: write it again"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{name_of}: {name}=={pins[name]} " \
            f"is outside {dependency}: write it again"
    for pin in floors:
        name = canonicalize_name(pin.split("==")[0])
        assert in_series(pins[name], pin), f"{name_of} holds {name} {pins[name]}, not {pin}: write it again"


def test_locks_are_read_by_canonical_name_and_the_oldest_python_has_one():
    assert locked("# note\nPyYAML==6.0.4  # pinned\n\nscikit_learn==1.3.2\n") == {"pyyaml": "6.0.4",
                                                                                "scikit-learn": "1.3.2"}
    assert lock(oldest_python()).is_file(), "the oldest Python pyproject.toml allows has its lock"


def test_the_oldest_versions_pyproject_allows_pass_the_pages_queries_and_charts(wheel, tmp_path):
    """pyproject.toml's lower bounds are a promise to whoever installs pm-analytics next to other tools: with
    the wheel installed and every bounded runtime dependency at its floor's release series (every other package
    as this Python's lock in ``tests/oldest-versions/`` pins it), the tests of the pages, the queries, the
    charts, the text model, the exports and the report pass, every one of them run (warnings still errors; the
    clone's code, which the wheel was built from, is what they import)."""
    table = project()
    runtime = table["dependencies"]
    assert lock().is_file(), (f"no lock of the oldest versions for Python {THIS_PYTHON}: write one with "
                              f"`.venv/bin/python tests/oldest_versions.py --python {sys.executable}`, then run this "
                              "test")
    constraints = tmp_path / "oldest.txt"
    constraints.write_text("\n".join(oldest_versions(runtime)) + "\n")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv])
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "--quiet", "--only-binary=:all:", "-c", constraints, "-c", lock(), wheel,
          *run_tools(table)], cwd=tmp_path)
    freeze = _run([python, "-m", "pip", "list", "--format", "freeze"], cwd=tmp_path).stdout.split()
    installed = {canonicalize_name(name): version for name, _, version in (line.partition("==") for line in freeze)}
    for pin in oldest_versions(runtime):
        name = canonicalize_name(pin.split("==")[0])
        assert in_series(installed[name], pin), f"{pin}: {installed[name]}"
    env = {k: v for k, v in _user_env(tmp_path / "home").items() if not k.startswith("PYTEST_")}
    result = subprocess.run([python, "-m", "pytest", "-p", "no:cacheprovider", "--basetemp", tmp_path / "runs",
                             *OLDEST_VERSIONS_TESTS], cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, f"on the oldest versions:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    summary = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"=+ \d+ passed in .*", summary), summary
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                                *OLDEST_VERSIONS_TESTS], cwd=ROOT, capture_output=True, text=True, env=env)
    assert summary.split()[1] == re.search(r"(\d+) tests? collected", collected.stdout)[1], "every test ran"


def test_the_pre_commit_hook_fails_on_a_bad_post_mortem_and_passes_a_good_one(tmp_path):
    """``pre-commit try-repo <clone> pm-analytics-validate`` in a repository of post-mortems. try-repo
    installs this clone (its committed files, and any uncommitted changes to them) with pip."""
    repo = tmp_path / "postmortems-repo"
    (repo / "postmortems").mkdir(parents=True)
    bad, good = "postmortems/no-date.md", "postmortems/2025-06-14-reminders-delayed.txt"
    (repo / bad).write_bytes((FIXTURES / "bad" / "no-date.md").read_bytes())
    (repo / good).write_bytes((FIXTURES / "good" / "2025-06-14-reminders-delayed.txt").read_bytes())
    git_user = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
                "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com"}
    env = {**os.environ, **git_user, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "VIRTUALENV_NO_PERIODIC_UPDATE": "1"}
    _run(["git", "init", "-q"], cwd=repo, env=env)
    _run(["git", "add", "."], cwd=repo, env=env)

    def try_repo(path: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "pm-analytics-validate",
                               "--files", path], cwd=repo, env=env, capture_output=True, text=True)

    failed = try_repo(bad)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert f"{bad}: error: date: no date anywhere" in failed.stdout
    passed = try_repo(good)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
    assert f"{good}:37: warning: blast_radius.patients: approximate value" in passed.stdout, "warnings are shown"
