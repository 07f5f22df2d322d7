"""Values as people write them: durations, counts, severities, dates, clock times, timezones.

Each parser takes the raw value (a string, or whatever YAML made of it) and
returns the normalised value, or raises ``ValueError`` with a message fit to
show the author. "Not filled in" is decided by :func:`is_placeholder` first and
is never an error.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from operator import methodcaller
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

MAX_DURATION_MIN = 30 * 24 * 60

_PLACEHOLDER_WORDS = {
    "", "unknown", "unknow", "n/a", "na", "n.a.", "none given", "tbd", "tbc", "todo", "?", "??", "-", "--",
    "—", "–", "##", "#", "...", "…", "put time here", "put # here", "not known", "not sure", "unclear",
}
_APPROX = re.compile(
    r"^(?:~|≈|\+/-|approx(?:\.|imately)?|about|around|roughly|circa|ca\.|est(?:\.|imated)?|"
    r"at least|at most|less than|more than|over|under|up to|nearly|almost|<|>|<=|>=)\s*",
    re.I,
)


# Replacements by a group, called from C (Python 3.11 expands an r"\1" template in Python).
_GROUP_1, _GROUP_2 = methodcaller("group", 1), methodcaller("group", 2)
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~])")
_BOLD = re.compile(r"(\*\*|__)(.*?)\1")
_SPACES = re.compile(r"\s+")
_ANGLE_PLACEHOLDER = re.compile(r"<[^<>]*>(\s*<[^<>]*>)*")
_TEMPLATE_SEVERITIES = re.compile(r"sev\s*1\s*/\s*sev\s*2\s*/\s*sev\s*3", re.I)
_UNKNOWN_PREFIX = re.compile(r"\(?\s*(unknown|n/?a|tbd)\b.*", re.I)


def clean(value: object) -> str:
    """The value as a single stripped line of text, Markdown bold/escapes removed."""
    text = (value if isinstance(value, str) else str(value)).strip()
    if "\\" in text:
        text = _ESCAPED.sub(_GROUP_1, text)
    if "**" in text or "__" in text:
        text = _BOLD.sub(_GROUP_2, text)
    if "`" in text:
        text = text.replace("`", "")
    if "  " in text or "\t" in text or "\n" in text or "\r" in text or "\xa0" in text:
        text = _SPACES.sub(" ", text).strip()
    return text


# A placeholder can only start with one of these (the rest of the text decides); others are filled in.
_PLACEHOLDER_FIRST = frozenset("<([?-—–#.…*_\\~ uUnNtTpPsS")


def is_placeholder(value: object) -> bool:
    """True when the author left the field as the template has it, or wrote that it is unknown."""
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return True
        if text[0] not in _PLACEHOLDER_FIRST:
            return False
        text = clean(text)
    elif isinstance(value, (list, dict)):
        return len(value) == 0
    elif isinstance(value, (bool, int, float, date, datetime)):
        return isinstance(value, float) and math.isnan(value)
    else:
        text = clean(value)
    if not text:
        return True
    first = text[0]
    if first.isdigit() or first == "~":
        return False
    if text.lower().strip(" .") in _PLACEHOLDER_WORDS:
        return True
    if first == "<" and _ANGLE_PLACEHOLDER.fullmatch(text):
        return True
    if first in "sS" and _TEMPLATE_SEVERITIES.match(text):
        return True
    return first in "(uUnNtT" and bool(_UNKNOWN_PREFIX.fullmatch(text))


def _strip_approx(text: str) -> tuple[str, bool]:
    stripped = _APPROX.sub("", text, count=1)
    return stripped, stripped != text


@dataclass(frozen=True)
class Parsed:
    """A parsed number and whether the author marked it as approximate."""

    value: float | int | None
    approximate: bool = False


_UNIT_MIN = {
    "d": 1440, "day": 1440, "days": 1440,
    "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60,
    "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1, "mn": 1,
    "s": 1 / 60, "sec": 1 / 60, "secs": 1 / 60, "second": 1 / 60, "seconds": 1 / 60,
}
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,9}(?:[.,]\d{1,6})?"
_DURATION_TERM = re.compile(rf"({_NUM})\s*(days?|d|hours?|hrs?|h|minutes?|mins?|mn|m|seconds?|secs?|s)(?:\b|(?=\d))\.?", re.I)
# "1h20", "1 hour 20": the minutes after an hour need no unit.
_MINUTES_AFTER_HOURS = re.compile(r"[ \t]*([0-5]?\d)\b")
_ISO_DURATION = re.compile(
    rf"P(?:({_NUM})D)?(?:T(?:({_NUM})H)?(?:({_NUM})M)?(?:({_NUM})S)?)?", re.I
)
_CLOCK_DURATION = re.compile(r"(\d{1,3}):([0-5]\d)(?::([0-5]\d))?")


_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
# A value longer than this is not a duration, count, date or severity (a pasted log line, an id list).
MAX_VALUE_CHARS = 200


def _num(text: str) -> float:
    """``1,200`` is twelve hundred (a thousands separator); ``1,5`` is one and a half (a decimal comma)."""
    if "," in text and _THOUSANDS.fullmatch(text):
        return float(text.replace(",", ""))
    return float(text.replace(",", "."))


def _short_text(value: object, what: str) -> str:
    """The value as one clean line, refused when it is too long to be ``what``."""
    text = clean(value)
    if len(text) > MAX_VALUE_CHARS:
        raise ValueError(f"'{text[:40]}…' is {len(text):,} characters long; too long to be {what}")
    return text


_TRAILING_REMARK = re.compile(r"\s*\([^)]*\)\s*$")
_NEGATIVE = re.compile(r"-\s*\d")


def parse_duration_min(value: object) -> Parsed:
    """Minutes from ``25 minutes``, ``1h 5m``, ``1.5 hours``, ``0:45``, ``PT1H20M`` or a bare number.

    A leading ``~``/``about``/``<`` marks the value approximate. Trailing
    remarks in parentheses or after a dash are ignored. Negative or longer
    than 30 days raises ``ValueError``.
    """
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a duration")
    minutes: float | None
    if isinstance(value, (int, float)):
        minutes, approximate = float(value), False
    elif isinstance(value, timedelta):
        minutes, approximate = value.total_seconds() / 60, False
    else:
        text = _short_text(value, "a duration")
        if ")" in text:
            text = _TRAILING_REMARK.sub("", text).strip()
        if text.startswith("-") and _NEGATIVE.match(text):
            raise ValueError(f"'{clean(value)}' is negative")
        text, approximate = _strip_approx(text)
        minutes = _clock_span_min(text)
        if minutes is None:
            span = _duration_span_min(text)
            if span is not None:
                minutes, approximate = span, True
            else:
                minutes = _duration_text_min(text)
        if minutes is None:
            raise ValueError(f"'{clean(value)}' is not a duration (write e.g. '25 min', '1h 5m' or '0:45')")
    if minutes < 0:
        raise ValueError(f"'{clean(value)}' is negative")
    if minutes > MAX_DURATION_MIN:
        raise ValueError(f"'{clean(value)}' is longer than 30 days; check the unit")
    return Parsed(round(minutes, 4), approximate)


# "14:00 - 14:12": the phase written as the clock times it ran between (a midnight between them adds a day).
# "0:10 - 0:15" reads as a span of durations instead.
_CLOCK_SPAN = re.compile(r"([0-2]?\d):([0-5]\d)\s*(?:-|–|—|to)\s*([0-2]?\d):([0-5]\d)(?:\s*(?:UTC|Z|[A-Z]{2,4}T))?")
# "10-15 min", "10 min - 15 min", "20 to 30 minutes", "15 minutes to 1 hour".
_SPAN = re.compile(r"(.+?)\s*(?:-|–|—|\bto\b)\s*(.+)")
_BARE_NUMBER = re.compile(rf"(?:{_NUM})")


def _clock_span_min(text: str) -> float | None:
    m = _CLOCK_SPAN.match(text)
    if not m or not _only_remark_after(text, m.end()) or m.group(1).lstrip("0") == "" and m.group(3).lstrip("0") == "":
        return None
    start_h, start_m, end_h, end_m = (int(g) for g in m.groups())
    if start_h > 23 or end_h > 23:
        return None
    minutes = (end_h * 60 + end_m) - (start_h * 60 + start_m)
    return float(minutes + 1440 if minutes < 0 else minutes)


def _duration_span_min(text: str) -> float | None:
    """The upper bound of a span of durations, as counts' ranges take theirs (marked approximate)."""
    m = _SPAN.fullmatch(text)
    if not m or not any(c.isdigit() for c in m.group(1)):
        return None
    upper = _duration_text_min(m.group(2))
    if upper is None:
        return None
    first = m.group(1).strip()
    if _BARE_NUMBER.fullmatch(first):
        unit = _DURATION_TERM.match(m.group(2).strip())
        lower = _num(first) * _UNIT_MIN[unit.group(2).lower()] if unit else None
    else:
        lower = _duration_text_min(first)
    return upper if lower is not None and lower <= upper else None


