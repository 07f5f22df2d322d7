"""Ticket tracker exports -> tickets by key, and the key each action item names.

An action item's status in a post-mortem is what it was the day the document
was written; the tracker knows what became of it. Three exports are read:

=================  =================================================================  ==========================
export             columns read                                                       key
=================  =================================================================  ==========================
Jira CSV           ``Issue key`` (or ``Key``), ``Status``, ``Status Category``,       ``BIL-61``
                   ``Resolution``, ``Resolved`` (or ``Resolution Date``),
                   ``Assignee``; any other columns, repeated ones included, ignored
GitHub JSON        ``gh issue list --state all --json                                 ``acme/billing#42`` (and
                   number,state,closedAt,assignees,url`` (``stateReason`` too, if     ``billing#42`` when only
                   asked for)                                                         one repository has it)
Linear CSV         ``ID``, ``Status``, ``Completed``, ``Canceled``, ``Assignee``      ``ENG-123``
=================  =================================================================  ==========================

Statuses map to ``done``/``open``/``wontfix`` by :data:`STATUS_MAP` (names
compared without case, apostrophes or extra spaces); a Jira status not in it
takes its Status Category (Done/To Do/In Progress), and a Jira ``Done`` whose
Resolution is Won't Do, Duplicate, Cannot Reproduce ... is ``wontfix``. GitHub
issues are ``done`` when closed, ``wontfix`` when closed as not planned or a
duplicate. A status the map does not know is reported, never guessed: that
ticket leaves its action items as their post-mortem says.

Completion dates: a resolution date with an offset (GitHub's and Linear's
``Z``, Jira's ISO form) is taken as its UTC date; Jira's usual
``12/Mar/24 3:45 PM`` carries no zone (it is the exporting user's) and is taken
as written.

An action item names its ticket by its ``ticket`` (``[BIL-61]``, ``ticket:
acme/billing#42``) or its ticket link: a URL whose path ends in a key
(``…/browse/BIL-61``, Linear's ``…/issue/ENG-123/title-slug``) or a GitHub
issue or pull request URL (:func:`item_ticket_key`).

A malformed export (no key column, a row whose fields do not match the
header, a date that is no date, invalid JSON) is reported with its file and
line, and nothing of it is used; every other export still is.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from pm_analytics.schema import Problem

DONE, OPEN, WONTFIX = "done", "open", "wontfix"
MAX_EXPORT_BYTES = 256 * 1024 * 1024
MAX_FIELD_CHARS = 10 * 1024 * 1024
MAX_ERRORS_SHOWN = 20

STATUS_MAP: dict[str, str] = {
    **dict.fromkeys(("done", "closed", "resolved", "fixed", "complete", "completed", "shipped", "released",
                     "deployed", "merged", "verified", "delivered"), DONE),
    **dict.fromkeys(("wont do", "wont fix", "wontfix", "canceled", "cancelled", "declined", "rejected",
                     "duplicate", "obsolete", "not planned", "cannot reproduce", "cant reproduce", "invalid",
                     "abandoned", "out of scope", "wont implement"), WONTFIX),
    **dict.fromkeys(("open", "to do", "todo", "backlog", "in progress", "in review", "code review", "review",
                     "reopened", "blocked", "selected for development", "triage", "new", "waiting",
                     "waiting for support", "waiting for customer", "on hold", "ready", "ready for development",
                     "in development", "in qa", "qa", "testing", "in testing", "pending", "planned", "started",
                     "icebox", "unstarted", "under review", "ready for review", "in design", "scheduled"), OPEN),
}
# Jira's own three categories, for a status the map does not know.
STATUS_CATEGORIES = {"done": DONE, "to do": OPEN, "in progress": OPEN, "new": OPEN, "indeterminate": OPEN}
_WONTFIX_RESOLUTIONS = {name for name, status in STATUS_MAP.items() if status == WONTFIX}

TICKET_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]{1,15}-\d{1,9}")
GITHUB_REF = re.compile(r"(?:([\w.-]{1,100})/)?([\w.-]{1,100})#(\d{1,9})")
_GITHUB_PATH = re.compile(r"/([\w.-]{1,100})/([\w.-]{1,100})/(?:issues|pull)/(\d{1,9})(?:/|$)")
_JIRA_DATE = re.compile(r"(\d{1,2})/([A-Za-z]{3})/(\d{2}|\d{4})(?:\s+(\d{1,2}):(\d{2})(?::\d{2})?\s*([AaPp][Mm])?)?$")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
# JavaScript's Date.toString(): "Tue Mar 12 2024 15:45:00 GMT+0000 (Coordinated Universal Time)".
_JS_DATE = re.compile(r"[A-Za-z]{3} ([A-Za-z]{3}) (\d{1,2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT([+-]\d{4})")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"), start=1)}

_JIRA_COLUMNS = {
    "key": ("issue key", "key", "issuekey", "issue"),
    "status": ("status",),
    "category": ("status category", "statuscategory"),
    "resolution": ("resolution",),
    "resolved": ("resolved", "resolution date", "resolutiondate", "date resolved", "resolved date"),
    "assignee": ("assignee", "assignee name", "assigned to"),
}
_LINEAR_COLUMNS = {
    "key": ("id", "identifier", "issue id"),
    "status": ("status", "state"),
    "completed": ("completed", "completed at", "completedat"),
    "canceled": ("canceled", "cancelled", "canceled at", "canceledat"),
    "assignee": ("assignee",),
    "url": ("url", "link"),
}


@dataclass(frozen=True)
class Ticket:
    """One ticket of an export: its key, the status as written and as mapped (None: not in the map),
    when it was resolved, who it is assigned to, its link and the export line it is on."""

    key: str
    tracker: str
    status_written: str
    status: str | None
    resolved_on: date | None
    assignee: str | None
    url: str | None
    line: int | None
    aliases: tuple[str, ...] = ()


@dataclass
class TicketExport:
    """What one export file gave: its tickets (none when it had an error) and its problems."""

    source_path: str
    format: str = ""
    tickets: list[Ticket] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    size_bytes: int | None = None
    mtime_ns: int | None = None
    source_sha256: str | None = None
    exported_on: date | None = None

    @property
    def loaded(self) -> bool:
        return not any(p.level == "error" for p in self.problems)

    @property
    def label(self) -> str:
        """How an action item says where its status came from: ``tracker export jira.csv, 2026-03-01``."""
        day = self.exported_on.isoformat() if self.exported_on else "date unknown"
        return f"tracker export {self.source_path}, {day}"


class _Malformed(ValueError):
    def __init__(self, line: int | None, fld: str | None, message: str) -> None:
        super().__init__(message)
        self.line, self.field = line, fld


def status_of(written: str) -> str | None:
    """``done``/``open``/``wontfix`` for a status as a tracker writes it, or None when it is not in the map."""
    return STATUS_MAP.get(_normal(written))


def _normal(text: str) -> str:
    return " ".join(re.sub(r"['’`]", "", text).replace("_", " ").replace("-", " ").lower().split())


# -- the key an action item names -----------------------------------------------------------------------

def item_ticket_key(ticket: str | None, ticket_url: str | None) -> str | None:
    """The key an action item's ticket or ticket link names (``BIL-61``, ``acme/billing#42``), or None."""
    for value in (ticket, ticket_url):
        if value:
            key = _key_of(str(value).strip()[:2000])
            if key:
                return key
    return None


