"""Interpret a :class:`RawDoc` into an :class:`Incident`: resolve the timezone and date, place
the timeline on the calendar, derive each phase's timestamp, and normalise every value.

Problems are collected, never raised: a value that cannot be read becomes
``None`` with a warning; only a post-mortem without any date is an error.
Every value stored says where it came from (:class:`~pm_analytics.schema.FieldSource`):
the raw value's line, rule and text, or ``derived: ...`` for a value computed
from others. Nothing is invented: a value is stored only when a rule read it
or it follows from values that were read.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from pm_analytics.parse.raw import EXPLICIT, POSTED, PROSE, TIMELINE, RawDoc, Source
from pm_analytics.parse.rules import MARKDOWN_LINK, action_from_text, prose_blast_radius, same_zone, split_time
from pm_analytics.parse.values import (
    Zone,
    clean,
    drill_word,
    dst_mismatch,
    file_name_date,
    find_date,
    find_month_day,
    is_ambiguous_date,
    is_placeholder,
    month_day_near,
    parse_count,
    parse_date,
    parse_duration_min,
    parse_timestamp,
    resolve_timezone,
    severity_and_word,
)
from pm_analytics.parse.vocabulary import template_row_kind, timeline_kind
from pm_analytics.parse.yaml_doc import snake_key
from pm_analytics.schema import (
    AUDIENCES,
    DEADLINE_HOURS,
    PARTIAL_RECOVERY,
    PHASES,
    TEMPLATE_FIELDS,
    ActionItem,
    AffectedApp,
    FieldSource,
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
# Phase moments a timeline row's words can mark, by the kind timeline_kind() gives.
_MOMENT_OF_KIND = {"detected": "detected_at", "responded": "responded_at", "understood": "understood_at",
                   "mitigated": "partially_recovered_at"}
_PHASE_LABEL = {"time_to_detect_min": "time to detect", "time_to_respond_min": "time to response",
                "time_to_understand_min": "time to understand", "time_to_solution_min": "time to solution",
                "time_to_full_recovery_min": "time to full recovery",
                "time_to_partial_recovery_min": "time to partial recovery"}


def build_incident(raw: RawDoc, *, source_path: str, source_format: str, source_sha256: str,
                   file_stem: str, incident_id: str | None = None
                   ) -> tuple[Incident | None, list[tuple[int | None, str | None, str, str]]]:
    """The incident and its problems as ``(line, field, level, message)``; ``None`` when it has an error.
    ``incident_id`` is the id a file holding several incidents gives this one, unless it names its own."""
    b = _Builder(raw, file_stem, incident_id)
    incident = b.build()
    incident.source_path = source_path
    incident.source_format = source_format
    incident.source_sha256 = source_sha256
    problems = raw.problems
    if any(level == "error" for _, _, level, _ in problems):
        return None, problems
    return incident, problems


class _Builder:
    def __init__(self, raw: RawDoc, file_stem: str, incident_id: str | None = None) -> None:
        self.raw = raw
        self.file_stem = file_stem
        self.default_id = incident_id or file_stem
        self.sources: dict[str, FieldSource] = {}
        self._dated: dict[tuple[str, int], bool] = {}
        # The field the incident's date came from, when it came from ``date`` or ``started_at``.
        self._dated_by: str | None = None

    def warn(self, key: str | None, message: str, line: int | None = None) -> None:
        self.raw.problem("warning", key, message, line)

    def error(self, key: str | None, message: str, line: int | None = None) -> None:
        self.raw.problem("error", key, message, line)

    def note(self, field: str, source: Source | None) -> None:
        """Record where ``field``'s value came from."""
        if source is not None:
            self.sources[field] = FieldSource(field, source.line, source.rule, source.text)

    def note_key(self, field: str, key: str) -> None:
        self.note(field, self.raw.source_of(key))

    def derived(self, field: str, how: str, *inputs: str) -> None:
        """Record that ``field`` was computed (``derived: resolved − started``) from fields already noted."""
        lines = [self.sources[i].line for i in inputs if i in self.sources and self.sources[i].line]
        text = "; ".join(f"{i} {self.sources[i].rule} (line {self.sources[i].line})" for i in inputs
                         if i in self.sources)
        self.sources[field] = FieldSource(field, lines[0] if lines else None, f"derived: {how}", Source.quote(text))

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
        if inc.author:
            self.note_key("author", "author")
        inc.severity, inc.severity_original, drill = self.severity()
        reason = drill or self.excluded()
        inc.exclude_from_metrics, inc.exclude_reason = reason is not None, reason
        inc.investigation_doc_name, inc.investigation_doc_url = self.investigation_doc()
        inc.impact_summary = self.text("impact_summary")
        if inc.impact_summary:
            self.note_key("impact_summary", "impact_summary")
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
            if getattr(inc, attr) is not None:
                self.note_key(attr, key)
        for attr, key in _COUNT_KEYS.items():
            setattr(inc, attr, self.count(key))
            if getattr(inc, attr) is not None:
                self.note_key(attr, key)
        self.place_phases(inc, zone, on)
        if inc.started_at is not None:
            inc.started_local = inc.started_at.astimezone(zone.tz).replace(tzinfo=None)
            if inc.started_local.date() != inc.incident_date:
                if self._dated_by == "date":
                    self.warn("date", f"the date {inc.incident_date} is not the day the incident started "
                                      f"({inc.started_local.date()}, {zone.name}); kept the day it started",
                              self.raw.source_of("date").line)
                inc.incident_date = inc.started_local.date()
                self.derived("incident_date", "the day started_at falls on", "started_at")
        inc.apps = self.apps()
        inc.teams = self.teams()
        inc.reviewers = self.reviewers()
        inc.findings = self.findings()
        inc.action_items = self.action_items(inc)
        inc.placeholder_fields, inc.missing_fields = self.empty_fields(inc)
        self.warn_unfilled(inc)
        inc.sources = list(self.sources.values())
        return inc

    def incident_id(self) -> str:
        value = self.raw.get("id")
        if value is None or is_placeholder(value) or isinstance(value, (list, dict)):
            return self.default_id
        self.note_key("incident_id", "id")
        return clean(value)

    def title(self) -> str | None:
        title = self.text("title")
        if title:
            self.note_key("title", "title")
            return clean(title)
        if self.raw.first_heading:
            self.note("title", self.raw.sources.get("first_heading"))
            return clean(self.raw.first_heading)
        self.warn("title", "no title: add a 'Title' field or a first heading")
        return None

    def severity(self) -> tuple[str | None, str | None, str | None]:
        """The canonical severity, the word as written, and the drill word if the severity is one."""
        value = self.raw.get("severity")
        if value is None:
            return None, None, None
        word = drill_word(value)
        if word:
            self.note_key("exclude_reason", "severity")
            return None, None, f"severity '{clean(value)}'"
        try:
            severity, written = severity_and_word(value)
        except ValueError as exc:
            self.warn("severity", str(exc))
            for other, source in self.raw.others.get("severity", []):
                try:
                    severity, written = severity_and_word(other)
                except ValueError:
                    continue
                self.note("severity", source)
                return severity, written, None
            return None, None, None
        self.note_key("severity", "severity")
        self._disagreeing("severity", severity, lambda v: severity_and_word(v)[0], str)
        return severity, written, None

    def _disagreeing(self, key: str, value: Any, parse, shown) -> None:
        """Warn, naming both, when a weaker rule read a different value for ``key`` than the one kept."""
        kept = self.raw.source_of(key)
        for other, source in self.raw.others.get(key, []):
            try:
                parsed = parse(other)
            except ValueError:
                continue
            if parsed != value:
                self.warn(key, f"{shown(value)} ({kept.rule}, line {kept.line}) kept over {shown(parsed)} "
                               f"({source.rule}, line {source.line})", source.line)

    def excluded(self) -> str | None:
        """Why the post-mortem is a drill left out of every metric (``tag 'drill'``), or ``None``."""
        value = self.raw.get("exclude_from_metrics")
        if isinstance(value, bool):
            if value:
                self.note_key("exclude_reason", "exclude_from_metrics")
                return "exclude_from_metrics: true"
            return None
        if value is not None and clean(value).lower() in ("yes", "true", "y", "1", "drill"):
            self.note_key("exclude_reason", "exclude_from_metrics")
            return f"exclude_from_metrics: {clean(value)}"
        tags = self.raw.get("tags")
        tags = tags if isinstance(tags, list) else _LIST_SEPARATOR.split(str(tags)) if tags else []
        for tag in tags:
            if tag is not None and drill_word(tag):
                self.note_key("exclude_reason", "tags")
                return f"tag '{clean(tag)}'"
        return None

    def investigation_doc(self) -> tuple[str | None, str | None]:
        value = self.raw.get("investigation_doc")
        if value is None or is_placeholder(value):
            return None, None
        self.note_key("investigation_doc_name", "investigation_doc")
        if isinstance(value, dict):
            name, url = value.get("name"), value.get("url") or value.get("link")
            name = clean(name) if name and not is_placeholder(name) else None
            url = clean(url) if url and not is_placeholder(url) else None
        else:
            text = clean(value)
            link = MARKDOWN_LINK.search(text) or _WIKI_LINK.search(text)
            if link:
                name, url = link.group(1).strip() or None, link.group(2)
            else:
                bare = _BARE_URL.search(text)
                if bare and _URL_SCHEME.match(bare.group(0)):
                    url = bare.group(0).rstrip(").,;")
                    url = url[:-1] if url.endswith("]") and url.count("]") > url.count("[") else url
                    name = (text[: bare.start()] + text[bare.end():]).strip(" -–—:|()<>[]") or None
                else:
                    name, url = text, None
        if url and not _HTTP_URL.match(url):
            self.warn("investigation_doc", f"link '{url[:80]}' is not http(s); dropped")
            url = None
        if url:
            self.note_key("investigation_doc_url", "investigation_doc")
        return name or (url if url else None), url

    # -- time -------------------------------------------------------------
    def zone(self) -> Zone | None:
        """The declared zone; else the zone the timeline's rows carry; else ``None`` (UTC, with a warning)."""
        value = self.raw.get("timezone")
        if value is not None:
            try:
                zone = resolve_timezone(str(value))
                self.note_key("timezone", "timezone")
                self._zone_clash(zone)
                self._disagreeing("timezone", zone, lambda other: zone if same_zone(str(other), str(value))
                                  else resolve_timezone(str(other)), lambda z: z.name)
                return zone
            except ValueError as exc:
                self.warn("timezone", f"{exc}; times read as UTC unless the timeline's rows give theirs")
        for row_zone, line, text in self._row_zones():
            self.note("timezone", Source(line, "the timeline rows' own zone", Source.quote(text)))
            return row_zone
        for key in ("started_at", "resolved_at", "prose.started_at"):
            written = self.raw.get(key)
            if isinstance(written, str) and (own := _own_zone(written)) is not None:
                self.note_key("timezone", key)
                return own
        for moment in self.raw.get("prose.moments") or []:
            own = _own_zone(moment["time"])
            if own is not None:
                self.note("timezone", Source(moment["line"], "a time in the account with its zone",
                                             Source.quote(moment["text"])))
                return own
        if value is None:
            self.warn("timezone", "no timezone declared ('All times are in ...'); times read as UTC")
        return None

    def _row_zones(self) -> list[tuple[Zone, int | None, str]]:
        found = []
        for _, when, _, line in self._timeline_rows():
            if isinstance(when, str):
                zone = _own_zone(when)
                if zone is not None:
                    found.append((zone, line, when))
        return found

    def _zone_clash(self, declared: Zone) -> None:
        for row_zone, line, text in self._row_zones():
            if row_zone.name != declared.name and row_zone.tz.utcoffset(datetime(2020, 1, 1)) != \
                    declared.tz.utcoffset(datetime(2020, 1, 1)):
                self.warn("timezone", f"the timeline's rows give their own zone ({row_zone.name}, e.g. '{text}') "
                                      f"unlike the declared {declared.name}; each row was read in its own zone", line)
                return

    def incident_date(self, zone: Zone) -> tuple[date | None, int | None]:
        """The day the incident started, and (when only a later timeline row gives it) that row's index.

        In order: ``date``/``started_at``; a full date on or before the first timeline row; a
        ``YYYY-MM-DD`` file-name prefix; a full date on a later timeline row (the rows before it are
        then placed backwards from it); a date written in the text (a heading or a sentence).
        """
        day_first = self.raw.day_first
        for key in ("date", "started_at"):
            value = self.raw.get(key)
            if value is None:
                continue
            self._dated_by = key
            if isinstance(value, datetime):
                self.note_key("incident_date", key)
                return (value if value.tzinfo is None else value.astimezone(zone.tz)).date(), None
            if isinstance(value, date):
                self.note_key("incident_date", key)
                return value, None
            found = find_date(clean(value)[:200], day_first)
            if found:
                self.note_key("incident_date", key)
                self._ambiguous(clean(value), key)
                return found[0], None
            self._dated_by = None
            if key == "date":
                self.warn("date", f"'{clean(value)[:80]}' is not a date (write YYYY-MM-DD)")
        rows = self._timeline_rows()
        dated = [(i, day) for i, (day_line, when, _, _) in enumerate(rows)
                 if (day := self._day_of(day_line) or _row_date(when, zone, day_first))]
        if dated and dated[0][0] == 0:
            self.note("incident_date", Source(rows[0][3], "first timeline row's date", Source.quote(str(rows[0][1]))))
            return dated[0][1], None
        named = file_name_date(self.file_stem)
        if named is not None:
            self.note("incident_date", Source(None, "file name", self.file_stem))
            return named, None
        if dated:
            index = dated[0][0]
            self.note("incident_date", Source(rows[index][3], "timeline row's date", Source.quote(str(rows[index][1]))))
            return dated[0][1], index
        prose = self.raw.get("prose.started_at")
        if isinstance(prose, str) and (found := find_date(prose, day_first)):
            self.note_key("incident_date", "prose.started_at")
            return found[0], None
        prose_date = self.raw.get("prose.date")
        if prose_date is not None:
            self.note_key("incident_date", "prose.date")
            return date.fromisoformat(prose_date), None
        year = self.raw.year
        if year is not None:
            for i, (_, when, _, line) in enumerate(rows):
                if isinstance(when, str) and (md := find_month_day(clean(when)[:60], year, day_first)):
                    self.note("incident_date", Source(line, f"timeline row's day, in the file's year {year}",
                                                      Source.quote(when)))
                    return md[0], (i if i else None)
            monthday = self.raw.get("prose.monthday")
            if isinstance(monthday, str) and (md := find_month_day(monthday, year)):
                self.note_key("incident_date", "prose.monthday")
                return md[0], None
        published = self.raw.get("prose.published")
        if published is not None:
            self.note_key("incident_date", "prose.published")
            return date.fromisoformat(published), None
        return None, None

    def _day_of(self, day_line: date | str | None) -> date | None:
        """A date line's day: a date, or a day without its year (``Monday 4 March``) in the file's year."""
        if isinstance(day_line, date) or day_line is None:
            return day_line
        if self.raw.year is None:
            return None
        named = file_name_date(self.file_stem)
        # Nearest the file name's date when the year is its: "Dec 31" in 2026-01-02-fax.md is in 2025.
        md = month_day_near(day_line, named) if named is not None and named.year == self.raw.year else \
            find_month_day(day_line, self.raw.year)
        return md[0] if md else None

    def _ambiguous(self, text: str, key: str) -> None:
        if self.raw.day_first is None and is_ambiguous_date(text):
            self.warn(key, f"'{text[:40]}' could be day/month or month/day and no other date in the file tells; "
                           "read as written in the US (month first) for '/', day first for '-' and '.' "
                           "(write YYYY-MM-DD)")

    def _timeline_rows(self) -> list[tuple[date | None, Any, str, int | None]]:
        """The timeline's timed rows as (day set by a preceding date line, time as written, event, line)."""
        if hasattr(self, "_rows"):
            return self._rows
        rows = self.raw.get("timeline")
        self._rows: list = []
        self._posted: set[int] = set()
        if rows is None:
            return self._rows
        if not isinstance(rows, list):
            self.warn("timeline", "timeline should be a list of {time, event}; ignored")
            return self._rows
        if len(rows) > MAX_TIMELINE_ROWS:
            self.warn("timeline", f"{len(rows)} timeline rows; only the first {MAX_TIMELINE_ROWS} are kept")
            rows = rows[:MAX_TIMELINE_ROWS]
        day_line: date | str | None = None
        search_from = 0
        for row in rows:
            if isinstance(row, dict) and "day" in row and "time" not in row:
                try:
                    day_line = parse_date(row["day"], self.raw.day_first)
                except ValueError:
                    day_line = str(row["day"])
                continue
            line = None
            if isinstance(row, dict):
                (when, what), line = _row_time_and_event(row), row.get("line")
                if line is None and when is not None:
                    line, search_from = self._line_holding(str(when), str(what or ""), search_from)
            elif isinstance(row, str):
                split = split_time(clean(row))
                when, what = split if split else (None, row)
            else:
                when, what = None, str(row)
            description = clean(what) if what is not None and not is_placeholder(what) else ""
            self._rows.append((day_line, when, description, line))
            if isinstance(row, dict) and row.get("posted"):
                self._posted.add(len(self._rows) - 1)
            day_line = None
        return self._rows

    def _line_holding(self, when: str, what: str, start: int) -> tuple[int | None, int]:
        """The line (from ``start`` on) of a YAML timeline row holding this time and event."""
        lines = self.raw.text_lines or []
        for index in range(start, min(len(lines), start + 200)):
            if when in lines[index] and (not what or what[:20] in lines[index] or when + '"' in lines[index]):
                return index + 1, index + 1
        return None, start

    def timeline(self, zone: Zone, on: date, anchor: int | None = None) -> list[TimelineEvent]:
        """The timeline on the calendar: forward from ``on`` (a bare clock time earlier than the row
        before it is the next day, unless going back is the shorter step: then the rows are out of
        order), or, with ``anchor``, forward from that dated row and backwards before it."""
        rows = self._timeline_rows()
        moments: list[datetime | None] = [None] * len(rows)
        first = anchor or 0
        current_day, previous, before_previous, earliest, day_written = on, None, None, None, True
        started_above, afternoon = False, False
        for index in range(first, len(rows)):
            day_line, when, description, line = rows[index]
            if day_line is not None:
                current_day = day_line if isinstance(day_line, date) else \
                    (month_day_near(day_line, current_day) or (current_day,))[0]
                day_written = True
            if when is None:
                continue
            try:
                at, day, backwards = self._timeline_moment(when, zone, current_day, previous, earliest,
                                                           dated=day_line is not None, written=day_written,
                                                           before_previous=before_previous)
            except ValueError as exc:
                self.warn("timeline", f"row {index + 1}: {exc}", line)
                continue
            if isinstance(when, str) and (meridiem := _MERIDIEM.search(when)):
                afternoon = meridiem.group(1).lower() == "p"
            elif backwards and afternoon and isinstance(when, str) and _BARE_MORNING_CLOCK.fullmatch(when):
                # "2:05 PM ... / 2:20 Alert fired": a twelve-hour list writes the meridiem once; a bare time
                # that would go back in the morning goes on in the afternoon.
                at, day, backwards = self._timeline_moment(f"{when} PM", zone, current_day, previous, earliest,
                                                           dated=day_line is not None, written=day_written,
                                                           before_previous=before_previous)
            if (backwards and at < earliest and started_above and day_line is None and isinstance(when, str)  # type: ignore[operator]
                    and index not in self._posted and _RESOLVED_AT.match(description)
                    and not self._carries_date(when, current_day.year)):
                # The template's "Resolved at" below its "Started at" is never before every row above it: a
                # bare clock time there is the next day (16:52 started, 10:54 resolved), however long that
                # makes it. A list running newest first has its start below, and stays as it is.
                day = day + timedelta(days=1)
                at, backwards = parse_timestamp(clean(when), zone, day, day_first=self.raw.day_first), False
                self.warn("timeline", f"row {index + 1} ({description[:40]!r}) is earlier than every row above it: "
                                      f"read as the next day, {day.isoformat()}", line)
            started_above = started_above or (index not in self._posted and _STARTED_AT.match(description) is not None)
            day_written = self._carries_date(when, current_day.year) or day_written and day == current_day
            current_day = day
            if backwards and index not in self._posted:
                self.warn("timeline", f"row {index + 1} ({description[:40]!r}) is earlier than the row before it", line)
            moments[index] = at
            earliest = at if earliest is None else min(earliest, at)
            if previous is None or at > previous or not backwards:
                before_previous, previous = previous, at
        following = moments[first] if first < len(moments) else None
        for index in range(first - 1, -1, -1):
            _, when, _, line = rows[index]
            if when is None or following is None:
                continue
            try:
                day = following.astimezone(zone.tz).date()
                at = parse_timestamp(when, zone, day, day_first=self.raw.day_first)
                if at > following:
                    at = parse_timestamp(when, zone, day - timedelta(days=1), day_first=self.raw.day_first)
            except ValueError as exc:
                self.warn("timeline", f"row {index + 1}: {exc}", line)
                continue
            moments[index] = following = at
        if any(m is not None for m in moments):
            self.sources["timeline"] = FieldSource("timeline", next(r[3] for r in rows if r[3] is not None)
                                                   if any(r[3] is not None for r in rows) else None,
                                                   "timeline rows", f"{sum(m is not None for m in moments)} rows with a time")
        return [TimelineEvent(seq=i + 1, at=moments[i], description=row[2]) for i, row in enumerate(rows)]

    def _carries_date(self, when: Any, year: int) -> bool:
        """Whether a timeline row's time is written with its day (``2025-05-02 10:46``, ``Oct 21 18:46``); kept,
        since each row asks twice."""
        if isinstance(when, datetime):
            return True
        if not isinstance(when, str):
            return False
        dated = self._dated.get((when, year))
        if dated is None:
            text, day_first = clean(when), self.raw.day_first
            dated = self._dated[when, year] = bool(
                find_date(text[:200], day_first) or
                (text[:1].isalpha() or "/" in text[:6]) and find_month_day(text[:40], year, day_first))
        return dated

    def _timeline_moment(self, when: Any, zone: Zone, day: date, previous: datetime | None,
                         first: datetime | None = None, dated: bool = False, written: bool = True,
                         before_previous: datetime | None = None) -> tuple[datetime, date, bool]:
        """The UTC moment of a timeline row, the day later rows continue from, and whether the row goes
        back in time. A bare clock time earlier than the previous row is the next day when that is the
        shorter step (23:50 -> 00:10), else the same day, out of order (10:05 -> 09:58); a later clock
        time is the same day, except after a midnight no date line or row wrote (not ``written``): there it
        may be the day before (23:50, 00:05 -> 23:58), never back to or before the first row, nor to or
        before the row before the previous one (12:01, 00:00 -> 12:01 is the next noon, not the same
        moment again). A row under its own date line (``dated``) stays on that day. On the night clocks go
        back, a clock time earlier than the previous row is in the repeated hour when that is after the
        previous row (01:55 -> 01:45)."""
        day_first = self.raw.day_first
        if isinstance(when, datetime):
            moment = parse_timestamp(when, zone, day)
            return moment, moment.astimezone(zone.tz).date(), previous is not None and moment < previous
        if isinstance(when, int) and not isinstance(when, bool):
            raise ValueError(f"'{when}' is not a time (quote clock times in YAML: \"08:40\")")
        text = clean(when)
        if self._carries_date(text, day.year):
            moment = self._repeated_if_forward(text, zone, day, previous)
            return moment, moment.astimezone(_own_zone(text) or zone).date() if False else \
                moment.astimezone(zone.tz).date(), previous is not None and moment < previous
        moment = self._repeated_if_forward(text, zone, day, previous)
        if previous is None or dated or moment >= previous and (
                written or moment - previous <= timedelta(hours=12) or first is None or
                moment - timedelta(days=1) <= max(first, before_previous or first)):
            return moment, day, previous is not None and moment < previous
        candidates = [(moment, day)]
        for shift in (-1, 1):
            other_day = day + timedelta(days=shift)
            candidates.append((parse_timestamp(text, zone, other_day, day_first=day_first), other_day))
        repeated = parse_timestamp(text, zone, day, fold=1, day_first=day_first)
        if repeated != moment:
            candidates.append((repeated, day))
        candidates = [c for c in candidates if c[1] >= day or first is None or
                      c[0] >= first and (before_previous is None or c[0] > before_previous)]
        forward = [c for c in candidates if c[0] >= previous]
        backward = [c for c in candidates if c[0] < previous]
        best_forward = min(forward, key=lambda c: c[0] - previous) if forward else None
        best_backward = max(backward, key=lambda c: c[0]) if backward else None
        if best_backward is None or best_forward is not None and \
                best_forward[0] - previous <= previous - best_backward[0]:
            return best_forward[0], best_forward[1], False  # type: ignore[index]
        return best_backward[0], best_backward[1], True

    def _repeated_if_forward(self, text: str, zone: Zone, day: date, previous: datetime | None) -> datetime:
        """The clock time on ``day``; its second occurrence (clocks gone back) when only that is not
        before ``previous``."""
        moment = parse_timestamp(text, zone, day, day_first=self.raw.day_first)
        if previous is not None and moment < previous:
            repeated = parse_timestamp(text, zone, day, fold=1, day_first=self.raw.day_first)
            if repeated >= previous:
                return repeated
        return moment

    def _raw_moment(self, key: str, zone: Zone, on: date, after: datetime | None = None) -> datetime | None:
        """A ``started_at``/``resolved_at`` field; a bare clock time before ``after`` is the clock's second
        occurrence when daylight saving ends that night, else the next day."""
        value = self.raw.get(key)
        if value is None:
            return None
        try:
            moment = parse_timestamp(value, zone, on, day_first=self.raw.day_first)
            bare = not isinstance(value, datetime) and not find_date(clean(value)[:200], self.raw.day_first)
            if after is not None and moment < after and bare:
                repeated = parse_timestamp(value, zone, on, fold=1, day_first=self.raw.day_first)
                moment = repeated if repeated >= after else \
                    parse_timestamp(value, zone, on + timedelta(days=1), day_first=self.raw.day_first)
            return moment
        except ValueError as exc:
            self.warn(key.replace("prose.", ""), str(exc))
            return None

    def _timeline_moments(self, inc: Incident) -> dict[str, list[tuple[datetime, int, Source]]]:
        """What the timeline's rows mark: per moment, (time, strength, source) in row order."""
        found: dict[str, list[tuple[datetime, int, Source]]] = {}
        rows = self._timeline_rows()
        for index, (event, row) in enumerate(zip(inc.timeline, rows)):
            if event.at is None:
                continue
            line = row[3]
            quoted = Source.quote(f"{row[1]} {event.description}")
            slot = template_row_kind(event.description) if index not in self._posted else None
            if slot:
                head = _ROW_LABEL_END.split(event.description, maxsplit=1)[0].strip()[:30]
                found.setdefault(slot, []).append((event.at, EXPLICIT, Source(line, f"template row '{head}'", quoted)))
                continue
            kind = timeline_kind(event.description) if index not in self._posted else _status_kind(event.description)
            if kind and index in self._posted:
                found.setdefault(kind[0], []).append(
                    (event.at, POSTED, Source(line, f"status update posted '{kind[1]}'", quoted)))
            elif kind:
                found.setdefault(kind[0], []).append(
                    (event.at, TIMELINE, Source(line, f"timeline word '{kind[1]}'", quoted)))
        return found

    def _place_escalations(self, words: dict, prose: dict, zone: Zone, on: date, started: datetime | None) -> None:
        """Where "Support escalated ..." rows and sentences go: the detection when nothing at or before it
        detected (a row, a sentence or the Detected at field) or responded; else, as any "escalated" row, the
        response, but only the first escalation and only strictly after a detection; else neither (more
        of what engineering already knew). A sentence's bare time before the start is on the next day, as
        everywhere (:func:`_next_day_if_before`)."""
        def when(moments: list, home: dict) -> list[datetime]:
            return [m[0] for m in (_next_day_if_before(moments, started) if home is prose else moments)]

        found = [(home, home.pop("escalated", [])) for home in (words, prose)]
        escalations = sorted([(t, m, home) for home, moments in found for m, t in zip(moments, when(moments, home))],
                             key=lambda e: e[0])
        if not escalations:
            return
        detections = when(words.get("detected", []), words) + when(prose.get("detected", []), prose)
        stated = self.raw.get("detected_at")
        if stated is not None:
            try:
                parse_timestamp(stated, zone, on, day_first=self.raw.day_first)
            except ValueError:
                pass
            else:
                detected = self._raw_moment("detected_at", zone, on, after=started)
                if detected is not None:
                    detections.append(detected)
        responses = when(words.get("responded", []), words) + when(prose.get("responded", []), prose)
        for index, (at, escalation, home) in enumerate(escalations):
            if not any(t <= at for t in detections + responses):
                kind = "detected"
                detections.append(at)
            elif index == 0 and any(t < at for t in detections) and not any(t <= at for t in responses):
                kind = "responded"
                responses.append(at)
            else:
                continue
            # Earliest of its kind now: first in the prose's document order too.
            home.setdefault(kind, []).insert(0, escalation)

    def _prose_moments(self, zone: Zone, on: date) -> dict[str, list[tuple[datetime, int, Source]]]:
        """What the prose states, by kind, in document order (each a weak, PROSE-strength reading)."""
        found: dict[str, list[tuple[datetime, int, Source]]] = {}
        rows = self.raw.get("prose.moments") or []
        for row in rows if isinstance(rows, list) else []:
            try:
                moment = parse_timestamp(row["time"], zone, on, day_first=self.raw.day_first)
            except ValueError:
                continue
            rule = f"prose: '{row['words']}'" if row["words"] else "prose: a time in the account"
            found.setdefault(row["kind"], []).append((moment, PROSE, Source(row["line"], rule, Source.quote(row["text"]))))
        return found

    def _strongest(self, candidates: list[tuple[datetime, int, Source]], last: bool = False
                   ) -> tuple[datetime, int, Source] | None:
        """The candidate of the strongest rule; among equals the earliest (or with ``last``, the latest)."""
        if not candidates:
            return None
        best = max(c[1] for c in candidates)
        chosen = [c for c in candidates if c[1] == best]
        return max(chosen, key=lambda c: c[0]) if last else min(chosen, key=lambda c: c[0])

    def place_phases(self, inc: Incident, zone: Zone, on: date) -> None:
        """Set started/resolved (and the moments in between) from the fields, the timeline's words or
        prose, strongest first; then each phase's timestamp from the durations, or each duration from
        the timestamps where the post-mortem gives moments but no durations."""
        words = self._timeline_moments(inc)
        prose = self._prose_moments(zone, on)
        started_field = self._raw_moment("started_at", zone, on)
        started_c = list(words.get("started", []))
        if started_field is not None:
            started_c.insert(0, (started_field, EXPLICIT, self.raw.source_of("started_at")))
        prose_start = self._raw_moment("prose.started_at", zone, on)
        if prose_start is not None:
            started_c.append((prose_start, PROSE, self.raw.source_of("prose.started_at")))
        started_c.extend(prose.get("started", [])[:1])
        if not started_c:
            # A time in the account starts the incident only before anyone noticed or answered it.
            detected_first = min((m[0] for kind in ("detected", "escalated", "responded")
                                  for m in words.get(kind, []) + prose.get(kind, [])), default=None)
            earliest = sorted((m for m in prose.get("failing", []) + prose.get("time", [])
                               if detected_first is None or m[0] < detected_first), key=lambda m: m[0])
            started_c.extend(earliest[:1])
        started_pick = self._strongest(started_c)
        started = started_pick[0] if started_pick else None
        self._place_escalations(words, prose, zone, on, started)
        resolved_field = self._raw_moment("resolved_at", zone, on, after=started)
        resolved_c = list(words.get("resolved", []))
        if resolved_field is not None:
            resolved_c.append((resolved_field, EXPLICIT + 1, self.raw.source_of("resolved_at")))
        prose_end = self._raw_moment("prose.resolved_at", zone, on, after=prose_start or started)
        if prose_end is not None:
            resolved_c.append((prose_end, PROSE, self.raw.source_of("prose.resolved_at")))
        resolved_c.extend(_next_day_if_before(prose.get("resolved", [])[-1:], started))
        resolved_pick = self._strongest([c for c in resolved_c if started is None or c[0] >= started], last=True)
        if resolved_pick is None and resolved_c and started is not None:
            bad = self._strongest(resolved_c, last=True)
            if bad is not None and bad[0] < started:
                self.warn("resolved_at", f"resolved at {_hhmm(bad[0], zone)} is before started at {_hhmm(started, zone)}; "
                                         "resolution time dropped", bad[2].line)
        resolved = resolved_pick[0] if resolved_pick else None
        for name, pick, candidates in (("started_at", started_pick, started_c), ("resolved_at", resolved_pick, resolved_c)):
            if pick is None:
                continue
            self.note(name, pick[2])
            for other in candidates:
                if other is not pick and other[1] >= TIMELINE and \
                        abs((other[0] - pick[0]).total_seconds()) / 60 > PHASE_DISAGREEMENT_MIN and \
                        pick[1] > TIMELINE and other[1] != pick[1]:
                    self.warn(name.replace("_at", ""), f"{_hhmm(pick[0], zone)} ({pick[2].rule}, line {pick[2].line}) "
                                                       f"kept over {_hhmm(other[0], zone)} ({other[2].rule}, line "
                                                       f"{other[2].line})", other[2].line)
        moments = {}
        for kind, attr in _MOMENT_OF_KIND.items():
            pick = self._strongest(words.get(kind, []) + _next_day_if_before(prose.get(kind, [])[:1], started))
            if kind in ("detected", "responded", "understood", "mitigated"):
                key = f"{kind}_at"
                field = self._raw_moment(key, zone, on, after=started)
                if field is not None:
                    pick = (field, EXPLICIT, self.raw.source_of(key))
            if pick is not None and (started is None or pick[0] >= started) and (resolved is None or pick[0] <= resolved):
                moments[attr] = pick
        inc.started_at = started
        stamps: dict[str, datetime | None] = {"started_at": started}
        for duration_attr, end_attr, start_attr in PHASES:
            begin, minutes = stamps.get(start_attr), getattr(inc, duration_attr)
            word = moments.get(end_attr)
            if begin is not None and minutes is not None:
                stamps[end_attr] = begin + timedelta(minutes=minutes)
                if end_attr != "resolved_at":
                    self.derived(end_attr, f"{start_attr.replace('_at', '')} + {_PHASE_LABEL[duration_attr]}",
                                 start_attr, duration_attr)
                if word is not None and abs((word[0] - stamps[end_attr]).total_seconds()) / 60 > PHASE_DISAGREEMENT_MIN:  # type: ignore[operator]
                    self.warn("timing", f"{_PHASE_LABEL[duration_attr]} puts {end_attr.replace('_at', '')} at "
                                        f"{_hhmm(stamps[end_attr], zone)}, but the timeline says {_hhmm(word[0], zone)} "  # type: ignore[arg-type]
                                        f"({word[2].rule}, line {word[2].line}); kept the stated duration", word[2].line)
            elif word is not None and end_attr != "resolved_at":
                stamps[end_attr] = word[0]
                self.note(end_attr, word[2])
                if begin is not None and minutes is None and word[0] >= begin:
                    setattr(inc, duration_attr, round((word[0] - begin).total_seconds() / 60, 4))
                    self.derived(duration_attr, f"{end_attr.replace('_at', '')} − {start_attr.replace('_at', '')}",
                                 end_attr, start_attr)
            else:
                stamps[end_attr] = None
        derived_resolved = stamps["resolved_at"]
        if resolved is not None:
            stamps["resolved_at"] = resolved
            for duration_attr, end_attr, start_attr in reversed(PHASES):
                if stamps[start_attr] is None and stamps[end_attr] is not None and getattr(inc, duration_attr) is not None:
                    stamps[start_attr] = stamps[end_attr] - timedelta(minutes=getattr(inc, duration_attr))  # type: ignore[assignment, operator]
                    self.derived(start_attr, f"{end_attr.replace('_at', '')} − {_PHASE_LABEL[duration_attr]}",
                                 end_attr, duration_attr)
            # The one phase left unstated between a moment worked out forward and one worked back: the
            # difference (start + 17 + ? + 39 + 16 + 22 = resolved gives the ?).
            for duration_attr, end_attr, start_attr in PHASES:
                begin, end = stamps.get(start_attr), stamps.get(end_attr)
                if getattr(inc, duration_attr) is not None or begin is None or end is None:
                    continue
                if end < begin:
                    self.warn("timing", f"{_PHASE_LABEL[duration_attr]} would be negative ({end_attr.replace('_at', '')} "
                                        f"{_hhmm(end, zone)} is before {start_attr.replace('_at', '')} "
                                        f"{_hhmm(begin, zone)}), so it is left unknown")
                    continue
                setattr(inc, duration_attr, round((end - begin).total_seconds() / 60, 4))
                self.derived(duration_attr, f"{end_attr.replace('_at', '')} − {start_attr.replace('_at', '')}",
                             end_attr, start_attr)
            if derived_resolved is not None:
                gap = abs((derived_resolved - resolved).total_seconds()) / 60
                if gap > PHASE_DISAGREEMENT_MIN:
                    self.warn("timing", f"start + the phase durations gives resolution at {_hhmm(derived_resolved, zone)}, "
                                        f"but the timeline says {_hhmm(resolved, zone)} ({gap:.0f} min apart); "
                                        "kept the timeline's")
        elif derived_resolved is not None:
            self.derived("resolved_at", "solution + time to full recovery", "solution_at", "time_to_full_recovery_min")
        if stamps["started_at"] is None and started is None and stamps.get("detected_at") is None:
            pass
        total = self.duration("timing.total_duration")
        total_source = self.raw.source_of("timing.total_duration") if total is not None else None
        if stamps["resolved_at"] is None and stamps["started_at"] is not None and total is not None:
            stamps["resolved_at"] = stamps["started_at"] + timedelta(minutes=total)
            self.note("duration_min", total_source)
            self.derived("resolved_at", "started + stated duration", "started_at", "duration_min")
        for _, end_attr, _ in PHASES:
            setattr(inc, end_attr, stamps[end_attr])
        partial_attr, partial_end, partial_start = PARTIAL_RECOVERY
        begin, minutes = stamps.get(partial_start), getattr(inc, partial_attr)
        mitigated = moments.get(partial_end)
        to_mitigate = self.duration("timing.time_to_mitigate")
        if begin is not None and minutes is not None:
            inc.partially_recovered_at = begin + timedelta(minutes=minutes)
            self.derived(partial_end, "responding + time to partial recovery", partial_start, partial_attr)
            self._disagrees(inc.partially_recovered_at, mitigated, "time to partial recovery", zone)
        elif to_mitigate is not None and begin is not None and (
                stamps["started_at"] is None or stamps["started_at"] + timedelta(minutes=to_mitigate) < begin):
            # Counted from the start it would come before the response: the author chained it, as the
            # template's time to partial recovery.
            inc.time_to_partial_recovery_min = to_mitigate
            inc.partially_recovered_at = begin + timedelta(minutes=to_mitigate)
            self.note_key(partial_attr, "timing.time_to_mitigate")
            self.derived(partial_end, "responding + time to mitigate", partial_start, partial_attr)
            self._disagrees(inc.partially_recovered_at, mitigated, "time to mitigate (counted from responding)", zone)
        elif to_mitigate is not None and stamps["started_at"] is not None:
            inc.partially_recovered_at = stamps["started_at"] + timedelta(minutes=to_mitigate)
            source = self.raw.source_of("timing.time_to_mitigate")
            self.derived(partial_end, f"started + time to mitigate ({to_mitigate:g} min, line {source.line})",
                         "started_at")
            self._disagrees(inc.partially_recovered_at, mitigated, "time to mitigate (counted from the start)", zone)
            if begin is not None:
                inc.time_to_partial_recovery_min = round((inc.partially_recovered_at - begin).total_seconds() / 60, 4)
                self.derived(partial_attr, "mitigated − responding", partial_end, partial_start)
        elif mitigated is not None:
            inc.partially_recovered_at = mitigated[0]
            self.note(partial_end, mitigated[2])
            if begin is not None and minutes is None and mitigated[0] >= begin:
                inc.time_to_partial_recovery_min = round((mitigated[0] - begin).total_seconds() / 60, 4)
                self.derived(partial_attr, "mitigated − responding", partial_end, partial_start)
        inc.started_at = stamps["started_at"]
        if inc.started_at is not None and inc.resolved_at is not None:
            inc.duration_min = round((inc.resolved_at - inc.started_at).total_seconds() / 60, 4)
            self.derived("duration_min", "resolved − started", "resolved_at", "started_at")
            if total is not None and abs(total - inc.duration_min) > PHASE_DISAGREEMENT_MIN:
                weakest = min(self.raw.strengths.get("timing.total_duration", EXPLICIT),
                              *(p[1] for p in (started_pick, resolved_pick) if p))
                stated_strength = self.raw.strengths.get("timing.total_duration", EXPLICIT)
                # "About 2 hours" rounds what the moments give exactly: it never wins over them.
                if (started_pick and resolved_pick and min(started_pick[1], resolved_pick[1]) < stated_strength
                        and not self._approximate("timing.total_duration")):
                    self.warn("timing", f"the stated duration {total:g} min ({total_source.rule}, line {total_source.line}) "  # type: ignore[union-attr]
                                        f"kept over resolved − started = {inc.duration_min:g} min")
                    inc.duration_min = total
                    self.note("duration_min", total_source)
                elif weakest:
                    self.warn("timing", f"the stated duration {total:g} min ({total_source.rule}, line "  # type: ignore[union-attr]
                                        f"{total_source.line}) disagrees with resolved − started = "  # type: ignore[union-attr]
                                        f"{inc.duration_min:g} min; kept the timeline's")
        elif total is not None:
            inc.duration_min = total
            self.note("duration_min", total_source)

    # -- values -----------------------------------------------------------
    def _disagrees(self, derived: datetime, stated: tuple[datetime, int, Source] | None, how: str, zone: Zone) -> None:
        """Warn when a moment worked out from a stated duration is more than a few minutes from the one the
        document states (the duration is kept, as for every phase)."""
        if stated is not None and abs((stated[0] - derived).total_seconds()) / 60 > PHASE_DISAGREEMENT_MIN:
            self.warn("timing", f"{how} puts partial recovery at {_hhmm(derived, zone)}, but {stated[2].rule} "
                                f"(line {stated[2].line}) says {_hhmm(stated[0], zone)}; kept the stated duration",
                      stated[2].line)

    def duration(self, key: str) -> float | None:
        value = self._number(key, parse_duration_min, "{:g} min")
        return None if value is None else float(value)

    def count(self, key: str) -> int | None:
        def read(written):
            return parse_count(_own_count(written, key))
        value = self._number(key, read, "{:,}")
        if value is None:
            return None
        self._disagreeing(key, value, lambda other: _exact(read(other)), "{:,}".format)
        return int(value)

    def _approximate(self, key: str) -> bool:
        """Whether the field's value is written as approximate (``~15 min``, ``about 2 hours``)."""
        value = self.raw.get(key)
        try:
            return value is not None and parse_duration_min(value).approximate
        except ValueError:
            return False

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
        self.note_key("apps", "blast_radius.apps")
        entries = value if isinstance(value, list) else [value]
        apps: list[AffectedApp] = []
        for entry in entries:
            if isinstance(entry, dict):
                audience = _audience(str(entry.get("audience") or ""))
                platforms = _platforms(str(entry.get("platform") or "All"))
                found = [AffectedApp(a, p) for a in _audiences_or_none(audience) for p in platforms]
                if not platforms:
                    self.warn("blast_radius.apps", f"unknown platform '{entry.get('platform')}'")
            else:
                found = self._apps_from_text(clean(entry))
            for app in found:
                if app not in apps:
                    apps.append(app)
        return apps

    def _apps_from_text(self, text: str) -> list[AffectedApp]:
        """Apps from ``Patient iOS & Android`` or ``Patient and Provider Web``: an audience carries to
        the platforms after it, and a platform to the audiences before it that name none."""
        found: list[AffectedApp] = []
        for group in _APP_SEPARATOR.split(text[:2000]):
            found.extend(self._joined_apps(group))
        return found

    def _joined_apps(self, group: str) -> list[AffectedApp]:
        """One comma-separated entry, whose parts joined by and/&/+ share an audience or platform."""
        parts: list[list[Any]] = []  # [audiences, platforms, text], platforms filled in below
        for part in _APP_JOINER.split(group):
            if not part or is_placeholder(part):
                continue
            audiences, platforms = _audience(part), _platforms(part)
            if not audiences and not platforms:
                self.warn("blast_radius.apps", f"'{part}' names no known platform (Web, iOS, Android, CWS APIs, All)")
                continue
            parts.append([audiences, platforms, part.strip()])
        for i, part in enumerate(parts):
            if not part[1]:
                part[1] = next((later[1] for later in parts[i + 1:] if later[1]), None)
                if part[1] is None:
                    part[1] = ["All"]
                    other = _APP_FILLER.sub("", _AUDIENCE_WORDS.sub("", part[2])).strip(" -–—/()")
                    if other:
                        self.warn("blast_radius.apps", f"'{part[2]}': '{other}' is no known platform (Web, iOS, "
                                                       f"Android, CWS APIs); read as {', '.join(part[0])}, all platforms")
        for i, part in enumerate(parts):
            if not part[0] and i > 0:
                part[0] = parts[i - 1][0]
        found: list[AffectedApp] = []
        for audiences, platforms, _ in parts:
            found.extend(AffectedApp(a, p) for a in _audiences_or_none(audiences) for p in platforms)
        return found

    def teams(self) -> list[str]:
        value = self.raw.get("teams")
        if value is None:
            return []
        self.note_key("teams", "teams")
        entries = value if isinstance(value, list) else _team_names(clean(value))
        teams: list[str] = []
        for entry in entries:
            if isinstance(entry, dict):
                entry = entry.get("name", entry.get("team"))
            if entry is None or is_placeholder(entry):
                continue
            name = _TEAM_WORD.sub("", _BRACKETED_REMARK.sub("", clean(entry))).strip(" .")
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
                    reviewed_on = parse_date(when, self.raw.day_first)
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
            rows = [_grouped_item(r, p) for p, group in rows.items()
                    for r in (group if isinstance(group, list) else [group] if group is not None else [])]
        if not isinstance(rows, list):
            self.warn("action_items", "action_items should be a list; ignored")
            return []
        self.note_key("action_items", "action_items")
        if len(rows) > MAX_ACTION_ITEMS:
            self.warn("action_items", f"{len(rows)} action items; only the first {MAX_ACTION_ITEMS} are kept")
            rows = rows[:MAX_ACTION_ITEMS]
        anchor = inc.resolved_at or inc.started_at
        if anchor is None and inc.incident_date is not None:
            anchor = datetime.combine(inc.incident_date, datetime.min.time(), timezone.utc)
        items: list[ActionItem] = []
        for seq, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                row = (action_from_text(str(row)) if row is not None else None) or {}
            row = _action_row(row)
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
                    completed_on = parse_date(completed, self.raw.day_first)
                except ValueError as exc:
                    self.warn("action_items", f"action item {seq}: {exc}", line)
            due_at = anchor + timedelta(hours=DEADLINE_HOURS[priority]) if priority and anchor else None
            ticket = row.get("ticket")
            ticket_url = row.get("ticket_url") or row.get("url")
            if ticket is not None and not is_placeholder(ticket) and ticket_url is None:
                link = MARKDOWN_LINK.search(str(ticket))
                if link:
                    ticket, ticket_url = link.group(1), link.group(2)
                elif _HTTP.match(str(ticket)):
                    ticket_url = str(ticket)
            if ticket_url and not _HTTP_URL.match(str(ticket_url)):
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
        m = _PRIORITY.fullmatch(clean(value))
        if not m:
            self.warn("action_items", f"action item {seq}: priority '{clean(value)}' is not P0, P1 or P2", line)
            return None
        return f"P{m.group(1)}"

    def _status(self, value: Any, completed: Any, seq: int, line: int | None) -> str:
        if value is None or is_placeholder(value):
            return "done" if completed not in (None, False) and not is_placeholder(completed) else "open"
        if isinstance(value, bool):
            return "done" if value else "open"
        text = clean(value).lower().replace("'", "").replace("’", "").strip(" .!")
        # "Complete ✔", "Done ✅", or the mark alone.
        bare = text.strip(_CHECK_MARKS)
        if text and not bare:
            return "done"
        text = bare
        if _DONE_STATUS.fullmatch(text):
            return "done"
        if _WONTFIX_STATUS.fullmatch(text):
            return "wontfix"
        if _OPEN_STATUS.fullmatch(text):
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
        """One warning naming the template fields :meth:`empty_fields` found empty, optional ones aside."""
        unfilled = {*inc.placeholder_fields, *inc.missing_fields}
        names = [f"{label} (placeholder)" if attr in inc.placeholder_fields else label
                 for label, attr in TEMPLATE_FIELDS if attr in unfilled and attr not in _OPTIONAL]
        if names:
            self.warn(None, "not filled in: " + ", ".join(names))


