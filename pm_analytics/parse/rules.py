"""Line rules: small pure functions that read one thing from one line of a post-mortem.

Each takes a line's cleaned text and returns what it read, or ``None``; the
reader (:mod:`.reader`) decides where a rule applies and records its name
with the value. Their examples live in ``tests/test_reader_rules.py``. Every
pattern is anchored or bounded, and prose rules look at a bounded window, so
no line costs more than linear time.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from pm_analytics.parse.values import (
    MAX_VALUE_CHARS,
    clean,
    find_clock,
    find_date,
    is_placeholder,
    parse_count,
    resolve_timezone,
)

# -- timeline rows --------------------------------------------------------------------------

_CLOCK_TEXT = r"\d{1,2}(?:[:.h]\d{2}(?::\d{2})?)?(?:[ \t]?[aApP]\.?[ \t]?[mM]\b\.?|[aApP](?![\w'-]))?"
# An offset first: "UTC" alone would match the start of "UTC+1" and leave "+1" in the event, an hour off;
# but a minus only with whole hours ("UTC-5"): "10:00 UTC-11:00" is a range, as is "UTC+1 - 11:00 UTC".
# No bare offset: "(+00:25)" is time elapsed and "10:00-11:00" a range (ISO moments with their offsets are
# taken whole by _ISO_MOMENT).
_ZONE_WORD = (r"(?:(?:UTC|GMT) ?(?:\+\d{1,2}(?::?\d{2})?|-\d{1,2}(?!:?\d))(?!:?\d)(?![ \t]*(?:UTC|GMT|[A-Z]{1,5}T)\b)|"
              r"[A-Z]{1,5}T|UTC|GMT|Z|"
              r"[A-Z]{2,5}|Eastern|Pacific|Central|Mountain|ET|PT|CT|MT)")
_ROW_TIME = re.compile(
    rf"(?P<time>{_CLOCK_TEXT})"
    rf"(?:[ \t]*(?:-|–|—|to)[ \t]*(?P<until>\d{{1,2}}[:.]\d{{2}}(?:[ \t]?[aApP]\.?[ \t]?[mM]\b\.?)?))?"
    rf"(?P<zone>[ \t]*[(\[]?{_ZONE_WORD}[)\]]?(?![\w/]))?"
    r"[ \t]*(?:[:|,.]|[-–—](?!\d))?[ \t]*(?P<event>.*)$",
    re.S,
)
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}\.?"
_MONTH_DAY_START = re.compile(
    rf"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{{0,6}}\.?,?[ \t]{{1,3}})?(?:{_MONTHS}[ \t]{{1,3}}\d{{1,2}}(?:st|nd|rd|th)?|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?[ \t]{{1,3}}{_MONTHS})(?![a-z\d])[ \t]*,?[ \t]*(?:at[ \t]+|@[ \t]*|[-–—][ \t]*)?", re.I)
_NUMERIC_DAY_START = re.compile(r"(\d{1,2}/\d{1,2})(?![/\d])[ \t,]+(?=\d)")
_LEAD = re.compile(r"(?:at|on|around|approximately|approx\.?|about)[ \t]+|~[ \t]*", re.I)
_BRACKETED_START = re.compile(r"^\[([^\]]{1,60})\]")
_AFTER_DAY = re.compile(r"^(?:T(?=\d)|[ \t]*,?[ \t]*(?:at[ \t]+|@[ \t]*|[-–—][ \t]*)?)")
_EVENT_SEPARATOR = re.compile(r"^[ \t]*(?:[:|,]|[-–—](?!\d))[ \t]*")
_OPTIONAL_EVENT_SEPARATOR = re.compile(r"^[ \t]*(?:[:|,]|[-–—](?!\d))?[ \t]*")
_MERIDIEM_END = re.compile(r"[ap]\.?\s?m\.?$|[ap]$", re.I)
# An ISO 8601 moment with its offset (2024-02-11T03:40:00-05:00): whole, or "-05:00" reads as a range's end.
# With a space for the T, only with seconds: "2024-05-01 10:00-10:20" is a range.
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?|[ ]\d{2}:\d{2}:\d{2}(?:\.\d+)?)"
                         r"[ ]?(?:Z|[+-]\d{2}:?\d{2})(?![\w:])")


def split_time(text: str, day_first: bool | None = None) -> tuple[str, str] | None:
    """``("14:51 UTC", "Traffic spikes")`` from a row that starts with a time, or ``None``.

    Reads ``14:51 Event``, ``[13:26] Event``, ``00:27 UTC: Event``, ``7:32 PM - Event``,
    ``03:26pm Event``, ``14.43 Event``, ``8:20 - 8:24 Event`` (the start), ``2019-10-21 14:51
    Event``, ``Oct 21, 14:51 UTC Event``, ``At 14:51, event``; the date and the row's own zone
    stay in the returned time. An empty event means the text follows on the next line.
    """
    text = text[:MAX_VALUE_CHARS * 10].strip()
    if text[:1].isdigit() and (iso := _ISO_MOMENT.match(text)):
        return iso.group(0), _OPTIONAL_EVENT_SEPARATOR.sub("", text[iso.end():]).strip()
    if text[:1] == "[":
        text = _BRACKETED_START.sub(r"\1", text)
    if text[:1] in "Aa~oO":
        text = _LEAD.sub("", text, count=1)
    prefix = ""
    found = find_date(text[:80], day_first)
    if found and found[1] == 0:
        prefix, text = text[:found[2]], _AFTER_DAY.sub("", text[found[2]:])
    elif (md := _MONTH_DAY_START.match(text)):  # "Sep 12", and as date columns write it, "12 Sep"
        prefix, text = md.group(0).strip(" ,-–—@").removesuffix(" at").strip(), text[md.end():]
    elif text[:1].isdigit() and (md := _NUMERIC_DAY_START.match(text)):
        prefix, text = md.group(1), text[md.end():]
    if not text[:1].isdigit():
        return None
    m = _ROW_TIME.match(text)
    if not m or find_clock(m.group("time")) is None:
        return None
    when = m.group("time").strip()
    if (offset := _row_offset(text, m, prefix)) is not None:
        when, event = f"{when} UTC{offset[0]}", offset[1]
        return " ".join(p for p in (prefix, when) if p), _OPTIONAL_EVENT_SEPARATOR.sub("", event).strip()
    if m.group("until") and when[-1:].isdigit() and (meridiem := _MERIDIEM_END.search(m.group("until"))):
        when = _range_start_meridiem(when, m.group("until"), meridiem.group(0))
    event = m.group("event").strip()
    zone = (m.group("zone") or "").strip(" \t()[]")
    if zone and not is_zone(zone):
        event = text[m.start("zone"):].strip()
        event = _EVENT_SEPARATOR.sub("", event)
        zone = ""
    if not prefix and event[:3].lower() == "on " and (after := find_date(event[3:80], day_first)) and after[1] == 0:
        prefix = event[3:3 + after[2]]
        event = _OPTIONAL_EVENT_SEPARATOR.sub("", event[3 + after[2]:])
    if not when[-1:].isdigit() and not _MERIDIEM_END.search(when):
        return None
    if "." in when and not zone and _QUANTITY.match(event):
        return None
    return " ".join(p for p in (prefix, when, zone) if p), event


# A numeric offset after a row's clock: "09:15 -04:00", "09:15 -0400", "09:15+05:30", and after an ISO date
# "2024-07-05 09:15-04:00" (a whole or half hour, which a range's end going backwards would not be).
_ROW_OFFSET = re.compile(r"(?P<gap>[ \t]?)(?P<sign>[+-])(?P<hours>[01]\d):?(?P<minutes>00|30|45)(?!\d|:\d)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _row_offset(text: str, m: re.Match, prefix: str) -> tuple[str, str] | None:
    """The offset written after a row's clock (``-04:00``) and the event after it, or ``None``."""
    if m.group("zone") or not m.group("time")[-1:].isdigit() or ":" not in m.group("time"):
        return None
    found = _ROW_OFFSET.match(text, m.end("time"))
    if not found or int(found.group("hours")) > 14:
        return None
    if found.group("sign") == "-" and not found.group("gap"):
        start = m.group("time").strip().split(":")
        going_back = (int(found.group("hours")), int(found.group("minutes"))) < (int(start[0]), int(start[1][:2]))
        if not (_ISO_DATE.match(prefix) and going_back) and ":" in text[found.start():found.end()]:
            return None
    return f"{found.group('sign')}{found.group('hours')}:{found.group('minutes')}", text[found.end():]