def _key_of(text: str) -> str | None:
    if TICKET_KEY.fullmatch(text):
        return text.upper()
    ref = GITHUB_REF.fullmatch(text)
    if ref:
        owner, repo, number = ref.groups()
        return f"{owner.lower()}/{repo.lower()}#{int(number)}" if owner else f"{repo.lower()}#{int(number)}"
    if text[:8].lower().startswith(("http://", "https://")):
        return url_key(text)
    return None


def url_key(url: str) -> str | None:
    """The key a ticket link names: a GitHub issue or pull request, or the last path part that is a key
    (``…/browse/BIL-61``, ``…/issue/ENG-123/slug``, ``?selectedIssue=BIL-61``)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    github = _GITHUB_PATH.search(parts.path)
    if github and (parts.netloc.lower().endswith("github.com") or "/issues/" in parts.path):
        owner, repo, number = github.groups()
        return f"{owner.lower()}/{repo.lower()}#{int(number)}"
    selected = parse_qs(parts.query).get("selectedIssue")
    if selected and TICKET_KEY.fullmatch(selected[0]):
        return selected[0].upper()
    for segment in reversed([s for s in parts.path.split("/") if s]):
        if TICKET_KEY.fullmatch(segment):
            return segment.upper()
    return None


# -- reading exports --------------------------------------------------------------------------------------

def read_export(path: str | Path, name: str | None = None) -> TicketExport:
    """Read one export file; ``name`` is what problems and status sources call it (default: ``path``).
    Never raises for a bad file: its problems say what is wrong."""
    name = name or str(path)
    export = TicketExport(name)
    try:
        stat = Path(path).stat()
        if stat.st_size > MAX_EXPORT_BYTES:
            export.problems.append(Problem(name, "error", None, None, f"{stat.st_size / 1048576:.0f} MB; ticket "
                                           f"exports over {MAX_EXPORT_BYTES // 1048576} MB are not read"))
            return export
        data = Path(path).read_bytes()
    except OSError as exc:
        export.problems.append(Problem(name, "error", None, None, f"cannot read the ticket export: "
                                                                   f"{exc.strerror or exc}"))
        return export
    export.size_bytes, export.mtime_ns = stat.st_size, stat.st_mtime_ns
    export.source_sha256 = hashlib.sha256(data).hexdigest()
    export.exported_on = datetime.fromtimestamp(stat.st_mtime, timezone.utc).date()
    parse_export(data, export)
    return export


def parse_export(data: bytes, export: TicketExport) -> None:
    """Fill ``export`` from an export's bytes: its format, tickets and problems."""
    name = export.source_path
    text, warning = _decode(data)
    if warning:
        export.problems.append(Problem(name, "warning", None, None, warning))
    errors: list[_Malformed] = []
    try:
        if text.lstrip()[:1] in ("[", "{"):
            export.format = "github_json"
            tickets = _github(text, errors, export)
        else:
            tickets = _csv(text, errors, export)
    except _Malformed as exc:
        errors.append(exc)
        tickets = []
    for error in errors[:MAX_ERRORS_SHOWN]:
        export.problems.append(Problem(name, "error", error.line, error.field, str(error)))
    if len(errors) > MAX_ERRORS_SHOWN:
        export.problems.append(Problem(name, "error", None, None,
                                       f"… and {len(errors) - MAX_ERRORS_SHOWN} more errors like these"))
    if errors:
        export.problems.append(Problem(name, "error", None, None, "nothing of this export was used"))
        return
    export.tickets = tickets