# The template's own timeline rows (``Started at: ...``, ``Resolved at: ...``), by their label only.
_MERIDIEM = re.compile(r"\d[ \t]?([aApP])\.?[ \t]?[mM]\b")
_BARE_MORNING_CLOCK = re.compile(r"\s*(?:0?[1-9]|1[01])[:.][0-5]\d\s*")
_STARTED_AT = re.compile(r"\s*started at\b", re.I)
_RESOLVED_AT = re.compile(r"\s*resolved at\b", re.I)
_LIST_SEPARATOR = re.compile(r"[,;]")
# Confluence's wiki markup: [name|https://...].
_WIKI_LINK = re.compile(r"\[([^\]|]{0,500})\|([a-z][a-z0-9+.-]{0,20}:[^\]\s|]{1,2000})\]", re.I)
_BARE_URL = re.compile(r"\b[a-z][a-z0-9+.-]{0,20}:[^\s<>]{1,2000}", re.I)
_URL_SCHEME = re.compile(r"(https?|javascript|data|file|ftp|vbscript):", re.I)
_HTTP = re.compile(r"https?://")
_HTTP_URL = re.compile(r"https?://[^\s/]+", re.I)
_ROW_LABEL_END = re.compile(r"\s*[:–—-]")
_APP_SEPARATOR = re.compile(r"\s*[,;\n]\s*")
_APP_JOINER = re.compile(r"\s*(?:\band\b|&|\+)\s*")
_TEAM_SEPARATOR = re.compile(r"\s*(?:,|;|\n|\s/\s)\s*")
_TEAM_JOINER = re.compile(r"\s*(?:\band\b|&)\s*")
_BRACKETED_REMARK = re.compile(r"\s*\([^()]*\)")
# "3 (Payments, Platform, SRE)": the template asks for a number, the author gave the names too.
_COUNT_THEN_TEAMS = re.compile(r"\d+\s*\((.+)\)\s*")


