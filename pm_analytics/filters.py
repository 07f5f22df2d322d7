"""The dashboard's filter: what it selects, how it reads/writes URL query parameters, and its SQL.

One :class:`Filters` value travels from the sidebar (or the URL, or the CLI)
to every query. :meth:`Filters.where` gives a where-clause over ``incidents``
aliased ``i`` with ``?`` placeholders and the parameter list; values never
enter the SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Callable, Mapping, Sequence

from dateutil.relativedelta import relativedelta

PRESETS = {
    "last_12_months": "Last 12 months",
    "last_90_days": "Last 90 days",
    "this_quarter": "This quarter so far",
    "last_full_quarter": "Last full quarter",
    "same_quarter_last_year": "Last full quarter vs same quarter last year",
    "year_to_date": "Year to date",
    "all": "All time",
    "custom": "Custom range",
}
# What a link without a date range shows: a year, so the overview can compare it with the year before.
DEFAULT_PRESET = "last_12_months"


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def preset_range(preset: str, as_of: date) -> tuple[date | None, date | None]:
    """The date range a preset names, up to ``as_of`` (inclusive; the day the range is anchored on)."""
    if preset == "last_90_days":
        return as_of - timedelta(days=89), as_of
    if preset == "this_quarter":
        return quarter_start(as_of), as_of
    if preset == "last_12_months":
        return as_of - relativedelta(years=1) + timedelta(days=1), as_of
    if preset in ("last_full_quarter", "same_quarter_last_year"):
        end = quarter_start(as_of) - timedelta(days=1)
        return quarter_start(end), end
    if preset == "year_to_date":
        return date(as_of.year, 1, 1), as_of
    return None, None


def comparison_range(preset: str, date_from: date | None, date_to: date | None) -> tuple[date, date] | None:
    """The window a preset's numbers are compared with: the quarter before (last full quarter), the same
    quarter a year earlier, the same days a year earlier (year to date), the same days of the quarter
    before (this quarter so far), else the equally long range just before. ``None`` without a range."""
    if date_from is None or date_to is None:
        return None
    if preset == "last_full_quarter":
        start = quarter_start(date_from - timedelta(days=1))
        return start, date_from - timedelta(days=1)
    if preset in ("same_quarter_last_year", "year_to_date"):
        return date_from - relativedelta(years=1), date_to - relativedelta(years=1)
    if preset == "this_quarter":
        start = quarter_start(date_from - timedelta(days=1))
        return start, min(start + (date_to - date_from), date_from - timedelta(days=1))
    length = (date_to - date_from).days + 1
    return date_from - timedelta(days=length), date_from - timedelta(days=1)


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
        """The same filter over the range just before this one: as many whole calendar months when the range
        is whole months (January-March against October-December, not 3 October - 31 December), else the
        equally long range of days; ``None`` without both dates."""
        if self.date_from is None or self.date_to is None:
            return None
        months = _whole_months(self.date_from, self.date_to)
        if months:
            start = _months_before(self.date_from, months)
            return self.with_dates(start, self.date_from - timedelta(days=1))
        length = (self.date_to - self.date_from).days + 1
        return self.with_dates(self.date_from - timedelta(days=length), self.date_from - timedelta(days=1))


def _whole_months(first: date, last: date) -> int:
    """How many calendar months ``first`` - ``last`` spans when it starts on a month's first day and ends on
    a month's last; 0 otherwise."""
    if first.day != 1 or (last + timedelta(days=1)).day != 1 or last < first:
        return 0
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _months_before(day: date, months: int) -> date:
    """The first day of the month ``months`` before ``day``'s (``day`` a month's first)."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class RangeNote:
    """Why the shown range is not what the viewer may expect, and the one click that changes it:
    ``action_params`` replace the URL's ``range``/``from``/``to``/``until``."""

    text: str
    action_label: str
    action_params: dict


def resolve_range(preset: str, picked: tuple[date | None, date | None], until: date | None, as_of: date,
                  newest: date | None, holds_post_mortems: Callable[[date | None, date | None], bool],
                  ) -> tuple[date | None, date | None, RangeNote | None]:
    """The dates a view covers, and a note when its range holds no post-mortem though the data has some.

    The default preset with no ``until`` is anchored on the data: when its range up to ``as_of`` is
    empty, it ends on the newest post-mortem's day instead. Any other range (a preset the viewer
    chose, an ``until`` or custom dates) is honoured as written, with a note and a way to the data.
    """
    if preset == "custom":
        date_from, date_to = picked
    else:
        date_from, date_to = preset_range(preset, until or as_of)
    if newest is None or preset == "all" or holds_post_mortems(date_from, date_to):
        return date_from, date_to, None
    if preset == DEFAULT_PRESET and until is None:
        anchored_from, anchored_to = preset_range(preset, newest)
        note = RangeNote(f"Your newest post-mortem is from {newest.isoformat()}; showing the 12 months up to it.",
                         "Show up to today", {"range": preset, "until": as_of.isoformat()})
        return anchored_from, anchored_to, note
    window = (f"from {date_from.isoformat()} to {date_to.isoformat()}" if date_from and date_to
              else "in this range")
    note = RangeNote(f"No post-mortem is dated {window}; your newest is from {newest.isoformat()}.",
                     f"Show the 12 months up to {newest.isoformat()}",
                     {"range": DEFAULT_PRESET, "until": newest.isoformat()})
    return date_from, date_to, note


# URL query parameter names; lists are comma-separated so a link stays short and readable.
_LIST_PARAMS = {"sev": "severities", "team": "teams", "audience": "audiences", "platform": "platforms"}


def from_query_params(params: Mapping[str, str | Sequence[str]], as_of: date,
                      end: date | None = None) -> tuple[Filters, str]:
    """The filter a URL describes, and its date preset (``custom`` when dates are given explicitly).

    A preset's range ends on ``until`` when the URL gives it, else on ``end`` (default ``as_of``).
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
        date_from, date_to = preset_range(preset, _parse_day((values("until") or [None])[0]) or end or as_of)
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    kwargs["include_excluded"] = (values("drills") or [""])[0] in ("1", "true", "yes")
    return Filters(date_from=date_from, date_to=date_to, **kwargs), preset


def to_query_params(filters: Filters, preset: str, until: date | None = None) -> dict[str, str]:
    """The URL query parameters that reproduce ``filters`` (empty values left out); ``until`` is the day
    a preset's range ends on when that is not today."""
    params: dict[str, str] = {}
    if preset not in (DEFAULT_PRESET, "custom"):
        params["range"] = preset
    if until is not None and preset not in ("custom", "all"):
        params["range"] = preset
        params["until"] = until.isoformat()
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