_TERM_JOINER = re.compile(r"[\s,]*(?:and)?[\s,]*")
_LEADING_NUMBER = re.compile(rf"({_NUM})")
_REMARK_START = re.compile(r"[(\[;,–—-]|\s*(?:approx|est)")


def _duration_text_min(text: str) -> float | None:
    m = _ISO_DURATION.fullmatch(text)
    if m and any(m.groups()):
        d, h, mi, s = (_num(g) if g else 0.0 for g in m.groups())
        return d * 1440 + h * 60 + mi + s / 60
    m = _CLOCK_DURATION.match(text)
    if m and _only_remark_after(text, m.end()):
        clock_h, clock_min, clock_s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        return clock_h * 60 + clock_min + clock_s / 60
    total, pos, found, last_unit = 0.0, 0, False, ""
    for m in _DURATION_TERM.finditer(text):
        between = text[pos:m.start()]
        if found and not _TERM_JOINER.fullmatch(between):
            break
        if not found and between.strip():
            return None
        total += _num(m.group(1)) * _UNIT_MIN[m.group(2).lower()]
        pos, found, last_unit = m.end(), True, m.group(2).lower()
    if found and last_unit in ("h", "hr", "hrs", "hour", "hours") and (minutes := _MINUTES_AFTER_HOURS.match(text, pos)) \
            and _only_remark_after(text, minutes.end()):
        return total + int(minutes.group(1))
    if found and _only_remark_after(text, pos):
        return total
    m = _LEADING_NUMBER.match(text)
    if m and _only_remark_after(text, m.end()):
        return _num(m.group(1))
    return None