def _team_names(text: str) -> list[str]:
    """Team names from a written list: ``Payments (Ana, Raj), Platform and SRE`` -> Payments, Platform, SRE.
    Commas inside brackets belong to the remark, not the list."""
    if (counted := _COUNT_THEN_TEAMS.fullmatch(text)) is not None:
        text = counted.group(1)
    return [name for part in _TEAM_SEPARATOR.split(_BRACKETED_REMARK.sub("", text)) for name in _TEAM_JOINER.split(part)]
_TEAM_WORD = re.compile(r"\s+team$", re.I)
_PRIORITY = re.compile(r"p\s*-?\s*([0-2])", re.I)
_CHECK_MARKS = " ✅✔☑✓\ufe0f"
_DONE_STATUS = re.compile(r"(done|complete[d]?|closed|fixed|resolved|finished|merged|shipped|x)")
_WONTFIX_STATUS = re.compile(r"(wontfix|wont ?fix|wont ?do|cancel+ed|dropped|obsolete|not doing|rejected)")
_OPEN_STATUS = re.compile(r"(open|todo|to do|in progress|in-progress|started|blocked|pending|not started|new)")
_STATUS_WORD_END = re.compile(r"[\s:–—-]")
_OWN_ZONE = re.compile(r"\d(?:\s?[ap]\.?\s?m\.?)?[\s(\[]*([A-Za-z][A-Za-z/_]{0,30}(?:\s?[+-]\d{1,2}(?::?\d{2})?)?)[)\]]?\s*$",
                       re.I)