def _range_start_meridiem(start: str, until: str, meridiem: str) -> str:
    """``2:05`` of ``2:05–2:20 PM`` is 2:05 PM; ``11:50`` of ``11:50–12:10 PM`` is 11:50 AM (the range crosses
    noon when its start comes later on the twelve-hour dial than its end)."""
    start_hour, end_hour = int(re.split(r"[:.h]", start)[0]), int(re.split(r"[:.]", until)[0]) % 12
    if start_hour > 12:
        return start
    if start_hour % 12 > end_hour:
        meridiem = "AM" if meridiem.strip(" .").lower().startswith("p") else "PM"
    return f"{start} {meridiem.strip()}"


_QUANTITY = re.compile(r"(?:%|percent|hours?\b|hrs?\b|minutes?\b|mins?\b|seconds?\b|secs?\b|days?\b|weeks?\b|x\b|k\b|m\b|"
                       r"ms\b|s\b|[kmgt]b\b|million|billion|times\b|release|version)", re.I)


@lru_cache(maxsize=1024)
def is_zone(word: str) -> bool:
    """Whether ``word`` names a timezone as written in a document ("BST", "Europe/Dublin", "UTC+2")."""
    try:
        resolve_timezone(word)
    except ValueError:
        return False
    return word.isupper() or word[:1].isupper()


_STATUS_UPDATE = re.compile(
    r"(resolved|monitoring|identified|investigating|update|updated|mitigated|completed|postmortem|"
    r"scheduled|in progress|verifying|notice)\b[ \t]*(?:[-–—:][ \t]*)?(.*)$", re.I | re.S)
_STATUS_LED = re.compile(r"(?:resolved|monitoring|identified|investigating|update|updated|mitigated|completed|"
                         r"postmortem|scheduled|in progress|verifying|notice)[ \t]*(?:[-–—:]|$|(?=(?:on[ \t]+)?"
                         r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?[ \t]+)?[a-z]{3,9}\.?[ \t]+\d{1,2}\b))", re.I)
_POSTED = re.compile(r"(?:posted|updated)?[ \t]*(?:on[ \t]+)?(.{0,60}?\d{1,2}[:.]\d{2}.{0,20})$", re.I)


def status_update(text: str) -> tuple[str, str] | None:
    """``("Resolved", "This incident has been resolved.")`` from a status page's update line."""
    m = _STATUS_UPDATE.match(text[:2000])
    if not m:
        return None
    return m.group(1), m.group(2).strip()


def status_word_led(text: str) -> bool:
    """Whether a line opens with a status word and a separator (``Resolved - …``, ``Notice: …``)."""
    return _STATUS_LED.match(text) is not None


_TRAILING_POSTED = re.compile(
    r"(?:posted|updated)?[ \t]*(?:on[ \t]+)?((?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6},?[ \t]+)?"
    r"(?:[A-Za-z]{3,9}\.?[ \t]+\d{1,2}|\d{1,2}[ \t]+[A-Za-z]{3,9})(?:,?[ \t]+\d{4})?,?[ \t]*(?:[-–—@]|at)?[ \t]*"
    r"\d{1,2}:\d{2}(?:[ \t]?[aApP]\.?[mM]\.?)?(?:[ \t]*[A-Z]{2,5}|[ \t]+UTC[+-]\d{1,2})?)[ \t]*$")


def trailing_posted_time(text: str) -> tuple[str, list[str]] | None:
    """The time a status update was posted when the line ends with it (``… healthy. May 17, 09:45 PDT``),
    and the text before it."""
    m = _TRAILING_POSTED.search(text[-120:])
    if not m:
        return None
    found = posted_time(m.group(1))
    if found is None:
        return None
    return found, [text[:len(text) - len(text[-120:]) + m.start()].strip()]


def posted_time(text: str) -> str | None:
    """The date and time of a status update's "Posted Oct 21, 2019 - 18:46 UTC" line, or ``None``."""
    if len(text) > 100 or not any(c.isdigit() for c in text):
        return None
    m = _POSTED.fullmatch(text.strip())
    if not m:
        return None
    when = m.group(1).strip(" -–—")
    return when if split_time(when + " x") or find_date(when) else None


# -- time zones -------------------------------------------------------------------------------

_ZONE_PHRASE = re.compile(
    r"\b(?:all[ \t]+)?times[ \t]+(?:are[ \t]+|is[ \t]+)?(?:(?:shown|given|listed|noted|written|expressed|reported|"
    r"displayed|stated)[ \t]+)?(?:in[ \t]+|as[ \t]+)?(?:the[ \t]+)?", re.I)
_ZONE_TOKEN = re.compile(r"[A-Za-z][A-Za-z_/+\-0-9:]{0,40}")
_SPACES_OR_BRACKETS = re.compile(r"[\s(\[]*")


def zone_declaration(text: str) -> str | None:
    """The zone a line declares for the document's times (``All times are in America/Los_Angeles``,
    ``Timeline (all times PST)``, ``times in BST``, ``All times UTC unless noted``), or ``None``.
    Only a phrase about "times" followed by a real zone declares one: "at all times of day" does not.
    The template's unfilled ``<TTT (specify timezone)>`` is returned as written."""
    if len(text) > 2000:
        text = text[:2000]
    if "times" not in text and "Times" not in text and "TIMES" not in text:
        return None
    for m in _ZONE_PHRASE.finditer(text):
        rest = text[m.end():m.end() + 80]
        if rest.lstrip().startswith("<") and re.match(r"\s*<[^>]{0,60}(TTT|specify)", rest):
            return rest.strip()
        offset = _OFFSET_IN_BRACKETS.search(rest[:60])
        zone = _zone_at(rest)
        if zone and offset:
            named, stated = resolve_timezone(zone), resolve_timezone(offset.group(1))
            moment = datetime(2020, 1, 1)
            return zone if named.tz.utcoffset(moment) == stated.tz.utcoffset(moment) else offset.group(1)
        if zone and zone.upper() in ("IST", "CST") and (country := _ZONE_COUNTRY.search(rest)):
            return _COUNTRY_ZONES[(country.group(1) or country.group(2)).lower()[:3]]
        if offset or zone:
            return zone or offset.group(1)  # type: ignore[union-attr]
    return None


