"""Interpret a :class:`RawDoc` into an :class:`Incident`: resolve the timezone and date, place
the timeline on the calendar, derive each phase's timestamp, and normalise every value.

Problems are collected, never raised: a value that cannot be read becomes
``None`` with a warning; only a post-mortem without any date is an error.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from pm_analytics.parse.raw import RawDoc
from pm_analytics.parse.template import MARKDOWN_LINK, action_from_text, split_time
from pm_analytics.parse.values import (
    Zone,
    clean,
    dst_mismatch,
    find_date,
    is_drill,
    is_placeholder,
    parse_count,
    parse_date,
    parse_duration_min,
    parse_severity,
    parse_timestamp,
    resolve_timezone,
)
from pm_analytics.schema import (
    AUDIENCES,
    DEADLINE_HOURS,
    PARTIAL_RECOVERY,
    PHASES,
    TEMPLATE_FIELDS,
    ActionItem,
    AffectedApp,
    Finding,
    Incident,
    Reviewer,
    TimelineEvent,
    is_filled,
)

PHASE_DISAGREEMENT_MIN = 5
MAX_TIMELINE_ROWS = 500
MAX_ACTION_ITEMS = 200
MAX_TEXT_CHARS = 20_000

_DURATION_KEYS = {
    "time_to_detect_min": "timing.time_to_detect",
    "time_to_respond_min": "timing.time_to_response",
    "time_to_understand_min": "timing.time_to_understand",
    "time_to_partial_recovery_min": "timing.time_to_partial_recovery",
    "time_to_solution_min": "timing.time_to_solution",
    "time_to_full_recovery_min": "timing.time_to_full_recovery",
}
_COUNT_KEYS = {
    "clinics_affected": "blast_radius.clinics",
    "providers_affected": "blast_radius.providers",
    "patients_affected": "blast_radius.patients",
    "techops_engineers": "participants.techops_engineers",
    "software_engineers": "participants.software_engineers",
    "security_engineers": "participants.security_engineers",
}
# TEMPLATE_FIELDS attribute -> raw key, to tell "left as placeholder" from "missing".
_RAW_KEY = {
    **_DURATION_KEYS,
    **_COUNT_KEYS,
    "investigation_doc_name": "investigation_doc",
    "apps": "blast_radius.apps",
    "started_at": "timeline",
    "resolved_at": "timeline",
}
# Fields a post-mortem may fairly leave empty; not listed in the "not filled in" warning.
_OPTIONAL = {"time_to_partial_recovery_min", "security_engineers", "investigation_doc_name"}


def build_incident(raw: RawDoc, *, source_path: str, source_format: str, source_sha256: str,
                   file_stem: str) -> tuple[Incident | None, list[tuple[int | None, str | None, str, str]]]:
    """The incident and its problems as ``(line, field, level, message)``; ``None`` when it has an error."""
    b = _Builder(raw, file_stem)
    incident = b.build()
    incident.source_path = source_path
    incident.source_format = source_format
    incident.source_sha256 = source_sha256
    problems = raw.problems
    if any(level == "error" for _, _, level, _ in problems):
        return None, problems
    return incident, problems


class _Builder:
    def __init__(self, raw: RawDoc, file_stem: str) -> None:
        self.raw = raw
        self.file_stem = file_stem

    def warn(self, key: str | None, message: str, line: int | None = None) -> None:
        self.raw.problem("warning", key, message, line)

    def error(self, key: str | None, message: str, line: int | None = None) -> None:
        self.raw.problem("error", key, message, line)

    def text(self, key: str) -> str | None:
        value = self.raw.get(key)
        if value is None or is_placeholder(value):
            return None
        if isinstance(value, (list, dict)):
            self.warn(key, f"'{key}' should be text; ignored")
            return None
        text = str(value).strip()
        if len(text) > MAX_TEXT_CHARS:
            self.warn(key, f"longer than {MAX_TEXT_CHARS:,} characters; cut")
            text = text[:MAX_TEXT_CHARS]
        return text

    # -- the whole record -------------------------------------------------
    def build(self) -> Incident:
        inc = Incident(incident_id=self.incident_id())
        inc.title = self.title()
        inc.author = self.text("author")
        inc.severity, drill = self.severity()
        inc.exclude_from_metrics = drill or self.excluded()
        inc.investigation_doc_name, inc.investigation_doc_url = self.investigation_doc()
        inc.impact_summary = self.text("impact_summary")
        zone = self.zone()
        inc.timezone = zone.name if zone else None
        zone = zone or resolve_timezone("UTC")
        on, anchor = self.incident_date(zone)
        if on is None:
            self.error("date", "no date anywhere: give `date: YYYY-MM-DD`, a full date in the timeline, "
                               "or start the file name with YYYY-MM-DD")
            return inc
        if inc.timezone:
            mismatch = dst_mismatch(zone, on)
            if mismatch:
                self.warn("timezone", mismatch)
        inc.incident_date = on
        inc.timeline = self.timeline(zone, on, anchor)
        for attr, key in _DURATION_KEYS.items():
            setattr(inc, attr, self.duration(key))
        for attr, key in _COUNT_KEYS.items():
            setattr(inc, attr, self.count(key))
        self.place_phases(inc, zone, on)
        if inc.started_at is not None:
            inc.started_local = inc.started_at.astimezone(zone.tz).replace(tzinfo=None)
            inc.incident_date = inc.started_local.date()
        inc.apps = self.apps()
        inc.teams = self.teams()
        inc.reviewers = self.reviewers()
        inc.findings = self.findings()
        inc.action_items = self.action_items(inc)
        inc.placeholder_fields, inc.missing_fields = self.empty_fields(inc)
        self.warn_unfilled(inc)
        return inc

    def incident_id(self) -> str:
        value = self.raw.get("id")
        if value is None or is_placeholder(value) or isinstance(value, (list, dict)):
            return self.file_stem
        return clean(value)

    def title(self) -> str | None:
        title = self.text("title")
        if title:
            return clean(title)
        if self.raw.first_heading:
            return clean(self.raw.first_heading)
        self.warn("title", "no title: add a 'Title' field or a first heading")
        return None

    def severity(self) -> tuple[str | None, bool]:
        value = self.raw.get("severity")
        if value is None:
            return None, False
        if is_drill(value):
            return None, True
        try:
            return parse_severity(value), False
        except ValueError as exc:
            self.warn("severity", str(exc))
            return None, False

    def excluded(self) -> bool:
        value = self.raw.get("exclude_from_metrics")
        if isinstance(value, bool):
            return value
        if value is not None and clean(value).lower() in ("yes", "true", "y", "1", "drill"):
            return True
        tags = self.raw.get("tags")
        tags = tags if isinstance(tags, list) else re.split(r"[,;]", str(tags)) if tags else []
        return any(is_drill(t) for t in tags)

    def investigation_doc(self) -> tuple[str | None, str | None]:
        value = self.raw.get("investigation_doc")
        if value is None or is_placeholder(value):
            return None, None
        if isinstance(value, dict):
            name, url = value.get("name"), value.get("url") or value.get("link")
            name = clean(name) if name and not is_placeholder(name) else None
            url = clean(url) if url and not is_placeholder(url) else None
        else:
            text = clean(value)
            link = MARKDOWN_LINK.search(text)
            if link:
                name, url = link.group(1).strip() or None, link.group(2)
            else:
                bare = re.search(r"\b[a-z][a-z0-9+.-]*:[^\s<>]+", text, re.I)
                if bare and re.match(r"(https?|javascript|data|file|ftp|vbscript):", bare.group(0), re.I):
                    url = bare.group(0).rstrip(").,;")
                    name = (text[: bare.start()] + text[bare.end():]).strip(" -–—:|()<>") or None
                else:
                    name, url = text, None
        if url and not re.match(r"https?://[^\s/]+", url, re.I):
            self.warn("investigation_doc", f"link '{url[:80]}' is not http(s); dropped")
            url = None
        return name or (url if url else None), url

    # -- time -------------------------------------------------------------
    def zone(self) -> Zone | None:
        value = self.raw.get("timezone")
        if value is None:
            self.warn("timezone", "no timezone declared ('All times are in ...'); times read as UTC")
            return None
        try:
            return resolve_timezone(str(value))
        except ValueError as exc:
            self.warn("timezone", f"{exc}; times read as UTC")
            return None

    def incident_date(self, zone: Zone) -> tuple[date | None, int | None]:
        """The day the incident started, and (when only a later timeline row gives it) that row's index.

        In order: ``date``/``started_at``; a full date on the first timeline
        row; a ``YYYY-MM-DD`` file-name prefix; a full date on a later timeline
        row (the rows before it are then placed backwards from it).
        """
        for key in ("date", "started_at"):
            value = self.raw.get(key)
            if value is None:
                continue
            if isinstance(value, datetime):
                return (value if value.tzinfo is None else value.astimezone(zone.tz)).date(), None
            if isinstance(value, date):
                return value, None
            found = find_date(clean(value))
            if found:
                return found[0], None
            if key == "date":
                self.warn("date", f"'{clean(value)}' is not a date (write YYYY-MM-DD)")
        dated = [(i, day) for i, (_, when, _, _) in enumerate(self._timeline_rows()) if (day := _row_date(when, zone))]
        if dated and dated[0][0] == 0:
            return dated[0][1], None
        m = re.match(r"(\d{4})-(\d{2})-(\d{2})", self.file_stem)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3))), None
            except ValueError:
                pass
        if dated:
            return dated[0][1], dated[0][0]
        return None, None

    def _timeline_rows(self) -> list[tuple[date | None, Any, str, int | None]]:
        """The timeline's timed rows as (day set by a preceding date-only line, time as written, event, line)."""
        if hasattr(self, "_rows"):
            return self._rows
        rows = self.raw.get("timeline")
        self._rows: list = []
        if rows is None:
            return self._rows
        if not isinstance(rows, list):
            self.warn("timeline", "timeline should be a list of {time, event}; ignored")
            return self._rows
        if len(rows) > MAX_TIMELINE_ROWS:
            self.warn("timeline", f"{len(rows)} timeline rows; only the first {MAX_TIMELINE_ROWS} are kept")
            rows = rows[:MAX_TIMELINE_ROWS]
        day_line = None
        for row in rows:
            if isinstance(row, dict) and "day" in row and "time" not in row:
                day_line = parse_date(row["day"])
                continue
            line = None
            if isinstance(row, dict):
                when, what, line = row.get("time", row.get("at")), row.get("event", row.get("description")), row.get("line")
            elif isinstance(row, str):
                split = split_time(clean(row))
                when, what = split if split else (None, row)
            else:
                when, what = None, str(row)
            description = clean(what) if what is not None and not is_placeholder(what) else ""
            self._rows.append((day_line, when, description, line))
            day_line = None
        return self._rows

    def timeline(self, zone: Zone, on: date, anchor: int | None = None) -> list[TimelineEvent]:
        """The timeline on the calendar: forward from ``on`` (a bare clock time earlier than the row
        before it is the next day), or, with ``anchor``, forward from that dated row and backwards before it."""
        rows = self._timeline_rows()
        moments: list[datetime | None] = [None] * len(rows)
        first = anchor or 0
        current_day, previous = on, None
        for index in range(first, len(rows)):
            day_line, when, description, line = rows[index]
            if day_line is not None:
                current_day = day_line
            if when is None:
                continue
            try:
                at, current_day = self._timeline_moment(when, zone, current_day, previous)
            except ValueError as exc:
                self.warn("timeline", f"row {index + 1}: {exc}", line)
                continue
            if previous is not None and at < previous:
                self.warn("timeline", f"row {index + 1} ({description[:40]!r}) is earlier than the row before it", line)
            moments[index] = previous = at
        following = moments[first] if first < len(moments) else None
        for index in range(first - 1, -1, -1):
            _, when, _, line = rows[index]
            if when is None or following is None:
                continue
            try:
                day = following.astimezone(zone.tz).date()
                at = parse_timestamp(when, zone, day)
                if at > following:
                    at = parse_timestamp(when, zone, day - timedelta(days=1))
            except ValueError as exc:
                self.warn("timeline", f"row {index + 1}: {exc}", line)
                continue
            moments[index] = following = at
        return [TimelineEvent(seq=i + 1, at=moments[i], description=row[2]) for i, row in enumerate(rows)]

    def _timeline_moment(self, when: Any, zone: Zone, day: date, previous: datetime | None) -> tuple[datetime, date]:
        """The UTC moment of a timeline row; a bare clock time earlier than the previous row is the next day."""
        if isinstance(when, datetime):
            moment = parse_timestamp(when, zone, day)
            return moment, moment.astimezone(zone.tz).date()
        if isinstance(when, int) and not isinstance(when, bool):
            raise ValueError(f"'{when}' is not a time (quote clock times in YAML: \"08:40\")")
        text = clean(when)
        if find_date(text):
            moment = parse_timestamp(text, zone, None)
            return moment, moment.astimezone(zone.tz).date()
        moment = parse_timestamp(text, zone, day)
        if previous is not None and moment < previous:
            repeated = parse_timestamp(text, zone, day, fold=1)
            if repeated >= previous:
                return repeated, day
            day = day + timedelta(days=1)
            moment = parse_timestamp(text, zone, day)
        return moment, day

    def _raw_moment(self, key: str, zone: Zone, on: date, after: datetime | None = None) -> datetime | None:
        """A ``started_at``/``resolved_at`` field; a bare clock time before ``after`` is on the next day."""
        value = self.raw.get(key)
        if value is None:
            return None
        try:
            moment = parse_timestamp(value, zone, on)
            if after is not None and moment < after and not isinstance(value, datetime) and not find_date(clean(value)):
                moment = parse_timestamp(value, zone, on + timedelta(days=1))
            return moment
        except ValueError as exc:
            self.warn(key, str(exc))
            return None

    def place_phases(self, inc: Incident, zone: Zone, on: date) -> None:
        """Set started/resolved from the fields or the timeline, then each phase's timestamp from the durations."""
        started = self._raw_moment("started_at", zone, on)
        timeline_resolved = None
        for event in inc.timeline:
            kind = _timeline_kind(event.description)
            if kind == "started" and started is None and event.at is not None:
                started = event.at
            elif kind == "resolved" and event.at is not None and timeline_resolved is None:
                timeline_resolved = event.at
        resolved = self._raw_moment("resolved_at", zone, on, after=started) or timeline_resolved
        if started is not None and resolved is not None and resolved <= started:
            if resolved < started:
                self.warn("resolved_at", f"resolved at {_hhmm(resolved, zone)} is before started at {_hhmm(started, zone)}; "
                                         "resolution time dropped")
                resolved = None
        inc.started_at = started
        stamps: dict[str, datetime | None] = {"started_at": started}
        for duration_attr, end_attr, start_attr in PHASES:
            begin, minutes = stamps.get(start_attr), getattr(inc, duration_attr)
            stamps[end_attr] = begin + timedelta(minutes=minutes) if begin is not None and minutes is not None else None
        derived_resolved = stamps["resolved_at"]
        if resolved is not None:
            stamps["resolved_at"] = resolved
            for duration_attr, end_attr, start_attr in reversed(PHASES):
                if stamps[start_attr] is None and stamps[end_attr] is not None and getattr(inc, duration_attr) is not None:
                    stamps[start_attr] = stamps[end_attr] - timedelta(minutes=getattr(inc, duration_attr))
            if derived_resolved is not None:
                gap = abs((derived_resolved - resolved).total_seconds()) / 60
                if gap > PHASE_DISAGREEMENT_MIN:
                    self.warn("timing", f"start + the phase durations gives resolution at {_hhmm(derived_resolved, zone)}, "
                                        f"but the timeline says {_hhmm(resolved, zone)} ({gap:.0f} min apart); "
                                        "kept the timeline's")
        total = self.duration("timing.total_duration")
        if stamps["resolved_at"] is None and started is not None and total is not None:
            stamps["resolved_at"] = started + timedelta(minutes=total)
        for _, end_attr, _ in PHASES:
            setattr(inc, end_attr, stamps[end_attr])
        partial_attr, partial_end, partial_start = PARTIAL_RECOVERY
        begin, minutes = stamps.get(partial_start), getattr(inc, partial_attr)
        inc.partially_recovered_at = begin + timedelta(minutes=minutes) if begin is not None and minutes is not None else None
        if inc.started_at is not None and inc.resolved_at is not None:
            inc.duration_min = round((inc.resolved_at - inc.started_at).total_seconds() / 60, 4)
        elif total is not None:
            inc.duration_min = total

    # -- values -----------------------------------------------------------
    def duration(self, key: str) -> float | None:
        value = self._number(key, parse_duration_min, "{:g} min")
        return None if value is None else float(value)

    def count(self, key: str) -> int | None:
        value = self._number(key, parse_count, "{:,}")
        return None if value is None else int(value)

    def _number(self, key: str, parse, shown: str):
        """The field's number read by ``parse``; unreadable is unknown and approximate is taken as
        ``shown``, each with a warning naming the field."""
        value = self.raw.get(key)
        if value is None or is_placeholder(value):
            return None
        try:
            parsed = parse(value)
        except ValueError as exc:
            self.warn(key, str(exc))
            return None
        if parsed.approximate:
            self.warn(key, f"approximate value '{clean(value)}' taken as {shown.format(parsed.value)}")
        return parsed.value

    def apps(self) -> list[AffectedApp]:
        value = self.raw.get("blast_radius.apps")
        if value is None:
            return []
        entries = value if isinstance(value, list) else [value]
        apps: list[AffectedApp] = []
        for entry in entries:
            if isinstance(entry, dict):
                audience = _audience(str(entry.get("audience") or ""))
                platforms = _platforms(str(entry.get("platform") or "All"))
                found = [AffectedApp(a, p) for a in (audience or [None]) for p in platforms]
                if not platforms:
                    self.warn("blast_radius.apps", f"unknown platform '{entry.get('platform')}'")
            else:
                found = self._apps_from_text(clean(entry))
            for app in found:
                if app not in apps:
                    apps.append(app)
        return apps

    def _apps_from_text(self, text: str) -> list[AffectedApp]:
        found: list[AffectedApp] = []
        for part in re.split(r"\s*(?:,|;|\band\b|&|\+|\n)\s*", text):
            if not part or is_placeholder(part):
                continue
            audiences = _audience(part)
            platforms = _platforms(part)
            if not platforms:
                if audiences:
                    platforms = ["All"]
                else:
                    self.warn("blast_radius.apps", f"'{part}' names no known platform (Web, iOS, Android, CWS APIs, All)")
                    continue
            found.extend(AffectedApp(a, p) for a in (audiences or [None]) for p in platforms)
        return found

    def teams(self) -> list[str]:
        value = self.raw.get("teams")
        if value is None:
            return []
        entries = value if isinstance(value, list) else re.split(r"\s*(?:,|;|\n|\band\b|&)\s*", clean(value))
        teams: list[str] = []
        for entry in entries:
            if entry is None or is_placeholder(entry):
                continue
            name = re.sub(r"\s+team$", "", clean(entry), flags=re.I).strip(" .")
            if name and name.lower() not in (t.lower() for t in teams):
                teams.append(name)
        return teams

    def reviewers(self) -> list[Reviewer]:
        rows = self.raw.get("reviewers")
        if rows is None:
            return []
        if not isinstance(rows, list):
            rows = [rows]
        reviewers = []
        for row in rows:
            if isinstance(row, dict):
                name, state, when, line = row.get("name"), row.get("state"), row.get("date"), row.get("line")
            else:
                name, state, when, line = row, None, None, None
            if name is None or is_placeholder(name):
                continue
            reviewed_on = None
            if when is not None and not is_placeholder(when):
                try:
                    reviewed_on = parse_date(when)
                except ValueError as exc:
                    self.warn("reviewers", f"{clean(name)}: {exc}", line)
            reviewers.append(Reviewer(name=clean(name), state=_review_state(state), reviewed_on=reviewed_on))
        return reviewers

    def findings(self) -> list[Finding]:
        found = []
        for kind in ("went_well", "went_wrong", "got_lucky", "why"):
            value = self.raw.get(kind)
            if value is None:
                continue
            items = value if isinstance(value, list) else [value]
            seq = 0
            for item in items:
                if item is None or is_placeholder(item):
                    continue
                seq += 1
                found.append(Finding(kind=kind, seq=seq, text=str(item).strip()[:MAX_TEXT_CHARS]))
        return found

    def action_items(self, inc: Incident) -> list[ActionItem]:
        rows = self.raw.get("action_items")
        if rows is None:
            return []
        if isinstance(rows, dict):
            rows = [dict(r, priority=r.get("priority", p)) if isinstance(r, dict) else {"description": r, "priority": p}
                    for p, group in rows.items() for r in (group or [])]
        if not isinstance(rows, list):
            self.warn("action_items", "action_items should be a list; ignored")
            return []
        if len(rows) > MAX_ACTION_ITEMS:
            self.warn("action_items", f"{len(rows)} action items; only the first {MAX_ACTION_ITEMS} are kept")
            rows = rows[:MAX_ACTION_ITEMS]
        anchor = inc.resolved_at or inc.started_at
        if anchor is None and inc.incident_date is not None:
            anchor = datetime.combine(inc.incident_date, datetime.min.time(), timezone.utc)
        items: list[ActionItem] = []
        for seq, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                row = action_from_text(str(row)) or {}
            line = row.get("line")
            description = clean(row.get("description") or row.get("action") or row.get("title") or "")
            if not description:
                self.warn("action_items", f"action item {seq} has no description; skipped", line)
                continue
            priority = self._priority(row.get("priority"), seq, line)
            status = self._status(row.get("status"), row.get("completed"), seq, line)
            completed_on = None
            completed = row.get("completed")
            if completed is not None and not isinstance(completed, bool) and not is_placeholder(completed):
                try:
                    completed_on = parse_date(completed)
                except ValueError as exc:
                    self.warn("action_items", f"action item {seq}: {exc}", line)
            due_at = anchor + timedelta(hours=DEADLINE_HOURS[priority]) if priority and anchor else None
            ticket = row.get("ticket")
            ticket_url = row.get("ticket_url") or row.get("url")
            if ticket is not None and not is_placeholder(ticket) and ticket_url is None:
                link = MARKDOWN_LINK.search(str(ticket))
                if link:
                    ticket, ticket_url = link.group(1), link.group(2)
                elif re.match(r"https?://", str(ticket)):
                    ticket_url = str(ticket)
            if ticket_url and not re.match(r"https?://[^\s/]+", str(ticket_url), re.I):
                self.warn("action_items", f"action item {seq}: ticket link '{str(ticket_url)[:80]}' is not http(s); dropped", line)
                ticket_url = None
            owner = row.get("owner")
            items.append(ActionItem(
                action_id=clean(row.get("id")) if row.get("id") is not None else f"AI{seq}",
                priority=priority,
                description=description,
                owner=clean(owner) if owner is not None and not is_placeholder(owner) else None,
                ticket=clean(ticket) if ticket is not None and not is_placeholder(ticket) else None,
                ticket_url=clean(ticket_url) if ticket_url else None,
                status=status,
                completed_on=completed_on,
                due_at=due_at,
            ))
        return items

    def _priority(self, value: Any, seq: int, line: int | None) -> str | None:
        if value is None or is_placeholder(value):
            return None
        m = re.fullmatch(r"p\s*-?\s*([0-2])", clean(value), re.I)
        if not m:
            self.warn("action_items", f"action item {seq}: priority '{clean(value)}' is not P0, P1 or P2", line)
            return None
        return f"P{m.group(1)}"

    def _status(self, value: Any, completed: Any, seq: int, line: int | None) -> str:
        if value is None or is_placeholder(value):
            return "done" if completed not in (None, False) and not is_placeholder(completed) else "open"
        if isinstance(value, bool):
            return "done" if value else "open"
        text = clean(value).lower().replace("'", "").replace("’", "")
        if re.fullmatch(r"(done|complete[d]?|closed|fixed|resolved|finished|merged|shipped|x)", text):
            return "done"
        if re.fullmatch(r"(wontfix|wont ?fix|wont ?do|cancel+ed|dropped|obsolete|not doing|rejected)", text):
            return "wontfix"
        if re.fullmatch(r"(open|todo|to do|in progress|in-progress|started|blocked|pending|not started|new)", text):
            return "open"
        self.warn("action_items", f"action item {seq}: status '{clean(value)}' is not open, done or wontfix; taken as open", line)
        return "open"

    # -- completeness -----------------------------------------------------
    def empty_fields(self, inc: Incident) -> tuple[list[str], list[str]]:
        """Template fields the author left as the template's placeholder (or wrote "unknown"), and those
        missing altogether."""
        placeholder, missing = [], []
        for _, attr in TEMPLATE_FIELDS:
            if is_filled(inc, attr):
                continue
            key = _RAW_KEY.get(attr, attr)
            if key in self.raw.placeholders or (attr in ("started_at", "resolved_at") and "timeline" in self.raw.placeholders):
                placeholder.append(attr)
            else:
                missing.append(attr)
        return placeholder, missing

    def warn_unfilled(self, inc: Incident) -> None:
        names = []
        for label, attr in TEMPLATE_FIELDS:
            if attr in _OPTIONAL or is_filled(inc, attr):
                continue
            names.append(f"{label} (placeholder)" if attr in inc.placeholder_fields else label)
        if names:
            self.warn(None, "not filled in: " + ", ".join(names))