# An offset after an ISO clock (``T09:26``) or a clock with seconds: never a range's end or time elapsed.
_OWN_OFFSET = re.compile(r"(?:T\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?|:\d{2}:\d{2}(?:\.\d+)?)\s?([+-]\d{2}:?\d{2}|Z)$")
_AUDIENCE_WORDS = re.compile(rf"\b(?:{'|'.join(AUDIENCES)})s?\b", re.I)
_APP_FILLER = re.compile(r"\b(?:apps?|applications?|users?|side|facing|experience)\b|[-–—/()]", re.I)
_AUDIENCES_RX = [(audience, re.compile(rf"\b{audience}s?\b", re.I)) for audience in AUDIENCES]
_PLATFORMS_RX = [(platform, re.compile(rx, re.I)) for platform, rx in (
    ("Web", r"\bweb\b"), ("iOS", r"\bios\b"), ("Android", r"\bandroid\b"), ("CWS APIs", r"\bcws\b|\bapis?\b"),
    ("All", r"\ball\b|\bevery(thing)?\b"))]
_APPROVED = re.compile(r"lgtm|approved|looks good")
_NOT_REVIEWED = re.compile(r"not reviewed|pending|waiting|in review|to review")
_CHANGES_REQUESTED = re.compile(r"changes requested|declined|rejected")


