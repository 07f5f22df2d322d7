"""Post-mortem files -> :class:`~pm_analytics.schema.Incident` records and problems.

One entry point, :func:`parse_bytes`: it picks the reader by file ending,
decodes the bytes, and never raises for a bad file; every problem comes back
as a :class:`~pm_analytics.schema.Problem` naming the file, line and field.

Text files (``.md``/``.markdown``/``.txt``, optionally with YAML ``---`` or
TOML ``+++`` front matter) are read in two stages: :mod:`.document` turns the
text into blocks with line numbers, and :mod:`.reader` applies the field
rules to them (a file holding several incidents gives one per section).
YAML files (``.yaml``/``.yml``) go through :mod:`.yaml_doc`. Every reader
produces a :class:`.raw.RawDoc`, which :mod:`.build` interprets.

Word and HTML exports (``.docx``, ``.html``/``.htm``) skip stage one:
:mod:`.office` and :mod:`.html_export` read the document's own structure
(headings, list items, table rows) into the same blocks (:mod:`.structured`),
and stage two reads them as it reads Markdown.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from pm_analytics.parse.build import build_incident
from pm_analytics.parse.document import read_document, split_front_matter
from pm_analytics.parse.raw import RawDoc
from pm_analytics.parse.reader import read_blocks, read_register_row, register_rows, split_incidents
from pm_analytics.parse import rules
from pm_analytics.parse.raw import TIMELINE, TIMELINE_HEADING_ZONE, ZONE_SENTENCE
from pm_analytics.parse.values import find_date, find_month_day, numeric_date_order
from pm_analytics.parse.yaml_doc import YamlError, load_toml, load_yaml, raw_from_yaml
from pm_analytics.schema import Incident, Problem

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
YAML_SUFFIXES = (".yaml", ".yml")
# Exports whose structure the format states (Word, HTML): read into the same blocks by .office/.html_export.
EXPORT_SUFFIXES = (".docx", ".html", ".htm")
SUFFIXES = TEXT_SUFFIXES + YAML_SUFFIXES + EXPORT_SUFFIXES
MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass
class ParseResult:
    """What one file gave: its incidents (none if rejected; several for a file that logs several) and
    every problem found."""

    source_path: str
    incidents: list[Incident] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    source_format: str = ""
    source_sha256: str = ""

    @property
    def incident(self) -> Incident | None:
        """The file's (first) incident, ``None`` when it was rejected."""
        return self.incidents[0] if self.incidents else None

    @property
    def rejected(self) -> bool:
        return not self.incidents


def parse_bytes(data: bytes, source_path: str) -> ParseResult:
    """Parse one post-mortem file's bytes; ``source_path`` names it in records and problems.

    Never raises for a file: should a reader fail on something no rule foresaw, the file is reported
    (an error naming what failed) and every other file still loads.
    """
    try:
        return _parse(data, source_path)
    except (RecursionError, MemoryError, ValueError, TypeError, KeyError, IndexError, AttributeError,
            OverflowError, LookupError, ArithmeticError) as exc:
        result = ParseResult(source_path, source_sha256=hashlib.sha256(data).hexdigest())
        result.problems.append(Problem(source_path, "error", None, None,
                                       f"could not be read ({type(exc).__name__}: {str(exc)[:200]}); "
                                       "please report this file to the pm-analytics maintainers"))
        return result


def _parse(data: bytes, source_path: str) -> ParseResult:
    sha = hashlib.sha256(data).hexdigest()
    path = PurePath(source_path)
    suffix = path.suffix.lower()
    result = ParseResult(source_path, source_sha256=sha)

    def fail(message: str, line: int | None = None, fld: str | None = None) -> ParseResult:
        result.problems.append(Problem(source_path, "error", line, fld, message))
        return result

    if suffix not in SUFFIXES:
        return fail(f"not a post-mortem file type ({', '.join(SUFFIXES)})")
    if len(data) > MAX_FILE_BYTES:
        return fail(f"file is {len(data) / 1048576:.1f} MB; post-mortems over {MAX_FILE_BYTES // 1048576} MB are not read")
    if suffix in EXPORT_SUFFIXES:
        return _parse_export(data, suffix, result, fail)
    text, warning = _decode(data)
    if text is None:
        return fail(warning or "not a text file")
    if warning:
        result.problems.append(Problem(source_path, "warning", None, None, warning))
    if not text.strip():
        return fail("file is empty")

    try:
        if suffix in YAML_SUFFIXES:
            result.source_format = "yaml"
            raw = raw_from_yaml(load_yaml(text), text)
            raw.text_lines = text.splitlines()
            raws = [(raw, None)]
        else:
            raws = _read_text(text, result)
    except YamlError as exc:
        return fail(str(exc), exc.line)

    return _build(raws, result, path, sha)