# IST is India's and CST US Central unless the words straight after it say which ("IST (Irish time)", "IST,
# Israel", "CST (China)"); a country named later in the sentence ("IST (India); the Dublin office joined
# later") does not.
_ZONE_COUNTRY = re.compile(r"^[ \t]*\(?[ \t]*(?:IST[ \t]*[(,–—-]?[ \t]*(irish|ireland|dublin|israel|jerusalem|tel aviv)|"
                           r"CST[ \t]*[(,–—-]?[ \t]*(china|chinese|beijing|shanghai))\b", re.I)
_COUNTRY_ZONES = {"iri": "Europe/Dublin", "ire": "Europe/Dublin", "dub": "Europe/Dublin", "isr": "Asia/Jerusalem",
                  "jer": "Asia/Jerusalem", "tel": "Asia/Jerusalem", "chi": "Asia/Shanghai", "bei": "Asia/Shanghai",
                  "sha": "Asia/Shanghai"}


_OFFSET_IN_BRACKETS = re.compile(r"\((UTC|GMT)\s?([+-−]\s?\d{1,2}(?::?\d{2})?)\)".replace("(UTC|GMT)\\s?([+-−]", "((?:UTC|GMT)\\s?[+-]"))


def _zone_at(rest: str) -> str | None:
    """The longest run of up to four words at the start of ``rest`` that names a zone."""
    words = _ZONE_TOKEN.findall(rest[:80])[:4]
    if not words or not rest.startswith(words[0], _SPACES_OR_BRACKETS.match(rest).end()):  # type: ignore[union-attr]
        return None
    if words[0].lower() in _NOT_ZONES:
        return None
    for n in range(len(words), 0, -1):
        candidate = " ".join(words[:n]).strip("-:")
        try:
            resolve_timezone(candidate)
        except ValueError:
            continue
        if candidate.lower() in ("a", "at", "in", "on", "of", "the", "z") and n == 1:
            return None
        return candidate
    return None


_NOT_ZONES = frozenset({"a", "an", "at", "in", "on", "of", "the", "to", "and", "or", "are", "is", "local", "our"})


_HEADING_ZONE = re.compile(r"[(\[]([^)\]]{1,40})[)\]]|[-–—:,][ \t]*(?:in[ \t]+)?([A-Za-z][\w/+:-]{0,30})[ \t]*$")


def same_zone(first: str, second: str) -> bool:
    """Whether two zones as written can name one place's time (``PDT`` or ``UTC-7`` and ``America/Los_Angeles``;
    ``ValueError`` if either is unknown)."""
    a, b = resolve_timezone(first), resolve_timezone(second)
    if a.name == b.name or a.tz == b.tz or (a.region or a.name) == (b.region or b.name):
        return True
    return any(a.tz.utcoffset(day) == b.tz.utcoffset(day) for day in _SEASONS)


# A winter and a summer day of either hemisphere: "CEST" is Europe/Berlin's time in July.
_SEASONS = (datetime(2024, 1, 15, 12), datetime(2024, 7, 15, 12))


def heading_zone(title: str) -> str | None:
    """The zone a timeline heading names: ``Timeline (UTC)``, ``Timeline - PDT``, ``Timeline [all times CET]``."""
    declared = zone_declaration(title)
    if declared:
        return declared
    m = _HEADING_ZONE.search(title)
    if not m:
        return None
    return _zone_at(m.group(1) or m.group(2))


# -- action items -------------------------------------------------------------------------------

# [text](url), allowing one level of parentheses inside the url.
MARKDOWN_LINK = re.compile(r"\[([^\]]{0,500})\]\(((?:[^()\s]|\([^()\s]{0,200}\)){1,2000})\)")
TICKET_KEY = re.compile(r"\b([A-Z][A-Z0-9]{1,15}-\d{1,9})\b")


class _Worded:
    """A case-insensitive pattern that only matches text holding one of ``words``: ASCII text holding none
    is answered without running it (other text always runs it, since re.I folds e.g. 'ſ' to 's')."""

    def __init__(self, pattern: str, words: tuple[str, ...]) -> None:
        self.rx = re.compile(pattern, re.I)
        self.words = words

    def search(self, text: str, pos: int = 0) -> re.Match | None:
        if text.isascii():
            low = text.lower()
            for word in self.words:
                if word in low:
                    break
            else:
                return None
        return self.rx.search(text, pos)

    def sub(self, replacement: str, text: str) -> str:
        return self.rx.sub(replacement, text)


_OWNER = _Worded(r"\(?\bowners?[ \t]*[:=-]?[ \t]*([^,;\[\]()\x00]{1,80}?)[ \t]*(?=,|;|\[|\)|\x00|$|[ \t]+(?:done|completed|closed|"
                 r"won.?t|status|due|eta)\b|\.[ \t]+[A-Z][a-z]{2,}[ \t]*:|\.$|[ \t]+[-–—][ \t])", ("owner",))
# "Status: Done", and with a day without its year, "Status: Done (7 Oct)" (a full date there or after the word,
# "Status: done 2024-10-11", is the completion date, read with the done word).
_STATUS_LABEL = _Worded(r"[.,;(]?[ \t]*\bstatus[ \t]*[:=][ \t]*([A-Za-z][A-Za-z_' -]{0,30}?)[ \t]*(?:[.,;)]|$|"
                        r"\([ \t]*(?:\d{1,2}(?:st|nd|rd|th)?[ \t]+[A-Za-z]{3,9}\.?|[A-Za-z]{3,9}\.?[ \t]+\d{1,2}(?:st|nd|rd|th)?|"
                        r"\d{1,2}/\d{1,2})[ \t]*\)[ \t.]*$)", ("status",))
_STATUS_PREFIX = re.compile(r"(DONE|TODO|OPEN|FIXED|COMPLETED?|CLOSED|IN PROGRESS|WIP)[ \t]*[:–—-][ \t]*", re.I)
_HANDLE = re.compile(r"(?:^|[\s(])(@[A-Za-z0-9][\w.-]{0,38})\b(?:[ \t]+(?:will|to|is|owns|has))?")
_DONE_WORD = _Worded(r"\b(done|completed|complete|closed|fixed|resolved|shipped|merged)\b|✅|✔|☑",
                     ("done", "complete", "closed", "fixed", "resolved", "shipped", "merged"))
# "won't fix" says the status wherever it stands; "cancelled", "dropped" and "obsolete" are also words of a
# description ("a check for cancelled appointments", "retry dropped messages"), read as the status only where
# they stand apart from it (:func:`_set_apart`).
_WONTFIX = _Worded(r"\b(won.?t ?(fix|do)|wontfix|not doing)\b", ("won", "not doing"))
_WONTFIX_WORD = _Worded(r"\b(cancel+ed|dropped|obsolete)\b", ("cancel", "dropped", "obsolete"))
_OPEN_WORD = _Worded(r"\b(TODO|to ?do|open|in progress|in-progress|pending|not started|planned|ongoing)\b[ \t]*\)?[ \t]*$",
                     ("todo", "to do", "open", "in progress", "in-progress", "pending", "not started", "planned", "ongoing"))