# An action item's keys as other teams' tools write them.
_ACTION_KEY_ALIASES = {
    "task": "description", "item": "description", "summary": "description", "text": "description",
    "assignee": "owner", "assigned_to": "owner", "responsible": "owner",
    "jira": "ticket", "issue": "ticket", "bug": "ticket", "ticket_id": "ticket", "link": "ticket_url",
    "completed_on": "completed", "completed_at": "completed", "done_on": "completed", "closed_on": "completed",
    "date_completed": "completed", "resolved_on": "completed", "state": "status", "done": "status",
}


def _action_row(row: dict) -> dict:
    """An action item mapping under this tool's keys (``task``, ``assignee``, ``jira``, ``completed_on``
    are description, owner, ticket, completed); a key the row also writes in this tool's name wins."""
    named = {snake_key(str(key)): value for key, value in row.items()}
    for alias, key in _ACTION_KEY_ALIASES.items():
        if alias in named and named.get(key) is None:
            named[key] = named[alias]
    return named


def _grouped_item(row: Any, priority: Any) -> dict:
    """An item under its priority (``P1: [...]``): a mapping, or a line read as a flat list's line is."""
    if not isinstance(row, dict):
        row = (action_from_text(str(row)) if row is not None else None) or {"description": row}
    return dict(row, priority=row.get("priority", priority))