def _decode(data: bytes) -> tuple[str, str | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "not valid UTF-8; read as Windows-1252"


def _csv(text: str, errors: list[_Malformed], export: TicketExport) -> list[Ticket]:
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    previous_limit = csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise _Malformed(1, None, "the ticket export is empty") from None
        except csv.Error as exc:
            raise _Malformed(1, None, f"not a CSV file ({exc})") from None
        names = [_normal(h) for h in header]
        if _find(names, _JIRA_COLUMNS["key"]) is not None:
            export.format, columns, tracker = "jira_csv", _JIRA_COLUMNS, "jira"
        elif _find(names, _LINEAR_COLUMNS["key"]) is not None:
            export.format, columns, tracker = "linear_csv", _LINEAR_COLUMNS, "linear"
        else:
            raise _Malformed(1, None, "not a Jira or Linear export: the header has no 'Issue key' (Jira) or 'ID' "
                                      "(Linear) column")
        at = {role: _find(names, spellings) for role, spellings in columns.items()}
        if at["status"] is None:
            raise _Malformed(1, None, "the header has no 'Status' column")
        tickets = []
        line = reader.line_num
        while True:
            start = line + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                errors.append(_Malformed(reader.line_num, None, f"not readable as CSV ({exc})"))
                break
            line = reader.line_num
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                errors.append(_Malformed(start, None, f"the row has {len(row)} fields; the header has "
                                                      f"{len(header)}"))
                continue
            try:
                ticket = _jira_row(row, at, start) if tracker == "jira" else _linear_row(row, at, start)
            except _Malformed as exc:
                errors.append(exc)
                continue
            if ticket.status is None:
                export.problems.append(Problem(export.source_path, "warning", start, "Status",
                                               f"{ticket.key}: status '{ticket.status_written[:60]}' is not in the "
                                               "status map; its action items keep the post-mortem's status"))
            tickets.append(ticket)
        return tickets
    finally:
        csv.field_size_limit(previous_limit)


def _find(names: list[str], spellings: tuple[str, ...]) -> int | None:
    for spelling in spellings:
        if spelling in names:
            return names.index(spelling)
    return None


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _ticket_key(row: list[str], at: dict, line: int, column: str, example: str) -> str:
    """The row's ticket key, or a :class:`_Malformed` naming ``column`` when the cell holds none."""
    key = _cell(row, at["key"])
    if not TICKET_KEY.fullmatch(key):
        raise _Malformed(line, column, f"'{key[:60]}' is not {example}")
    return key


def _jira_row(row: list[str], at: dict, line: int) -> Ticket:
    key = _ticket_key(row, at, line, "Issue key", "an issue key (like BIL-61)")
    written = _cell(row, at["status"])
    status = status_of(written)
    if status is None:
        status = STATUS_CATEGORIES.get(_normal(_cell(row, at["category"])))
    resolution = _normal(_cell(row, at["resolution"]))
    if status == DONE and resolution in _WONTFIX_RESOLUTIONS:
        status = WONTFIX
        written = f"{written} ({_cell(row, at['resolution'])})"
    resolved = _date(_cell(row, at["resolved"]), line, "Resolved")
    return Ticket(key.upper(), "jira", written, status, resolved if status == DONE else None,
                  _cell(row, at["assignee"]) or None, None, line)


def _linear_row(row: list[str], at: dict, line: int) -> Ticket:
    key = _ticket_key(row, at, line, "ID", "an issue id (like ENG-123)")
    written = _cell(row, at["status"])
    status = status_of(written)
    completed = _date(_cell(row, at["completed"]), line, "Completed")
    _date(_cell(row, at["canceled"]), line, "Canceled")
    url = _cell(row, at["url"]) or None
    return Ticket(key.upper(), "linear", written, status, completed if status == DONE else None,
                  _cell(row, at["assignee"]) or None, url, line)


def _github(text: str, errors: list[_Malformed], export: TicketExport) -> list[Ticket]:
    try:
        items = _json_items(text)
    except json.JSONDecodeError as exc:
        raise _Malformed(exc.lineno, None, f"not valid JSON ({exc.msg})") from None
    tickets = []
    for line, item in items:
        if not isinstance(item, dict) or "number" not in item or not isinstance(item.get("url"), str):
            errors.append(_Malformed(line, None, "not an issue as `gh issue list --json number,state,closedAt,"
                                                 "assignees,url` writes it (number and url needed)"))
            continue
        key = url_key(item["url"])
        if key is None or not str(item["number"]).isdigit() or not key.endswith(f"#{int(item['number'])}"):
            errors.append(_Malformed(line, "url", f"'{str(item['url'])[:100]}' is not the URL of issue "
                                                  f"{item.get('number')}"))
            continue
        state = str(item.get("state") or "")
        reason = _normal(str(item.get("stateReason") or ""))
        if state.upper() == "OPEN":
            status = OPEN
        elif state.upper() in ("CLOSED", "MERGED"):
            status = WONTFIX if reason in ("not planned", "duplicate") else DONE
        else:
            status = None
            export.problems.append(Problem(export.source_path, "warning", line, "state",
                                           f"{key}: state '{state[:40]}' is not OPEN or CLOSED; its action items "
                                           "keep the post-mortem's status"))
        try:
            closed = _date(str(item.get("closedAt") or ""), line, "closedAt")
        except _Malformed as exc:
            errors.append(exc)
            continue
        names = []
        for person in item.get("assignees") or []:
            if isinstance(person, dict):
                names.append(str(person.get("name") or person.get("login") or "").strip())
        written = state + (f" ({item['stateReason']})" if item.get("stateReason") else "")
        tickets.append(Ticket(key, "github", written, status, closed if status == DONE else None,
                              ", ".join(n for n in names if n) or None, item["url"], line,
                              aliases=(key.split("/", 1)[1],)))
    return tickets


def _json_items(text: str) -> list[tuple[int, object]]:
    """The items of a JSON array with the line each starts on (``gh`` writes one array)."""
    decoder = json.JSONDecoder()
    at = len(text) - len(text.lstrip())
    if text[at:at + 1] != "[":
        value = json.loads(text)
        return [(1, value)]
    at += 1
    items, line, counted = [], 1, 0
    while True:
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        if at >= len(text):
            raise json.JSONDecodeError("the array is never closed", text, at)
        if text[at] == "]":
            rest = text[at + 1:].strip()
            if rest:
                raise json.JSONDecodeError("extra data after the array", text, at + 1)
            return items
        line += text.count("\n", counted, at)
        counted = at
        value, at = decoder.raw_decode(text, at)
        items.append((line, value))


def _date(text: str, line: int, column: str) -> date | None:
    """The UTC date of a timestamp with an offset, the date as written of one without; None when empty.
    Raises :class:`_Malformed` for anything else."""
    text = text.strip()
    if not text or text.startswith("0001-01-01"):
        return None
    m = _ISO.match(text)
    if m:
        year, month, day, hour, minute, second, offset = m.groups()
        when = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
        if offset:
            sign = -1 if offset.startswith("-") else 1
            digits = offset.replace(":", "")[1:] if offset != "Z" else "0000"
            delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            when = (when - sign * delta) if offset != "Z" else when
        return when.date()
    m = _JIRA_DATE.match(text)
    if m and m.group(2).lower() in _MONTHS:
        year = int(m.group(3)) + (2000 if len(m.group(3)) == 2 else 0)
        return _safe_date(year, _MONTHS[m.group(2).lower()], int(m.group(1)), line, column, text)
    m = _DOTTED.match(text)
    if m:
        return _safe_date(int(m.group(3)), int(m.group(2)), int(m.group(1)), line, column, text)
    m = _JS_DATE.match(text)
    if m and m.group(1).lower() in _MONTHS:
        when = datetime(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)), int(m.group(4)),
                        int(m.group(5)), int(m.group(6)))
        offset = m.group(7)
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:]))
        return (when - delta if offset[0] == "+" else when + delta).date()
    raise _Malformed(line, column, f"'{text[:60]}' is not a date this reader knows (2024-03-12, 12/Mar/24 3:45 PM, "
                                   "2024-03-12T15:45:00Z)")


