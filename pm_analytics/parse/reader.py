"""Stage two of reading a text post-mortem: the field rules over the document model -> :class:`RawDoc`.

The blocks of :mod:`.document` are walked once. A heading names the section
the following blocks are in (:data:`~.vocabulary.SECTIONS`); a block's
meaning then depends on its kind and section, and each value is recorded
with the rule that read it (``label 'Time to detect'``, ``timeline row``,
``prose duration`` ...), its line and text. A file holding several
incidents (one section each) is split first: :func:`read_incidents`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pm_analytics.parse import rules
from pm_analytics.parse.document import _BOLD_ONLY, _ITEM, BOLD_LEVEL, CODE, HEADING, HTML, ITEM, ROW, TEXT, Block
from pm_analytics.parse.patterns import Gated
from pm_analytics.parse.raw import EXPLICIT, PROSE, STATED, TIMELINE, TIMELINE_HEADING_ZONE, ZONE_SENTENCE, RawDoc
from pm_analytics.parse.values import (
    SEVERITY_WORDS,
    clean,
    find_date,
    find_month_day,
    is_placeholder,
    severity_and_word,
)
from pm_analytics.parse.vocabulary import (
    MAJOR_SECTIONS,
    TEXT_SECTIONS,
    action_group,
    field_for_label,
    is_instruction,
    normalise_label,
    section_for_title,
)

_TIME_COLUMNS = {"time", "times", "timestamp", "when", "date time", "date and time", "time and date", "clock",
                 "time utc", "start", "start time", "at"}
_DATE_COLUMNS = {"date", "day"}
# A column of its own for each row's zone ("| 09:00 | BST | Deployed |").
_ZONE_COLUMNS = {"tz", "timezone", "time zone", "zone"}
_EVENT_COLUMNS = {"event", "events", "description", "what happened", "what", "action", "actions", "details", "detail",
                  "activity", "notes", "note", "update", "summary", "message", "status", "happening", "occurrence"}
_REVIEWER_HEADER = {"name", "reviewer", "reviewers", "stakeholder", "stakeholders"}
_BYLINE = re.compile(r"\b(?:blog|posted|published|written by|updated|min(?:ute)?s? read|engineering|team|group|"
                     r"newsletter|report issued|issued|editor|vp|director|manager|live operations|from the)\b", re.I)
_PUBLISHED = re.compile(r"\b(?:posted|published|updated|written|created|last updated|page last updated|report date|"
                        r"date of report|issued)\b[^.]{0,30}$", re.I)
_ANGLED = re.compile(r"<.*>")
_TIME_PLACEHOLDER = re.compile(r"<.*>|HH:MM XM", re.I)
# A line that gives one of an item's fields ("Owner: Web Services.  Status: Complete.").
_ITEM_LABEL = re.compile(r"\**(?:owners?|owned by|assignee|assigned(?: to)?|responsible|who|dri|status|state|ticket|"
                         r"jira|issue|due|deadline|eta|priority|completed|done)\**(?:[ \t]*[:=]|[ \t]+[-–—][ \t])", re.I)
# The same after a sentence of the item's wrapped text ("... west of UTC. Owner: Ada Byrne.").
_LABEL_AFTER_SENTENCE = re.compile(r"[.;][ \t]+(" + _ITEM_LABEL.pattern + ")", re.I)
# "Completed: 2024-05-10" or "Completed: No" under an item (the word alone would say done).
_ITEM_COMPLETED = re.compile(r"\**(?:completed|done|closed|finished|resolved)(?:[ \t]+on)?\**[ \t]*:[ \t]*(.+)$", re.I)
# "1412", and with its zone "1412 UTC", "1412Z".
_HHMM = re.compile(r"^([01]\d|2[0-3])([0-5]\d)(?=[ \t]*(?:Z|[A-Z]{2,5})?$)")
# A cell that tries to give a time ("1412 UTC", "14.30", "~14:30"), not a label ("Before", "T-2d", "Total").
_CLOCKLIKE = re.compile(r"\W{0,2}\d{1,2}[:.hH]?\d{2}(?!\d)")
_YEAR = re.compile(r"(?:19|20)\d\d\b")
_COLON_TIME = re.compile(r"\d:\d\d")


def _colon_times(columns: list[int], rows: list[list[str]]) -> bool:
    """Whether a timeline table's time column also writes times with a colon ("01:10"): there ``2021``
    is a year, not 20:21 (a four-digit cell from 1900 to 2059 stays unread); elsewhere it is a time."""
    cells = [row[i].strip() for row in rows for i in columns if i < len(row) and row[i].strip()]
    return any(_COLON_TIME.search(cell) for cell in cells)


def _list_goes_on(blocks: list[Block], index: int) -> bool:
    """Whether the unindented lines from ``index`` on are followed, with no blank line, by another list item:
    then they go on the item above (Markdown's lazy continuation); after a list's last item they are
    the document's ("Closed: 2024-06-21" ending a plain-text file)."""
    end = index
    while end + 1 < len(blocks) and blocks[end + 1].kind == TEXT and not blocks[end + 1].para:
        end += 1
    following = blocks[end + 1] if end + 1 < len(blocks) else None
    return following is not None and following.kind == ITEM and following.line == blocks[end].line + 1


def _year_row(event: str) -> bool:
    """Whether a row whose time cell reads ``2023`` is a year heading, not 20:23: it says nothing else, or
    only a day ("March 14")."""
    words = event.strip(" *_")
    if not words:
        return True
    day = find_month_day(words, 2000) if len(words) < 25 else None
    # Only the day, perhaps with its weekday: "| 2010 | Restore Mar 1 backup |" is a row at 20:10.
    return day is not None and _WEEKDAY_OR_MARKS.fullmatch(words[:day[1]] + " " + words[day[2]:]) is not None


_WEEKDAY_OR_MARKS = re.compile(r"[\W\d_]*(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?[\W\d_]*)?", re.I)


_EMPTY_TEXT = re.compile(r"<.*>|\.\.\.|…")
_EMPTY_ACTION = re.compile(r"<?\s*AI\d+\s*:\s*(e\.?g\.?\b.*)?>?$", re.I)
_ACTION_ID = re.compile(r"AI(?:\s*|-)\d+\s*[:.)-]", re.I)
_NO_ACTIONS = re.compile(r"(?:none|n/?a|no(?:ne)? (?:needed|beyond|required|planned))\b", re.I)
_SEMICOLON = re.compile(r"\s*;\s*")
_EMPHASIS_OR_CAPITAL = re.compile(r"\*\*|__|[A-Z]")
_WEEKDAY = re.compile(r"(?:mon|tue|wed|thu|fri|sat|sun)", re.I)
_INTRODUCED = re.compile(r"\b(?:on|since|from|between|of)\b[^.]{0,25}$", re.I)
_PARENTHESISED = re.compile(r"\s*\([^)]{0,300}\)\s*")
_LIST_FIELDS = frozenset({"teams", "blast_radius.apps"})
_DASHED_TIMING = re.compile(r"[*_]*([A-Za-z][A-Za-z ()]{1,60}?)[*_]*\s+[-–—]\s+(\S.{0,40})")
# Sections where a "Label - value" line is a sentence or a row, not a field.
_NOT_DASHED = TEXT_SECTIONS - {"ignored", "summary", "impact_summary"} | {"timeline", "action_items", "reviewers"}
_NEXT_LABEL = re.compile(r"\s*[,;]\s+(?=[A-Za-z][A-Za-z ]{1,40}:\s)")
# A teams table's column title, unlike a label with its value ("| Teams involved (list) | Payments, SRE |").
_TEAM_COLUMN = frozenset({"team", "teams", "team name", "name"})
_PROSE_SECTIONS = frozenset({"summary", "impact_summary", "fields", "other", "ignored", "timeline"})
_SEVERITY_FIRST_WORDS = frozenset(word.split()[0] for word in SEVERITY_WORDS)
_MAX_PROSE_BLOCKS = 400


@dataclass
class _Section:
    name: str
    level: int
    line: int
    title: str = ""


def read_blocks(blocks: list[Block], doc: RawDoc | None = None, title: str | None = None) -> RawDoc:
    """Apply the field rules to ``blocks``; ``title`` is the incident's title when a file's section gave it."""
    doc = doc or RawDoc()
    reader = _Reader(doc)
    if title:
        doc.first_heading = title
    for index, block in enumerate(blocks):
        reader.feed(index, block, blocks)
    reader.finish()
    return doc


class _Reader:
    def __init__(self, doc: RawDoc) -> None:
        self.doc = doc
        self.section = _Section("fields", 0, 0)
        self.priority: str | None = None
        self.group_status: str | None = None
        self.group_level = 99
        self.paragraph: list[str] = []
        self.texts: dict[str, list[str]] = {}
        self.seen_sections: dict[str, int] = {}
        self.tables: dict[int, dict] = {}
        self.pending: dict | None = None
        self.label_heading: tuple[str, int, str] | None = None
        # A list field's label with its values as the bullets below it ("Apps/APIs affected:" then "- Patient iOS").
        self.label_list: tuple[str, int, str] | None = None
        self.items: dict[int, dict] = {}
        # The last action item read from a list item, and the index of its last line so far: indented lines
        # straight after it ("(1) Add a check.\n    Owner: Web.  Status: Complete.") are its own.
        self.item_tail: tuple[int, dict] | None = None
        self.prose_blocks = 0
        self.prose_buffer: list[Block] = []
        self.prose_section = "fields"
        self.skip: set[int] = set()
        self.email = False

    # -- dispatch ---------------------------------------------------------------------------
    def feed(self, index: int, block: Block, blocks: list[Block]) -> None:
        if index in self.skip or block.kind in (CODE, HTML):
            if block.kind == CODE:
                self._close_pending()
            elif block.label is not None and (key := field_for_label(block.label)) is not None:
                self._set_field(key, block.value or "", block.line, f"metadata '{_label_name(block.label)}'",
                                block.source, block.label)
            return
        text = block.text
        if "time" in text or "Time" in text or "TIME" in text:
            self._note_zone(block)
        if block.kind == HEADING:
            if not self._status_heading(index, block, blocks):
                self._heading(block)
            return
        if (block.kind == TEXT or block.kind == ITEM and block.depth == 0 and block.source.lstrip()[:1].isdigit()
                and text.upper() == text) and len(text) <= 120 and _plain_title(text):
            self._heading(Block(HEADING, block.line, text, block.source, level=BOLD_LEVEL))
            return
        if index < 12 and block.kind == TEXT and block.label and self._email_header(block):
            return
        if block.kind in (TEXT, ITEM) and len(text) <= 200 and self._status_word(block):
            return
        label_list, self.label_list = self.label_list, None
        if label_list and block.kind == ITEM and block.depth == 0 and len(text) < 200:
            key, line, label = label_list
            self._set_field(key, text, block.line, f"list under '{_label_name(label)}'", block.source)
            self.label_list, self.label_heading = label_list, None
            return
        label_heading, self.label_heading = self.label_heading, None
        if label_heading and block.kind == TEXT and block.para and len(text) < 200:
            key, line, label = label_heading
            self._set_field(key, text, block.line, f"heading '{label}' + paragraph", block.source)
            return
        if block.kind == ROW:
            self._row(block, index, blocks)
            return
        if self._status_update(index, block, blocks):
            return
        if block.kind == TEXT and self.doc.first_heading is not None and not self.seen_sections and self._byline(block):
            return
        if block.kind in (TEXT, ITEM) and rules.has_segments(text) and self._segment_line(block):
            return
        if self.section.name == "action_items" and self._item_field(index, block, blocks):
            return
        if self._key_value(block):
            return
        section = self.section.name
        if section == "timeline" or (section not in ("action_items", "reviewers", "teams")
                                     and self._in_timed_run(index, block, blocks)):
            if self._timeline_line(block):
                self._flush_prose()
                return
        elif section == "action_items" or block.task is not None and section not in TEXT_SECTIONS:
            if not self._item_group(index, block, blocks):
                self._action_line(index, block)
        elif section == "reviewers":
            self._reviewer_line(block)
        elif section == "teams":
            if not is_placeholder(text) and not is_instruction(text):
                self._set_field("teams", text, block.line, "section 'Teams involved'", block.source)
        elif section in TEXT_SECTIONS:
            self._text_line(block)
        else:
            self._other_line(block)
        if section in _PROSE_SECTIONS and self.prose_blocks < _MAX_PROSE_BLOCKS and block.kind != ROW \
                and (block.label is None or field_for_label(block.label) is None):
            self.prose_blocks += 1
            self._prose(block)

    def finish(self) -> None:
        self._flush_prose()
        self._close_pending()
        self._end_paragraph()
        for section, parts in self.texts.items():
            items = [p for p in parts if p]
            line = self.seen_sections.get(section)
            if section in ("impact_summary", "summary"):
                if items:
                    self.doc.set(section, "\n\n".join(items), line, f"section '{section.replace('_', ' ')}'", items[0])
            elif items and section != "ignored":
                existing = self.doc.get(section) or []
                self.doc.set(section, existing + items, line, f"section '{section.replace('_', ' ')}'", items[0])
        for section, line in self.seen_sections.items():
            if section in ("ignored", "fields", "summary", "other"):
                continue
            if not self.doc.has(section):
                self.doc.placeholders.add(section)
                self.doc.lines.setdefault(section, line)
        summary = self.doc.fields.pop("summary", None)
        if summary:
            impact = self.doc.get("impact_summary")
            self.doc.set("impact_summary", f"{summary}\n\n{impact}" if impact else summary, self.doc.lines.get("summary"))
            self.doc.placeholders.discard("impact_summary")

    def _byline(self, block: Block) -> bool:
        """A line that says who wrote or published the page and when (``_Forgewell Engineering blog · March
        12, 2024 · Hiroko Vance_``, ``*Posted Oct 23, 2019 · 7 min read*``): its date is the page's, not the
        incident's, and nothing else in it is a field."""
        source = block.source.strip()
        emphasised = len(source) > 2 and source[0] in "_*" and source[-1] == source[0] and "**" not in source[:2]
        # Without its emphasis marks: "_Published ... engineering_" has no word boundary at either end.
        text = block.text.strip(source[0]) if emphasised else block.text
        if not (emphasised or rules.has_segments(text)) or not _BYLINE.search(text) or rules.time_range(text):
            return False
        if any(field_for_label(label) for label, _ in rules.label_pairs(text)):
            return False
        found = find_date(text, self.doc.day_first)
        if found is None:
            return False
        self.doc.offer("prose.published", found[0].isoformat(), block.line, "date the page was published",
                       block.source, PROSE)
        return True

    def _segment_line(self, block: Block) -> bool:
        """A line of parts split by ``·`` or ``|``: ``Label: value`` pairs (``Date: 2024-01-23 · Severity:
        Low · Times: CET``) or a summary line (``**Sev3** · Tue 19 Mar 2024 · 14:05–14:40 · detected by alert
        at 14:09``): each part is read as a field, a severity, a day, a time window or a sentence. True when
        a part gave something."""
        if self.section.name in ("action_items", "reviewers") or self.section.name in TEXT_SECTIONS - {"ignored"}:
            return False
        read = False
        day = None
        for segment in rules.segments(block.text):
            pair = rules.label_pairs(f"{segment} · x: y")
            key = field_for_label(pair[0][0]) if pair and pair[0][1] else None
            if key is not None:
                self._set_field(key, pair[0][1], block.line, f"label '{_label_name(pair[0][0])}'", block.source, pair[0][0])
                read = True
                continue
            words = segment.strip(" *_")
            if len(words) <= 30 and not any(c.isdigit() for c in words.split()[-1][-1:]) or len(words) <= 8:
                try:
                    severity_and_word(words)
                except ValueError:
                    pass
                else:
                    self.doc.offer("severity", words, block.line, "severity in a summary line", block.source, TIMELINE)
                    read = True
                    continue
            window = rules.time_range(segment)
            if window is not None:
                start, end = window
                if day and not find_date(start, self.doc.day_first):
                    start, end = f"{day} {start}", end if find_date(end, self.doc.day_first) else f"{day} {end}"
                self.doc.offer("started_at", start, block.line, "time window in a summary line", block.source, TIMELINE)
                self.doc.offer("resolved_at", end, block.line, "time window in a summary line", block.source, TIMELINE)
                read = True
                continue
            found = find_date(segment, self.doc.day_first)
            if found is not None and len(segment) - (found[2] - found[1]) < 12 and not _PUBLISHED.search(segment[:found[1]]):
                day = segment[found[1]:found[2]]
                self.doc.offer("date", found[0].isoformat(), block.line, "date in a summary line", block.source, TIMELINE)
                read = True
                continue
            if read:
                self._flush_prose()
                self._prose(Block(TEXT, block.line, segment, block.source))
                self._flush_prose()
        return read

    def _email_header(self, block: Block) -> bool:
        """A post-mortem sent as an e-mail: its ``Subject:`` is the title; its ``Date:`` is when it was sent,
        not when the incident happened; the other headers say nothing. True when the line was a header."""
        name = block.label.lower()  # type: ignore[union-attr]
        if name == "from" or name == "to" and self.email:
            self.email = True
            return True
        if not self.email:
            return False
        if name == "subject":
            self._set_field("title", block.value or "", block.line, "e-mail subject", block.source)
            return True
        if name == "date":
            found = find_date(block.value or "", self.doc.day_first)
            if found and self.doc.year is None:
                self.doc.year = found[0].year
            return True
        return name in ("cc", "bcc", "reply-to", "message-id", "content-type", "mime-version", "sender")

    def _in_timed_run(self, index: int, block: Block, blocks: list[Block]) -> bool:
        """Whether a line outside the timeline is one of a run of lines that start with a time (a
        timeline under another heading, "How we fixed it (times in BST)")."""
        if block.kind not in (TEXT, ITEM) or not block.text[:1].isdigit() and block.text[:1] not in "[A":
            return self.pending is not None
        if rules.split_time(block.text, self.doc.day_first) is None:
            return self.pending is not None
        for j in (index - 1, index + 1, index + 2):
            if 0 <= j < len(blocks) and j != index and blocks[j].kind in (TEXT, ITEM) \
                    and rules.split_time(blocks[j].text, self.doc.day_first) is not None:
                return True
        return False

    def _status_word(self, block: Block) -> bool:
        """A status page's word for how bad it was, on a line of its own or leading a ``·`` line
        (``Notice``, ``**Down** · Nov 21, 2023``, ``**Service disruption** · Cloud Tasks``); True when the
        whole line was that."""
        first = block.text.split(None, 1)[0].strip("*_").lower() if block.text else ""
        if first not in _SEVERITY_FIRST_WORDS:
            return False
        parts = rules.segments(block.text) or [block.text]
        word = parts[0].strip(" *_")
        if word.lower() not in SEVERITY_WORDS or len(parts) == 1 and not block.para:
            return False
        self.doc.offer("severity", word, block.line, "status-page word", block.source, TIMELINE)
        for part in parts[1:]:
            self._prose_date(Block(TEXT, block.line, part, block.source))
        return True

    def _status_heading(self, index: int, block: Block, blocks: list[Block]) -> bool:
        """A status page's update written as a bold word (``**Resolved**``) over its text and a
        ``Posted Feb 12, 2024 - 15:20 UTC`` line: one timeline row at the posted time."""
        if block.level != BOLD_LEVEL or rules.status_update(block.text) is None or len(block.text) > 20:
            return False
        texts, posted = [], None
        for j in range(index + 1, min(index + 12, len(blocks))):
            following = blocks[j]
            if following.kind not in (TEXT, ITEM):
                break
            posted = rules.posted_time(following.text)
            if posted is not None:
                self.skip.update(range(index + 1, j + 1))
                break
            texts.append(following.text)
        if posted is None:
            return False
        self._close_pending()
        self._timeline_row(block.line, posted, f"{block.text} - {' '.join(texts)}".strip(" -"), block.source, posted=True)
        text = " ".join(texts)
        if text:
            self._prose(Block(TEXT, block.line, text, block.source))
        return True

    # -- headings -------------------------------------------------------------------------------
    def _heading(self, block: Block) -> None:
        title, level = block.text, block.level
        self.label_list = None
        self._end_paragraph()
        self._flush_prose()
        if self.section.name == "timeline" and level > self.section.level and self._timeline_heading(block):
            return
        # A bold or plain timeline title ranks no higher than the ``### 2025-05-02`` day lines under it.
        if self.section.name == "timeline" and self.section.level == BOLD_LEVEL and self._day_heading(block):
            return
        self._close_pending()
        found = section_for_title(title)
        if found is not None and self.section.name == "timeline" and level > self.section.level \
                and found[0] not in MAJOR_SECTIONS:
            return
        if found is not None and self.section.name == "action_items" and level > self.section.level \
                and found[0] not in ("action_items", "reviewers", "why", "went_well", "went_wrong", "got_lucky"):
            found = None
        if found is not None:
            name, priority = found
            self.section = _Section(name, level, block.line, title)
            if name == "action_items":
                self.priority = priority
                self.group_status, self.group_level = None, 99
            self.seen_sections.setdefault(name, block.line)
            if name == "timeline":
                self._timeline_heading_zone(block, title)
            return
        key = field_for_label(title)
        if key is not None and len(title) < 80:
            self.label_heading = (key, block.line, title)
            if key in _LIST_FIELDS:
                self.label_list = self.label_heading
            return
        if self.doc.first_heading is None and title and not (normalise_label(title) and is_instruction(title)):
            self.doc.first_heading = title
            self.doc.sources["first_heading"] = _source(block, "first heading")
            self._heading_severity(block)
            self._prose_date(block)
            if self.section.name == "fields":
                return
        if self.section.name == "action_items" and level > self.section.level:
            is_group, status = action_group(title)
            self.group_status = status if is_group else None
            self.group_level = level
            return
        if level > self.section.level and self.section.name not in ("fields",):
            return
        self.section = _Section("other", level, block.line, title)

    def _timeline_heading(self, block: Block) -> bool:
        """A heading inside the timeline that is a time (``### 14:51``, the event on the following
        lines) or a day (``### 2019-10-21``); True when it was one."""
        split = rules.split_time(block.text, self.doc.day_first)
        if split is not None:
            self._close_pending()
            self.pending = {"time": split[0], "event": split[1], "line": block.line, "heading": True}
            return True
        return self._day_heading(block)

    def _day_heading(self, block: Block) -> bool:
        """A heading in the timeline that is a day (``### 2019-10-21``, ``**May 2, 2025**``), the day of
        the rows after it; True when it was one."""
        day = find_date(block.text, self.doc.day_first)
        if day is not None and len(block.text) - (day[2] - day[1]) < 25:
            self._close_pending()
            self._timeline_day(day[0].isoformat(), block.line)
            return True
        if len(block.text) < 25 and (md := find_month_day(block.text, 2000)) and md[1] < 12:
            self._close_pending()
            self._timeline_day(block.text[md[1]:md[2]], block.line)
            return True
        return False

    # -- rows ------------------------------------------------------------------------------------
    def _row(self, block: Block, index: int, blocks: list[Block]) -> None:
        cells = block.cells or []
        table = self.tables.setdefault(block.table, {"header": None, "kind": None})
        if block.header or (table["header"] is None and table["kind"] is None and self._looks_like_header(cells)):
            if self._header_row(block, table):
                if table["kind"] == "timeline":
                    table["colons"] = _colon_times(table["time"], [b.cells or [] for b in blocks[index + 1:index + 500]
                                                                if b.kind == ROW and b.table == block.table])
                return
        kind = table["kind"]
        if kind == "timeline":
            self._timeline_table_row(block, table)
            return
        if kind is None and self.section.name == "teams" and cells:
            labelled = field_for_label(cells[0]) == "teams"
            if block.header and (not labelled or normalise_label(cells[0]) in _TEAM_COLUMN):
                return
            if not labelled:
                # "| Payments | incident lead |" under "Teams involved": the team is the first cell, the rest its role.
                self._set_field("teams", cells[0], block.line, "section 'Teams involved'", block.source)
                return
        if kind == "action":
            item = rules.action_from_table(table["columns"], cells, self.doc.day_first)
            self._add_action(item, block)
            return
        if self._key_value(block):
            return
        section = self.section.name
        if section == "timeline":
            self._timeline_table_row(block, table)
        elif section == "action_items":
            self._action_line(None, block)
        elif section == "reviewers":
            self._reviewer_row(block)
        elif section == "teams":
            self._set_field("teams", block.text, block.line, "section 'Teams involved'", block.source)
        elif section in TEXT_SECTIONS:
            self._text_line(block)

    def _looks_like_header(self, cells: list[str]) -> bool:
        norms = [normalise_label(c) for c in cells]
        columns = rules.action_header(norms)
        return (any(n in _TIME_COLUMNS for n in norms) and any(n in _EVENT_COLUMNS for n in norms)) or \
            columns is not None and self.section.name in ("action_items", "fields", "other") and \
            bool({"owner", "status", "ticket", "due", "priority"} & set(columns))

    def _header_row(self, block: Block, table: dict) -> bool:
        """Learn what a table's columns hold from its header; True when the row was only a header."""
        cells = block.cells or []
        norms = [normalise_label(c) for c in cells]
        if field_for_label(cells[0]) is not None and len(cells) == 2 and not any(n in _EVENT_COLUMNS for n in norms):
            return False
        if any(n in _TIME_COLUMNS for n in norms[:2]) and any(n in _EVENT_COLUMNS for n in norms):
            table["kind"] = "timeline"
            table["time"] = [i for i, n in enumerate(norms) if n in _TIME_COLUMNS]
            table["date"] = [i for i, n in enumerate(norms) if n in _DATE_COLUMNS]
            table["zone"] = [i for i, n in enumerate(norms) if n in _ZONE_COLUMNS]
            table["event"] = [i for i, n in enumerate(norms)
                              if n not in _TIME_COLUMNS and n not in _DATE_COLUMNS and n not in _ZONE_COLUMNS]
            for cell in cells:
                if "(" in cell or "[" in cell:
                    zone = rules.heading_zone(cell)
                    if zone and not self.doc.has("timezone"):
                        self._set_field("timezone", zone, block.line, f"timeline table header '{cell}'", block.source)
            self.seen_sections.setdefault("timeline", block.line)
            return True
        columns = rules.action_header(norms)
        if columns is not None and self.section.name not in ("timeline", "reviewers") and (
                self.section.name == "action_items" or sum(c is not None for c in columns) >= 2
                and {"owner", "status", "ticket", "due", "priority"} & set(columns)):
            table["kind"], table["columns"] = "action", columns
            self.seen_sections.setdefault("action_items", block.line)
            return True
        table["header"] = norms
        if self.section.name == "reviewers" and norms and norms[0] in _REVIEWER_HEADER:
            return True
        if self.section.name == "timeline" and norms and norms[0] in ("time", "when", "date", "timestamp", "date time"):
            return True
        return False

    def _timeline_table_row(self, block: Block, table: dict) -> None:
        cells = block.cells or []
        if table.get("kind") == "timeline":
            # A zone column's cell is the row's zone only when it names one ("BST", not "us-east-1a" or "local").
            zones = [cells[i].strip() for i in table.get("zone", ()) if i < len(cells) and cells[i].strip()]
            named = [z for z in zones if rules.is_zone(z)]
            event = " ".join([cells[i] for i in table["event"] if i < len(cells) and cells[i]]
                             + [z for z in zones if z not in named])
            times = [cells[i] if _YEAR.fullmatch(cells[i].strip()) and (table.get("colons") or _year_row(event))
                     else _HHMM.sub(r"\1:\2", cells[i].strip()) for i in table["time"] if i < len(cells) and cells[i]]
            if times:
                times += named
            when = " ".join([cells[i] for i in table["date"] if i < len(cells) and cells[i]] + times)
            if not when.strip():
                return
            split = rules.split_time(when + " x", self.doc.day_first)
            if split is None:
                day = find_date(when, self.doc.day_first)
                if day is None and _YEAR.fullmatch(when.strip()):  # "| 2023 | March 14 |"
                    day = find_date(f"{event.strip(' *_')} {when.strip()}", self.doc.day_first)
                if day is not None:
                    self._timeline_day(day[0].isoformat(), block.line)
                elif event and _CLOCKLIKE.match(when.strip()) and not _YEAR.match(when.strip()):
                    self.doc.problem("warning", "timeline", f"timeline row's time '{when[:40]}' could not be read: "
                                                            f"'{event[:80]}'", block.line)
                return
            self._timeline_row(block.line, split[0], event, block.source)
            return
        if len(cells) >= 2:
            when, event = cells[0], " ".join(cells[1:])
            if normalise_label(when) in ("time", "when", "date", "timestamp", "date time"):
                return
            if len(cells) >= 3 and find_date(cells[0], self.doc.day_first) and rules.split_time(cells[1] + " x"):
                when, event = f"{cells[0]} {cells[1]}", " ".join(cells[2:])
            self._timeline_row(block.line, when, event, block.source)

    # -- labelled values ------------------------------------------------------------------------
    def _key_value(self, block: Block) -> bool:
        """A ``label -> value`` row of a known field, in any shape. True if consumed."""
        section = self.section.name
        if block.kind == ROW:
            cells = block.cells or []
            if not cells:
                return False
            if len(cells) >= 4 and len(cells) % 2 == 0 and section not in ("timeline", "action_items", "reviewers"):
                pairs = [(cells[i], cells[i + 1]) for i in range(0, len(cells), 2)]
                known = [(label, value, field_for_label(label)) for label, value in pairs]
                if sum(1 for _, _, key in known if key) >= 1 and all(len(label) < 80 for label, _ in pairs):
                    for label, value, key in known:
                        if key is not None:
                            self._set_field(key, value, block.line, f"label '{_label_name(label)}'", block.source, label)
                    return True
            label, values = cells[0], cells[1:]
            key = field_for_label(label)
            if key is None:
                return False
            if section in ("action_items", "reviewers", "timeline") and key != "teams" and len(values) > 1:
                return False
            self._set_field(key, " ".join(v for v in values if v), block.line, f"label '{_label_name(label)}'",
                            block.source, label)
            return True
        if block.label is None:
            dashed = None if section in _NOT_DASHED else _DASHED_TIMING.fullmatch(block.text[:200])
            if dashed is None or not (field_for_label(dashed.group(1)) or "").startswith("timing."):
                return False
            # "Time to detect - 12 minutes": a timing label set off by a dash.
            label, value = dashed.group(1), dashed.group(2)
            self._set_field(field_for_label(label), value, block.line, f"label '{_label_name(label)}'", block.source, label)  # type: ignore[arg-type]
            return True
        label, value = block.label, block.value or ""
        key = field_for_label(label)
        if key in _LIST_FIELDS and block.kind == TEXT and not value.strip():
            self.label_list = (key, block.line, label)
            if not self.doc.has(key):
                self.doc.placeholders.add(key)
                self.doc.lines.setdefault(key, block.line)
            return True
        if block.kind == TEXT and key is None:
            found = section_for_title(label)
            if found and found[0] in TEXT_SECTIONS and value.strip():
                self._end_paragraph()
                self.section = _Section(found[0], self.section.level, block.line, label)
                self.seen_sections.setdefault(found[0], block.line)
                self._text_line(Block(TEXT, block.line, value, block.source, para=True))
                if found[0] in _PROSE_SECTIONS:
                    self._prose(Block(TEXT, block.line, value, block.source))
                return True
        if key is None:
            found = section_for_title(label)
            if found and found[0] == "action_items" and value.strip() and section not in ("timeline", "reviewers"):
                self._inline_actions(block, value)
                return True
            return False
        if section in TEXT_SECTIONS - {"ignored", "summary", "impact_summary"} or section in ("action_items", "reviewers"):
            return False
        if section == "timeline" and key not in ("timezone", "date"):
            # A line of its own may still give the blast radius ("Providers affected: 880"), as a weaker reading
            # than the Impact section's: under a timeline it may be a running count ("300 in the first hour").
            if block.kind == TEXT and key.startswith("blast_radius.") and value.strip():
                self.doc.offer(key, value.strip(), block.line, f"label '{_label_name(label)}' under the timeline",
                               block.source, STATED)
                return True
            return False
        if key.startswith("timing."):
            for label, value in self._timing_pairs(label, value):
                self._set_field(field_for_label(label), value, block.line, f"label '{_label_name(label)}'",  # type: ignore[arg-type]
                                block.source, label)
            return True
        self._set_field(key, value, block.line, f"label '{_label_name(label)}'", block.source, label)
        return True

    @staticmethod
    def _timing_pairs(label: str, value: str) -> list[tuple[str, str]]:
        """``TTD: 12m, MTTA: 3m, MTTR: 1h 10m`` as three label/value pairs: a timing label's value may carry
        further timing labels after a comma or semicolon."""
        parts = _NEXT_LABEL.split(value[:500])
        if len(parts) == 1:
            return [(label, value)]
        pairs = [(label, parts[0])]
        for part in parts[1:]:
            later, _, written = part.partition(":")
            if not (field_for_label(later) or "").startswith("timing."):
                return [(label, value)]
            pairs.append((later.strip(), written.strip()))
        return pairs

    def _set_field(self, key: str, value: str, line: int, rule: str, source: str, label: str | None = None) -> None:
        value = value.strip()
        doc = self.doc
        if len(value) >= 12 and key not in ("title", "author", "investigation_doc") and any(c.isdigit() for c in value):
            self._flush_prose()
            self._prose(Block(TEXT, line, value, source))
            self._flush_prose()
        if key == "timezone":
            declared = rules.zone_declaration(value)
            if declared:
                value = declared
        if key in ("started_at", "resolved_at", "detected_at") and label and "(" in label and not is_placeholder(value):
            zone = rules.heading_zone(label)
            if zone and zone.lower() not in value.lower():
                value = f"{value} {zone}"
        if key == "window" or key in ("date", "started_at") and rules.time_range(value) is not None:
            self._window(key, value, line, rule, source)
            if key == "window":
                return
        if key in ("started_at", "resolved_at") and self.section.name == "timeline":
            self._timeline_row(line, value, "Started at" if key == "started_at" else "Resolved at", source)
            return
        if is_placeholder(value):
            if not doc.has(key):
                doc.placeholders.add(key)
                doc.lines.setdefault(key, line)
            return
        # A Priority field gives the severity only where no Severity field does, wherever each stands.
        strength = STATED if key == "severity" and label and "priority" in label.lower() else EXPLICIT
        if doc.has(key):
            if key in _LIST_FIELDS:
                doc.set(key, f"{doc.get(key)}, {value}")
            elif doc.strengths.get(key, 0) <= EXPLICIT:
                doc.offer(key, value, line, rule, source, strength)
            return
        doc.placeholders.discard(key)
        doc.set(key, value, line, rule, source, strength)

    def _timeline_heading_zone(self, block: Block, title: str) -> None:
        """The zone a timeline heading names (``## Timeline (all times PDT)``). The rows below are written in
        it, so it wins over a zone given elsewhere (front matter ``timezone: UTC``); the builder warns, naming
        both."""
        zone = rules.heading_zone(title)
        if not zone:
            return
        if not self.doc.has("timezone"):
            self._set_field("timezone", zone, block.line, TIMELINE_HEADING_ZONE, block.source)
            return
        declared = self.doc.get("timezone")
        try:
            same = rules.same_zone(str(declared), zone)
        except ValueError:
            return
        if not same:
            self.doc.others.setdefault("timezone", []).append((declared, self.doc.source_of("timezone")))
            self.doc.set("timezone", zone, block.line, TIMELINE_HEADING_ZONE, block.source)
            self.doc.lines["timezone"] = block.line

    def _window(self, key: str, value: str, line: int, rule: str, source: str) -> None:
        """A field that states when the incident ran (``When: 2024-04-08 02:00–03:10``, ``Time: 1405 - 1650
        (BST)``): its start and end, its day and its zone."""
        window = rules.time_range(value, allow_hhmm=True)
        if window is None:
            return
        found = find_date(value, self.doc.day_first)
        start, end = window
        if found and not find_date(start, self.doc.day_first):
            day = value[found[1]:found[2]]
            start, end = f"{day} {start}", end if find_date(end, self.doc.day_first) else f"{day} {end}"
        for field, moment in (("started_at", start), ("resolved_at", end)):
            self.doc.offer(field, moment, line, f"{rule} (time window)", source, EXPLICIT)
        zone = rules.heading_zone(value)
        if zone and not self.doc.has("timezone"):
            self.doc.set("timezone", zone, line, f"{rule} (zone)", source)

    # -- time zones -------------------------------------------------------------------------------
    def _note_zone(self, block: Block) -> None:
        """A line that declares the document's zone ("All times are in PST"); the first valid one counts,
        and a sentence that only mentions "all times" declares nothing."""
        text = block.text
        if block.kind == ROW and block.cells:
            text = " ".join(block.cells)
        declared = rules.zone_declaration(text)
        if declared is None:
            return
        if declared.startswith("<"):
            if not self.doc.has("timezone"):
                self.doc.placeholders.add("timezone")
                self.doc.lines.setdefault("timezone", block.line)
            return
        if not self.doc.has("timezone"):
            self.doc.placeholders.discard("timezone")
            self.doc.set("timezone", declared, block.line, ZONE_SENTENCE, block.source)
        date_in_line = find_date(block.text, self.doc.day_first)
        if date_in_line is not None and self.section.name == "timeline":
            self._timeline_day(date_in_line[0].isoformat(), block.line)

    # -- timeline ----------------------------------------------------------------------------------
    def _timeline_line(self, block: Block) -> bool:
        """A line of the timeline; True when it was a row (or the time or event of one)."""
        text = block.text
        if block.kind == ITEM and block.depth > 0 and self.pending is None and block.parent is not None:
            own = rules.split_time(text, self.doc.day_first)
            if own is None:
                return True
        split = rules.split_time(text, self.doc.day_first)
        if split is not None:
            self._close_pending()
            mention = rules.severity_mention(split[1]) if split[1] else None
            if mention:
                self.doc.offer("severity", mention, block.line, "severity named in the timeline", block.source, TIMELINE)
            if split[1]:
                self._timeline_row(block.line, split[0], split[1], block.source)
            else:
                self.pending = {"time": split[0], "event": "", "line": block.line}
            return True
        day = find_date(text, self.doc.day_first)
        if day is not None and day[1] == 0 and len(text) - day[2] < 40:
            self._close_pending()
            self._timeline_day(day[0].isoformat(), block.line)
            return True
        if self.pending is not None and self.pending["event"] and block.para:
            self._close_pending()
            return False
        if self.pending is not None:
            self.pending["event"] = f"{self.pending['event']} {text}".strip()
            return True
        if block.kind == ITEM and not is_instruction(text) and not _ANGLED.fullmatch(text) \
                and not is_placeholder(text):
            self.doc.problem("warning", "timeline", f"timeline row without a time: '{text[:80]}'", block.line)
        return False

    def _timeline_day(self, day: str, line: int) -> None:
        self._append("timeline", {"day": day, "line": line}, line, day, "timeline rows")

    def _close_pending(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            self._timeline_row(pending["line"], pending["time"], pending["event"], pending["time"])

    def _timeline_row(self, line: int, when: str, event: str, source: str = "", posted: bool = False) -> None:
        when, event = clean(when), clean(event)
        if _TIME_PLACEHOLDER.fullmatch(when) or is_placeholder(when):
            if not self.doc.has("timeline"):
                self.doc.placeholders.add("timeline")
                self.doc.lines.setdefault("timeline", line)
            return
        if event[:1] == "<":
            event = rules.ANGLE_WRAPPED.sub(r"\1", event)
        row = {"time": when, "event": event, "line": line}
        if posted:
            row["posted"] = True
        self._append("timeline", row, line, source, "timeline rows")
        self.doc.placeholders.discard("timeline")
        self.seen_sections.setdefault("timeline", line)

    def _status_update(self, index: int, block: Block, blocks: list[Block]) -> bool:
        """A status page's update: ``**Resolved** - This incident has been resolved.`` followed by (or
        ending in) the time it was posted. Becomes a timeline row, wherever it is."""
        if block.kind not in (TEXT, ITEM) or not block.text[:1].isalpha() or block.text[:1].islower():
            return False
        parts = rules.segments(block.text)
        if len(parts) >= 2 and rules.status_update(parts[0]) and len(parts[0]) <= 20:
            rest = " ".join(parts[1:])
            split = rules.split_time(rest, self.doc.day_first)
            if split is not None:
                self._close_pending()
                self._timeline_row(block.line, split[0], f"{parts[0]} - {split[1].lstrip('—–- ')}", block.source)
                self._prose(Block(TEXT, block.line, split[1], block.source))
                return True
        if block.kind != TEXT:
            return False
        update = rules.status_update(block.text)
        if update is None or not _EMPHASIS_OR_CAPITAL.match(block.source.strip()) or not rules.status_word_led(block.text):
            return False
        texts, posted, consumed = [update[1]], None, index
        tail = rules.trailing_posted_time(update[1])
        if tail is not None:
            posted, texts = tail
        for j in range(index + 1, min(index + 12, len(blocks))):
            if posted is not None:
                break
            following = blocks[j]
            if following.kind != TEXT or following.para and j > index + 1 and texts:
                if following.kind == TEXT and (found := rules.posted_time(following.text)) is not None:
                    posted, consumed = found, j
                break
            found = rules.posted_time(following.text)
            if found is not None:
                posted, consumed = found, j
                break
            tail = rules.trailing_posted_time(following.text)
            if tail is not None:
                posted, consumed = tail[0], j
                texts.append(tail[1][0])
                break
            texts.append(following.text)
        if posted is None:
            return False
        self.skip.update(range(index + 1, consumed + 1))
        self._close_pending()
        text = " ".join(t for t in texts if t)
        self._timeline_row(block.line, posted, f"{update[0]} - {text}".strip(" -"), block.source, posted=True)
        if text:
            self._flush_prose()
            self._prose(Block(TEXT, block.line, text, block.source))
            self._flush_prose()
        return True

    # -- action items --------------------------------------------------------------------------------
    def _action_line(self, index: int | None, block: Block) -> None:
        if block.kind == ROW:
            cells = block.cells or []
            norms = [normalise_label(c) for c in cells]
            columns = rules.action_header(norms)
            table = self.tables.setdefault(block.table, {"header": None, "kind": None})
            if columns is not None and table["kind"] is None:
                table["kind"], table["columns"] = "action", columns
                return
            # The cells apart (a gap, as where a ticket was): "| Retry jobs | Ann | Cancelled |" ends in a status.
            self._add_action(rules.action_from_text(f" {rules.GAP} ".join(cells), self.doc.day_first), block)
            return
        text = block.text
        if is_instruction(text):
            return
        if _EMPTY_TEXT.fullmatch(text) or _EMPTY_ACTION.match(text):
            self.doc.placeholders.add("action_items")
            self.doc.lines.setdefault("action_items", block.line)
            return
        if block.kind == ITEM and block.parent is not None and block.parent in self.items:
            self._sub_item(self.items[block.parent], text)
            return
        if index is not None and self._item_field(index, block):
            return
        if block.kind != ITEM and not _ACTION_ID.match(text):
            return
        item = rules.action_from_text(text, self.doc.day_first)
        if item is None:
            return
        if block.task is not None and item.get("status") != "wontfix":
            item["status"] = "open" if block.task == " " else "done"
        if index is not None:
            self.items[index] = item
            self.item_tail = (index, item)
        self._add_action(item, block)

    def _inline_actions(self, block: Block, value: str) -> None:
        """``**Actions:** flag reverted (done); add a canary (open).``: one item per part; ``none`` is none."""
        self.seen_sections.setdefault("action_items", block.line)
        if _NO_ACTIONS.match(value.strip()):
            self.doc.placeholders.discard("action_items")
            if not self.doc.has("action_items"):
                self.doc.set("action_items", [], block.line, "action items stated as none", block.source)
            return
        for part in _SEMICOLON.split(value.strip().rstrip(".")):
            item = rules.action_from_text(part, self.doc.day_first)
            if item is not None:
                item["line"] = block.line
                self._append("action_items", item, block.line, block.source, "action items in a line")

    def _item_group(self, index: int, block: Block, blocks: list[Block]) -> bool:
        """Whether a list item only titles the checkboxes under it ("1. **Timezone handling**" or "1. Timezone
        handling:" over "- [x] Render clinic hours ..."). Its checkboxes are then read as items, not as its
        owner and status. Over other sub-bullets ("- Owner: Mei") a bold or colon item is the action."""
        if block.kind != ITEM or index + 1 >= len(blocks):
            return False
        child = blocks[index + 1]
        if child.kind != ITEM or child.parent != index or child.task is None:
            return False
        marked = _ITEM.match(block.source.strip())
        content = marked.group(1) if marked else ""
        return _BOLD_ONLY.match(content) is not None or content.endswith(":")

    def _item_field(self, index: int, block: Block, blocks: list[Block] | None = None) -> bool:
        """A line that goes on an action item (indented under it, or straight after it with no blank line
        between, as Markdown continues a list item) gives the fields the item lacks: "Owner: Web team",
        "Status: Done", "Completed: 2024-05-10", or a wrapped sentence's "Owner: Ada Byrne." (Read as the
        document's own label, "Status: ..." would end the list.) True if consumed."""
        indented = block.source[:1] in (" ", "\t")
        if block.kind != TEXT or self.item_tail is None or self.item_tail[0] != index - 1 \
                or not indented and (block.para or blocks is None or not _list_goes_on(blocks, index)) \
                or _ACTION_ID.match(block.text):
            return False
        # Straight after the item, a line of the document's own ("What went well: ...") is not the item's.
        if block.label is not None and not indented and not _ITEM_LABEL.match(block.text) \
                and (field_for_label(block.label) is not None or section_for_title(block.label) is not None):
            return False
        item = self.item_tail[1]
        done = _ITEM_COMPLETED.match(block.text)
        if done is None:
            # From its first label on: the rest of a wrapped sentence ("... is\n  done.") says nothing of the item.
            labelled = _ITEM_LABEL.match(block.text) or _LABEL_AFTER_SENTENCE.search(block.text)
            if labelled:
                self._sub_item(item, block.text[labelled.start(1) if labelled.re is _LABEL_AFTER_SENTENCE else 0:])
        elif (day := find_date(done.group(1), self.doc.day_first)) and day[1] == 0:
            item.setdefault("status", "done")
            item.setdefault("completed", day[0].isoformat())
        elif (answer := done.group(1).strip(" .").lower()) in ("yes", "no"):
            item.setdefault("status", "done" if answer == "yes" else "open")
        self.item_tail = (index, item)
        return True

    def _sub_item(self, parent: dict, text: str) -> None:
        """A sub-bullet belongs to its item: it may give the owner, ticket or status the item lacks."""
        found = rules.action_from_text(text, self.doc.day_first, allow_empty=True) or {}
        for key in ("owner", "ticket", "ticket_url", "status", "completed"):
            if key in found and key not in parent:
                parent[key] = found[key]

    def _add_action(self, item: dict | None, block: Block) -> None:
        if item is None:
            return
        if self.priority and not item.get("priority"):
            item["priority"] = self.priority
        if self.group_status and "status" not in item:
            item["status"] = self.group_status
        item["line"] = block.line
        self.doc.placeholders.discard("action_items")
        self._append("action_items", item, block.line, block.source,
                     f"action items under '{self.section.title[:40]}'" if self.section.name == "action_items"
                     else "action item table" if block.kind == ROW else "checkbox item")

    # -- reviewers, text ----------------------------------------------------------------------------
    def _reviewer_row(self, block: Block) -> None:
        cells = block.cells or []
        if normalise_label(cells[0]) in _REVIEWER_HEADER:
            return
        if is_placeholder(cells[0]):
            self.doc.placeholders.add("reviewers")
            return
        self._add_reviewer({"name": clean(cells[0]), "state": clean(cells[1]) if len(cells) > 1 else None,
                            "date": clean(cells[2]) if len(cells) > 2 else None, "line": block.line})

    def _reviewer_line(self, block: Block) -> None:
        text = block.text
        if is_instruction(text) or is_placeholder(text):
            return
        reviewer = rules.reviewer_from_text(text, self.doc.day_first)
        reviewer["line"] = block.line
        self._add_reviewer(reviewer)

    def _add_reviewer(self, reviewer: dict) -> None:
        self._append("reviewers", reviewer, reviewer["line"], reviewer["name"], f"reviewers under '{self.section.title[:40]}'")

    def _append(self, key: str, row: dict, line: int, source: str, rule: str) -> None:
        """Add a row to a list field; the first row says where the list was read."""
        rows = self.doc.get(key)
        if rows is None:
            self.doc.set(key, [row], line, rule, source)
        else:
            rows.append(row)

    def _text_line(self, block: Block) -> None:
        section = self.section.name
        if section == "ignored":
            return
        text = block.text
        if is_instruction(text) or is_placeholder(text) or _EMPTY_TEXT.fullmatch(text):
            return
        if text[:1] == "<":
            text = rules.ANGLE_WRAPPED.sub(r"\1", text)
        if section in ("impact_summary", "summary"):
            if block.para and self.paragraph:
                self._end_paragraph()
            self.paragraph.append(text)
            return
        parts = self.texts.setdefault(section, [])
        if block.kind == TEXT and not block.para and parts and self.paragraph:
            parts[-1] = f"{parts[-1]} {text}"
        elif block.kind == ITEM and block.depth > 0 and parts:
            parts[-1] = f"{parts[-1]} {text}"
        else:
            parts.append(text)
        self.paragraph.append(text)
        self.doc.lines.setdefault(section, block.line)

    def _end_paragraph(self) -> None:
        if self.section.name in ("impact_summary", "summary") and self.paragraph:
            self.texts.setdefault(self.section.name, []).append(" ".join(self.paragraph))
            self.doc.lines.setdefault(self.section.name, self.section.line)
        self.paragraph = []

    def _other_line(self, block: Block) -> None:
        if self.section.name == "fields" and self.doc.first_heading is None and self.section.line == 0 \
                and block.kind == TEXT and (not block.label or field_for_label(block.label) is None) \
                and not self.email and find_date(block.text) is None:
            text = block.text
            if text and not is_instruction(text) and not self.doc.has("title") and len(text) < 200:
                self.doc.first_heading = text
                self.doc.sources["first_heading"] = _source(block, "first line")

    # -- prose ------------------------------------------------------------------------------------------
    def _prose(self, block: Block) -> None:
        """Gather a paragraph's lines (authors wrap sentences across lines) for the prose rules."""
        buffer = self.prose_buffer
        if buffer and (block.kind != TEXT or block.para or buffer[-1].kind != TEXT or buffer[-1].line != block.line - 1):
            self._flush_prose()
        if not self.prose_buffer:
            self.prose_section = self.section.name
        self.prose_buffer.append(block)
        if block.kind != TEXT:
            self._flush_prose()

    def _flush_prose(self) -> None:
        """Weak rules over a paragraph: a stated duration, a time range, the moments it states, a
        severity, a date. Each value names the line its words are on."""
        blocks, self.prose_buffer = self.prose_buffer, []
        if not blocks:
            return
        starts, parts, position = [], [], 0
        for block in blocks:
            starts.append(position)
            parts.append(block.text)
            position += len(block.text) + 1
        text = " ".join(parts)
        if len(text) < 12:
            self._prose_date(blocks[0])
            return

        def at(offset: int) -> Block:
            return blocks[max(i for i, start in enumerate(starts) if start <= max(offset, 0))]

        found = rules.prose_duration_at(text)
        if found:
            duration, where = found[0], at(found[1])
            self.doc.offer("timing.total_duration", duration, where.line, "prose duration", where.source, STATED)
        span = rules.prose_time_range(text)
        if span:
            where = at(text.find(span[0].split()[-2] if len(span[0].split()) > 1 else span[0]))
            for key, value in zip(("started_at", "resolved_at"), span):
                self.doc.offer(f"prose.{key}", value, where.line, "prose time range", where.source, PROSE)
        if self.prose_section in ("impact_summary", "summary"):
            for key, value, offset in rules.prose_blast_radius(text):
                where = at(offset)
                self.doc.offer(key, value, where.line, "count in the impact's text", where.source, PROSE)
        mention = rules.severity_mention(text)
        if mention:
            where = at(text.find(mention))
            self.doc.offer("severity", mention, where.line, "severity named in text", where.source, PROSE)
        for word in rules.status_words(text):
            where = at(text.find(word))
            self.doc.offer("severity", word, where.line, "component status", where.source, PROSE)
        if ":" in text or "am" in text or "pm" in text or "AM" in text or "PM" in text:
            moments = rules.prose_moments(text)
            if moments:
                stored = self.doc.get("prose.moments") or []
                for kind, when, words, offset in moments:
                    where = at(offset)
                    stored.append({"kind": kind, "time": when, "words": words, "line": where.line, "text": where.source})
                self.doc.set("prose.moments", stored, blocks[0].line)
        for block in blocks:
            if self.doc.has("prose.date"):
                break
            self._prose_date(block)

    def _prose_date(self, block: Block) -> None:
        """The first date a sentence gives (not the date a page was posted or updated on); a day without
        its year (``On Saturday, January 13``) is kept apart, for the builder to place in the file's year."""
        if self.doc.has("prose.date"):
            return
        text = block.text
        found = find_date(text, self.doc.day_first)
        while found and _PUBLISHED.search(text[max(0, found[1] - 40):found[1]]):
            rest = found[2]
            found = find_date(text[rest:], self.doc.day_first)
            found = (found[0], found[1] + rest, found[2] + rest) if found else None
        if found:
            self.doc.offer("prose.date", found[0].isoformat(), block.line, "date in text", block.source, PROSE)
        elif not self.doc.has("prose.monthday"):
            md = find_month_day(text[:300], 2000)
            weekday = md is not None and _WEEKDAY.match(text[md[1]:md[2]])
            introduced = md is not None and _INTRODUCED.search(text[max(0, md[1] - 30):md[1]] + " ")
            if md and not _PUBLISHED.search(text[max(0, md[1] - 40):md[1]]) and (weekday or introduced):
                self.doc.offer("prose.monthday", text[md[1]:md[2]], block.line, "day in text", block.source, PROSE)

    def _heading_severity(self, block: Block) -> None:
        word = rules.heading_severity(block.text)
        if word:
            self.doc.offer("severity", word, block.line, "severity beside the title", block.source, TIMELINE)


def _plain_title(text: str) -> bool:
    """A plain line that is a section title (the template exported as text has no other headings)."""
    if section_for_title(text) is None:
        return False
    return ":" not in text or text.endswith(":") or text[:8].lower() == "timeline"


def _label_name(label: str) -> str:
    name = _PARENTHESISED.sub(" ", clean(label)).strip(" *:")
    return name[:60]


def _source(block: Block, rule: str):
    from pm_analytics.parse.raw import Source

    return Source(block.line, rule, Source.quote(block.source or block.text))


# -- files holding several incidents -------------------------------------------------------------------

_INCIDENT_HEADING = re.compile(r"\bincident\b[^a-z]{0,3}#?\s*\d|\b[A-Z][A-Z0-9]{1,9}-\d{1,6}\b|\bINC\d{2,}", re.I)
_ID_IN_HEADING = re.compile(r"\b([A-Z][A-Z0-9]{1,9}-\d{1,6})\b")
# What a file says when it holds several incidents: a log, a history, a roll-up, a report of a period.
_COLLECTION = Gated(
    r"\b(?:incidents|incident (?:log|history|report(?:s)? for|roll-?up|digest|summary for|summaries|reports|register)|"
    r"on-?call log|status history|past incidents|availability report|reliability report|outage log|"
    r"(?:one|an?) (?:section|entry|heading) (?:per|for each) incident|post-?mortems)\b", re.I)


@dataclass
class IncidentSection:
    """One incident of a file that holds several: its title, id (if it names one), the date and time its
    heading gives, and its blocks."""

    title: str
    incident_id: str | None
    blocks: list[Block]
    heading: Block | None = None


def _written_twice(blocks: list[Block], at: int, following: tuple[int, Block] | None) -> bool:
    """True when the heading at ``at`` is directly followed by the same heading (a title pasted twice):
    one incident's title, not two incidents."""
    return (following is not None and following[0] == at + 1
            and following[1].text.strip().casefold() == blocks[at].text.strip().casefold())


def split_incidents(blocks: list[Block], day_first: bool | None = None) -> tuple[list[Block], list[IncidentSection]]:
    """A file's preamble and its incident sections, when it is a log or roll-up of several incidents;
    else ``(blocks, [])``. Sections are the headings of one level that are no known section, two or
    more of them, when they name an incident by a date or an id, or the file says it holds incidents
    ("Incident log", "Past incidents", "Four incidents ...") — and no known section (Impact,
    Timeline, Action items ...) stands beside them at that level, which would make them parts of one."""
    headings = [(i, b) for i, b in enumerate(blocks) if b.kind == HEADING and b.level < BOLD_LEVEL]
    if len(headings) < 2:
        return blocks, []
    first_text = next((b for b in blocks if b.kind in (TEXT, HEADING)), None)
    intro = " ".join(b.text for b in blocks[:headings[1][0]] if b.kind in (TEXT, HEADING))[:2000]
    says_collection = bool(_COLLECTION.search(intro)) if first_text is not None else False
    for level in sorted({b.level for _, b in headings}):
        at_level = [(i, b) for i, b in headings if b.level == level]
        unknown = [(i, b) for i, b in at_level if section_for_title(b.text) is None and field_for_label(b.text) is None
                   and not _only_a_period(b.text)]
        named = [(i, b) for i, b in unknown if _names_incident(b.text, day_first)]
        candidates = named if len(named) >= 2 else unknown if says_collection and len(unknown) >= 2 else []
        if len(candidates) < 2:
            continue
        known = [section_for_title(b.text)[0] for _, b in at_level if section_for_title(b.text) is not None]  # type: ignore[index]
        if any(k in MAJOR_SECTIONS | {"timeline"} for k in known):
            return blocks, []
        candidates = [(i, b) for i, b in candidates if not _inside_timeline(headings, i, b)]
        candidates = [(i, b) for k, (i, b) in enumerate(candidates)
                      if not _written_twice(blocks, i, candidates[k + 1] if k + 1 < len(candidates) else None)]
        if len(candidates) < 2:
            continue
        chosen = {i for i, _ in candidates}
        first = candidates[0][0]
        bounds = [i for i, _ in at_level if i >= first] + [len(blocks)]
        sections = []
        for start, end in zip(bounds, bounds[1:]):
            if start not in chosen:
                continue
            heading = blocks[start]
            title = _title_of(heading.text, day_first)
            if len(_WORD.findall(title)) < 2:
                inner = next((b for b in blocks[start + 1:end] if b.kind == HEADING and section_for_title(b.text) is None), None)
                title = inner.text if inner is not None else title
            sections.append(IncidentSection(title, _id_of(heading.text), blocks[start:end], heading))
        return blocks[:first], sections
    return blocks, []


_PERIOD_WORDS = re.compile(r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun|q[1-4]|week|"
                           r"quarter|h[12]|\d+|st|nd|rd|th|of|and|to)[a-z]*", re.I)


_WORD = re.compile(r"[A-Za-z]{3,}")
_WORD_OR_NUMBER = re.compile(r"[A-Za-z]+|\d+")
_CLOCK = re.compile(r"\d{1,2}:\d{2}")
_LEADING_ID = re.compile(r"\s*\[?([A-Z][A-Z0-9]{1,9}-\d{1,6})\]?\s*[-–—:|]\s*")
_TRAILING_SEVERITY = re.compile(r"\s*[(\[](?:major|minor|critical|sev[ -]?\d|p\d)[)\]]\s*$", re.I)
_TITLE_ENDS = re.compile(r"^[\s\-–—:|,()\[\]]+|[\s\-–—:|,(\[]+$")
_SPACES = re.compile(r"\s+")


def _only_a_period(title: str) -> bool:
    """A heading that names only a month, week or year (``July 2024``, ``Q2``): a group of incidents."""
    words = _WORD_OR_NUMBER.findall(title)
    return bool(words) and all(_PERIOD_WORDS.fullmatch(w) for w in words) and not find_date(title) \
        and not find_month_day(title, 2000)


def _inside_timeline(headings: list[tuple[int, Block]], index: int, block: Block) -> bool:
    """Whether a heading sits under a Timeline heading (a time or day of one incident's timeline)."""
    for i, parent in reversed(headings):
        if i < index and parent.level < block.level:
            found = section_for_title(parent.text)
            return found is not None and found[0] == "timeline"
    return False


def _names_incident(title: str, day_first: bool | None) -> bool:
    if section_for_title(title) is not None or len(title) > 200:
        return False
    found = find_date(title, day_first) or find_month_day(title, 2000)
    if found is not None:
        rest = (title[:found[1]] + title[found[2]:]).strip(" -–—:|,()[]")
        return len(_WORD.findall(rest)) >= 2 or bool(_CLOCK.search(rest))
    return bool(_INCIDENT_HEADING.search(title))


def _title_of(title: str, day_first: bool | None) -> str:
    lead = _LEADING_ID.match(title)
    if lead:
        title = title[lead.end():]
    found = find_date(title, day_first) or find_month_day(title, 2000)
    if found is not None:
        title = f"{title[:found[1]]} {title[found[2]:]}"
    title = _TRAILING_SEVERITY.sub("", title)
    return _TITLE_ENDS.sub("", _SPACES.sub(" ", title)).strip() or title


def _id_of(title: str) -> str | None:
    m = _ID_IN_HEADING.search(title)
    return m.group(1) if m else None


# -- registers: one incident per table row ---------------------------------------------------------------

_REGISTER_COLUMNS = {
    "date": ("date", "day", "incident date"), "started_at": ("start", "started", "start time", "begin", "began", "from"),
    "detected_at": ("detected", "detection", "detected at", "detection time"),
    "resolved_at": ("end", "ended", "end time", "resolved", "resolution", "until", "to", "restored"),
    "timing.total_duration": ("duration", "downtime", "length"), "severity": ("priority", "severity", "sev", "prio"),
    "title": ("description", "title", "summary", "incident", "what happened", "subject"),
    "id": ("no", "id", "number", "ref", "reference", "incident id", "ticket"),
    "action": ("follow up", "follow ups", "action", "actions", "problem", "change", "follow up ticket"),
}
_REGISTER_COLUMN_OF = {name: key for key, names in _REGISTER_COLUMNS.items() for name in names}


def register_rows(blocks: list[Block]) -> list[dict[str, tuple[str, Block]]]:
    """The rows of an incident register, a table with one incident per row (columns for the date, the start,
    the end and a description): each row's values by raw key, with the row's block. Empty when the file
    holds no such table with two rows or more."""
    tables: dict[int, list[Block]] = {}
    for block in blocks:
        if block.kind == ROW:
            tables.setdefault(block.table, []).append(block)
    for rows in tables.values():
        if len(rows) < 3:
            continue
        header = [normalise_label(c) for c in rows[0].cells or []]
        columns = [_REGISTER_COLUMN_OF.get(c) for c in header]
        if not {"started_at", "title"} <= set(columns) or not ({"resolved_at", "timing.total_duration"} & set(columns)):
            continue
        found = []
        for row in rows[1:]:
            values = {}
            for column, cell in zip(columns, row.cells or []):
                if column is not None and cell and not is_placeholder(cell):
                    values[column] = (clean(cell), row)
            dated = "date" in values or "started_at" in values and find_date(values["started_at"][0])
            if "title" in values and dated:
                found.append(values)
        if len(found) >= 2:
            return found
    return []


def read_register_row(values: dict[str, tuple[str, Block]], doc: RawDoc) -> RawDoc:
    """One register row as a raw document: the start, detection and end are its day's times (an end
    earlier than the start is the next day), the follow-up column an action item."""
    day = values["date"][0] if "date" in values else ""
    for key, (value, row) in values.items():
        rule = f"register column '{key.replace('timing.total_duration', 'duration').replace('_at', '')}'"
        if key in ("started_at", "detected_at", "resolved_at"):
            value = value if find_date(value, doc.day_first) or not day else f"{day} {value}"
        if key == "action":
            item = rules.action_from_text(value, doc.day_first, allow_empty=True) or {}
            if item:
                item["description"] = item.get("description") or value
                item["line"] = row.line
                doc.set("action_items", [item], row.line, rule, row.source)
            continue
        if key == "title":
            doc.first_heading = value
            doc.sources["first_heading"] = _source(row, rule)
            continue
        doc.set(key, value, row.line, rule, row.source)
    return doc