def _row_date(when: Any, zone: Zone, day_first: bool | None = None) -> date | None:
    """The calendar date a timeline row's time carries, if it carries one."""
    if isinstance(when, datetime):
        return (when if when.tzinfo is None else when.astimezone(zone.tz)).date()
    if isinstance(when, date):
        return when
    found = find_date(clean(when)[:200], day_first) if isinstance(when, str) else None
    return found[0] if found else None


_STATUS_KINDS = {"resolved": "resolved", "completed": "resolved", "monitoring": "mitigated", "mitigated": "mitigated",
                 "identified": "understood"}


def _status_kind(description: str) -> tuple[str, str] | None:
    """What a status page's update marks, by its status word: Resolved, Monitoring (mitigated), Identified."""
    word = _STATUS_WORD_END.split(description, maxsplit=1)[0].lower()
    return (_STATUS_KINDS[word], word.capitalize()) if word in _STATUS_KINDS else None


def _next_day_if_before(moments: list[tuple[datetime, int, Source]], started: datetime | None
                        ) -> list[tuple[datetime, int, Source]]:
    """Prose moments with a bare clock time earlier than the start are on the next day."""
    return [(m + timedelta(days=1), s, src) if started is not None and m < started and
            (started - m) > timedelta(hours=1) else (m, s, src) for m, s, src in moments]