_ACTION_ID = re.compile(r"^(AI(?:[ \t]*|-)\d{1,4}|[A-Z]{1,5}\d{1,4})[ \t]*[:.)–-][ \t]*", re.I)
# "[P1] Rotate keys", "(P0) ...", "P2: ..." (the template's P0/P1/P2, not an id).
_PRIORITY_PREFIX = re.compile(r"(?:\[(P[0-2])\]|\((P[0-2])\)|(P[0-2])(?:[ \t]*[:–—]|[ \t]+-(?=[ \t])))[ \t]*", re.I)
# "P1-P2 replication alerts": the alerts' priorities, neither the item's id nor its priority.
_PRIORITY_SPAN = re.compile(r"P[0-4][ \t]*[-–][ \t]*P[0-4]\b", re.I)
_DONE_TAIL = re.compile(r"^[ \t]*(?:on|at|:|-|–|\()?[ \t]*")
# "Status: Done (2024-10-09)": the label goes with the done word it introduces.
_STATUS_BEFORE = re.compile(r"[.,;(]?[ \t]*\bstatus[ \t]*[:=][ \t]*$", re.I)
ANGLE_WRAPPED = re.compile(r"^<\s*(.*?)\s*>$")
_SPACES = re.compile(r"\s+")
_BRACKETED = re.compile(r"\[([^\]]{0,300})\]")
_AI_NUMBER = re.compile(r"AI\d")
# Where a ticket link or [bracket] was taken out of an item's text: it separates what stood either side.
GAP = "\x00"
_STANDALONE_BEFORE = re.compile(r"(^|[,;.(\[\-–—]\s*)$")
# "(already done)", "(now done)", "(done already)": the adverb goes with the status.
_DONE_ADVERB_BEFORE = re.compile(r"(?:(?<=[\s(\[,;])|^)(?:already|now)[ \t]+$", re.I)
_DONE_ADVERB_AFTER = re.compile(r"^[ \t]+(?:already|now)\b", re.I)
# After a ticket ("[PAY-1] done") only these say the item is done: "Verify [PAY-2] resolved" is a task.
_DONE_AFTER_GAP = re.compile(r"\x00\s*$")
_PLAIN_DONE = frozenset(("done", "completed", "complete", "closed"))
# A status word stands apart after the start, a separator, a spaced dash, a strikethrough or a gap ...
_APART_BEFORE = re.compile(r"(?:^|[,;:.(\[~\x00]|(?:^|\s)[-–—])\s*$")
# ... and before a separator, an unattached dash, a bracket or the end ("Dropped-call alerting" is a name) ...
_APART_AFTER = re.compile(r"[ \t]*(?:[,;:.\x00][ \t]*|[-–—](?!\w)[ \t]*|(?=[)\]])|$)")
# ... or before the reason it was given up ("cancelled as the vendor changed", "dropped in favour of AI4",
# "cancelled (no longer needed)"), which stays in the description with the word.
_REASON_AFTER = re.compile(r"[ \t]*\(|[ \t]+(?:as|because|since|per|after|due|by|for|in favou?r|with|until|when|once|now)\b",
                           re.I)
_CLOSING = re.compile(r"[\s,;:]+(?=[)\]])")
_OPENING = re.compile(r"(?<=[(\[])[\s,;:]+")
_EMPTY_BRACKETS_OR_SPACES = re.compile(r"\(\s*\)|\[\s*\]|\s+")
_EMPTY_LIST_PARTS = re.compile(r"(\s*[,;]\s*)+(?=[,;]|$)")
_STRANDED_STOP = re.compile(r"[\s,;:]+\.$")
_LOOSE_ENDS = re.compile(r"^[\s,;:–—-]+|[\s,;:–—(-]+$")
_EG = re.compile(r"^e\.?g\.?\s+", re.I)


def action_from_text(text: str, day_first: bool | None = None, allow_empty: bool = False) -> dict | None:
    """One action item from ``AI1: text, owner: Name, [TICKET-1] done 2025-03-05`` or ``@ann will add an
    alert (done 5/10/2025)``: id, description, owner, ticket and link, status and completion date."""
    text = clean(text[:5000]).strip()
    if text[:1] == "<":
        text = ANGLE_WRAPPED.sub(r"\1", text)
    item: dict = {}
    m = None if _PRIORITY_PREFIX.match(text) or _PRIORITY_SPAN.match(text) else _ACTION_ID.match(text)
    if m:
        item["id"] = _SPACES.sub("", m.group(1)).upper().replace("AI-", "AI", 1)
        text = text[m.end():]
    if (priority := _PRIORITY_PREFIX.match(text)) is not None:
        item["priority"] = next(g for g in priority.groups() if g).upper()
        text = text[priority.end():]
    prefix = _STATUS_PREFIX.match(text)
    if prefix:
        word = prefix.group(1).lower()
        item["status"] = "open" if word in ("todo", "open", "in progress", "wip") else "done"
        text = text[prefix.end():]
    label = _STATUS_LABEL.search(text)
    if label:
        item["status"] = label.group(1).strip()
        text = text[:label.start()] + text[label.end():]
    link = MARKDOWN_LINK.search(text) if "](" in text else None
    if link:
        item["ticket"] = link.group(1).strip()
        item["ticket_url"] = link.group(2).strip()
        key = TICKET_KEY.search(item["ticket"]) or TICKET_KEY.search(item["ticket_url"])
        if key and not TICKET_KEY.fullmatch(item["ticket"]):
            item["ticket"] = key.group(1)
        text = f"{text[: link.start()]}{GAP}{text[link.end():]}"
    else:
        bracket = _BRACKETED.search(text) if "[" in text else None
        if bracket:
            inner = bracket.group(1).strip()
            key = TICKET_KEY.search(inner)
            if inner.startswith(("http://", "https://")):
                item["ticket_url"] = inner
                item["ticket"] = key.group(1) if key else inner
            elif key:
                item["ticket"] = key.group(1)
            text = f"{text[: bracket.start()]}{GAP}{text[bracket.end():]}"
        else:
            key = TICKET_KEY.search(text) if "-" in text else None
            if key and not _AI_NUMBER.match(key.group(1)):
                item["ticket"] = key.group(1)
                text = text[: key.start()] + text[key.end():]
    owner = _OWNER.search(text)
    if owner:
        item["owner"] = owner.group(1).strip().rstrip(" \t-–—:")
        # "(owner: Dana)": the bracket stays, emptied, and goes with the description's empty brackets below.
        text = text[: owner.start()] + ("(" if owner.group(0)[:1] == "(" else "") + text[owner.end():]
    else:
        handle = _HANDLE.search(text) if "@" in text else None
        if handle:
            item["owner"] = handle.group(1)
    if _WONTFIX.search(text):
        item["status"] = "wontfix"
        text = _WONTFIX.sub("", text)
    else:
        apart = _set_apart(text, _WONTFIX_WORD)
        if apart is not None:
            item["status"] = "wontfix"
            text = apart
    done = _DONE_WORD.search(text) if "status" not in item else None
    while done:
        adverb = _DONE_ADVERB_BEFORE.search(text[:done.start()])
        start = adverb.start() if adverb else done.start()
        after = text[done.end():]
        adverb_after = _DONE_ADVERB_AFTER.match(after) if not adverb else None
        if adverb_after:
            after = after[adverb_after.end():]
        tail = _DONE_TAIL.match(after)
        dated = find_date(after[tail.end():tail.end() + 40], day_first) if tail else None
        at_end = not after.strip(" \t)].,;") or (dated and dated[1] == 0)
        standalone = (_STANDALONE_BEFORE.search(text[:start]) or done.group(0) in "✅✔☑"
                      or done.group(0).lower() in _PLAIN_DONE and _DONE_AFTER_GAP.search(text[:start]))
        if dated and dated[1] == 0 or (at_end and standalone) or done.group(0) in "✅✔☑":
            item["status"] = item.get("status", "done")
            end = done.end() + (adverb_after.end() if adverb_after else 0)
            if dated and dated[1] == 0:
                item["completed"] = dated[0].isoformat()
                end += tail.end() + dated[2]  # type: ignore[union-attr]
                end += len(text[end:]) - len(text[end:].lstrip(" )]"))
            label_before = _STATUS_BEFORE.search(text[:start])
            if label_before:
                start = label_before.start()
            text = text[:start] + text[end:]
            break
        done = _DONE_WORD.search(text, done.end())
    else:
        if "status" not in item and _OPEN_WORD.search(text) and not text.rstrip().endswith("."):
            item["status"] = "open"
            text = _OPEN_WORD.sub("", text)
    description = _EMPTY_BRACKETS_OR_SPACES.sub(" ", _OPENING.sub("", _CLOSING.sub("", text.replace(GAP, " "))))
    description = _EMPTY_LIST_PARTS.sub("", _STRANDED_STOP.sub("", description.strip()))
    description = _LOOSE_ENDS.sub("", description).strip()
    if description.lower().startswith("e.g"):
        description = _EG.sub("", description)
    item["description"] = description
    if not description and not item.get("ticket") and not allow_empty:
        return None
    return item