def _only_remark_after(text: str, pos: int) -> bool:
    rest = text[pos:].strip()
    return rest == "" or bool(_REMARK_START.match(rest))


# An explicit "there were none": 0. Anything else that starts with "no" ("No estimate yet",
# "None reported", "no reliable count") says the number is not known.
_NONE = re.compile(
    r"(?:none|zero|nil|0+|no ?one|nobody|no (?:patients?|clinics?|providers?|users?|customers?|engineers?|one|impact))"
    r"(?: (?:were |was )?(?:affected|impacted))?\.?(?: ?\(.*\))?", re.I)
_COUNT = re.compile(r"(\d{1,3}(?:[,_ ]\d{3})+|\d+)(?:\.(\d+))?\s*([kK])?\b")


_NOT_A_NUMBER = re.compile(r"(?:no|none|not)\b", re.I)
_RANGE = re.compile(r"(.+?)\s*(?:-|–|\bto\b|\bor\b)\s*(.+)")
_OR_MORE = re.compile(r"\s*or (?:more|so)\b", re.I)
# "1 on-call + 2 from Platform": the parts add up.
_SUM = re.compile(r"\d+[^\d+]*(?:\+\s*\d+[^\d+]*)+")
_SUM_TERM = re.compile(r"(\d+)")
# "1,5k": a decimal comma before a thousands sign (1,500), as "1,5 hours" is one and a half.
_DECIMAL_COMMA_K = re.compile(r"^(\d+),(\d{1,2})(\s*[kK]\b)")
_DIGIT_GROUPING = re.compile(r"[,_ ]")
_COUNT_TAIL = re.compile(r"(\+|[a-zA-Z(\[;,–—-])")


def parse_count(value: object) -> Parsed:
    """A non-negative whole number from ``1,480``, ``~3,200``, ``1.2k``, ``about 40 clinics`` or ``none``.

    A range ``100-200`` takes the upper bound, marked approximate.
    """
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a number")
    if isinstance(value, int):
        number, approximate = value, False
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"'{value}' is not a whole number")
        number, approximate = int(value), False
    else:
        text = _short_text(value, "a number")
        if _NONE.fullmatch(text):
            return Parsed(0)
        if _NOT_A_NUMBER.match(text):
            raise ValueError(f"'{text}' is not a number; taken as unknown (write 0 or 'none' if there were none)")
        if _NEGATIVE.match(text):
            raise ValueError(f"'{text}' is negative")
        text, approximate = _strip_approx(text)
        if "+" in text and _SUM.fullmatch(text):
            return Parsed(sum(int(term) for term in _SUM_TERM.findall(text)), approximate)
        if "," in text:
            text = _DECIMAL_COMMA_K.sub(r"\1.\2\3", text)
        rng = _RANGE.fullmatch(text)
        if rng and _COUNT.fullmatch(rng.group(1).strip()) and _COUNT.match(rng.group(2).strip()):
            text, approximate = rng.group(2).strip(), True
        m = _COUNT.match(text)
        if not m or not _count_tail_ok(text[m.end():]):
            raise ValueError(f"'{clean(value)}' is not a number")
        whole = int(_DIGIT_GROUPING.sub("", m.group(1)))
        frac = m.group(2)
        if m.group(3):
            number = round((whole + float(f"0.{frac}" if frac else 0)) * 1000)
            approximate = True
        elif frac and int(frac) != 0:
            raise ValueError(f"'{clean(value)}' is not a whole number")
        else:
            number = whole
        if "+" in text[m.end():m.end() + 2] or _OR_MORE.match(text, m.end()):
            approximate = True
    if number < 0:
        raise ValueError(f"'{number}' is negative")
    return Parsed(number, approximate)


def _count_tail_ok(rest: str) -> bool:
    rest = rest.strip()
    return rest == "" or bool(_COUNT_TAIL.match(rest))


_SEVERITY = re.compile(r"(?:sev(?:erity)?|s)?\s*[-_ :]{0,2}\s*(\d)(?![\d.:])(?:\W.*)?", re.I)
_PRIORITY = re.compile(r"(?:p|priority)\s*[-_ ]?\s*(\d)(?![\d.:])(?:\W.*)?", re.I)
# Other organisations' severity words -> the template's SEV1-SEV3 (documented in the README).
SEVERITY_WORDS = {
    "critical": "SEV1", "major outage": "SEV1", "down": "SEV1", "outage": "SEV1", "emergency": "SEV1",
    "high": "SEV2", "major": "SEV2", "partial outage": "SEV2", "degraded": "SEV2", "degraded performance": "SEV2",
    "disrupted": "SEV2", "medium": "SEV3", "moderate": "SEV3", "low": "SEV3", "minor": "SEV3", "notice": "SEV3",
    "minor outage": "SEV3", "informational": "SEV3",
}
_SEV_NUMBER = {0: "SEV1", 1: "SEV1", 2: "SEV2", 3: "SEV3", 4: "SEV3", 5: "SEV3"}
_PRIORITY_NUMBER = {0: "SEV1", 1: "SEV1", 2: "SEV2", 3: "SEV3", 4: "SEV3", 5: "SEV3"}


