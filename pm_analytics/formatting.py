"""How values read on screen: durations as ``1 h 05 min``, unknown as "unknown", and post-mortem
text made inert (Markdown and HTML special characters escaped, links only http(s))."""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from urllib.parse import quote, urlsplit

import pandas as pd

UNKNOWN = "unknown"


def is_unknown(value) -> bool:
    """True for None, NaN, NaT and pandas' NA: a value nobody knows."""
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def format_minutes(minutes) -> str:
    """``1 h 05 min`` for 65, ``25 min`` for 25, ``2 d 3 h`` for 3060; "unknown" when not known."""
    if is_unknown(minutes):
        return UNKNOWN
    minutes = float(minutes)
    if 0 < minutes < 1:
        return "< 1 min"
    total = int(round(minutes))
    if total < 60:
        return f"{total} min"
    days, rest = divmod(total, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    return f"{hours} h {mins:02d} min"


def format_minutes_tick(minutes: float) -> str:
    """Axis tick labels: ``30 min``, ``2 h``, ``1 h 30 min``, ``2 d``."""
    if not minutes:
        return "0"
    total = int(round(minutes))
    if total % 1440 == 0:
        return f"{total // 1440} d"
    if total % 60 == 0:
        return f"{total // 60} h"
    return format_minutes(minutes)


def minutes_as_durations(minutes: pd.Series) -> pd.Series:
    """Minutes as a duration column for a table: whole minutes (seconds under one), which the table shows
    as ``1 hr, 2 min`` and sorts by length; unknown stays unknown (NaT)."""
    values = pd.to_numeric(minutes, errors="coerce").astype("float64")
    whole = values.where((values <= 0) | (values >= 1), (values * 60).round() / 60).where(values < 1, values.round())
    return pd.to_timedelta(whole, unit="min")


def percents(rates: pd.Series) -> pd.Series:
    """Rates (0.83) as whole percents (83.0), rounded as :func:`format_percent` rounds; unknown stays NaN."""
    return (pd.to_numeric(rates, errors="coerce").astype("float64") * 100).round()


def format_count(value) -> str:
    """``1,480``; "unknown" when not known."""
    return UNKNOWN if is_unknown(value) else f"{int(value):,}"


def format_percent(value) -> str:
    return UNKNOWN if is_unknown(value) else f"{100 * float(value):.0f}%"


def format_day(value) -> str:
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


# What a table shows where a field may be left empty (a ticket link, the day of an item still open):
# nothing is missing there, so it is not "unknown".
EMPTY = "—"


def format_completed(status, completed_on) -> str:
    """An action item's completion day: the day when done ("unknown" when nobody wrote it down), "—" while
    it is not done (nothing to know yet)."""
    return format_day(completed_on) if status == "done" else EMPTY


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_markdown(text) -> str:
    """Post-mortem text safe to pass to ``st.markdown``: every Markdown/HTML character escaped,
    so nothing in it becomes a link, an image, a heading or HTML."""
    if is_unknown(text):
        return UNKNOWN
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")


def escape_html(text) -> str:
    """Post-mortem text safe inside plotly labels and hover text (which understand a little HTML)."""
    return html.escape("" if is_unknown(text) else str(text), quote=True)


def safe_url(url) -> str | None:
    """``url`` if it is an absolute http(s) link, else ``None``."""
    if is_unknown(url):
        return None
    text = str(url).strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c in text for c in "\r\n\t <>\"'`"):
        return None
    return text


def incident_href(incident_id: str, params: dict[str, str] | None = None) -> str:
    """Relative link to an incident's page (``incident?id=...``), keeping the view's filter parameters."""
    query = "&".join(f"{quote(k)}={quote(str(v), safe=',')}" for k, v in {"id": incident_id, **(params or {})}.items())
    return f"incident?{query}"


def page_href(page: str, params: dict[str, str] | None = None) -> str:
    """Relative link to a page of the app (``""`` is the overview) with query parameters."""
    query = "&".join(f"{quote(k)}={quote(str(v), safe=',')}" for k, v in (params or {}).items())
    return f"./{page}{'?' + query if query else ''}"


def highlight(text, query: str) -> str:
    """``text`` as inert Markdown with every case-insensitive occurrence of ``query`` highlighted."""
    if is_unknown(text):
        return UNKNOWN
    text = str(text)
    if not query:
        return escape_markdown(text)
    parts, start = [], 0
    for match in re.finditer(re.escape(query), text, re.I):
        parts.append(escape_markdown(text[start:match.start()]))
        parts.append(f":orange-background[{escape_markdown(match.group(0))}]")
        start = match.end()
    parts.append(escape_markdown(text[start:]))
    return "".join(parts)


# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula, made inert with a leading ``'`` (OWASP's advice);
    anything else unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_csv(frame: pd.DataFrame) -> bytes:
    """The frame as CSV bytes (RFC 4180 line ends, so a cell holding a carriage return is quoted), every text
    cell that starts like a formula neutralised; numbers, dates and booleans stay as they are."""
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_datetime64_any_dtype(out[column])
                or pd.api.types.is_bool_dtype(out[column])):
            out[column] = out[column].map(spreadsheet_safe, na_action="ignore")
    return out.to_csv(index=False, lineterminator="\r\n").encode()


def chase_text(items: pd.DataFrame, as_of, priorities: tuple[str, ...]) -> str:
    """The chase list as plain text to paste into a message: one block per team, then per owner, one
    line per item (priority, id, what, days overdue, ticket, incident)."""
    wanted = "/".join(priorities) or "no"
    if items.empty:
        return f"No overdue {wanted} action items as of {format_day(as_of)}."
    lines = [f"Overdue {wanted} action items as of {format_day(as_of)}: {len(items)}"]
    grouped: dict[str, dict[str, list[dict]]] = {}  # teams, then owners, in order of first appearance
    for row in items.to_dict("records"):
        team = "(no team)" if is_unknown(row["teams"]) else row["teams"]
        owner = "(no owner)" if is_unknown(row["owner"]) else row["owner"]
        grouped.setdefault(team, {}).setdefault(owner, []).append(row)
    for team, by_team in grouped.items():
        lines += ["", str(team)]
        for owner, rows in by_team.items():
            lines.append(f"  {owner}")
            for row in rows:
                ticket = " ".join(str(v) for v in (row["ticket"], safe_url(row["ticket_url"])) if not is_unknown(v) and v)
                lines.append(f"    - {row['priority']} {row['action_id'] or ''}: {row['description'] or '(no description)'}"
                             f" | {row['days_overdue']} days overdue | {ticket or 'no ticket'}"
                             f" | {row['incident_id']} {row['title'] or ''}".rstrip())
    return "\n".join(lines)