def _parse_export(data: bytes, suffix: str, result: ParseResult, fail) -> ParseResult:
    """A Word or HTML export: its blocks (:mod:`.office`, :mod:`.html_export`), then the text path's
    stage two over them; ``line`` numbers are block numbers of the export's text rendering."""
    from pm_analytics.parse.html_export import read_html
    from pm_analytics.parse.office import ExportError, read_docx

    try:
        if suffix == ".docx":
            result.source_format = "docx"
            written = read_docx(data)
        else:
            result.source_format = "html"
            written = read_html(data)
    except ExportError as exc:
        return fail(str(exc))
    result.problems.extend(Problem(result.source_path, "warning", None, None, w) for w in written.warnings)
    if not written.blocks:
        return fail("no text found in the export")
    try:
        raws = _read_text("\n".join(written.lines), result, written.blocks)
    except YamlError as exc:
        return fail(str(exc), exc.line)
    return _build(raws, result, PurePath(result.source_path), result.source_sha256)


def _build(raws: list[tuple[RawDoc, str | None]], result: ParseResult, path: PurePath, sha: str) -> ParseResult:
    source_path = result.source_path
    several = len(raws) > 1
    for index, (raw, own_id) in enumerate(raws, start=1):
        incident, problems = build_incident(
            raw, source_path=source_path, source_format=result.source_format, source_sha256=sha, file_stem=path.stem,
            incident_id=(own_id or f"{path.stem}#{index}") if several else None)
        prefix = f"incident {index}: " if several else ""
        result.problems.extend(Problem(source_path, level, line, fld, prefix + message)
                               for line, fld, level, message in problems)
        if incident is not None:
            result.incidents.append(incident)
    return result


def _read_text(text: str, result: ParseResult, blocks: list | None = None) -> list[tuple[RawDoc, str | None]]:
    """The raw documents of a Markdown/text file: one, or one per incident of a file that logs several.
    ``blocks``: an export's blocks, ``text`` being their text rendering (its front matter is read alike)."""
    try:
        split = split_front_matter(text)
    except ValueError as exc:
        raise YamlError(str(exc), 1) from None
    front = None
    if split is None:
        body, offset = text, 0
        if blocks is None:
            result.source_format = "markdown" if PurePath(result.source_path).suffix.lower() != ".txt" else "text"
    else:
        kind, front_text, body, offset = split
        if blocks is None:
            result.source_format = "front_matter"
        data = load_yaml(front_text, line_offset=1) if kind == "yaml" else load_toml(front_text, line_offset=1)
        front = raw_from_yaml(data, front_text, line_offset=1, where="front matter")
    lines = text.splitlines()
    if front is not None:
        front.text_lines = lines
    day_first = numeric_date_order(text, PurePath(result.source_path).stem)
    year = _file_year(text, day_first, PurePath(result.source_path).stem)
    blocks = read_document(body, line_offset=offset) if blocks is None else [b for b in blocks if b.line > offset]
    register = register_rows(blocks)
    if register:
        shared = _one(blocks, None, lines, day_first, year=year)
        raws = []
        for values in register:
            raw = read_register_row(values, RawDoc(text_lines=lines, day_first=day_first, year=year))
            _inherit(raw, shared)
            own_id = values.get("id", ("",))[0]
            raws.append((raw, own_id if re.fullmatch(r"[A-Za-z0-9][\w.-]{0,40}", own_id or "") else None))
        return raws
    preamble, sections = split_incidents(blocks, day_first)
    if not sections:
        return [(_one(blocks, front, lines, day_first, year=year), None)]
    shared = _one(preamble, None, lines, day_first, year=year)
    raws = []
    for section in sections:
        raw = _one(section.blocks, front, lines, day_first, title=section.title, year=year)
        _inherit(raw, shared)
        heading = section.heading
        word = rules.heading_severity(heading.text) if heading is not None else None
        if word:
            raw.offer("severity", word, heading.line, "severity beside the title", heading.source, TIMELINE)
        if heading is not None:
            moments = rules.prose_duration(heading.text)
            if moments and not raw.has("timing.total_duration"):
                raw.offer("timing.total_duration", moments, heading.line, "duration in the incident's heading",
                          heading.source, TIMELINE)
        if heading is not None and not raw.has("date"):
            own = raw.get("prose.date")
            found = find_date(heading.text, day_first) or find_month_day(
                heading.text, int(own[:4]) if isinstance(own, str) else year) if (own or year) else \
                find_date(heading.text, day_first)
            if found is not None:
                raw.set("date", found[0].isoformat(), heading.line, "date in the incident's heading", heading.source)
                when = rules.split_time(heading.text[found[2]:].strip(" ,-–—"), day_first)
                if when is not None and not raw.has("started_at"):
                    raw.offer("started_at", f"{found[0].isoformat()} {when[0]}", heading.line,
                              "time in the incident's heading", heading.source, TIMELINE)
        raws.append((raw, section.incident_id))
    return raws