_STRUCK = re.compile(r"~~.*?~~")
# "SEV1 (downgraded to SEV2 after review)", "SEV2 → SEV1", "Initially SEV3, raised to SEV1": the severity it
# ended at, which is what a reader ranks the incident by.
_SEVERITY_CHANGE = re.compile(
    r"(?:\b(?:upgraded|downgraded|raised|lowered|escalated|reduced|bumped|changed|moved|reclassified|re-?rated|"
    r"promoted|demoted)(?: (?:it|back|up|down))? to|→|->|=>|⇒)\s*((?:sev(?:erity)?|p)[ -]?\d\b|s\d\b|\d\b|"
    r"critical\b|high\b|medium\b|moderate\b|low\b|major\b|minor\b)", re.I)
_FROM_BRACKET = re.compile(r"\s*\(.*$")
_DIGIT = re.compile(r"\d")
_SEV_NUMBERS = re.compile(r"sev(?:erity)?\s*[-_ ]?\s*(\d)", re.I)
_SEV_WRITTEN = re.compile(r"(?:sev(?:erity)?|s)?\s*[-_ :]{0,2}\s*\d", re.I)
_WORD_SEPARATOR = re.compile(r"\s*[-–—,;/]\s*")


def parse_severity(value: object) -> str:
    """``SEV1``-``SEV3`` from ``SEV1``, ``Sev 2``, ``SEV-1``, ``S1``, ``Severity 1``, ``1``, and from other
    scales: SEV0 and SEV4/5, P0-P4, Critical/High/Medium/Low, Major/Minor (see :func:`severity_and_word`)."""
    return severity_and_word(value)[0]


def severity_and_word(value: object) -> tuple[str, str]:
    """The canonical severity and the word as written (``("SEV1", "P1")``); ``ValueError`` if unreadable."""
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a severity")
    original = _short_text(value, "a severity")
    changed = _SEVERITY_CHANGE.search(original)
    if changed:
        return severity_and_word(changed.group(1))
    if "~~" in original:
        original = _STRUCK.sub("", original).strip(" /") or original
    text = _FROM_BRACKET.sub("", original).strip(" .:-/")
    if "-" in text and not _DIGIT.search(text):
        text = text.replace("-", " ")
    if len(set(_SEV_NUMBERS.findall(text))) > 1:
        raise ValueError(f"'{original}' names several severities; keep one")
    word = text.lower()
    if word in SEVERITY_WORDS:
        return SEVERITY_WORDS[word], text
    m = _SEVERITY.fullmatch(text)
    if m and int(m.group(1)) in _SEV_NUMBER:
        written = _SEV_WRITTEN.match(text).group(0)  # type: ignore[union-attr]
        return _SEV_NUMBER[int(m.group(1))], written
    m = _PRIORITY.fullmatch(text)
    if m and int(m.group(1)) in _PRIORITY_NUMBER:
        return _PRIORITY_NUMBER[int(m.group(1))], f"P{m.group(1)}"
    first = _WORD_SEPARATOR.split(word, maxsplit=1)[0]
    if first in SEVERITY_WORDS:
        return SEVERITY_WORDS[first], text.split()[0]
    raise ValueError(f"'{original}' is not a severity (write SEV1, SEV2 or SEV3)")


DRILL_WORDS = ("drill", "drills", "test", "tests", "exercise", "exercises", "game day", "gameday", "game-day",
               "simulation", "simulations", "chaos drill")


def drill_word(value: object) -> str | None:
    """The word that makes a severity or tag mark a drill, not a real incident: the whole value must be
    one of :data:`DRILL_WORDS` ("test-infra" or "drill-down report" are not drills)."""
    text = clean(value).strip(" .").lower()
    return text if text in DRILL_WORDS else None


def is_drill(value: object) -> bool:
    """True for a severity or tag that is exactly a drill word (Drill, Test, Exercise, Game day, Simulation)."""
    return drill_word(value) is not None