def _own_zone(when: str) -> Zone | None:
    """The zone a time written as text carries itself (``7:09 AM Eastern``, ``18:46 UTC``,
    ``2024-02-11T09:26:00+01:00``), if any."""
    text = clean(when)[:120].strip()
    if iso := _OWN_OFFSET.search(text):
        return resolve_timezone(iso.group(1))
    m = _OWN_ZONE.search(text)
    if not m or m.group(1).lower() in ("am", "pm", "a", "p"):
        return None
    try:
        return resolve_timezone(m.group(1))
    except ValueError:
        return None


def _audiences_or_none(audiences: list[str]) -> list[str | None]:
    """The audiences, or one unknown audience when none is named."""
    return list(audiences) if audiences else [None]


def _audience(text: str) -> list[str]:
    found = []
    for audience, rx in _AUDIENCES_RX:
        if rx.search(text):
            found.append(audience)
    return found


def _platforms(text: str) -> list[str]:
    found = []
    for platform, rx in _PLATFORMS_RX:
        if rx.search(text):
            found.append(platform)
    if "All" in found and len(found) > 1:
        found.remove("All")
    return found


def _review_state(value: Any) -> str | None:
    if value is None or is_placeholder(value):
        return None
    text = clean(value)
    low = text.lower()
    if _APPROVED.search(low):
        return "LGTM"
    if _NOT_REVIEWED.search(low):
        return "Not Reviewed"
    if _CHANGES_REQUESTED.search(low):
        return "Changes requested"
    return text