def _set_apart(text: str, words: _Worded) -> str | None:
    """``text`` without the first of ``words`` that stands apart from the sentence, with the separator
    after it (``text`` as it is when a reason follows the word, which reads as part of the item); ``None``
    when none stands apart. Apart: after the start, a separator or a spaced dash, and before a
    separator, a bracket, the end or a reason ("Cancelled: ...", "... - dropped in favour of AI4",
    "[SCH-4] cancelled"); or first in a bracket that ends the text ("... (obsolete, see AI4)"). Inside the
    sentence ("a check for cancelled visits", "remove the (obsolete) endpoint") it is only a word."""
    match = words.search(text)
    while match:
        before, after = text[:match.start()], text[match.end():]
        opened = before.rstrip()[-1:] in ("(", "[")
        tail = _APART_AFTER.match(after)
        if opened:
            closing = after.find(")" if before.rstrip()[-1] == "(" else "]")
            apart = closing >= 0 and not after[closing + 1:].strip(" \t.,;:")
        else:
            apart = _APART_BEFORE.search(before) is not None and (tail is not None or _REASON_AFTER.match(after) is not None)
        if apart and not opened and tail is None:
            return text
        if apart:
            rest = (after[tail.end():] if tail else after).lstrip()
            joined = f"{before.rstrip()}{'' if opened or not rest or rest[0] in ')]' else ' '}{rest}"
            return _CLOSING.sub("", joined)
        match = words.rx.search(text, match.end())
    return None


ACTION_COLUMNS = {
    "description": ("action", "action item", "action items", "actions", "description", "task", "tasks", "item", "title",
                    "summary", "what", "follow up", "follow ups", "follow up task", "remediation", "remediations", "fix",
                    "work item", "issue title", "measure", "measures", "change", "changes", "improvement", "improvements",
                    "todo", "to do", "next step", "next steps", "corrective action", "preventive action",
                    "countermeasure", "countermeasures"),
    "id": ("id", "ai", "#", "no", "number", "key"),
    "priority": ("priority", "prio", "pri", "type", "p"),
    "owner": ("owner", "owners", "assignee", "assigned to", "who", "responsible", "dri"),
    "ticket": ("bug", "ticket", "issue", "jira", "link", "tracking", "tracker", "reference", "ref", "pr"),
    "status": ("status", "state", "done", "progress"),
    "completed": ("completed", "completed on", "done on", "closed", "closed on", "completion date", "resolved on"),
    "due": ("due", "due date", "deadline", "target date", "eta", "by when"),
}
_COLUMN_OF = {name: column for column, names in ACTION_COLUMNS.items() for name in names}


def action_header(normalised_cells: list[str]) -> list[str | None] | None:
    """The meaning of each column of an action-item table header, or ``None`` when it is not one."""
    columns = [_COLUMN_OF.get(c) for c in normalised_cells]
    return columns if "description" in columns else None


_PRIORITY_WORD = re.compile(r"p[0-2]", re.I)
_BUG_NUMBER = re.compile(r"(?:bug|issue)\s*#?\s*(\d+)|#(\d+)", re.I)
_DONE_MARK = re.compile(r"\bDONE\b|✅")
_OPEN_MARK = re.compile(r"\bTODO\b|\bOPEN\b")


def action_from_table(columns: list[str | None], cells: list[str], day_first: bool | None = None) -> dict | None:
    """An action item from a table row whose columns :func:`action_header` named."""
    item: dict = {}
    for column, value in zip(columns, cells):
        value = clean(value)
        if not value or column is None:
            continue
        if column == "description":
            parsed = action_from_text(value, day_first) or {}
            item["description"] = parsed.get("description") or value
            for key in ("status", "completed", "owner", "ticket", "ticket_url"):
                if key in parsed and key not in item:
                    item[key] = parsed[key]
        elif column == "id":
            item["id"] = value
        elif column == "priority":
            if _PRIORITY_WORD.fullmatch(value):
                item["priority"] = value.upper()
            else:
                item["type"] = value
        elif column == "owner":
            item["owner"] = value
        elif column == "ticket":
            link = MARKDOWN_LINK.search(value)
            ticket_key = TICKET_KEY.search(value)
            if link:
                item["ticket"], item["ticket_url"] = link.group(1), link.group(2)
                ticket_key = TICKET_KEY.search(link.group(1)) or TICKET_KEY.search(link.group(2))
                if ticket_key and not TICKET_KEY.fullmatch(link.group(1)):
                    item["ticket"] = ticket_key.group(1)
            elif ticket_key:
                item["ticket"] = ticket_key.group(1)
            elif value.startswith(("http://", "https://")):
                item["ticket"] = item["ticket_url"] = value.split()[0]
            else:
                bug = _BUG_NUMBER.search(value)
                if bug:
                    item["ticket"] = bug.group(0)
            if _DONE_MARK.search(value):
                item["status"] = "done"
            elif _OPEN_MARK.search(value):
                item["status"] = "open"
        elif column == "status":
            item["status"] = "done" if value in ("✅", "✔", "☑", "x", "X") else value
            found = find_date(value, day_first)
            if found and "completed" not in item:
                item["completed"] = found[0].isoformat()
                item["status"] = re.sub(r"\s*\(?\s*" + re.escape(value[found[1]:found[2]]) + r"\s*\)?", "", value) or "done"
        elif column == "completed":
            item["completed"] = value
        elif column == "due":
            item["due"] = value
    if not item.get("description") or is_placeholder(item["description"]):
        return None
    return item


# -- reviewers -------------------------------------------------------------------------------------

_REVIEW_STATE = re.compile(r"\b(lgtm|approved|not reviewed|pending|changes requested|reviewed|in review|declined)\b", re.I)


_NAME_END = re.compile(r"[\s,;:()–—-]+$")


def reviewer_from_text(text: str, day_first: bool | None = None) -> dict:
    """``{"name", "state", "date"}`` from ``Jane Doe - LGTM - 2025-03-08``."""
    text = text[:500]
    state = _REVIEW_STATE.search(text)
    found = find_date(text, day_first)
    name_end = min(x for x in (state.start() if state else len(text), found[1] if found else len(text)))
    name = _NAME_END.sub("", text[:name_end]).strip()
    return {"name": name or text, "state": state.group(1) if state else None,
            "date": found[0].isoformat() if found else None}


# -- prose ---------------------------------------------------------------------------------------------