# Abbreviation -> (UTC offset in minutes as written, the region whose local time it names).
_TZ_ABBREVIATIONS = {
    "UTC": (0, None), "GMT": (0, None), "Z": (0, None), "ZULU": (0, None),
    "PST": (-480, "America/Los_Angeles"), "PDT": (-420, "America/Los_Angeles"),
    "MST": (-420, "America/Denver"), "MDT": (-360, "America/Denver"),
    "CST": (-360, "America/Chicago"), "CDT": (-300, "America/Chicago"),
    "EST": (-300, "America/New_York"), "EDT": (-240, "America/New_York"),
    "AKST": (-540, "America/Anchorage"), "AKDT": (-480, "America/Anchorage"),
    "HST": (-600, "Pacific/Honolulu"),
    "WET": (0, "Europe/Lisbon"), "WEST": (60, "Europe/Lisbon"),
    "BST": (60, "Europe/London"),
    "CET": (60, "Europe/Paris"), "CEST": (120, "Europe/Paris"),
    "EET": (120, "Europe/Athens"), "EEST": (180, "Europe/Athens"),
    "MSK": (180, "Europe/Moscow"),
    "IST": (330, "Asia/Kolkata"),
    "SGT": (480, "Asia/Singapore"), "HKT": (480, "Asia/Hong_Kong"),
    "JST": (540, "Asia/Tokyo"), "KST": (540, "Asia/Seoul"),
    "AEST": (600, "Australia/Sydney"), "AEDT": (660, "Australia/Sydney"),
    "NZST": (720, "Pacific/Auckland"), "NZDT": (780, "Pacific/Auckland"),
    "SAST": (120, "Africa/Johannesburg"), "CAT": (120, "Africa/Maputo"), "EAT": (180, "Africa/Nairobi"),
    "WAT": (60, "Africa/Lagos"), "GST": (240, "Asia/Dubai"), "PKT": (300, "Asia/Karachi"),
    "ICT": (420, "Asia/Bangkok"), "WIB": (420, "Asia/Jakarta"), "PHT": (480, "Asia/Manila"),
    "AWST": (480, "Australia/Perth"), "ACST": (570, "Australia/Adelaide"), "ACDT": (630, "Australia/Adelaide"),
    "BRT": (-180, "America/Sao_Paulo"), "ART": (-180, "America/Argentina/Buenos_Aires"),
    "NST": (-210, "America/St_Johns"), "AST": (-240, "America/Halifax"), "ADT": (-180, "America/Halifax"),
}
# Spelled-out names of those abbreviations.
_TZ_LONG_NAMES = {
    "PACIFIC STANDARD TIME": "PST", "PACIFIC DAYLIGHT TIME": "PDT", "MOUNTAIN STANDARD TIME": "MST",
    "MOUNTAIN DAYLIGHT TIME": "MDT", "CENTRAL STANDARD TIME": "CST", "CENTRAL DAYLIGHT TIME": "CDT",
    "EASTERN STANDARD TIME": "EST", "EASTERN DAYLIGHT TIME": "EDT", "COORDINATED UNIVERSAL TIME": "UTC",
    "GREENWICH MEAN TIME": "GMT", "BRITISH SUMMER TIME": "BST", "CENTRAL EUROPEAN TIME": "CET",
    "CENTRAL EUROPEAN SUMMER TIME": "CEST", "EASTERN EUROPEAN TIME": "EET", "INDIA STANDARD TIME": "IST",
    "SOUTH AFRICA STANDARD TIME": "SAST", "GULF STANDARD TIME": "GST", "JAPAN STANDARD TIME": "JST",
    "AUSTRALIAN EASTERN STANDARD TIME": "AEST", "AUSTRALIAN EASTERN DAYLIGHT TIME": "AEDT",
}
# Names of a region's local time that follow daylight saving ("Pacific time").
_TZ_REGIONS = {
    "PT": "America/Los_Angeles", "PACIFIC": "America/Los_Angeles", "PACIFIC TIME": "America/Los_Angeles",
    "MT": "America/Denver", "MOUNTAIN": "America/Denver", "MOUNTAIN TIME": "America/Denver",
    "CT": "America/Chicago", "CENTRAL": "America/Chicago", "CENTRAL TIME": "America/Chicago",
    "ET": "America/New_York", "EASTERN": "America/New_York", "EASTERN TIME": "America/New_York",
    "US/PACIFIC": "America/Los_Angeles", "US/EASTERN": "America/New_York", "US/CENTRAL": "America/Chicago",
    "US/MOUNTAIN": "America/Denver", "UK TIME": "Europe/London", "LONDON TIME": "Europe/London",
    "US EASTERN": "America/New_York", "US EASTERN TIME": "America/New_York", "US PACIFIC": "America/Los_Angeles",
    "US PACIFIC TIME": "America/Los_Angeles", "US CENTRAL": "America/Chicago", "US CENTRAL TIME": "America/Chicago",
    "US MOUNTAIN TIME": "America/Denver", "UK": "Europe/London", "UK LOCAL TIME": "Europe/London",
    "NORWEGIAN LOCAL TIME": "Europe/Oslo", "GERMAN TIME": "Europe/Berlin", "CENTRAL EUROPEAN": "Europe/Berlin",
    "CHINA STANDARD TIME": "Asia/Shanghai", "CHINA TIME": "Asia/Shanghai", "BEIJING TIME": "Asia/Shanghai",
    "SYDNEY TIME": "Australia/Sydney", "MELBOURNE TIME": "Australia/Melbourne", "NZT": "Pacific/Auckland",
    "NEW ZEALAND TIME": "Pacific/Auckland", "BERLIN TIME": "Europe/Berlin", "PARIS TIME": "Europe/Paris",
}
_OFFSET = re.compile(r"(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?")


@dataclass(frozen=True)
class Zone:
    """A resolved timezone: the name stored with the incident and the ``tzinfo`` to apply."""

    name: str
    tz: tzinfo
    region: str | None = None


@lru_cache(maxsize=512)
def resolve_timezone(value: str) -> Zone:
    """A :class:`Zone` from an IANA name (``Europe/Berlin``), an abbreviation (``PST``) or an offset (``UTC+2``).

    Abbreviations are fixed offsets exactly as written (PST is always UTC-08:00);
    :func:`dst_mismatch` tells when that contradicts the calendar.
    """
    text = clean(value).strip(" .()")
    text = _FROM_BRACKET.sub("", text).strip()
    if len(text) > 60:
        raise ValueError(f"'{text[:40]}…' is not a timezone")
    upper = _TZ_LONG_NAMES.get(text.upper(), text.upper())
    if upper in _TZ_ABBREVIATIONS:
        offset, region = _TZ_ABBREVIATIONS[upper]
        return Zone(upper, timezone(timedelta(minutes=offset), upper), region)
    if upper in _TZ_REGIONS:
        return Zone(_TZ_REGIONS[upper], ZoneInfo(_TZ_REGIONS[upper]))
    pair = upper.split("/")
    if len(pair) == 2 and all(p in _TZ_ABBREVIATIONS for p in pair) and \
            _TZ_ABBREVIATIONS[pair[0]][1] == _TZ_ABBREVIATIONS[pair[1]][1] is not None:
        region = _TZ_ABBREVIATIONS[pair[0]][1]
        return Zone(region, ZoneInfo(region))  # type: ignore[arg-type]
    m = _OFFSET.fullmatch(upper)
    if m and (text[:1] in "+-" or upper.startswith(("UTC", "GMT"))):
        sign = -1 if m.group(1) == "-" else 1
        minutes = sign * (int(m.group(2)) * 60 + int(m.group(3) or 0))
        if abs(minutes) > 14 * 60:
            raise ValueError(f"'{text}' is not a valid UTC offset")
        name = "UTC" if minutes == 0 else f"UTC{m.group(1)}{int(m.group(2)):02d}:{int(m.group(3) or 0):02d}"
        return Zone(name, timezone(timedelta(minutes=minutes), name))
    if "/" in text or upper in ("UTC", "ETC/UTC"):
        try:
            return Zone(text, ZoneInfo(text))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise ValueError(f"'{text}' is not a timezone (write an IANA name like America/Los_Angeles, or PST, UTC, CET...)")