# A YAML timeline row's time and event, under the keys other teams' tools write.
_ROW_TIME_KEYS = ("time", "at", "ts", "timestamp", "when", "datetime", "date_time")
_ROW_EVENT_KEYS = ("event", "description", "what", "text", "summary", "note", "message", "details", "update")


def _first_key(row: dict, keys: tuple[str, ...]) -> Any:
    return next((row[key] for key in keys if row.get(key) is not None), None)


def _row_time_and_event(row: dict) -> tuple[Any, Any]:
    """A YAML timeline row's time and event: ``{time: "11:00", date: 2024-05-30, event: ...}`` is that day's
    11:00; ``{"09:00": "Alert fired"}`` a row keyed by its time."""
    if len(row) == 1 and isinstance(key := next(iter(row)), str) and split_time(f"{key} x") is not None:
        return key, row[key]
    when, what = _first_key(row, _ROW_TIME_KEYS), _first_key(row, _ROW_EVENT_KEYS)
    day = row.get("date")
    if isinstance(when, str) and day is not None and not isinstance(day, datetime) and find_date(when) is None:
        when = f"{day} {when}"
    return when, what


def _exact(parsed):
    """A parsed number's value; an approximate one ("about 50") is no disagreement with an exact one."""
    if parsed.approximate:
        raise ValueError("approximate")
    return parsed.value


def _own_count(value: object, key: str) -> object:
    """The part of a blast radius value its own noun counts: ``about 900`` of ``1,480 refill requests (about
    900 patients)``; the value as written when it names no such count."""
    if isinstance(value, str) and key.startswith("blast_radius."):
        for found_key, found, _ in prose_blast_radius(value):
            if found_key == key:
                return found
    return value


def _hhmm(moment: datetime, zone: Zone) -> str:
    return moment.astimezone(zone.tz).strftime("%Y-%m-%d %H:%M")

