"""Post-mortems written the way people write them, from values known in advance.

A :class:`Doc` holds what a reader of the post-mortem takes from it (the start and end on the clock,
the phase durations, the blast radius, the teams and apps, the action items with their dates, the
severity, whether it is a drill) and how the author happened to write each of those (``1,200 minutes``,
``~15 min``, ``No estimate yet``, ``Payments, payments team``, ``Patient iOS & Android``, a date line
above the timeline rows, ``done 12 Jul 2025``, 01:40 then 01:10 on the night clocks go back...).
:func:`render` writes it as YAML, plain text (the template's tab-separated export) or Markdown;
:func:`mismatches` lists every value the loaded incident reads differently from what a person reads.

``postmortems()`` draws one :class:`Doc` (hypothesis); ``folders()`` draws several with distinct
file names and ids, for tests over a loaded database. ``FORMS`` lists every surface form of the
vocabulary, so a sweep can write each one at least once whatever hypothesis draws.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import assume
from hypothesis import strategies as st

UTC = timezone.utc
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
NEW_YORK = ZoneInfo("America/New_York")

# -- severities: as written -> (severity, severity_original) ---------------------------------------

SEVERITIES = {
    **{spelling: f"SEV{n}" for n in (1, 2, 3)
       for spelling in (f"SEV{n}", f"Sev {n}", f"SEV-{n}", f"sev{n}", f"S{n}", f"Severity {n}")},
    # other organisations' scales
    "P0": "SEV1", "P1": "SEV1", "P2": "SEV2", "P3": "SEV3", "SEV0": "SEV1", "Sev 0": "SEV1", "SEV4": "SEV3",
    "Critical": "SEV1", "Major": "SEV2", "High": "SEV2", "Minor": "SEV3", "Medium": "SEV3", "Low": "SEV3",
}
# A severity that says the post-mortem is of a drill: no severity, left out of every statistic.
DRILL_SEVERITIES = ("Drill", "Game day")

# -- time zones: as written -> (the name stored, the clock) ----------------------------------------

ZONES = {
    "UTC": ("UTC", UTC),
    "IST": ("IST", timezone(timedelta(minutes=330))),
    "Asia/Tokyo": ("Asia/Tokyo", ZoneInfo("Asia/Tokyo")),
    "UTC-05:00": ("UTC-05:00", timezone(timedelta(minutes=-300))),
    "America/Los_Angeles": ("America/Los_Angeles", LOS_ANGELES),
    "America/New_York": ("America/New_York", NEW_YORK),
    "US/Eastern": ("America/New_York", NEW_YORK),
    "Pacific time": ("America/Los_Angeles", LOS_ANGELES),
}
# Zones whose clocks go back one night a year (the first Sunday of November, 02:00 -> 01:00).
DST_ZONES = ("America/Los_Angeles", "America/New_York", "US/Eastern", "Pacific time")


def fall_back_day(year: int) -> date:
    """The first Sunday of November: the night US clocks go from 01:59 daylight back to 01:00 standard."""
    first = date(year, 11, 1)
    return first + timedelta(days=(calendar.SUNDAY - first.weekday()) % 7)


# -- durations ---------------------------------------------------------------------------------------

DURATION_STYLES = 16


def duration_text(minutes: int, style: int) -> str:
    """``minutes`` written one of the ways people write a duration; every one reads as ``minutes``."""
    hours, mins = divmod(minutes, 60)
    days, day_hours = divmod(hours, 24)
    forms = [
        f"{minutes} minutes",
        f"{minutes} min",
        f"{minutes}m",
        f"{hours}:{mins:02d}",
        (f"PT{hours}H{mins}M" if hours else f"PT{mins}M"),
        (f"{hours}h {mins}m" if hours else f"{mins} min"),
        f"{minutes:,} minutes",                                   # 1,200 minutes
        f"{minutes:,} mins",
        f"~{minutes} min",                                        # ~15 min
        f"approximately {minutes} minutes",
        (f"about {hours}h" if hours and not mins else f"about {hours}h {mins}m" if hours else f"about {mins} minutes"),
        (f"{hours} hours and {mins} minutes" if hours and mins else f"{hours} hours" if hours else f"{mins} minutes"),
        (f"{hours} hr {mins} min" if hours else f"{mins} min"),
        (f"{minutes / 60:g} hours" if minutes % 15 == 0 and hours else f"{minutes} min"),   # 1.5 hours
        (f"{days}d {day_hours}h {mins}m" if days else f"{hours}h {mins}m"),
        (f"around {minutes:,} minutes"),
    ]
    return forms[style % len(forms)]


# -- counts: what a person reads from how the author wrote it ----------------------------------------

UNKNOWN_COUNTS = ("Unknown", "N/A", "TBD", "< ## Unknown >", "unknown", "No estimate yet", "not counted",
                  "no reliable count", "None reported", "No way to know", "Not known yet", "unknown (logs rotated)")


def zero_counts(noun: str) -> tuple[str, ...]:
    return ("none", "0", f"no {noun}", "None", "zero", f"No {noun} were affected", f"0 {noun}")


def count_text(number: int | None, style: int, noun: str) -> str:
    if number == 1:
        noun = noun.removesuffix("s")
    if number is None:
        return UNKNOWN_COUNTS[style % len(UNKNOWN_COUNTS)]
    if number == 0:
        forms = zero_counts(noun)
        return forms[style % len(forms)]
    forms = (f"{number:,}", str(number), f"~{number:,}", f"approximately {number:,}", f"about {number:,} {noun}",
             f"{number:,} {noun}")
    return forms[style % len(forms)]


# -- teams and apps ------------------------------------------------------------------------------------

TEAMS = ("Payments", "Platform", "Data", "Identity", "Messaging", "Site Reliability", "Patient Experience")


def team_spelling(team: str, style: int) -> str:
    """``Payments``, ``payments``, ``PAYMENTS``, ``Payments team``, ``payments Team``: one team."""
    return (team, team.lower(), team.upper(), f"{team} team", f"{team.lower()} team", f"{team} Team")[style % 6]


TEAM_SEPARATORS = (", ", ", ", "; ", " and ", " & ")

AUDIENCES = ("Patient", "Provider")
PLATFORMS = ("Web", "iOS", "Android")
JOINS = (" & ", " and ", " + ")


@dataclass(frozen=True)
class AppPhrase:
    """One entry of "Apps/APIs affected": ``Patient iOS & Android``, ``Patient and Provider Web``, ``CWS APIs``."""

    audiences: tuple[str, ...]
    platforms: tuple[str, ...]
    join: str = " & "

    def text(self) -> str:
        if not self.audiences:
            return self.join.join(self.platforms)
        if len(self.audiences) > 1:
            return f"{self.join.join(self.audiences)} {self.platforms[0]}"
        return f"{self.audiences[0]} {self.join.join(self.platforms)}"

    def pairs(self) -> set[tuple[str | None, str]]:
        return {(a, p) for a in (self.audiences or (None,)) for p in self.platforms}


# -- tags ----------------------------------------------------------------------------------------------

PLAIN_TAGS = ("payments", "database", "test-infra", "drill-down", "load-test", "test environment",
              "drill-down report", "customer-facing", "testflight")
DRILL_TAGS = ("Drill", "drill", "Game day", "game-day", "Exercise", "Test", "Simulation")

# -- timeline rows -----------------------------------------------------------------------------------

START_ROWS = ("Started at", "Started at: a bad config was pushed", "Incident started", "Start: deploy 4512 went out")
END_ROWS = ("Resolved at", "Resolved at: fixed", "Resolved: metrics back to baseline", "Incident resolved",
            "All clear: error rates back to normal", "Fully recovered")
# A mitigation between start and resolution: partial recovery (True) or a fix that marks no moment (None:
# a person may read it either way, so it is not checked) -- never the resolution.
MITIGATION_ROWS = {"Mitigated: traffic failed over": True, "Partial recovery: error rate back under 5%": True,
                   "Mitigation applied: rate limit raised": True,
                   "Partially restored: most clinics can book again": True,
                   "Rolled back the release": None, "Rolled back to build 4511": None}
# Rows between start and resolution that use a resolution or mitigation word in another sense.
NOISE_ROWS = ("Over 500 errors per second reported", "Error rate still over 20%", "Handed over to the EU on-call",
              "Status call ended; next update in 30 minutes", "Vendor expects a resolution within the hour",
              "Not resolved yet: errors continue", "Recovered the logs from the failed node")
TRAILING_ROWS = ("Post-incident review scheduled", "Customer update sent to clinics")

# -- action items ------------------------------------------------------------------------------------

DEADLINE_HOURS = {"P0": 48, "P1": 14 * 24, "P2": 28 * 24}
DESCRIPTIONS = ("Add a queue depth alert", "Write a runbook for vendor failover", "Retry webhook deliveries on 503",
                "Alert on certificate expiry", "Page the vendor automatically", "Load the new pool size in staging",
                "Add a canary stage for config pushes")
OWNERS = ("Ann Lee", "Bo Chen", "Cy Diaz", "Dee Park")
DONE_STYLES = 6
OPEN_STYLES = 3
WONTFIX_STYLES = 3


def done_text(day: date, style: int) -> str:
    """A done item's status and completion date as people write them after the item."""
    return (f"done ({day.isoformat()})", f"done {day.month}/{day.day}/{day.year}",
            f"done {day.day} {day:%b} {day.year}", f"done on {day:%B} {day.day}, {day.year}",
            f"completed: {day.isoformat()}", f"done {day.isoformat()}")[style % DONE_STYLES]