def dst_mismatch(zone: Zone, on: date) -> str | None:
    """A warning when a fixed abbreviation disagrees with its region's clock on that date (PST in July)."""
    if zone.region is None:
        return None
    local = ZoneInfo(zone.region)
    noon = datetime.combine(on, time(12), local)
    written = zone.tz.utcoffset(None)
    actual = noon.utcoffset()
    if written == actual:
        return None
    return (
        f"{zone.name} is UTC{_fmt_offset(written)}, but on {on.isoformat()} the local time there is "
        f"{noon.tzname()} (UTC{_fmt_offset(actual)}); times were taken as written, in {zone.name}"
    )


def _fmt_offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# A year and an ISO date, each searched with _first_unled (which adds a leading (?<!\d)).
_YEAR_SCAN = re.compile(r"(?:19|20)\d\d(?!\d)")
_ISO_DATE_SCAN = re.compile(r"(\d\d\d\d)-(\d\d?)-(\d\d?)(?!\d)")
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}\.?"
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6}\.?,?[ \t]{1,3})?"
_SHORT_YEAR = re.compile(r"\d{1,2}/[A-Za-z]{3}/\d{2}\b")
_DAY_RANGE = r"(?:[ \t]*[-–][ \t]*\d{1,2}(?:st|nd|rd|th)?)?"
_TEXT_DATE = re.compile(
    rf"\b{_WEEKDAY}(?:(?P<m1>{_MONTHS})[ \t]{{1,3}}(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?{_DAY_RANGE},?[ \t]{{1,3}}(?P<y1>\d{{4}})|"
    rf"(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?{_DAY_RANGE}[ \t]{{1,3}}(?:of[ \t]{{1,3}})?(?P<m2>{_MONTHS}),?[ \t]{{1,3}}(?P<y2>\d{{4}})|"
    r"(?P<y3>\d{4})/(?P<mo3>\d{1,2})/(?P<d3>\d{1,2})|"
    rf"(?P<d5>\d{{1,2}})/(?P<m5>{_MONTHS})/(?P<y5>\d{{2}}|\d{{4}})|"
    rf"(?P<y6>\d{{4}})[ \t]{{1,3}}(?P<m6>{_MONTHS})[ \t]{{1,3}}(?P<d6>\d{{1,2}})(?:st|nd|rd|th)?|"
    r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y4>\d{4}))(?!\d)",
    re.I,
)
_MONTH_DAY = re.compile(
    rf"\b{_WEEKDAY}(?:(?P<m1>{_MONTHS})[ \t]{{1,3}}(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b|"
    rf"(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?[ \t]{{1,3}}(?:of[ \t]{{1,3}})?(?P<m2>{_MONTHS})(?![a-z]))",
    re.I,
)
# Where a written date can begin: after no word character, a digit or the first three letters of a
# weekday or month. Every alternative of _TEXT_DATE and _MONTH_DAY starts so.
_DATE_START = re.compile(r"(?<!\w)(?:\d|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
                         re.I)


def _matches_from_date_starts(pattern: re.Pattern, text: str, before: int):
    """``pattern.finditer(text)`` for matches starting before ``before``, trying the pattern only where
    :data:`_DATE_START` says a date can begin (the big alternation is costly to try at every character)."""
    resume = 0
    for start in _DATE_START.finditer(text):
        position = start.start()
        if position >= before:
            return
        if position < resume:
            continue
        m = pattern.match(text, position)
        if m is not None:
            yield m
            resume = m.end()


_MONTH_NUMBER = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                              "nov", "dec"), start=1)}


def _month(word: str) -> int | None:
    word = word.lower().rstrip(".")
    number = _MONTH_NUMBER.get(word[:3])
    if number is None:
        return None
    full = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
            "november", "december")[number - 1]
    return number if full.startswith(word) or word == "sept" else None


def numeric_date_order(text: str, file_stem: str = "") -> bool | None:
    """Whether a document's numeric dates (``05/10/2025``, ``21-10-2019``) put the day first: True when
    one of them only reads day-first, False when one only reads month-first, None when none tells.
    When none tells, a ``2024-11-06-…`` file name does if the dates that are that day read one way only
    all read it the same way (``06/11/2024`` in ``2024-11-06-batch.md`` is day first; with ``11/06/2024``
    beside it, nothing tells)."""
    day_first = month_first = False
    found = []
    for m in _numeric_dates(text):
        a, b = int(m.group(1)), int(m.group(2))
        day_first |= a > 12 >= b
        month_first |= b > 12 >= a
        found.append((a, b, int(m.group(0)[-4:])))
    if day_first == month_first:
        return None if day_first else _order_from_file_name(found, file_stem)
    return day_first


