"""The dashboard's settings, declared once: option, environment variable, default and help.

``pm-analytics dashboard --help`` and the README's settings table are both made
from :data:`SETTINGS` (a test keeps the README's copy equal), so they cannot drift.

Where the dashboard's files are: in a clone, ``app.py``, ``pages/``, ``data/``,
``.streamlit/config.toml`` and ``docs/metrics.md`` sit at the top of the repository. A wheel
carries a copy of exactly those files in ``pm_analytics/_app/`` (``setup.py``
copies them when the wheel is built), so the same relative paths hold there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
BUNDLED_APP = PACKAGE_DIR / "_app"
# An installed wheel has the bundled copy; a clone (or an editable install of one) has none.
INSTALLED = (BUNDLED_APP / "app.py").is_file()
APP_ROOT = BUNDLED_APP if INSTALLED else PROJECT_ROOT
SAMPLE_DATA = APP_ROOT / "data"
STREAMLIT_CONFIG = APP_ROOT / ".streamlit" / "config.toml"
# What every number means: the review report (pm_analytics.report) ships it as its last section.
METRICS_DOC = APP_ROOT / "docs" / "metrics.md"


def _user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pm-analytics"


@dataclass(frozen=True)
class Setting:
    """One setting: ``pm-analytics dashboard``'s option (``None``: the positional argument) and the
    name of its value, its environment variable, its default as the README and ``--help`` say it,
    what it means, and the type of its value."""

    option: str | None
    metavar: str
    env: str
    default_text: str
    help: str
    type: type = str

    def value(self, given=None):
        """``given`` (a command-line value) if set, else the environment variable, else the default,
        as :attr:`type` (``ValueError`` if the environment variable does not read as one)."""
        if given not in (None, ""):
            return self.type(given)
        return self.type(os.environ.get(self.env) or _DEFAULTS[self.env]())


DATA = Setting(None, "PATH", "PM_ANALYTICS_DATA", "the bundled sample (`data/`)",
               "a folder of post-mortems, or a `.duckdb` file made by `pm-analytics load`")
CACHE = Setting("--cache", "DIR", "PM_ANALYTICS_CACHE",
                "`.pm-analytics-cache/` in a clone; `~/.cache/pm-analytics/` when installed",
                "where a folder's database is written")
HOST = Setting("--host", "HOST", "PM_ANALYTICS_HOST", "`127.0.0.1`",
               "the address the dashboard listens on (keep 127.0.0.1 behind a proxy; see Serving it safely)")
PORT = Setting("--port", "PORT", "PM_ANALYTICS_PORT", "`8501`", "the port the dashboard listens on", int)
PARSE_BUDGET = Setting("--parse-budget", "SECONDS", "PM_ANALYTICS_PARSE_BUDGET", "`5`",
                       "seconds of CPU time one post-mortem may take to read; a file that takes longer is stopped "
                       "and reported, and the load goes on", float)
TICKETS = Setting("--tickets", "FILE", "PM_ANALYTICS_TICKETS", "none",
                  "ticket tracker exports (Jira CSV, GitHub issues JSON, Linear CSV; several separated by `:`): their "
                  "status, completion date and assignee win over a post-mortem's for the action items whose ticket "
                  "they hold (see Where your post-mortems live)")
SETTINGS = (DATA, CACHE, HOST, PORT, PARSE_BUDGET, TICKETS)

_DEFAULTS = {
    DATA.env: lambda: SAMPLE_DATA,
    CACHE.env: lambda: _user_cache() if INSTALLED else PROJECT_ROOT / ".pm-analytics-cache",
    HOST.env: lambda: "127.0.0.1",
    PORT.env: lambda: 8501,
    PARSE_BUDGET.env: lambda: 5.0,
    TICKETS.env: lambda: "",
}


def ticket_exports(given=None) -> list[str]:
    """The ticket exports to read: ``given`` (the ``--tickets`` values of the command line) if any, else
    ``PM_ANALYTICS_TICKETS``; either way each value split on the path separator (``:``; ``;`` on Windows),
    so ``--tickets a.csv:b.json`` means what the variable's ``a.csv:b.json`` does, in every command."""
    values = [str(p) for p in given] if given else [TICKETS.value()]
    return [part for value in values for part in value.split(os.pathsep) if part.strip()]


def markdown_table() -> str:
    """The README's settings table."""
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    rows += [f"| `{s.env}` | {s.default_text} | {s.help} |" for s in SETTINGS]
    return "\n".join(rows)