def open_text(style: int) -> str:
    return ("", "(open)", "(in progress)")[style % OPEN_STYLES]


def wontfix_text(style: int) -> str:
    return ("won't fix", "(won't do)", "cancelled")[style % WONTFIX_STYLES]


@dataclass(frozen=True)
class Item:
    priority: str | None          # P0/P1/P2, or None (YAML only: no deadline)
    description: str
    owner: str
    ticket: str
    status: str                   # open / done / wontfix
    completed: date | None = None
    style: int = 0                # how the status (and date) is written
    yaml_form: int = 0            # YAML: 0 a mapping, 1 a mapping without status, 2 a line of text


@dataclass(frozen=True)
class Row:
    """A timeline row ``offset`` minutes after the start, and what a person reads it as."""

    offset: int
    text: str
    kind: str                     # start / end / mitigation / noise / trailing


@dataclass(frozen=True)
class Doc:
    shape: str                    # yaml / text / markdown
    stem: str                     # the file name without its ending (a date first, or not)
    incident_id: str
    title: str
    severity: str                 # as written (a key of SEVERITIES or DRILL_SEVERITIES)
    zone: str                     # as written (a key of ZONES)
    day: date                     # the day it started, on its own clock
    start_min: int                # minutes after midnight on its own clock (first occurrence)
    phases: tuple[int, ...]       # detect, respond, understand, solution, full recovery (minutes)
    phases_written: bool = True   # False: the template's "<put time here>" left in
    styles: tuple[int, ...] = (0, 0, 0, 0, 0)
    total_line: int | None = None  # a "Duration" line in this duration style
    rows: tuple[Row, ...] = ()
    date_lines: int | None = None  # a date line above the rows (and at each new day), in this form
    clock_12h: bool = False
    bare_next_day: bool = True    # a row just past midnight written without its date
    yaml_fields: int = 0          # YAML: 0 timeline rows, 1 started_at/resolved_at, 2 both
    patients: int | None = None
    patients_style: int = 0
    clinics: int | None = None
    clinics_style: int = 0
    teams: tuple[str, ...] = ()   # as written, in order (several spellings of one team allowed)
    team_separators: tuple[int, ...] = ()
    apps: tuple[AppPhrase, ...] = ()
    tags: tuple[str, ...] = ()
    items: tuple[Item, ...] = ()
    heading_style: int = 0

    # -- what a person reads ------------------------------------------------------------------
    @property
    def tz(self):
        return ZONES[self.zone][1]

    @property
    def started_at(self) -> datetime:
        local = datetime.combine(self.day, time(self.start_min // 60, self.start_min % 60), self.tz)
        return local.astimezone(UTC)

    def at(self, offset: int) -> datetime:
        return self.started_at + timedelta(minutes=offset)

    @property
    def duration(self) -> int:
        return sum(self.phases)

    @property
    def resolved_at(self) -> datetime:
        return self.at(self.duration)

    @property
    def drill(self) -> str | None:
        if self.severity in DRILL_SEVERITIES:
            return f"severity '{self.severity}'"
        return next((f"tag '{t}'" for t in self.tags if t in DRILL_TAGS), None)

    @property
    def canonical_severity(self) -> str | None:
        return None if self.severity in DRILL_SEVERITIES else SEVERITIES[self.severity]

    @property
    def team_names(self) -> list[str]:
        """The teams, once each, as a person reads them (case and a trailing "team" do not matter)."""
        seen: list[str] = []
        for written in self.teams:
            name = next(t for t in TEAMS if written.lower().removesuffix(" team") == t.lower())
            if name not in seen:
                seen.append(name)
        return seen

    @property
    def app_pairs(self) -> set[tuple[str | None, str]]:
        return set().union(*(p.pairs() for p in self.apps)) if self.apps else set()

    @property
    def partially_recovered_at(self) -> datetime | None | bool:
        """The mitigation row's moment; ``None`` without one; ``False`` when it is not to be checked."""
        rows = [r for r in self.rows if r.kind == "mitigation"]
        if not rows:
            return None
        marks = MITIGATION_ROWS[rows[0].text]
        return self.at(rows[0].offset) if marks else False

    def due_at(self, item: Item) -> datetime | None:
        return self.resolved_at + timedelta(hours=DEADLINE_HOURS[item.priority]) if item.priority else None


# -- hypothesis strategies ---------------------------------------------------------------------------

def _column_names() -> frozenset[str]:
    """Words the reader takes for a table's column names (``Title<TAB>Details`` reads as a table header)."""
    from pm_analytics.parse import reader, rules

    names = set().union(*(getattr(reader, name, set()) for name in
                          ("_TIME_COLUMNS", "_DATE_COLUMNS", "_EVENT_COLUMNS", "_REVIEWER_HEADER")))
    return frozenset(names | {n for names in getattr(rules, "ACTION_COLUMNS", {}).values() for n in names})


def plain_title(text: str) -> bool:
    """A title every shape writes the same way: not a section name, a label, a placeholder or a column name."""
    from pm_analytics.parse.values import is_placeholder
    from pm_analytics.parse.vocabulary import field_for_label, normalise_label, section_for_title

    return bool(text) and text[0].isalnum() and not (section_for_title(text) or field_for_label(text)
                                                     or is_placeholder(text) or normalise_label(text) in COLUMNS)


COLUMNS = _column_names()
titles = st.text(st.one_of(st.characters(categories=("Lu", "Ll", "Nd")), st.sampled_from(" .,'&/!?()éüñ")),
                 min_size=1, max_size=60).map(str.strip).filter(plain_title)


def _ambiguous_or_missing(moment: datetime, tz) -> bool:
    """True when the local clock reading of ``moment`` happens twice that night or, read back, is another moment."""
    local = moment.astimezone(tz).replace(tzinfo=None)
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return first != second or first != moment


def one_in(n: int):
    """True about once in ``n`` draws (hypothesis favours the low end of a range, so the rare case is the top
    one; it shrinks to False, the plainer post-mortem)."""
    return st.integers(1, n).map(lambda k: k == n)


# Mostly minutes to hours; about one phase in ten runs past a day (1,000-2,500 minutes: "1,200 minutes").
phase_minutes = st.tuples(one_in(10), st.one_of(st.integers(0, 600), st.integers(0, 120)),
                          st.integers(1000, 2500)).map(lambda t: t[2] if t[0] else t[1])


@st.composite
def postmortems(draw, index: int = 1) -> Doc:
    """One post-mortem: values first, then how each is written."""
    shape = draw(st.sampled_from(["yaml", "text", "markdown"]))
    dst_night = draw(one_in(6))
    if dst_night:
        zone = draw(st.sampled_from(DST_ZONES))
        day = fall_back_day(draw(st.integers(2015, 2030)))
        # Start in the hour that repeats (its first time round); resolve in its second time round at an
        # earlier clock time: 01:40 then 01:10 is 30 minutes later.
        start_clock = draw(st.integers(1, 59))
        start_min = 60 + start_clock
        total = draw(st.integers(60 - start_clock, 59))
        cuts = sorted(draw(st.lists(st.integers(0, total), min_size=4, max_size=4)))
        phases = tuple(b - a for a, b in zip([0, *cuts], [*cuts, total]))
    else:
        zone = draw(st.sampled_from(sorted(ZONES)))
        day = draw(st.dates(date(2015, 1, 1), date(2030, 12, 31)))
        start_min = draw(st.integers(0, 24 * 60 - 1))
        phases = tuple(draw(st.lists(phase_minutes, min_size=5, max_size=5)))
    phases_written = not draw(one_in(4))
    doc = Doc(shape=shape, stem="", incident_id=f"GEN-{index}", title=draw(titles),
              severity=draw(st.sampled_from(sorted(SEVERITIES)) if not draw(one_in(10)) else
                            st.sampled_from(DRILL_SEVERITIES)),
              zone=zone, day=day, start_min=start_min, phases=phases, phases_written=phases_written,
              styles=tuple(draw(st.lists(st.integers(0, DURATION_STYLES - 1), min_size=5, max_size=5))))
    total = doc.duration
    if not dst_night:
        assume(not _ambiguous_or_missing(doc.started_at, doc.tz))
    rows = [Row(0, draw(st.sampled_from(START_ROWS)), "start")]
    if total >= 2 and draw(st.booleans()):
        rows.append(Row(draw(st.integers(1, total - 1)), draw(st.sampled_from(sorted(MITIGATION_ROWS))), "mitigation"))
    for _ in range(draw(st.integers(0, 2)) if total >= 2 else 0):
        rows.append(Row(draw(st.integers(1, total - 1)), draw(st.sampled_from(NOISE_ROWS)), "noise"))
    end_row = not draw(one_in(6)) or not phases_written
    if end_row:
        rows.append(Row(total, draw(st.sampled_from(END_ROWS)), "end"))
        if draw(one_in(4)):
            rows.append(Row(total + draw(st.integers(5, 300)), draw(st.sampled_from(TRAILING_ROWS)), "trailing"))
    rows.sort(key=lambda r: (r.offset, ["start", "noise", "mitigation", "end", "trailing"].index(r.kind)))
    if dst_night:
        # Rows between start and resolution stay on the first time round, after the start (unambiguous).
        last_first_round = 120 - start_min - 1
        rows = [r for r in rows if r.kind in ("start", "end") or r.offset <= last_first_round]
        rows = [r for r in rows if r.kind != "trailing"]
    else:
        for row in rows:
            assume(not _ambiguous_or_missing(doc.at(row.offset), doc.tz))
    date_lines = draw(st.integers(0, 5)) if shape != "yaml" and draw(st.booleans()) else None
    dated_name = date_lines is None or draw(one_in(5))
    stem = f"{day.isoformat()}-generated-{index}" if dated_name else f"generated-incident-{index}"
    total_line = draw(st.integers(0, DURATION_STYLES - 1)) if not end_row or draw(one_in(4)) else None
    teams = []
    for team in draw(st.lists(st.sampled_from(TEAMS), max_size=3, unique=True)):
        for _ in range(draw(st.integers(1, 2))):
            teams.append(team_spelling(team, draw(st.integers(0, 5))))
    teams = draw(st.permutations(teams)) if teams else []
    apps = tuple(draw(st.lists(app_phrases, max_size=3)))
    tags = tuple(draw(st.lists(st.sampled_from(PLAIN_TAGS + DRILL_TAGS if draw(one_in(4))
                                               else PLAIN_TAGS), max_size=3, unique=True)))
    items = tuple(draw(st.lists(items_for(day, shape), max_size=5)))
    return replace(
        doc, stem=stem, rows=tuple(rows), date_lines=date_lines, total_line=total_line,
        clock_12h=draw(one_in(4)), bare_next_day=draw(st.booleans()),
        yaml_fields=draw(st.integers(0, 2)) if end_row else 0,
        patients=draw(counts), patients_style=draw(st.integers(0, 11)),
        clinics=draw(counts), clinics_style=draw(st.integers(0, 11)),
        teams=tuple(teams), team_separators=tuple(draw(st.lists(st.integers(0, len(TEAM_SEPARATORS) - 1),
                                                               min_size=max(0, len(teams) - 1),
                                                               max_size=max(0, len(teams) - 1)))),
        apps=apps, tags=tags, items=items, heading_style=draw(st.integers(0, 2)))


counts = st.one_of(st.none(), st.just(0), st.integers(1, 2_000_000), st.integers(1, 999))

app_phrases = st.one_of(
    st.builds(lambda a, ps, j: AppPhrase((a,), tuple(ps), j), st.sampled_from(AUDIENCES),
              st.lists(st.sampled_from(PLATFORMS), min_size=1, max_size=3, unique=True), st.sampled_from(JOINS)),
    st.builds(lambda p, j: AppPhrase(AUDIENCES, (p,), j), st.sampled_from(PLATFORMS), st.sampled_from(JOINS)),
    st.builds(lambda p: AppPhrase((), (p,)), st.sampled_from(PLATFORMS + ("CWS APIs",))),
)


def items_for(day: date, shape: str):
    priorities = ["P0", "P1", "P2"] + ([None] if shape == "yaml" else [])
    return st.builds(
        lambda priority, description, owner, number, status, after, style, yaml_form: Item(
            priority, description, owner, f"PAY-{number}", status,
            day + timedelta(days=after) if status == "done" else None, style, yaml_form),
        st.sampled_from(priorities), st.sampled_from(DESCRIPTIONS), st.sampled_from(OWNERS), st.integers(1, 9999),
        st.sampled_from(["open", "done", "done", "wontfix"]), st.integers(0, 60), st.integers(0, 11),
        st.integers(0, 2))


@st.composite
def folders(draw, min_size: int = 1, max_size: int = 8) -> list[Doc]:
    """Several post-mortems with distinct file names and ids, to load together."""
    size = draw(st.integers(min_size, max_size))
    return [draw(postmortems(index=i + 1)) for i in range(size)]


# -- writing ---------------------------------------------------------------------------------------

ENDINGS = {"yaml": ".yaml", "text": ".txt", "markdown": ".md"}
LABELS = ["Time to detect the issue", "Time to response", "Time to understand the issue", "Time to solution",
          "Time to full recovery"]
YAML_KEYS = ["time_to_detect", "time_to_response", "time_to_understand", "time_to_solution", "time_to_full_recovery"]


def _clock(local: datetime, twelve: bool) -> str:
    if twelve:
        return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
    return f"{local.hour:02d}:{local.minute:02d}"


def _date_line(day: date, style: int, shape: str) -> str:
    forms = [day.isoformat(), f"{day:%B} {day.day}, {day.year}", f"{day:%A}, {day.day} {day:%B} {day.year}"]
    text = forms[style % 3]
    if shape == "markdown" and style >= 3:
        return f"**{text}**" if style == 3 else f"### {text}"
    return text


def timeline_times(doc: Doc) -> list[tuple[str | None, str, Row]]:
    """Each row as (a date line to write above it or None, its time as written, the row)."""
    out = []
    previous: datetime | None = None
    for row in doc.rows:
        moment = doc.at(row.offset)
        local = moment.astimezone(doc.tz)
        clock = _clock(local, doc.clock_12h)
        if previous is None:
            if doc.date_lines is not None:
                out.append((_date_line(local.date(), doc.date_lines, doc.shape), clock, row))
            elif local.date() == doc.day:
                out.append((None, clock, row))
            else:   # a first row on a later day than the incident's (its start is elsewhere: started_at)
                out.append((None, f"{local.date().isoformat()} {clock}", row))
        else:
            before = previous.astimezone(doc.tz)
            same_day = local.date() == before.date()
            if doc.date_lines is not None:
                day_line = None if same_day else _date_line(local.date(), doc.date_lines, doc.shape)
                out.append((day_line, clock, row))
            elif same_day and (local.time() >= before.time() or local.fold):
                out.append((None, clock, row))
            elif local.date() == before.date() + timedelta(days=1) and moment - previous < timedelta(hours=12) \
                    and doc.bare_next_day:
                out.append((None, clock, row))
            else:
                out.append((None, f"{local.date().isoformat()} {clock}", row))
        previous = moment
    return out


def _teams_text(doc: Doc) -> str:
    if not doc.teams:
        return ""
    text = doc.teams[0]
    for sep, team in zip(doc.team_separators, doc.teams[1:]):
        text += TEAM_SEPARATORS[sep] + team
    return text


def _item_line(item: Item, number: int) -> str:
    status = {"done": lambda: done_text(item.completed, item.style), "open": lambda: open_text(item.style),
              "wontfix": lambda: wontfix_text(item.style)}[item.status]()
    return f"AI{number}: {item.description}, owner: {item.owner}, [{item.ticket}] {status}".rstrip()


def _grouped(doc: Doc) -> dict[str, list[tuple[int, Item]]]:
    groups: dict[str, list[tuple[int, Item]]] = {}
    for item in doc.items:
        group = groups.setdefault(item.priority, [])
        group.append((len(group) + 1, item))
    return groups


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(doc: Doc) -> tuple[str, bytes]:
    """The file name and bytes of ``doc`` written in its shape."""
    name = doc.stem + ENDINGS[doc.shape]
    text = {"yaml": _yaml, "text": _text, "markdown": _markdown}[doc.shape](doc)
    return name, text.encode()


def _yaml(doc: Doc) -> str:
    durations = [duration_text(m, s) for m, s in zip(doc.phases, doc.styles)]
    lines = [f"id: {doc.incident_id}", f"title: {_q(doc.title)}", f"date: {doc.day.isoformat()}",
             f"timezone: {doc.zone}", f"severity: {doc.severity}"]
    if doc.tags:
        lines.append("tags: [" + ", ".join(doc.tags) + "]" if doc.heading_style else f"tags: {', '.join(doc.tags)}")
    if doc.teams:
        lines.append("teams: [" + ", ".join(doc.teams) + "]" if doc.heading_style != 1
                     else f"teams: {_teams_text(doc)}")
    times = timeline_times(doc)
    if doc.yaml_fields in (1, 2):
        # each field read on its own, beside `date`: the resolution's day is written unless it follows plainly
        fields = timeline_times(replace(doc, rows=tuple(r for r in doc.rows if r.kind in ("start", "end"))))
        for kind, key in (("start", "started_at"), ("end", "resolved_at")):
            when = next((t for _, t, r in fields if r.kind == kind), None)
            if when is not None:
                lines.append(f"{key}: {_q(when)}")
    if doc.yaml_fields == 1:   # the start and resolution only as fields: the other rows' times stand alone
        times = timeline_times(replace(doc, rows=tuple(r for r in doc.rows if r.kind not in ("start", "end"))))
    rows = times
    if rows:
        lines.append("timeline:")
        lines += [f"  - {{time: {_q(when)}, event: {_q(row.text)}}}" for _, when, row in rows]
    lines.append("blast_radius:")
    lines.append(f"  patients: {_q(count_text(doc.patients, doc.patients_style, 'patients'))}")
    lines.append(f"  clinics: {_q(count_text(doc.clinics, doc.clinics_style, 'clinics'))}")
    if doc.apps:
        if doc.heading_style == 2:
            lines.append(f"  apps: {_q(', '.join(p.text() for p in doc.apps))}")
        else:
            lines.append("  apps:")
            lines += [f"    - {p.text()}" for p in doc.apps]
    lines.append("timing:")
    if doc.phases_written:
        lines += [f"  {k}: {_q(d)}" for k, d in zip(YAML_KEYS, durations)]
    else:
        lines += [f"  {k}: \"<put time here>\"" for k in YAML_KEYS]
    if doc.total_line is not None:
        lines.append(f"  duration: {_q(duration_text(doc.duration, doc.total_line))}")
    if doc.items:
        lines.append("action_items:")
        if doc.heading_style == 2 and all(i.priority for i in doc.items):
            # grouped by priority, as the template groups them
            for priority, group in sorted(_grouped(doc).items()):
                lines.append(f"  {priority}:")
                for n, item in group:
                    lines += _yaml_item(item, n, "    ", with_priority=False)
        else:
            for n, item in enumerate(doc.items, start=1):
                lines += _yaml_item(item, n, "  ", with_priority=True)
    return "\n".join(lines) + "\n"


YAML_OPEN = ("open", "in progress", "todo")
YAML_WONTFIX = ("wontfix", "won't fix", "cancelled")


def _yaml_item(item: Item, n: int, indent: str, with_priority: bool) -> list[str]:
    """One action item in YAML: a mapping (``status: done`` and ``completed``, or ``completed`` alone), or
    the template's line of text (``AI1: ..., owner: ..., [TICKET] done 5/10/2025``) where no priority is
    needed beside it."""
    if item.yaml_form == 2 and not (with_priority and item.priority):
        return [f"{indent}- {_q(_item_line(item, n))}"]
    lines = [f"{indent}- id: AI{n}"]
    more = indent + "  "
    if with_priority and item.priority:
        lines.append(f"{more}priority: {item.priority}")
    lines += [f"{more}description: {_q(item.description)}", f"{more}owner: {item.owner}",
              f"{more}ticket: {item.ticket}"]
    if item.status == "done":
        if item.yaml_form != 1:
            lines.append(f"{more}status: done")
        if item.style % 2 == 0:
            lines.append(f"{more}completed: {item.completed.isoformat()}")
        else:
            written = done_text(item.completed, item.style)
            for prefix in ("done on ", "done ", "completed: "):
                written = written.removeprefix(prefix)
            lines.append(f"{more}completed: {_q(written.strip('()'))}")
    elif item.status == "open":
        lines.append(f"{more}status: {_q(YAML_OPEN[item.style % 3])}")
    else:
        lines.append(f"{more}status: {_q(YAML_WONTFIX[item.style % 3])}")
    return lines


def _rows_text(doc: Doc, row_format) -> list[str]:
    out = []
    for day_line, when, row in timeline_times(doc):
        if day_line is not None:
            out.append(day_line)
        out.append(row_format(when, row.text))
    return out


def _durations(doc: Doc) -> list[str]:
    return [duration_text(m, s) if doc.phases_written else "<put time here>" for m, s in zip(doc.phases, doc.styles)]


def _text(doc: Doc) -> str:
    durations = _durations(doc)
    rows = [f"Title\t{doc.title}", f"Severity\t{doc.severity}"]
    if doc.tags:
        rows.append(f"Tags\t{', '.join(doc.tags)}")
    rows += ["", f"Timeline summary – All times are in {doc.zone}", ""]
    rows += _rows_text(doc, lambda when, text: f"{when}\t{text}")
    rows += ["", "Incident Response Metrics", "", "Blast Radius", "",
             f"Number of Clinics affected\t{count_text(doc.clinics, doc.clinics_style, 'clinics')}",
             f"Number of Patients affected\t{count_text(doc.patients, doc.patients_style, 'patients')}", ""]
    apps = ", ".join(p.text() for p in doc.apps) or "<Patient/Provider> <Web/iOS/Android/CWS APIs/All>"
    rows += [f"Apps/APIs Affected\t{apps}",
             "--------------------\t---", "", "Timing of the response", ""]
    rows += [f"{label} (explanation)\t{d}" for label, d in zip(LABELS, durations)]
    if doc.total_line is not None:
        rows.append(f"Duration\t{duration_text(doc.duration, doc.total_line)}")
    rows += ["", f"Teams involved (list)\t{_teams_text(doc) or '<put # here>'}",
             "-----------------------\t--------------"]
    if doc.items:
        rows += ["", "Action Items", ""]
        hours = {"P0": "48 hours", "P1": "14 days", "P2": "28 days"}
        for priority, group in sorted(_grouped(doc).items()):
            rows += [f"{priority} Action Items (should be done within {hours[priority]})", ""]
            rows += [f"- {_item_line(item, n)}" for n, item in group]
            rows.append("")
    return "\n".join(rows)


def _markdown(doc: Doc) -> str:
    durations = _durations(doc)
    rows = [f"# {doc.title}", "", f"- **Severity:** {doc.severity}"]
    if doc.tags:
        rows.append(f"- **Tags:** {', '.join(doc.tags)}")
    heading = [f"## Timeline summary – All times are in {doc.zone}", f"## Timeline (all times {doc.zone})",
               f"**Timeline summary – All times are in {doc.zone}**"][doc.heading_style]
    rows += ["", heading, ""]
    bullet = ["- {0} — {1}", "* {0} – {1}", "- {0} {1}"][doc.heading_style]
    rows += _rows_text(doc, lambda when, text: bullet.format(when, text))
    rows += ["", "## Blast Radius", "",
             f"| Number of Clinics affected | {count_text(doc.clinics, doc.clinics_style, 'clinics')} |",
             "| :---- | :---- |",
             f"| Number of Patients affected | {count_text(doc.patients, doc.patients_style, 'patients')} |"]
    if doc.apps:
        rows.append(f"| Apps/APIs Affected | {', '.join(p.text() for p in doc.apps)} |")
    rows += ["", "## Timing of the response", ""]
    rows += [f"- **{label}:** {d}" for label, d in zip(LABELS, durations)]
    if doc.total_line is not None:
        rows.append(f"- **Duration:** {duration_text(doc.duration, doc.total_line)}")
    rows += ["", f"**Teams involved (list):** {_teams_text(doc) or '<put # here>'}"]
    if doc.items:
        rows += ["", "## Action Items", ""]
        hours = {"P0": "48 hours", "P1": "14 days", "P2": "28 days"}
        for priority, group in sorted(_grouped(doc).items()):
            title = f"{priority} Action Items (should be done within {hours[priority]})"
            rows += [f"### {title}" if doc.heading_style != 2 else f"**{title}**", ""]
            rows += [f"- {_item_line(item, n)}" for n, item in group]
            rows.append("")
    return "\n".join(rows)


# -- reading back --------------------------------------------------------------------------------------

def mismatches(doc: Doc, incident) -> list[str]:
    """Every value ``incident`` (as loaded) reads differently from what a person reads in ``doc``."""
    wrong: list[str] = []

    def check(what: str, got, expected) -> None:
        if got != expected:
            wrong.append(f"{what}: loaded {got!r}, a person reads {expected!r}")

    check("title", incident.title, doc.title)
    check("severity", incident.severity, doc.canonical_severity)
    check("severity_original", incident.severity_original,
          None if doc.severity in DRILL_SEVERITIES else doc.severity)
    check("exclude_from_metrics", incident.exclude_from_metrics, doc.drill is not None)
    check("exclude_reason", incident.exclude_reason, doc.drill)
    check("timezone", incident.timezone, ZONES[doc.zone][0])
    check("incident_date", incident.incident_date, doc.day)
    check("started_at", incident.started_at, doc.started_at)
    check("resolved_at", incident.resolved_at, doc.resolved_at)
    check("duration_min", incident.duration_min, doc.duration)
    if doc.phases_written:
        check("phases", [incident.time_to_detect_min, incident.time_to_respond_min, incident.time_to_understand_min,
                         incident.time_to_solution_min, incident.time_to_full_recovery_min], list(doc.phases))
    partial = doc.partially_recovered_at
    if partial is not False:
        check("partially_recovered_at", incident.partially_recovered_at, partial)
    check("patients_affected", incident.patients_affected, doc.patients)
    check("clinics_affected", incident.clinics_affected, doc.clinics)
    check("teams", [t.lower() for t in incident.teams], [t.lower() for t in doc.team_names])
    check("apps", {(a.audience, a.platform) for a in incident.apps}, doc.app_pairs)
    got_items = [(a.priority, a.description, a.owner, a.ticket, a.status, a.completed_on, a.due_at)
                 for a in incident.action_items]
    want_items = [(i.priority, i.description, i.owner, i.ticket, i.status, i.completed, doc.due_at(i))
                  for i in doc.items]
    if sorted(got_items, key=repr) != sorted(want_items, key=repr):
        check("action_items", got_items, want_items)
    return wrong


FORMS = {
    "severity": sorted(SEVERITIES) + list(DRILL_SEVERITIES),
    "zone": sorted(ZONES),
    "duration_style": list(range(DURATION_STYLES)),
    "count": [(n, s) for n in (None, 0, 1_200) for s in range(12)],
    "team": [(t, s) for t in TEAMS for s in range(6)],
    "apps": [AppPhrase((a,), ("iOS", "Android"), j) for a in AUDIENCES for j in JOINS]
            + [AppPhrase(AUDIENCES, ("Web",), j) for j in JOINS] + [AppPhrase((), ("CWS APIs",))],
    "tag": list(PLAIN_TAGS + DRILL_TAGS),
    "start_row": list(START_ROWS), "end_row": list(END_ROWS), "mitigation_row": sorted(MITIGATION_ROWS),
    "noise_row": list(NOISE_ROWS),
    "date_line": list(range(5)),
    "done": list(range(DONE_STYLES)), "open": list(range(OPEN_STYLES)), "wontfix": list(range(WONTFIX_STYLES)),
}


def base_doc(shape: str, **changes) -> Doc:
    """A plain post-mortem to vary one form at a time."""
    doc = Doc(shape=shape, stem="2025-05-01-base", incident_id="BASE-1", title="Checkout failures", severity="SEV2",
              zone="UTC", day=date(2025, 5, 1), start_min=10 * 60, phases=(5, 10, 30, 20, 15),
              rows=(Row(0, "Started at", "start"), Row(80, "Resolved at", "end")),
              patients=40, clinics=3, teams=("Payments",), apps=(AppPhrase(("Patient",), ("Web",)),),
              items=(Item("P1", "Add a queue depth alert", "Ann Lee", "PAY-1", "open"),))
    doc = replace(doc, **changes)
    return doc if "stem" in changes else replace(doc, stem=f"{doc.day.isoformat()}-base")


def sweep() -> list[tuple[str, str, Doc]]:
    """Every surface form of the vocabulary, each in every shape: (group, what varies, the post-mortem)."""
    docs: list[tuple[str, str, Doc]] = []
    done_day = date(2025, 5, 10)
    two_rows = (Row(0, "Started at", "start"), Row(80, "Resolved at", "end"))
    for shape in ("yaml", "text", "markdown"):
        def add(group: str, what: str, **changes) -> None:
            docs.append((f"{shape}-{group}", what, base_doc(shape, **changes)))

        for severity in FORMS["severity"]:
            add("severity", f"severity {severity!r}", severity=severity)
        for zone in FORMS["zone"]:
            add("zone", f"zone {zone!r}", zone=zone)
        for style in FORMS["duration_style"]:
            add("durations", f"durations {duration_text(1_200, style)!r} and a Duration line",
                phases=(1_200, 15, 60, 90, 45), styles=(style,) * 5, total_line=style,
                rows=(Row(0, "Started at", "start"), Row(1_410, "Resolved at", "end")))
            add("durations", f"durations {duration_text(20, style)!r}", phases=(20, 5, 45, 120, 15),
                styles=(style,) * 5, rows=(Row(0, "Started at", "start"), Row(205, "Resolved at", "end")))
        for number, style in FORMS["count"]:
            add("counts", f"patients {count_text(number, style, 'patients')!r}, clinics "
                          f"{count_text(number, style + 1, 'clinics')!r}",
                patients=number, patients_style=style, clinics=number, clinics_style=style + 1)
        for team, style in FORMS["team"]:
            add("teams", f"teams {team_spelling(team, style)!r} and {team!r}", teams=(team_spelling(team, style), team),
                team_separators=(style % len(TEAM_SEPARATORS),))
        for phrase in FORMS["apps"]:
            add("apps", f"apps {phrase.text()!r}", apps=(phrase, AppPhrase(("Provider",), ("Web",))))
        for tag in FORMS["tag"]:
            add("tags", f"tags 'payments' and {tag!r}", tags=("payments", tag))
        for text in FORMS["start_row"]:
            add("start-row", f"start row {text!r}", rows=(Row(0, text, "start"), Row(80, "Resolved at", "end")))
        for text in FORMS["end_row"]:
            add("end-row", f"end row {text!r} after a noise row, no durations", phases_written=False,
                rows=(Row(0, "Started at", "start"), Row(30, NOISE_ROWS[0], "noise"), Row(80, text, "end")))
        for text in FORMS["mitigation_row"] + FORMS["noise_row"]:
            kind = "mitigation" if text in MITIGATION_ROWS else "noise"
            for written in (True, False):
                add(f"{kind}-row",
                    f"{kind} row {text!r} before 'Resolved at: fixed'{'' if written else ', no durations'}",
                    phases_written=written,
                    rows=(Row(0, "Started at", "start"), Row(30, text, kind), Row(80, "Resolved at: fixed", "end")))
            add(f"{kind}-row", f"{kind} row {text!r}, no resolution row (durations and a Duration line)", total_line=0,
                rows=(Row(0, "Started at", "start"), Row(30, text, kind)))
        if shape != "yaml":
            for style in FORMS["date_line"]:
                for heading_style in (0, 1, 2) if shape == "markdown" else (0,):
                    add("date-line", f"date line {_date_line(date(2025, 5, 1), style, shape)!r} under timeline title "
                                     f"style {heading_style}, no date in the file name", heading_style=heading_style,
                        stem="generated-incident", date_lines=style, start_min=22 * 60, phases=(30, 10, 100, 60, 40),
                        rows=(Row(0, "Started at", "start"), Row(140, "Mitigated: traffic failed over", "mitigation"),
                              Row(240, "Resolved at", "end")))
        for date_lines in (None, 0, 3, 4) if shape == "markdown" else (None, 0) if shape == "text" else (None,):
            add("two-days", f"two days, the later day's rows more than 12 hours apart, date lines {date_lines}",
                date_lines=date_lines, start_min=5 * 60 + 23, phases=(30, 60, 1_000, 1_200, 201),
                rows=(Row(0, "Started at", "start"), Row(455, NOISE_ROWS[1], "noise"),
                      Row(1_763, NOISE_ROWS[1], "noise"), Row(2_491, "Resolved at", "end")))
        for fields in (0, 1) if shape == "yaml" else (0,):
            add("zero-minutes", f"an incident over within its minute, no durations, "
                                f"{['timeline rows', 'started_at/resolved_at'][fields]}",
                phases=(0, 0, 0, 0, 0), phases_written=False, yaml_fields=fields,
                rows=(Row(0, "Started at", "start"), Row(0, "Resolved at: auto-recovered", "end")))
        for zone in DST_ZONES:
            for fields in (0, 1, 2) if shape == "yaml" else (0,):
                for clock_12h in (False, True):
                    for start, total in ((100, 30), (115, 50), (61, 59)):
                        add("dst-night", f"DST night in {zone}, {start // 60:02d}:{start % 60:02d} + {total} min, "
                                         f"{'12h' if clock_12h else '24h'} clock, "
                                         f"{['timeline rows', 'started_at/resolved_at', 'both'][fields]}",
                            zone=zone, day=fall_back_day(2025), start_min=start, phases=(total, 0, 0, 0, 0),
                            phases_written=False, yaml_fields=fields, clock_12h=clock_12h,
                            rows=(Row(0, "Started at", "start"), Row(total, "Resolved at", "end")))
        for style in FORMS["done"]:
            for priority in ("P0", "P1", "P2"):
                for yaml_form in (0, 1) if shape == "yaml" else (0,):
                    add("done-items", f"{priority} item {done_text(done_day, style)!r}"
                                      f"{', YAML without status' * yaml_form}",
                        items=(Item(priority, "Add a queue depth alert", "Ann Lee", "PAY-1", "done", done_day, style,
                                    yaml_form),
                               Item(priority, "Alert on certificate expiry", "Bo Chen", "PAY-2", "open", None, style,
                                    yaml_form)))
        for style in FORMS["done"]:
            for heading_style in (1, 2):
                add("styles", f"layout style {heading_style}, items {done_text(done_day, style)!r}"
                              f"{' grouped by priority' * (heading_style == 2 and shape == 'yaml')}",
                    heading_style=heading_style, tags=("payments", "Game day"), teams=("payments team", "Data"),
                    team_separators=(0,), rows=(Row(0, "Started at", "start"),
                                                Row(30, "Mitigated: traffic failed over", "mitigation"),
                                                Row(80, "Resolved at", "end")),
                    items=tuple(Item(p, "Add a queue depth alert", "Ann Lee", f"PAY-{n}", "done", done_day, style, 2)
                                for n, p in enumerate(("P0", "P1", "P2"), start=1)))
        if shape == "yaml":
            for style in FORMS["done"]:
                add("done-items", f"item without a priority, a line {done_text(done_day, style)!r}",
                    items=(Item(None, "Add a queue depth alert", "Ann Lee", "PAY-1", "done", done_day, style, 2),))
        for style in FORMS["open"]:
            add("open-items", f"open item {open_text(style)!r}", rows=two_rows,
                items=(Item("P2", "Page the vendor automatically", "Cy Diaz", "PAY-3", "open", None, style,
                            style % 3),))
        for style in FORMS["wontfix"]:
            add("open-items", f"won't-fix item {wontfix_text(style)!r}", rows=two_rows,
                items=(Item("P2", "Page the vendor automatically", "Cy Diaz", "PAY-3", "wontfix", None, style,
                            style % 3),))
    return docs