_FILE_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def file_name_date(file_stem: str) -> date | None:
    """The date a ``2024-11-06-…`` file name starts with, if it is one."""
    m = _FILE_DATE.match(file_stem)
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
    except ValueError:
        return None


def _order_from_file_name(found: list[tuple[int, int, int]], file_stem: str) -> bool | None:
    """Day first (True) or month first (False) when every ``found`` date that is the file name's day reads
    it the same way; else None."""
    named = file_name_date(file_stem)
    if named is None:
        return None
    year, month, day = named.year, named.month, named.day
    orders = {(a, b) == (day, month) for a, b, y in found
              if y == year and a != b and (a, b) in ((day, month), (month, day))}
    return orders.pop() if len(orders) == 1 else None


_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](?:19|20)\d\d(?!\d)")
# The same without its look-behind: a pattern that opens with a digit lets the regex engine skip
# to the next digit in C instead of trying the pattern at every character.
_NUMERIC_DATE_SCAN = re.compile(r"(\d\d?)[/.-](\d\d?)[/.-](?:19|20)\d\d(?!\d)")


def _numeric_dates(text: str):
    """The matches ``_NUMERIC_DATE.finditer(text)`` gives."""
    pos = 0
    while (m := _first_unled(_NUMERIC_DATE_SCAN, text, pos)) is not None:
        yield m
        pos = m.end()


def _first_unled(pattern: re.Pattern, text: str, pos: int = 0) -> re.Match | None:
    """The first match of ``pattern`` from ``pos`` not preceded by a digit: what the pattern with a leading
    ``(?<!\\d)`` finds (``\\d`` is str.isdecimal), but with the scan opening on a digit, which the engine
    skips to in C."""
    while (m := pattern.search(text, pos)) is not None:
        start = m.start()
        if not start or not text[start - 1].isdecimal():
            return m
        pos = start + 1
    return None


def find_date(text: str, day_first: bool | None = None) -> tuple[date, int, int] | None:
    """The first full calendar date in ``text`` with its span, or ``None``.

    ISO dates, ``March 4, 2025``, ``4th March, 2025``, ``Tuesday, March 4, 2025``, ``2025/03/04``, and
    numeric ``03/04/2025``, ``04-03-2025``, ``04.03.2025``. A numeric date whose day and month could be
    swapped is read day-first when ``day_first`` says so (see :func:`numeric_date_order`), else
    month-first with ``/`` (US) and day-first with ``-`` or ``.`` (Europe).
    """
    if _first_unled(_YEAR_SCAN, text) is None and not ("/" in text and _SHORT_YEAR.search(text)):
        return None
    m = _first_unled(_ISO_DATE_SCAN, text)
    before = m.start() if m else len(text)
    if before:
        for t in _matches_from_date_starts(_TEXT_DATE, text, before):
            found = _text_date(t, day_first)
            if found is not None:
                return found, t.start(), t.end()
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))), m.start(), m.end()
        except ValueError:
            return None
    return None


def _text_date(m: re.Match, day_first: bool | None) -> date | None:
    try:
        if m.group("y1"):
            month = _month(m.group("m1"))
            return date(int(m.group("y1")), month, int(m.group("d1"))) if month else None
        if m.group("y2"):
            month = _month(m.group("m2"))
            return date(int(m.group("y2")), month, int(m.group("d2"))) if month else None
        if m.group("y3"):
            return date(int(m.group("y3")), int(m.group("mo3")), int(m.group("d3")))
        if m.group("y6"):
            month = _month(m.group("m6"))
            return date(int(m.group("y6")), month, int(m.group("d6"))) if month else None
        if m.group("y5"):
            month, year = _month(m.group("m5")), int(m.group("y5"))
            return date(year + 2000 if year < 100 else year, month, int(m.group("d5"))) if month else None
        a, b, year = int(m.group("a")), int(m.group("b")), int(m.group("y4"))
        if a > 12:
            return date(year, b, a)
        if b > 12:
            return date(year, a, b)
        first = day_first if day_first is not None else m.group("sep") != "/"
        return date(year, b, a) if first else date(year, a, b)
    except ValueError:
        return None


def is_ambiguous_date(text: str) -> bool:
    """True when ``text``'s first numeric date reads as two different days (``05/10/2025``)."""
    m = _NUMERIC_DATE.search(text)
    return m is not None and int(m.group(1)) <= 12 and int(m.group(2)) <= 12 and m.group(1) != m.group(2)


_NUMERIC_MONTH_DAY = re.compile(r"(\d{1,2})/(\d{1,2})(?![/\d])")


def month_day_near(text: str, near: date, day_first: bool | None = None) -> tuple[date, int, int] | None:
    """A day written without its year, in ``near``'s year, except across New Year: ``Jan 1`` after
    2025-12-31 is in 2026, ``Dec 31`` in a file dated 2026-01-02 in 2025 (within two months of ``near``
    in the next or previous year, and over ten months from it in its own). A timeline that runs from
    January to August stays in one year."""
    found = find_month_day(text, near.year, day_first)
    if found is None or abs((found[0] - near).days) <= 300:
        return found
    other = find_month_day(text, near.year + (1 if found[0] < near else -1), day_first)
    return other if other is not None and abs((other[0] - near).days) <= 62 else found