def _safe_date(year: int, month: int, day: int, line: int, column: str, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _Malformed(line, column, f"'{text[:60]}' is not a date") from None


# -- matching --------------------------------------------------------------------------------------------

def ticket_index(exports: list[TicketExport]) -> tuple[dict[str, tuple[Ticket, TicketExport]], list[Problem]]:
    """Every key (and unambiguous alias) of the loaded exports -> its ticket and export. A key in two
    exports takes the later one's ticket, with a warning naming both."""
    index: dict[str, tuple[Ticket, TicketExport]] = {}
    problems: list[Problem] = []
    aliases: dict[str, set[str]] = {}
    for export in exports:
        if not export.loaded:
            continue
        seen: dict[str, int | None] = {}
        for ticket in export.tickets:
            if ticket.key in seen:
                problems.append(Problem(export.source_path, "warning", ticket.line, None,
                                        f"{ticket.key} is also on line {seen[ticket.key]}; this row is used"))
            elif ticket.key in index and index[ticket.key][1] is not export:
                problems.append(Problem(export.source_path, "warning", ticket.line, None,
                                        f"{ticket.key} is also in {index[ticket.key][1].source_path}; this export "
                                        "is used"))
            seen[ticket.key] = ticket.line
            index[ticket.key] = (ticket, export)
            for alias in ticket.aliases:
                aliases.setdefault(alias, set()).add(ticket.key)
    for alias, keys in aliases.items():
        if len(keys) == 1 and alias not in index:
            index[alias] = index[next(iter(keys))]
    return index, problems


__all__ = ["DONE", "OPEN", "WONTFIX", "STATUS_MAP", "STATUS_CATEGORIES", "Ticket", "TicketExport",
           "item_ticket_key", "url_key", "read_export", "parse_export", "status_of", "ticket_index"]