_DURATION_WORDS = r"(?:\d{1,3}(?:,\d{3})+|\d{1,6}(?:[.,]\d{1,3})?|an?|one|two|three|four|five|six|seven|eight|nine|ten|" \
                  r"eleven|twelve|half an?)"
_DURATION_UNIT = r"(?:days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?)"
_SPOKEN_DURATION = (rf"{_DURATION_WORDS}[ \t-]?{_DURATION_UNIT}\b(?:[ \t,]{{0,3}}(?:and[ \t]+)?{_DURATION_WORDS}[ \t-]?"
                    rf"{_DURATION_UNIT}\b){{0,2}}")
_PROSE_DURATION = re.compile(
    r"(?:\b(?:down|offline|unavailable|unreachable|degraded|impacted|affected|disrupted|broken|failing|lasted|lasting|"
    r"outage|incident|disruption|downtime|impact)\b[^.;:]{0,40}?\bfor[ \t]+(?:a[ \t]+total[ \t]+of[ \t]+|(?P<about>about[ \t]+|"
    r"approximately[ \t]+|roughly[ \t]+|around[ \t]+|nearly[ \t]+|over[ \t]+|~[ \t]*|just[ \t]+(?:over|under)[ \t]+))?"
    r"|\b(?:lasted|lasting)[ \t]+(?:for[ \t]+)?(?P<about2>about[ \t]+|approximately[ \t]+|roughly[ \t]+|around[ \t]+|~[ \t]*)?"
    r"|\b(?:total|duration|downtime|outage)[ \t]+(?:of[ \t]+|was[ \t]+|lasted[ \t]+)(?P<about3>about[ \t]+|approximately[ \t]+|"
    r"roughly[ \t]+|~[ \t]*)?)"
    rf"(?P<duration>~?{_SPOKEN_DURATION})", re.I)
_DURATION_THEN_WORD = re.compile(
    r"(?:\b(?P<about4>about|approximately|roughly|around|nearly)[ \t]+)?"
    rf"(?:(?P<duration>~?{_SPOKEN_DURATION})[ \t]+(?:of[ \t]+)?(?:total[ \t]+)?(?:downtime|outage|disruption|of impact|"
    rf"service disruption|unavailability)\b|(?P<adjective>\d{{1,4}})[ \t-](?:minute|hour)[ \t-](?:long[ \t]+)?"
    rf"(?:outage|incident|disruption|downtime)\b)", re.I)
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "half a": 0.5, "half an": 0.5}
_WORD_NUMBER = re.compile(r"\b(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b(?=[ \t-]?[a-z])", re.I)


def prose_duration(text: str) -> str | None:
    """The incident's length as a sentence states it, ready for :func:`~.values.parse_duration_min`:
    "down for 66 minutes" -> ``66 minutes``, "lasted 1 hour and 48 minutes" -> ``1 hour and 48 minutes``,
    "a 45-minute outage" -> ``45 minutes``, "~1hr of downtime" -> ``~1hr``, "for about 2 hours" -> ``about 2 hours``
    (approximate, as written)."""
    found = prose_duration_at(text)
    return found[0] if found else None


def prose_duration_at(text: str) -> tuple[str, int] | None:
    """:func:`prose_duration` and where in ``text`` its number starts."""
    window = text[:4000]
    if not _unit_near_number(window):
        return None
    m = _PROSE_DURATION.search(window) or _DURATION_THEN_WORD.search(window)
    if not m:
        return None
    about = next((found.strip() for name in ("about", "about2", "about3", "about4") if (found := m.groupdict().get(name))),
                 "")
    if m.groupdict().get("adjective"):
        unit = "hours" if "hour" in m.group(0).lower() else "minutes"
        spoken, at = f"{m.group('adjective')} {unit}", m.start("adjective")
    else:
        spoken = _WORD_NUMBER.sub(lambda w: f"{_NUMBER_WORDS[w.group(1).lower()]:g}", m.group("duration").replace("-", " "))
        at = m.start("duration")
    if not about or spoken.startswith("~"):
        return spoken, at
    return (f"~{spoken}" if about == "~" or about.lower().startswith("just") else f"{about} {spoken}"), at


# "Roughly 1,200 patients could not book across 14 clinics": a count of the template's blast radius in the
# impact's own sentences. Not a part ("3 of 14 clinics", "1 in 5 patients"), a rate ("40 patients an hour",
# "20 patients per clinic") or a difference ("200 more patients").
_PROSE_COUNT = re.compile(
    r"(?<![\w.,/%$-])(?:(?P<about>about|around|roughly|approximately|nearly|almost|over|more than|some|an estimated|"
    r"estimated|up to|~)[ \t]*)?(?P<number>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?[ \t]?[kK]|\d+)[ \t]+"
    r"(?:(?:unique|distinct|active|individual|affected|partner|registered)[ \t]+)?"
    r"(?P<noun>patients?|clinics?|providers?)\b(?![ \t]*(?:per|an?|each|every)\b)", re.I)
_PART_BEFORE = re.compile(r"\b(?:of|in|out of|per|every|each|than|first|last|top|another|additional|other|more|extra|"
                          r"the|those|these|all)[ \t]*$", re.I)
_PROSE_NOUN_KEY = {"patient": "blast_radius.patients", "clinic": "blast_radius.clinics",
                   "provider": "blast_radius.providers"}


def prose_blast_radius(text: str) -> list[tuple[str, str, int]]:
    """The blast radius counts a paragraph states: ``(key, value as written, offset)`` per noun, only where the
    paragraph gives that noun one number (two different ones say nothing a reader can take as the total)."""
    window = text[:4000]
    low = window.lower()
    if "patient" not in low and "clinic" not in low and "provider" not in low:
        return []
    found: dict[str, list[tuple[str, int, float | int | None]]] = {}
    for m in _PROSE_COUNT.finditer(window):
        about = m.group("about")
        if _PART_BEFORE.search(window[max(0, m.start() - 12):m.start()]) and not about:
            continue
        number = m.group("number")
        value = (f"~{number}" if about.lower() in ("~", "some", "an estimated") else f"{about} {number}") if about else number
        try:
            count = parse_count(value).value
        except ValueError:
            continue
        key = _PROSE_NOUN_KEY[m.group("noun").lower().rstrip("s")]
        found.setdefault(key, []).append((value, m.start(), count))
    return [(key, readings[0][0], readings[0][1]) for key, readings in found.items()
            if len({count for _, _, count in readings}) == 1]


_UNIT_NEAR_NUMBER = re.compile(r"(?:\d|\b(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|half))[ \t-]?"
                               r"(?:min|hour|hr|h\b|day)", re.I)
# The same read from the unit back, on lower-case ASCII text: a unit (the engine skips to an m, h or d in
# C), then a digit or number word ending just before it.
_UNIT = re.compile(r"min|hour|hr|h\b|day")
_NUMBER_LAST_CHARS = frozenset("0123456789 \t-aenorxtf")
_NUMBER_ENDING = re.compile(r"(?:\d|\b(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|half))[ \t-]?\Z")


def _unit_near_number(text: str) -> bool:
    """Whether ``_UNIT_NEAR_NUMBER`` matches ``text``, without trying the number words at every character."""
    if not text.isascii():
        return _UNIT_NEAR_NUMBER.search(text) is not None
    low = text.lower()
    for unit in _UNIT.finditer(low):
        end = unit.start()
        if end and low[end - 1] in _NUMBER_LAST_CHARS and _NUMBER_ENDING.search(low, max(0, end - 7), end):
            return True
    return False