def find_month_day(text: str, year: int, day_first: bool | None = None) -> tuple[date, int, int] | None:
    """A day written without its year (``Oct 21``, ``21st October``, and at the start ``10/30``), placed
    in ``year``."""
    numeric = _NUMERIC_MONTH_DAY.match(text)
    if numeric:
        a, b = int(numeric.group(1)), int(numeric.group(2))
        month, day = (b, a) if day_first or a > 12 else (a, b)
        try:
            return date(year, month, day), 0, numeric.end()
        except ValueError:
            pass
    for m in _matches_from_date_starts(_MONTH_DAY, text, len(text)):
        named = _month(m.group("m1") or m.group("m2"))
        if not named:
            continue
        try:
            return date(year, named, int(m.group("d1") or m.group("d2"))), m.start(), m.end()
        except ValueError:
            continue
    return None


def parse_date(value: object, day_first: bool | None = None) -> date:
    """A calendar date from a YAML date/datetime or text holding one full date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _short_text(value, "a date")
    found = find_date(text, day_first)
    if not found:
        raise ValueError(f"'{text}' is not a date (write YYYY-MM-DD)")
    return found[0]


_CLOCK = re.compile(r"(\d{1,2})(?:(?::|\.|h)(\d{2})(?::(\d{2}))?)?(?:[ \t]?([ap])\.?[ \t]?m\b\.?|([ap])(?![\w'-]))?",
                    re.I)


def find_clock(text: str) -> tuple[time, int, int] | None:
    """The clock time at the start of ``text`` (``08:40 AM``, ``8:40pm``, ``14:05``, ``14.05``, ``7 PM``)
    with its span."""
    m = _CLOCK.match(text)
    if not m or (m.group(2) is None and not m.group(4)):
        return None
    hour, minute, second = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    meridiem = (m.group(4) or m.group(5) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second), m.start(), m.end()


_T_BEFORE_CLOCK = re.compile(r"^T(?=\d)")
_FRACTION_OF_SECOND = re.compile(r"^\.\d+")
_SECONDS_BEFORE = re.compile(r"\d:\d{2}:\d{2}$")
_OFFSET_APART = re.compile(r"[ \t]+-\d")
_ISO_T_CLOCK = re.compile(r"\dT\d{2}:\d{2}[+-]")
_OFFSET_FOUR_DIGITS = re.compile(r"-[01]\d[0-5]\d")
_WEEKDAY_AT = re.compile(r"^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6}\.?,?\s+)?(?:at\s+|@\s*)?", re.I)


def parse_timestamp(value: object, zone: Zone, on: date | None, fold: int = 0,
                    day_first: bool | None = None) -> datetime:
    """A UTC ``datetime`` from a YAML datetime or text (date optional when ``on`` is given; a day
    written without its year, ``Oct 21 18:46``, takes ``on``'s year).

    A naive value is read in ``zone``; a value with its own offset or zone
    (``7:09 AM Eastern``, ``2:10am SAST``, ``14:00 UTC+2``) keeps it.
    ``fold=1`` picks the second of a clock time that happens twice (when
    daylight saving ends).
    """
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=zone.tz)
        return moment.astimezone(timezone.utc)
    if isinstance(value, date):
        raise ValueError(f"'{value}' is a date without a time")
    text = _short_text(value, "a time")
    found_date = find_date(text, day_first)
    if found_date is None and on is not None and (_MONTH_START.search(text) or _NUMERIC_MONTH_DAY.match(text)):
        found_date = month_day_near(text, on, day_first)
    if found_date:
        on = found_date[0]
        text = (text[:found_date[1]] + " " + _T_BEFORE_CLOCK.sub("", text[found_date[2]:])).strip(" ,-–—@")
        text = _WEEKDAY_AT.sub("", text)
    if on is None:
        raise ValueError(f"'{clean(value)}' has no date")
    clock = find_clock(text)
    if not clock:
        raise ValueError(f"'{clean(value)}' is not a time (write e.g. 08:40 AM or 2025-03-04 08:40)")
    rest = _FRACTION_OF_SECOND.sub("", text[clock[2]:], count=1).strip(" ,:;()[]–—").rstrip("-")
    # A minus is an offset's sign straight after an ISO clock ("03:40:00-05:00", "2024-07-05T09:15-04:00"),
    # set apart from the clock ("09:15 -04:00") or as four digits ("09:15-0400"); after "10:00" alone it ends a
    # range ("10:00-10:20"), as it always did.
    if rest[:1] == "-" and not (rest[1:2].isdigit() and (
            _SECONDS_BEFORE.search(text, 0, clock[2]) or _OFFSET_APART.match(text, clock[2])
            or _ISO_T_CLOCK.search(clean(value)) or _OFFSET_FOUR_DIGITS.fullmatch(rest))):
        rest = rest.lstrip("- ")
    tz = zone.tz
    if rest:
        try:
            tz = resolve_timezone(rest).tz
        except ValueError:
            raise ValueError(f"'{clean(value)}' has an unknown timezone '{rest}'") from None
    return datetime.combine(on, clock[0], tz).replace(fold=fold).astimezone(timezone.utc)


_MONTH_START = re.compile(rf"(?i)\b{_MONTHS}")