def _inherit(raw: RawDoc, shared: RawDoc) -> None:
    """What an incident of a file holding several takes from the file's preamble: its zone and date."""
    for key in ("timezone", "prose.date"):
        if not raw.has(key) and shared.has(key):
            source = shared.source_of(key)
            raw.set(key, shared.get(key), source.line, source.rule, source.text, shared.strengths.get(key, 1))


def _file_year(text: str, day_first: bool | None, stem: str) -> int | None:
    """The year a file's dates are in, for a heading that gives a day without one (``March 5 14:02``): its
    first full date, else a "March 2024" in it, else its file name's."""
    found = find_date(text[:20000], day_first)
    if found:
        return found[0].year
    month_year = re.search(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.?,? ((?:19|20)\d\d)\b",
                           text[:5000], re.I)
    if month_year:
        return int(month_year.group(1))
    named = re.match(r"((?:19|20)\d\d)-\d\d-\d\d", stem)
    return int(named.group(1)) if named else None


def _one(blocks, front: RawDoc | None, lines: list[str], day_first: bool | None, title: str | None = None,
         year: int | None = None) -> RawDoc:
    doc = RawDoc(text_lines=lines, day_first=day_first, year=year)
    read_blocks(blocks, doc, title=title)
    if front is not None:
        doc.merge_over(front, keep=_body_zone_over(doc, front))
    return doc


def _body_zone_over(body: RawDoc, front: RawDoc) -> frozenset[str]:
    """``{"timezone"}`` when the body says which zone its times are in (``## Timeline (all times PDT)``) and
    front matter names another (a template's ``timezone: UTC``): the rows are written in the body's."""
    source = body.sources.get("timezone")
    if source is None or source.rule not in (TIMELINE_HEADING_ZONE, ZONE_SENTENCE) or not front.has("timezone"):
        return frozenset()
    try:
        return frozenset() if rules.same_zone(str(body.get("timezone")), str(front.get("timezone"))) else frozenset({"timezone"})
    except ValueError:
        return frozenset()


def _decode(data: bytes) -> tuple[str | None, str | None]:
    """Text and an optional warning; ``None`` text when the bytes are not a text file."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "file is UTF-16; read it, but please save post-mortems as UTF-8"
        except UnicodeDecodeError:
            return None, "file starts like UTF-16 but is not valid UTF-16"
    if b"\x00" in data[:8192]:
        return None, "binary file (contains NUL bytes), not a post-mortem"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        return text, f"not valid UTF-8 (first bad byte on line {line}); read as Windows-1252"


__all__ = ["ParseResult", "parse_bytes", "SUFFIXES", "MAX_FILE_BYTES"]