def _row_date(when: Any, zone: Zone) -> date | None:
    """The calendar date a timeline row's time carries, if it carries one."""
    if isinstance(when, datetime):
        return (when if when.tzinfo is None else when.astimezone(zone.tz)).date()
    if isinstance(when, date):
        return when
    found = find_date(clean(when)) if isinstance(when, str) else None
    return found[0] if found else None


def _timeline_kind(description: str) -> str | None:
    text = description.lower().lstrip("<*_ ")
    if re.match(r"((incident|issue|outage|problem) )?(started|starts?|began|begins|beginning)\b", text):
        return "started"
    if re.match(r"((incident|issue|outage|problem) )?(resolved|resolution|full(y)? recover(ed|y)|recovered|ended|ends|over|"
                r"end of (the )?(incident|outage)|all clear|mitigated)\b", text):
        return "resolved"
    return None


def _audience(text: str) -> list[str]:
    found = []
    for audience in AUDIENCES:
        if re.search(rf"\b{audience}s?\b", text, re.I):
            found.append(audience)
    return found


def _platforms(text: str) -> list[str]:
    found = []
    patterns = (("Web", r"\bweb\b"), ("iOS", r"\bios\b"), ("Android", r"\bandroid\b"),
                ("CWS APIs", r"\bcws\b|\bapis?\b"), ("All", r"\ball\b|\bevery(thing)?\b"))
    for platform, rx in patterns:
        if re.search(rx, text, re.I):
            found.append(platform)
    if "All" in found and len(found) > 1:
        found.remove("All")
    return found


def _review_state(value: Any) -> str | None:
    if value is None or is_placeholder(value):
        return None
    text = clean(value)
    low = text.lower()
    if re.search(r"lgtm|approved|looks good", low):
        return "LGTM"
    if re.search(r"not reviewed|pending|waiting|in review|to review", low):
        return "Not Reviewed"
    if re.search(r"changes requested|declined|rejected", low):
        return "Changes requested"
    return text


def _hhmm(moment: datetime, zone: Zone) -> str:
    return moment.astimezone(zone.tz).strftime("%Y-%m-%d %H:%M")