_RANGE_CLOCK = r"\d{1,2}(?:[:.]\d{2})(?:[ \t]?[ap]\.?[ \t]?m\b\.?)?|\d{1,2}[ \t]?[ap]\.?[ \t]?m\b\.?"
_RANGE_ZONE = rf"(?:[ \t]*\(?{_ZONE_WORD}\)?(?![\w/]))?"
_RANGE_DATE = r"(?:[ \t]*,?[ \t]*(?:on[ \t]+)?(?P<{0}>(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{{0,6}},?[ \t]+)?" \
              r"(?:MONTHS[ \t]+\d{{1,2}}(?:st|nd|rd|th)?(?:,?[ \t]+\d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)?[ \t]+" \
              r"MONTHS(?:,?[ \t]+\d{{4}})?|\d{{4}}-\d{{2}}-\d{{2}})))?".replace("MONTHS", _MONTHS.replace("{", "{{").replace("}", "}}"))
_PROSE_RANGE = re.compile(
    rf"\b(?:from|between)[ \t]+(?:approximately[ \t]+|about[ \t]+|around[ \t]+)?(?P<start>{_RANGE_CLOCK}){_RANGE_ZONE}"
    + _RANGE_DATE.format("start_day") +
    rf"[ \t]*(?:to|until|till|and|through|-|–|—)[ \t]+(?:approximately[ \t]+|about[ \t]+)?(?P<end>{_RANGE_CLOCK})"
    rf"(?P<zone>{_RANGE_ZONE})" + _RANGE_DATE.format("end_day"),
    re.I)


_RANGE_ZONE_RX = re.compile(_RANGE_ZONE)
_ZONE_AFTER_DAY = re.compile(rf"[ \t]*\(({_ZONE_WORD})\)")


def prose_time_range(text: str) -> tuple[str, str] | None:
    """``("16:58 UTC", "18:46 UTC")`` from "from 16:58 to 18:46 UTC" or "between 10:12 PM PST on Oct 21
    and 2:40 AM on Oct 22"; each side keeps its date and takes the other's zone when it states none."""
    window = text[:4000]
    if not ("from" in window or "between" in window or "From" in window or "Between" in window):
        return None
    m = _PROSE_RANGE.search(window)
    if not m:
        return None
    start_zone = window[m.end("start"):m.start("start_day") if m.group("start_day") else m.end("start") + 12]
    zone_match = _RANGE_ZONE_RX.match(start_zone)
    start_zone = (zone_match.group(0) if zone_match else "").strip(" ()")
    end_zone = (m.group("zone") or "").strip(" ()")
    if start_zone and not is_zone(start_zone):
        start_zone = ""
    if end_zone and not is_zone(end_zone):
        end_zone = ""
    if not end_zone and m.group("end_day") and (after := _ZONE_AFTER_DAY.match(window, m.end())) \
            and is_zone(after.group(1)):
        end_zone = after.group(1)  # "until 06:00 on March 5 (UTC)"
    start = " ".join(p for p in (m.group("start_day"), m.group("start"), start_zone or end_zone) if p)
    end = " ".join(p for p in (m.group("end_day"), m.group("end"), end_zone or start_zone) if p)
    return start, end


_SEVERITY_MENTION = re.compile(
    r"\b(sev(?:erity)?[ \t]?[-:]{0,2}[ \t]?[0-5])\b(?![.:]\d)|\b(p[0-4])[ \t]+(?:incident|outage|issue|event)\b|"
    r"\b(?:declared|declare|declaring|raised|classified|rated)[ \t]+(?:as[ \t]+)?(?:an?[ \t]+|the[ \t]+)?"
    r"(critical|major|minor|high|medium|low)\b(?:[ \t]+(?:severity|incident))?|"
    r"\b(critical|major|minor)[ \t]+(?:severity[ \t]+)?incident\b", re.I)


_SEVERITY_PUNCTUATION = re.compile(r"[ \t:-]")


def severity_mention(text: str) -> str | None:
    """A severity named in a sentence or timeline row: "declared a SEV-2", "Sev 1 incident", "P1 incident",
    "a major incident"; ``None`` when the line names none or several."""
    window = text[:2000]
    low = window.lower()
    if "sev" not in low and " incident" not in low and "declared" not in low and "classified" not in low:
        return None
    found = {next(g for g in m.groups() if g) for m in _SEVERITY_MENTION.finditer(window)}
    normalised = {_SEVERITY_PUNCTUATION.sub("", f.lower()).replace("severity", "sev") for f in found}
    if len(normalised) != 1:
        return None
    return found.pop()


_HEADING_SEVERITY = re.compile(r"[(\[](critical|major|minor|sev[ -]?[0-5]|p[0-4])[)\]]", re.I)


def heading_severity(title: str) -> str | None:
    """``Major`` from a title such as ``API outage (Major)`` or ``[SEV-1] Login failures``."""
    m = _HEADING_SEVERITY.search(title[:300])
    return m.group(1) if m else None


_PROSE_DATE = (rf"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{{0,6}},?[ \t]+)?(?:{_MONTHS}[ \t]+\d{{1,2}}(?:st|nd|rd|th)?"
               rf"(?:,?[ \t]+\d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)?[ \t]+{_MONTHS}(?:,?[ \t]+\d{{4}})?|\d{{4}}-\d{{2}}-\d{{2}})")
_PROSE_TIME = re.compile(
    rf"(?<![\d:.+])(?<!UTC-)(?<!GMT-)(?<!UTC\u2212)(?:(?P<pre>\d{{4}}-\d{{2}}-\d{{2}})[ T]+)?"
    rf"(?P<clock>\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:[ \t]?[aApP]\.?[ \t]?[mM]\b\.?)?|\d{{1,2}}[ \t]?[aApP]\.?[ \t]?[mM]\b\.?)"
    rf"(?P<zone>[ \t]*\(?{_ZONE_WORD}\)?(?![\w/]))?(?:[ \t]*(?:on|,)?[ \t]+(?:on[ \t]+)?(?P<post>(?i:{_PROSE_DATE})))?"
    rf"(?P<zone_after>[ \t]*\({_ZONE_WORD}\))?")
_SENTENCE_END = re.compile(r"(?<![ap]\.m)(?<!\b[A-Z])[.!?](?=\s+[A-Z(]|\s*$)")
# The same without its look-behinds (so the engine skips to each mark in C); _sentences applies them.
_SENTENCE_MARK = re.compile(r"[.!?](?=\s+[A-Z(]|\s*$)")
_CAPITALS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


# A deadline the incident worked against ("before its 3:00 AM cut-off", "the deadline of 17:00"), not a moment
# of it; "the 02:00 cutoff run failed" names a run that did fail, and stays a moment.
_DEADLINE_AFTER = re.compile(r"[ \t]*(?:cut-?off|deadline|due time|submission window)\b(?![ \t]+(?:run|job|batch|process))",
                             re.I)
_BEFORE_A_DEADLINE = re.compile(r"\b(?:before|by|ahead of|prior to|until|in time for|met|meet|miss|missed)"
                                r"(?:[ \t]+(?:its|the|their|our|a|an))?[ \t]*$", re.I)
_DEADLINE_BEFORE = re.compile(r"\b(?:cut-?off|deadline)(?:[ \t]+(?:time|of|at|is|was))*[ \t]*$", re.I)


