"""The dashboard's filter: what it selects, how it reads/writes URL query parameters, and its SQL.

One :class:`Filters` value travels from the sidebar (or the URL, or the CLI)
to every query. :meth:`Filters.where` gives a where-clause over ``incidents``
aliased ``i`` with ``?`` placeholders and the parameter list; values never
enter the SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Mapping, Sequence

from dateutil.relativedelta import relativedelta

PRESETS = {
    "last_12_months": "Last 12 months",
    "last_90_days": "Last 90 days",
    "this_quarter": "This quarter",
    "all": "All time",
    "custom": "Custom range",
}
# What a link without a date range shows: a year, so the overview can compare it with the year before.
DEFAULT_PRESET = "last_12_months"


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def preset_range(preset: str, as_of: date) -> tuple[date | None, date | None]:
    """The date range a preset names, ending ``as_of`` (inclusive)."""
    if preset == "last_90_days":
        return as_of - timedelta(days=89), as_of
    if preset == "this_quarter":
        return quarter_start(as_of), as_of
    if preset == "last_12_months":
        return as_of - relativedelta(years=1) + timedelta(days=1), as_of
    return None, None


@dataclass(frozen=True)
class Filters:
    """Which incidents a view covers. Empty tuples mean "any"; dates are inclusive incident dates."""

    date_from: date | None = None
    date_to: date | None = None
    severities: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    include_excluded: bool = False

    def where(self, alias: str = "i") -> tuple[str, list]:
        """SQL condition over ``incidents`` (aliased ``alias``) and its bound parameters."""
        clauses, params = [], []
        if not self.include_excluded:
            clauses.append(f"NOT {alias}.exclude_from_metrics")
        if self.date_from is not None:
            clauses.append(f"{alias}.incident_date >= ?")
            params.append(self.date_from)
        if self.date_to is not None:
            clauses.append(f"{alias}.incident_date <= ?")
            params.append(self.date_to)
        if self.severities:
            clauses.append(f"list_contains(?::VARCHAR[], {alias}.severity)")
            params.append(list(self.severities))
        if self.teams:
            clauses.append(f"EXISTS (SELECT 1 FROM incident_teams ft WHERE ft.incident_id = {alias}.incident_id "
                           "AND list_contains(?::VARCHAR[], ft.team))")
            params.append(list(self.teams))
        if self.audiences or self.platforms:
            conditions = ["fa.incident_id = {0}.incident_id".format(alias)]
            if self.audiences:
                conditions.append("list_contains(?::VARCHAR[], fa.audience)")
                params.append(list(self.audiences))
            if self.platforms:
                conditions.append("list_contains(?::VARCHAR[], fa.platform)")
                params.append(list(self.platforms))
            clauses.append(f"EXISTS (SELECT 1 FROM affected_apps fa WHERE {' AND '.join(conditions)})")
        return (" AND ".join(clauses) or "TRUE"), params

    def with_dates(self, date_from: date | None, date_to: date | None) -> Filters:
        return replace(self, date_from=date_from, date_to=date_to)

    def previous_period(self) -> Filters | None:
        """The same filter over the equally long range just before this one; ``None`` without both dates."""
        if self.date_from is None or self.date_to is None:
            return None
        length = (self.date_to - self.date_from).days + 1
        return self.with_dates(self.date_from - timedelta(days=length), self.date_from - timedelta(days=1))


# URL query parameter names; lists are comma-separated so a link stays short and readable.
_LIST_PARAMS = {"sev": "severities", "team": "teams", "audience": "audiences", "platform": "platforms"}


def from_query_params(params: Mapping[str, str | Sequence[str]], as_of: date) -> tuple[Filters, str]:
    """The filter a URL describes, and its date preset (``custom`` when dates are given explicitly).

    Unreadable values are ignored rather than failing the page: a mistyped link shows everything.
    """
    def values(key: str) -> list[str]:
        raw = params.get(key)
        if raw is None:
            return []
        items = [raw] if isinstance(raw, str) else list(raw)
        return [v.strip() for item in items for v in str(item).split(",") if v.strip()]

    kwargs: dict = {key: tuple(dict.fromkeys(values(name))) for name, key in _LIST_PARAMS.items()}
    date_from = _parse_day((values("from") or [None])[0])
    date_to = _parse_day((values("to") or [None])[0])
    preset = (values("range") or ["custom" if date_from or date_to else DEFAULT_PRESET])[0]
    if preset not in PRESETS:
        preset = DEFAULT_PRESET
    if preset != "custom":
        date_from, date_to = preset_range(preset, as_of)
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    kwargs["include_excluded"] = (values("drills") or [""])[0] in ("1", "true", "yes")
    return Filters(date_from=date_from, date_to=date_to, **kwargs), preset


def to_query_params(filters: Filters, preset: str) -> dict[str, str]:
    """The URL query parameters that reproduce ``filters`` (empty values left out)."""
    params: dict[str, str] = {}
    if preset not in (DEFAULT_PRESET, "custom"):
        params["range"] = preset
    elif preset == "custom":
        if filters.date_from:
            params["from"] = filters.date_from.isoformat()
        if filters.date_to:
            params["to"] = filters.date_to.isoformat()
    for name, key in _LIST_PARAMS.items():
        chosen = getattr(filters, key)
        if chosen:
            params[name] = ",".join(chosen)
    if filters.include_excluded:
        params["drills"] = "1"
    return params


def _parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
