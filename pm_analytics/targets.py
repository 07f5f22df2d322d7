"""Optional targets and the day the data starts, from a ``pm-analytics.toml`` settings file.

The file sits beside the data (in the folder of post-mortems, or beside a
``.duckdb`` file), else in the folder the dashboard runs from. Example::

    [data]
    since = 2024-01-01            # the post-mortems cover incidents from this day on

    [targets]
    time_to_detect_min.p50 = 15   # median time to detect, minutes: at most
    duration_min.p90 = 480        # p90 time to recover, minutes: at most
    action_items_on_time_rate = 0.8   # share of due action items done on time: at least

Times are targets to stay under; rates are targets to reach. Anything the file
says that cannot be used is reported (file, key and, for a syntax error, line)
and left out; the rest still applies.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

FILE_NAME = "pm-analytics.toml"
# Minutes per phase, as ``metrics.RESPONSE_METRICS`` names them (kept here so targets need no metrics import).
TIME_METRICS = ("time_to_detect_min", "time_to_respond_min", "time_to_understand_min", "time_to_partial_recovery_min",
                "time_to_solution_min", "time_to_full_recovery_min", "duration_min", "detect_to_resolved_min")
STATISTICS = {"p50": "median", "median": "median", "p90": "p90"}
RATES = ("action_items_on_time_rate",)


@dataclass(frozen=True)
class ProjectSettings:
    """What ``pm-analytics.toml`` says: ``targets`` maps (metric, statistic) to a value (statistic
    ``median``/``p90`` for times, ``rate`` for rates), ``data_since`` the first day the data covers."""

    path: Path | None = None
    targets: dict[tuple[str, str], float] = field(default_factory=dict)
    data_since: date | None = None
    problems: tuple[str, ...] = ()

    def target(self, metric: str, statistic: str = "median") -> float | None:
        return self.targets.get((metric, statistic))

    def time_targets(self, metric: str) -> dict[str, float]:
        """The targets of one time metric by statistic (``median``, ``p90``)."""
        return {stat: value for (name, stat), value in self.targets.items() if name == metric}


def find(data_path: str | Path | None, cwd: str | Path | None = None) -> Path | None:
    """The settings file for the data at ``data_path``: beside it, else in ``cwd`` (default: the
    current folder); ``None`` when there is none."""
    places = []
    if data_path is not None:
        data_path = Path(data_path)
        places.append(data_path if data_path.is_dir() else data_path.parent)
    places.append(Path(cwd) if cwd is not None else Path.cwd())
    for place in places:
        candidate = place / FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def read(path: str | Path | None) -> ProjectSettings:
    """The settings in ``path`` (none when ``path`` is ``None``), with a problem for each unusable entry."""
    if path is None:
        return ProjectSettings()
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        return ProjectSettings(path, problems=(f"{path}: cannot be read ({error})",))
    except tomllib.TOMLDecodeError as error:
        return ProjectSettings(path, problems=(f"{path}: not valid TOML: {error}",))
    problems: list[str] = []
    targets: dict[tuple[str, str], float] = {}
    for key in raw:
        if key not in ("data", "targets"):
            problems.append(f"{path}: [{key}]: unknown section (use [data] and [targets]); ignored")
    data = raw.get("data", {})
    since = data.get("since") if isinstance(data, dict) else None
    if since is not None and not isinstance(since, date):
        problems.append(f"{path}: data.since: {since!r} is not a date (write it as 2024-01-01, no quotes); ignored")
        since = None
    for name, value in (raw.get("targets") or {}).items():
        if name in RATES:
            _add(targets, problems, path, name, "rate", value, 0, 1)
        elif name in TIME_METRICS and isinstance(value, dict):
            for stat, number in value.items():
                if stat not in STATISTICS:
                    problems.append(f"{path}: targets.{name}.{stat}: unknown statistic (use p50 or p90); ignored")
                else:
                    _add(targets, problems, path, f"{name}.{stat}", STATISTICS[stat], number, 0, None,
                         metric=name)
        elif name in TIME_METRICS:
            problems.append(f"{path}: targets.{name}: give a statistic, e.g. {name}.p50 = {value!r}; ignored")
        else:
            known = ", ".join(TIME_METRICS + RATES)
            problems.append(f"{path}: targets.{name}: no such metric (one of {known}); ignored")
    return ProjectSettings(path, targets, since if isinstance(since, date) else None, tuple(problems))


def _add(targets, problems, path, key, statistic, value, low, high, metric=None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"a number of minutes ≥ {low}"
        problems.append(f"{path}: targets.{key}: {value!r} is not {bounds}; ignored")
        return
    targets[(metric or key, statistic)] = float(value)


def load(data_path: str | Path | None) -> ProjectSettings:
    """The settings that apply to the data at ``data_path`` (empty when no file is found)."""
    return read(find(data_path))


def on_target(value, target: float | None, higher_is_better: bool = False) -> bool | None:
    """Whether ``value`` meets ``target`` (``None`` when either is unknown)."""
    if target is None or value is None or math.isnan(value):
        return None
    return value >= target if higher_is_better else value <= target
