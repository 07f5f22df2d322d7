"""The post-mortem template filled in as Markdown or plain text -> :class:`RawDoc`.

Editors export the template in many shapes: tab-separated rows (as the
template itself), pipe tables, ``Label: value`` lines, bullets, headings as
plain lines, ``#`` headings or bold lines. Every line is classified once; a
line's meaning then depends on the section it is in. Labels are matched
case-insensitively, ignoring the template's parenthesised explanations.
Labels from other well-known templates (Google SRE book and common variants)
map onto the same fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pm_analytics.parse.raw import RawDoc
from pm_analytics.parse.values import clean, find_clock, find_date, is_placeholder

# (pattern over the normalised label, dotted key). First match wins; patterns are anchored at the start.
_FIELD_LABELS = [
    (r"investigation doc(ument)?s?( link)?$", "investigation_doc"),
    (r"(incident )?title$", "title"),
    (r"(incident )?id$", "id"),
    (r"(authors?|facilitators?|written by|owner of (the )?post ?mortem)$", "author"),
    (r"(incident )?sev(erity)?( level)?$", "severity"),
    (r"(incident )?date$", "date"),
    (r"(time ?zone|tz)$", "timezone"),
    (r"(number of )?clinics( affected)?$", "blast_radius.clinics"),
    (r"(number of )?providers( affected)?$", "blast_radius.providers"),
    (r"(number of )?patients( affected)?$", "blast_radius.patients"),
    (r"(apps ?/? ?apis|apps|apis|applications)( affected)?$", "blast_radius.apps"),
    (r"time to detect(ion)?( the issue)?$", "timing.time_to_detect"),
    (r"time to (response|respond)$", "timing.time_to_response"),
    (r"time to understand( the issue)?$", "timing.time_to_understand"),
    (r"time to partial recovery$", "timing.time_to_partial_recovery"),
    (r"time to (solution|fix|mitigat(e|ion))$", "timing.time_to_solution"),
    (r"time to full recovery$", "timing.time_to_full_recovery"),
    (r"(time to (recovery|recover|repair|resolve|resolution|restore)|(total )?duration|mttr)$", "timing.total_duration"),
    (r"(number of )?tech ?ops engineers( involved)?$", "participants.techops_engineers"),
    (r"(number of )?software engineers( involved)?$", "participants.software_engineers"),
    (r"(number of )?security engineers( involved)?$", "participants.security_engineers"),
    (r"teams?( involved)?( list)?$", "teams"),
    (r"(started at|start(ed)?|start time|incident start(ed)?( at)?)$", "started_at"),
    (r"(resolved at|resolved|end(ed)?|end time|resolution time|incident (end|resolved)( at)?)$", "resolved_at"),
    (r"(exclude from metrics|drill)$", "exclude_from_metrics"),
    (r"tags?$", "tags"),
]
_FIELD_LABELS_RX = [(re.compile(p), key) for p, key in _FIELD_LABELS]

# Section titles: (pattern over the normalised title, section, action-item priority).
_SECTIONS = [
    (r"reviewers?( list of stakeholders)?$|(list of )?stakeholders$|approvals?$", "reviewers", None),
    (r"impact( summary)?$", "impact_summary", None),
    (r"(executive )?summary$", "summary", None),
    (r"timeline( summary)?\b.*$", "timeline", None),
    (r"incident response metrics$", "fields", None),
    (r"blast radius$", "fields", None),
    (r"timing( of the response)?$|response times?$|metrics$", "fields", None),
    (r"participants$|people involved$", "fields", None),
    (r"teams? involved( list)?$", "teams", None),
    (r"what went well$|things that went well$", "went_well", None),
    (r"what (did not|didn t|didnt) go (so )?well$|what went (wrong|poorly|badly)$|things that went wrong$", "went_wrong", None),
    (r"where (did )?we (get|got) lucky$|where we got lucky$|what was lucky$", "got_lucky", None),
    (r"why did it happen$|root causes?( analysis)?$|contributing factors$|trigger$|5 whys$|five whys$", "why", None),
    (r"lessons learn(ed|t)$", "why", None),
    (r"p([0-2]) action items?\b.*$", "action_items", "P{0}"),
    (r"(action items?|follow ?up (tasks|items|actions)|remediations?( items)?|corrective actions)\b.*$", "action_items", None),
    (r"(resolution|detection|supporting information|glossary|background|appendix|notes|status)$", "ignored", None),
]
_SECTIONS_RX = [(re.compile(p), s, prio) for p, s, prio in _SECTIONS]
_TEXT_SECTIONS = {"impact_summary", "summary", "went_well", "went_wrong", "got_lucky", "why", "ignored"}

# Sentences the template itself asks the author; they are instructions, not content.
_INSTRUCTIONS = [
    "high level of the impact this is not for investigation sake but to give context for the severity",
    "this should be a compressed version of the investigation doc timeline",
    "short version of what has happened well",
    "short version of what did not go well",
    "if things could have been much worse detail them as well",
    "summarize all the things that led to this problem in depth",
    "e g oncall identified the impact within 3 minutes",
    "e g it took us an hour to understand that the root cause",
    "e g it happened on off hours and only 5 of our user base",
    "e g what did we learn about our ability to handle outages",
    "e g what went wrong with handling the outage in terms of organization",
    "some text here",
    "name state not reviewed lgtm date",
]

_BULLET_STARTS = set("-*+•▪◦‣0123456789")
_BULLET = re.compile(r"^\s*(?:[-*+•▪◦‣]|\d{1,3}[.)])\s+(.*)$")
_TASK = re.compile(r"^\[( |x|X|✓|✔)\]\s*(.*)$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(.+?)\1\s*:?\s*$")
_SEPARATOR = re.compile(r"^\s*(\|?\s*:?-{2,}:?\s*)+\|?\s*$|^\s*[-=_*]{3,}\s*$|^\s*-{3,}(\t+-{2,})+\s*$")
_LABEL_VALUE = re.compile(r"^\s*(?:\*\*|__)?([A-Za-z][^:|\t]{0,120}?)(?:\*\*|__)?\s*:(?:\*\*|__)?\s*(.*)$")
_TIMEZONE_NOTE = re.compile(r"all times (?:are )?(?:(?:shown |given )?in\s+)?(?:the\s+)?<?([A-Za-z][A-Za-z_/+\-0-9: ]*?)>?\s*(?:\(|\)|\.|,|;|$|time\b)", re.I)


_PARENTHESISED = re.compile(r"\([^)]*\)?")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=8192)
def normalise_label(text: str) -> str:
    """Lower case, no parenthesised explanation, no punctuation: the form labels are matched in."""
    text = clean(text).lower()
    if "(" in text:
        text = _PARENTHESISED.sub(" ", text)
    return _NOT_ALNUM.sub(" ", text).strip()


@lru_cache(maxsize=8192)
def field_for_label(label: str) -> str | None:
    norm = normalise_label(label)
    for rx, key in _FIELD_LABELS_RX:
        if rx.match(norm):
            return key
    return None


@lru_cache(maxsize=8192)
def section_for_title(title: str) -> tuple[str, str | None] | None:
    norm = normalise_label(title)
    for rx, section, prio in _SECTIONS_RX:
        m = rx.match(norm)
        if m:
            return section, prio.format(*m.groups()) if prio else None
    return None


@lru_cache(maxsize=8192)
def _is_instruction(text: str) -> bool:
    norm = normalise_label(text)
    return any(norm.startswith(i) for i in _INSTRUCTIONS) or norm in ("", "e g")


@dataclass
class _Line:
    number: int
    text: str
    cells: list[str] | None = None
    bullet: str | None = None
    task: str | None = None


def _cells(line: str) -> list[str] | None:
    if line.count("|") >= 2 and line.strip().startswith("|"):
        inner = line.strip().strip("|")
        return [c.strip() for c in re.split(r"(?<!\\)\|", inner)]
    if "\t" in line.strip():
        return [c.strip() for c in line.strip().split("\t") if c.strip() != ""]
    return None


def parse_template(text: str, line_offset: int = 0) -> RawDoc:
    """Read the template filled in as text or Markdown; ``line_offset`` counts lines cut before ``text``."""
    doc = RawDoc()
    state = _State(doc)
    for number, raw_line in enumerate(text.splitlines(), start=1 + line_offset):
        state.feed(number, raw_line.replace("\u00a0", " ").rstrip())
    state.finish()
    return doc


class _State:
    def __init__(self, doc: RawDoc) -> None:
        self.doc = doc
        self.section = "fields"
        self.priority: str | None = None
        self.section_line = 0
        self.paragraph: list[str] = []
        self.texts: dict[str, list[str]] = {}
        self.seen_sections: dict[str, int] = {}
        self.placeholder_sections: set[str] = set()
        self.action_header: list[str] | None = None

    # -- dispatch ---------------------------------------------------------
    def feed(self, number: int, line: str) -> None:
        stripped = line.lstrip()
        if not stripped:
            self._end_paragraph()
            return
        if stripped[0] in "-|=_*:" and _SEPARATOR.match(line):
            return
        self._note_timezone(number, line)
        bullet_match = _BULLET.match(line) if stripped[0] in _BULLET_STARTS else None
        heading = self._heading(line, bullet_match is not None)
        if heading is not None:
            self._start_section(number, heading)
            return
        cells = _cells(line)
        entry = _Line(number, line, cells)
        if bullet_match and not cells:
            content = bullet_match.group(1)
            task = _TASK.match(content)
            if task:
                entry.task = task.group(1)
                content = task.group(2)
            entry.bullet = content
        if self._key_value(entry):
            return
        handler = getattr(self, f"_in_{self.section}", None)
        if handler is None:
            self._in_text(entry)
        else:
            handler(entry)

    def finish(self) -> None:
        self._end_paragraph()
        for section, parts in self.texts.items():
            items = [p for p in parts if p]
            line = self.seen_sections.get(section)
            if section in ("impact_summary", "summary"):
                if items:
                    self.doc.set(section, "\n\n".join(items), line)
            elif items:
                existing = self.doc.get(section) or []
                self.doc.set(section, existing + items, line)
        for section, line in self.seen_sections.items():
            if section in ("ignored", "fields", "summary"):
                continue
            if not self.doc.has(section):
                self.doc.placeholders.add(section)
                self.doc.lines.setdefault(section, line)
        summary = self.doc.fields.pop("summary", None)
        if summary:
            impact = self.doc.get("impact_summary")
            self.doc.set("impact_summary", f"{summary}\n\n{impact}" if impact else summary, self.doc.lines.get("summary"))
            self.doc.placeholders.discard("impact_summary")

    # -- line kinds -------------------------------------------------------
    def _heading(self, line: str, is_bullet: bool) -> str | None:
        first = line.lstrip()[:1]
        m = _HEADING.match(line) if first == "#" else None
        if m:
            title = clean(m.group(2))
            if self.doc.first_heading is None and section_for_title(title) is None and field_for_label(title) is None:
                self.doc.first_heading = title
            return title
        m = _BOLD_LINE.match(line) if first in "*_" else None
        if m and section_for_title(m.group(2)) is not None:
            return clean(m.group(2))
        if len(line) > 120 or "\t" in line or "|" in line or is_bullet:
            return None
        stripped = clean(line)
        if section_for_title(stripped) is not None:
            if ":" in stripped and not stripped.endswith(":") and not stripped[:8].lower() == "timeline":
                return None
            return stripped
        return None

    def _start_section(self, number: int, title: str) -> None:
        self._end_paragraph()
        found = section_for_title(title)
        if found is None:
            if self.section in _TEXT_SECTIONS or self.section in ("timeline", "reviewers"):
                self.section = "ignored"
            return
        self.section, priority = found
        if self.section == "action_items":
            self.priority = priority
            self.action_header = None
        self.section_line = number
        self.seen_sections.setdefault(self.section, number)

    def _note_timezone(self, number: int, line: str) -> None:
        if "times" not in line and "Times" not in line and "TIMES" not in line:
            return
        m = _TIMEZONE_NOTE.search(clean(line))
        if not m:
            return
        value = m.group(1).strip()
        if is_placeholder(f"<{value}>") and re.search(r"TTT|specify", value):
            self.doc.placeholders.add("timezone")
            self.doc.lines.setdefault("timezone", number)
        elif not self.doc.has("timezone"):
            self.doc.set("timezone", value, number)

    def _key_value(self, entry: _Line) -> bool:
        """A ``label -> value`` row of a known field, in any shape. True if consumed."""
        if entry.cells and len(entry.cells) >= 1:
            label, values = entry.cells[0], entry.cells[1:]
            key = field_for_label(label)
            if key is None:
                return False
            if self.section in ("action_items", "reviewers", "timeline") and key not in ("teams",) and len(values) > 1:
                return False
            self._set_field(key, " ".join(values), entry.number)
            return True
        content = entry.bullet if entry.bullet is not None else entry.text
        m = _LABEL_VALUE.match(content) if ":" in content else None
        if not m:
            return False
        if entry.bullet is None and field_for_label(m.group(1)) is None:
            section = section_for_title(m.group(1))
            if section and section[0] in _TEXT_SECTIONS and m.group(2).strip():
                self._start_section(entry.number, m.group(1))
                self._in_text(_Line(entry.number, m.group(2)))
                return True
        if self.section in _TEXT_SECTIONS - {"ignored"} or self.section in ("action_items", "timeline", "reviewers"):
            return False
        key = field_for_label(m.group(1))
        if key is None:
            return False
        self._set_field(key, m.group(2), entry.number)
        return True

    def _set_field(self, key: str, value: str, number: int) -> None:
        value = value.strip()
        if key == "timezone":
            tz_note = _TIMEZONE_NOTE.search(value)
            if tz_note:
                value = tz_note.group(1)
        if key in ("started_at", "resolved_at") and self.section == "timeline":
            self._timeline_row(number, value, "Started at" if key == "started_at" else "Resolved at")
            return
        if is_placeholder(value):
            if not self.doc.has(key):
                self.doc.placeholders.add(key)
                self.doc.lines.setdefault(key, number)
            return
        if self.doc.has(key):
            if key in ("teams",):
                self.doc.set(key, f"{self.doc.get(key)}, {value}")
            return
        self.doc.placeholders.discard(key)
        self.doc.set(key, value, number)

    # -- sections ---------------------------------------------------------
    def _in_fields(self, entry: _Line) -> None:
        if self.doc.first_heading is None and self.section_line == 0 and not entry.bullet and not entry.cells:
            text = clean(entry.text)
            if text and not _is_instruction(text) and not self.doc.has("title") and len(text) < 200:
                self.doc.first_heading = text

    def _in_text(self, entry: _Line) -> None:
        section = self.section
        if section == "ignored":
            return
        text = entry.bullet if entry.bullet is not None else (" ".join(entry.cells) if entry.cells else entry.text)
        text = clean(text)
        if _is_instruction(text) or is_placeholder(text) or re.fullmatch(r"<.*>|\.\.\.|…", text):
            return
        text = re.sub(r"^<\s*(.*?)\s*>$", r"\1", text)
        if section in ("impact_summary", "summary"):
            self.paragraph.append(text)
            return
        parts = self.texts.setdefault(section, [])
        if entry.bullet is None and parts and self.paragraph:
            parts[-1] = f"{parts[-1]} {text}"
        else:
            parts.append(text)
        self.paragraph.append(text)
        self.doc.lines.setdefault(section, entry.number)

    def _end_paragraph(self) -> None:
        if self.section in ("impact_summary", "summary") and self.paragraph:
            self.texts.setdefault(self.section, []).append(" ".join(self.paragraph))
            self.doc.lines.setdefault(self.section, self.section_line)
        self.paragraph = []

    def _in_timeline(self, entry: _Line) -> None:
        if entry.cells and len(entry.cells) >= 2:
            when, event = entry.cells[0], " ".join(entry.cells[1:])
            if normalise_label(when) in ("time", "when", "date", "timestamp", "date time"):
                return
            self._timeline_row(entry.number, when, event)
            return
        text = clean(entry.bullet if entry.bullet is not None else entry.text)
        split = split_time(text)
        day = find_date(text)
        if split is None and day is not None and day[1] == 0:
            rows = self.doc.get("timeline") or []
            rows.append({"day": day[0].isoformat(), "line": entry.number})
            self.doc.set("timeline", rows, entry.number)
            return
        if split is None:
            if not _is_instruction(text) and not re.fullmatch(r"<.*>", text):
                self.doc.problem("warning", "timeline", f"timeline row without a time: '{text[:80]}'", entry.number)
            return
        self._timeline_row(entry.number, *split)

    def _timeline_row(self, number: int, when: str, event: str) -> None:
        when, event = clean(when), clean(event)
        if re.fullmatch(r"<.*>|HH:MM XM", when, re.I) or is_placeholder(when):
            if not self.doc.has("timeline"):
                self.doc.placeholders.add("timeline")
                self.doc.lines.setdefault("timeline", number)
            return
        event = re.sub(r"^<\s*(.*?)\s*>$", r"\1", event)
        rows = self.doc.get("timeline") or []
        rows.append({"time": when, "event": event, "line": number})
        self.doc.placeholders.discard("timeline")
        self.doc.set("timeline", rows, number)

    def _in_reviewers(self, entry: _Line) -> None:
        if entry.cells:
            cells = entry.cells
            if normalise_label(cells[0]) in ("name", "reviewer", "reviewers"):
                return
            if is_placeholder(cells[0]):
                self.doc.placeholders.add("reviewers")
                return
            reviewer = {"name": clean(cells[0]), "state": clean(cells[1]) if len(cells) > 1 else None,
                        "date": clean(cells[2]) if len(cells) > 2 else None, "line": entry.number}
        else:
            text = clean(entry.bullet if entry.bullet is not None else entry.text)
            if _is_instruction(text) or is_placeholder(text):
                return
            reviewer = _reviewer_from_text(text)
            reviewer["line"] = entry.number
        rows = self.doc.get("reviewers") or []
        rows.append(reviewer)
        self.doc.set("reviewers", rows, entry.number)

    def _in_teams(self, entry: _Line) -> None:
        text = clean(entry.bullet if entry.bullet is not None else entry.text)
        if not is_placeholder(text) and not _is_instruction(text):
            self._set_field("teams", text, entry.number)

    def _in_action_items(self, entry: _Line) -> None:
        if entry.cells:
            norms = [normalise_label(c) for c in entry.cells]
            if self.action_header is None and any(n in ("action", "action item", "description", "task", "item") for n in norms):
                self.action_header = norms
                return
            if self.action_header:
                item = _action_from_table(self.action_header, entry.cells)
            else:
                item = action_from_text(" ".join(entry.cells))
        else:
            text = entry.bullet if entry.bullet is not None else entry.text
            text = clean(text)
            if _is_instruction(text):
                return
            if re.fullmatch(r"<.*>|\.\.\.|…", text) or re.match(r"<?\s*AI\d+\s*:\s*(e\.?g\.?\b.*)?>?$", text, re.I):
                self.doc.placeholders.add("action_items")
                self.doc.lines.setdefault("action_items", entry.number)
                return
            if entry.bullet is None and not re.match(r"AI\s*\d+\s*[:.)-]", text, re.I):
                return
            item = action_from_text(text)
            if entry.task is not None:
                item["status"] = item.get("status") if item.get("status") == "wontfix" else (
                    "open" if entry.task == " " else "done")
        if item is None:
            return
        if self.priority and not item.get("priority"):
            item["priority"] = self.priority
        item["line"] = entry.number
        rows = self.doc.get("action_items") or []
        rows.append(item)
        self.doc.placeholders.discard("action_items")
        self.doc.set("action_items", rows, entry.number)


_TIME_AT_START = re.compile(
    r"^(?P<when>(?:\d{4}-\d{1,2}-\d{1,2}(?:[T ]+)?)?\d{1,2}[:.h]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?"
    r"(?:\s*(?:[A-Z]{2,5}|Z|UTC[+-]\d{1,2}(?::?\d{2})?))?(?=\W|$))\s*(?:[-–—:|,]\s*|\s+)(?P<event>.*)$",
    re.I,
)


def split_time(text: str) -> tuple[str, str] | None:
    """Split ``08:40 AM — Started at`` / ``2025-03-04 08:40 - ...`` into (time, event)."""
    text = re.sub(r"^\*\*(.+?)\*\*", r"\1", text)
    found = find_date(text)
    prefix = ""
    if found and found[1] == 0:
        prefix, text = text[: found[2]], text[found[2]:].lstrip(" ,T")
    m = _TIME_AT_START.match(text)
    if not m or find_clock(m.group("when")) is None:
        return None
    when = m.group("when").strip()
    upper = when.split()[-1] if " " in when else ""
    if upper and upper.isalpha() and upper.upper() not in ("AM", "PM") and not _looks_like_zone(upper):
        when = when[: -len(upper)].strip()
        return (f"{prefix} {when}".strip(), f"{upper} {m.group('event')}".strip())
    return (f"{prefix} {when}".strip(), m.group("event").strip())


def _looks_like_zone(word: str) -> bool:
    from pm_analytics.parse.values import resolve_timezone

    try:
        resolve_timezone(word)
    except ValueError:
        return False
    return word.isupper()


_REVIEW_STATE = re.compile(r"\b(lgtm|approved|not reviewed|pending|changes requested|reviewed|in review|declined)\b", re.I)


def _reviewer_from_text(text: str) -> dict:
    state = _REVIEW_STATE.search(text)
    found = find_date(text)
    name_end = min(x for x in (state.start() if state else len(text), found[1] if found else len(text)))
    name = re.sub(r"[\s,;:()–—-]+$", "", text[:name_end]).strip()
    return {"name": name or text, "state": state.group(1) if state else None, "date": found[0].isoformat() if found else None}


# [text](url), allowing one level of parentheses inside the url.
MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\(((?:[^()\s]|\([^()\s]*\))+)\)")
_TICKET_KEY = re.compile(r"\b([A-Z][A-Z0-9]{1,15}-\d+)\b")
_OWNER = re.compile(r"\(?\bowners?\s*[:=-]?\s*([^,;\[\]()]+?)\s*(?=,|;|\[|\)|$|\s+(?:done|completed|closed|won.?t)\b)", re.I)
_DONE = re.compile(r"\b(done|completed|closed|fixed|resolved)\b(?:\s*(?:on|:|-)?\s*)(\d{4}-\d{1,2}-\d{1,2}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4})?", re.I)
_WONTFIX = re.compile(r"\b(won.?t ?(fix|do)|wontfix|cancel+ed|not doing|dropped|obsolete)\b", re.I)
_ACTION_ID = re.compile(r"^(AI\s*\d+|[A-Z]{1,5}\d{1,4})\s*[:.)–-]\s*", re.I)


def action_from_text(text: str) -> dict | None:
    """One action item from ``AI1: text, owner: Name, [TICKET-1] done 2025-03-05``."""
    text = clean(text).strip()
    text = re.sub(r"^<\s*(.*?)\s*>$", r"\1", text)
    item: dict = {}
    m = _ACTION_ID.match(text)
    if m:
        item["id"] = re.sub(r"\s+", "", m.group(1)).upper()
        text = text[m.end():]
    link = MARKDOWN_LINK.search(text)
    if link:
        item["ticket"] = link.group(1).strip()
        item["ticket_url"] = link.group(2).strip()
        text = text[: link.start()] + text[link.end():]
    else:
        bracket = re.search(r"\[([^\]]*)\]", text)
        if bracket:
            inner = bracket.group(1).strip()
            key = _TICKET_KEY.search(inner)
            if inner.startswith(("http://", "https://")):
                item["ticket_url"] = inner
                key_in_url = _TICKET_KEY.search(inner)
                item["ticket"] = key_in_url.group(1) if key_in_url else inner
            elif key:
                item["ticket"] = key.group(1)
            text = text[: bracket.start()] + text[bracket.end():]
        else:
            key = _TICKET_KEY.search(text)
            if key and not re.match(r"AI\d", key.group(1)):
                item["ticket"] = key.group(1)
                text = text[: key.start()] + text[key.end():]
    owner = _OWNER.search(text)
    if owner:
        item["owner"] = owner.group(1).strip()
        text = text[: owner.start()] + text[owner.end():]
    if _WONTFIX.search(text):
        item["status"] = "wontfix"
        text = _WONTFIX.sub("", text)
    done = _DONE.search(text)
    if done and (done.group(2) or re.search(r"(^|[,;(\-–—]\s*)" + re.escape(done.group(1)) + r"\s*\)?\s*$", text, re.I)):
        item["status"] = item.get("status", "done")
        if done.group(2):
            item["completed"] = done.group(2)
        text = text[: done.start()] + text[done.end():]
    elif re.search(r"\b(TODO|open|in progress)\b\s*\)?\s*$", text):
        item["status"] = "open"
        text = re.sub(r"\b(TODO|open|in progress)\b\s*\)?\s*$", "", text)
    description = re.sub(r"\(\s*\)|\s+", " ", text)
    description = re.sub(r"(\s*[,;]\s*)+(?=[,;]|$)", "", description)
    description = re.sub(r"^[\s,;:–—-]+|[\s,;:–—(-]+$", "", description).strip()
    description = re.sub(r"^e\.?g\.?\s+", "", description, flags=re.I) if description.lower().startswith("e.g") else description
    item["description"] = description
    if not description and not item.get("ticket"):
        return None
    return item


def _action_from_table(header: list[str], cells: list[str]) -> dict | None:
    """An action item from a table row, columns named by the header (Action/Type/Owner/Bug, ...)."""
    row = dict(zip(header, cells))
    item: dict = {}
    for name, value in row.items():
        value = clean(value)
        if not value:
            continue
        if name in ("action", "action item", "description", "task", "item"):
            item["description"] = value
        elif name in ("id", "ai", "#"):
            item["id"] = value
        elif name in ("priority", "prio", "type"):
            if re.fullmatch(r"p[0-2]", value, re.I):
                item["priority"] = value.upper()
            elif name == "type":
                item["type"] = value
        elif name in ("owner", "assignee", "who"):
            item["owner"] = value
        elif name in ("bug", "ticket", "issue", "jira", "link"):
            link = MARKDOWN_LINK.search(value)
            key = _TICKET_KEY.search(value)
            if link:
                item["ticket"], item["ticket_url"] = link.group(1), link.group(2)
            elif key:
                item["ticket"] = key.group(1)
            else:
                bug = re.search(r"(?:bug|issue)\s*#?\s*(\d+)", value, re.I)
                if bug:
                    item["ticket"] = bug.group(0)
            if re.search(r"\bDONE\b", value):
                item["status"] = "done"
            elif re.search(r"\bTODO\b|\bOPEN\b", value):
                item["status"] = "open"
        elif name in ("status", "state"):
            item["status"] = value
        elif name in ("completed", "done", "completed on", "done on", "closed"):
            item["completed"] = value
        elif name in ("due", "due date", "deadline"):
            item["due"] = value
    if not item.get("description") or is_placeholder(item["description"]):
        return None
    return item