def prose_moments(text: str) -> list[tuple[str, str, str, int]]:
    """The moments a paragraph of prose states, as ``(kind, time as written, the words that said so,
    where in the text the time is)``:
    "At 9:37 AM PST, ... began to fail" -> ``("started", "9:37 AM PST", "began")``; "alarms ... fired at
    9:45 AM PST" -> ``("detected", ...)``; "Incident began at X and ended at Y" gives both. The kind
    ``failing`` marks a time beside words of failure only, and ``time`` a time no words explain; the
    builder takes the earliest of those before the detection as the start when nothing says so outright."""
    window = text[:6000]
    found = []
    offset = 0
    for sentence in _sentences(window):
        offset = window.find(sentence, offset)
        times = [m for m in _prose_times(sentence) if find_clock(m.group("clock"))]
        if not times:
            continue
        for i, m in enumerate(times):
            if not (m.group("zone") or m.group("pre") or ":" in m.group("clock")):
                continue
            before = sentence[times[i - 1].end() if i else 0:m.start()]
            after = sentence[m.end():times[i + 1].start() if i + 1 < len(times) else len(sentence)]
            from pm_analytics.parse.vocabulary import began_when, prose_kind

            if (_DEADLINE_AFTER.match(after) and _BEFORE_A_DEADLINE.search(before[-40:])) or \
                    _DEADLINE_BEFORE.search(before[-40:]):
                continue
            kind = prose_kind(before, after) or ("time", "")
            began = began_when(after) if kind[0] != "started" else None
            # "06:00 UTC on March 5", or "06:00 on March 5 (UTC)".
            zone = (m.group("zone") or (m.group("zone_after") if m.group("post") else "") or "").strip(" ()")
            if zone and not is_zone(zone):
                zone = ""
            when = " ".join(p for p in (m.group("post") or m.group("pre"), m.group("clock"), zone) if p)
            found.append((kind[0], when, kind[1], offset + m.start()))
            if began:  # "paged at 02:15 when the consumers began stalling": the start too
                found.append((began[0], when, began[1], offset + m.start()))
    return found


def _prose_times(sentence: str):
    """What ``_PROSE_TIME.finditer(sentence)`` finds, trying the pattern only where a run of digits starts
    (every match does: it opens with a digit not after a digit)."""
    end = 0
    for digits in _DIGITS.finditer(sentence):
        if digits.start() >= end and (m := _PROSE_TIME.match(sentence, digits.start())) is not None:
            yield m
            end = m.end()


_DIGITS = re.compile(r"\d+")


def _sentences(text: str) -> list[str]:
    """The text cut after each ``_SENTENCE_END``: not after "a.m"/"p.m" nor a lone capital ("J. Doe")."""
    parts, start = [], 0
    for m in _SENTENCE_MARK.finditer(text):
        at = m.start()
        if at >= 3 and text[at - 3:at] in ("a.m", "p.m") or at and text[at - 1] in _CAPITALS and (
                at == 1 or not (text[at - 2].isalnum() or text[at - 2] == "_")):
            continue
        parts.append(text[start:m.end()])
        start = m.end()
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


_PAIR_SEPARATOR = re.compile(r"[ \t]+[·•|][ \t]+")


def has_segments(text: str) -> bool:
    return ("·" in text or "•" in text or " | " in text) and bool(_PAIR_SEPARATOR.search(text[:1000]))


_PAIR = re.compile(r"([A-Za-z](?:[^:|\t]{0,40}?[A-Za-z)\]?])?)[ \t]*:(?!//)[ \t]*(.*)$")


def label_pairs(text: str) -> list[tuple[str, str]]:
    """The ``Label: value`` pairs of a line split by ``·`` (``Date: 2024-01-23 · Severity: Low · Times: CET``)."""
    if not has_segments(text):
        return []
    pairs = []
    for segment in _PAIR_SEPARATOR.split(text[:1000]):
        m = _PAIR.match(segment.strip())
        if m:
            pairs.append((m.group(1).strip(), m.group(2).strip()))
    return pairs


def segments(text: str) -> list[str]:
    """The parts of a line split on `` · ``, `` • `` or `` | `` (a status line: ``**Down** · Nov 21, 2023``)."""
    head = text[:1000]
    if "·" not in head and "•" not in head and "|" not in head:
        head = head.strip()
        return [head] if head else []
    return [p.strip() for p in _PAIR_SEPARATOR.split(head) if p.strip()]


_COMPONENT_STATUS = re.compile(r"\((major outage|partial outage|degraded performance|minor outage|under maintenance)\)", re.I)


def status_words(text: str) -> list[str]:
    """The status-page words a line gives its components, most severe first: "Payments API (Partial outage)"."""
    from pm_analytics.parse.values import SEVERITY_WORDS

    found = [m.group(1) for m in _COMPONENT_STATUS.finditer(text[:2000]) if m.group(1).lower() in SEVERITY_WORDS]
    return sorted(found, key=lambda w: SEVERITY_WORDS[w.lower()])[:1]


_RANGE_END_DATE = (r"(?i:(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6}\.?,?[ \t]+)?(?:\d{1,2}[ \t]+[a-z]{3,9}\.?(?:[ \t]+\d{4})?|"
                   r"[a-z]{3,9}\.?[ \t]+\d{1,2}(?:,?[ \t]+\d{4})?|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{4}))")
_TIME_RANGE = re.compile(
    rf"(?:(?P<day>{_RANGE_END_DATE})[ \t,]+)?(?:from[ \t]+)?(?P<start>\d{{4}}(?=[ \t]*[-–—])|{_CLOCK_TEXT})"
    rf"(?P<zone1>[ \t]*\(?{_ZONE_WORD}\)?)?[ \t]*(?:-|–|—|to|until)[ \t]*"
    rf"(?:(?P<end_day>{_RANGE_END_DATE})[ \t,]+)?(?P<end>\d{{4}}\b|{_CLOCK_TEXT})(?P<zone2>[ \t]*\(?{_ZONE_WORD}\)?(?![\w/]))?")


def time_range(text: str, allow_hhmm: bool = False) -> tuple[str, str] | None:
    """``("2024-04-08 02:00", "2024-04-08 03:10")`` from a stated window: ``2024-04-08 02:00–03:10``,
    ``14:05–14:40``, ``23:10 – Sun 24 Mar 2024 01:05``, and with ``allow_hhmm`` (a field that holds a time)
    ``1405 - 1650 (BST)``. Each side keeps the day
    written before it (the end takes the start's day when it gives none) and the zone written after it
    (one zone serves both)."""
    window = text[:200].strip()
    m = _TIME_RANGE.search(window)
    if not m:
        return None
    if not allow_hhmm and (len(m.group("start")) == 4 and m.group("start").isdigit()
                           or len(m.group("end")) == 4 and m.group("end").isdigit()):
        return None
    start, end = _hhmm(m.group("start")), _hhmm(m.group("end"))
    if find_clock(start) is None or find_clock(end) is None:
        return None
    zone1 = (m.group("zone1") or "").strip(" ()")
    zone2 = (m.group("zone2") or "").strip(" ()")
    zone1 = zone1 if zone1 and is_zone(zone1) else ""
    zone2 = zone2 if zone2 and is_zone(zone2) else ""
    day = m.group("day") or ""
    end_day = m.group("end_day") or day
    return (" ".join(p for p in (day, start, zone1 or zone2) if p),
            " ".join(p for p in (end_day, end, zone2 or zone1) if p))


def _hhmm(clock: str) -> str:
    """``1405`` (a 24-hour time written without its colon) -> ``14:05``."""
    return f"{clock[:2]}:{clock[2:]}" if len(clock) == 4 and clock.isdigit() else clock
