"""Post-mortem files -> :class:`~pm_analytics.schema.Incident` records and problems.

One entry point, :func:`parse_bytes`: it picks the reader by file ending,
decodes the bytes, and never raises for a bad file; every problem comes back
as a :class:`~pm_analytics.schema.Problem` naming the file, line and field.

Readers: ``.md``/``.markdown``/``.txt`` (the template filled in, optionally
with YAML front matter) -> :mod:`.template`; ``.yaml``/``.yml`` -> :mod:`.yaml_doc`.
Both produce a :class:`.raw.RawDoc`, which :mod:`.build` interprets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import PurePath

from pm_analytics.parse.build import build_incident
from pm_analytics.parse.raw import RawDoc
from pm_analytics.parse.template import parse_template
from pm_analytics.parse.yaml_doc import YamlError, load_yaml, raw_from_yaml, split_front_matter
from pm_analytics.schema import Incident, Problem

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
YAML_SUFFIXES = (".yaml", ".yml")
SUFFIXES = TEXT_SUFFIXES + YAML_SUFFIXES
MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass
class ParseResult:
    """What one file gave: the incident (``None`` if rejected) and every problem found."""

    source_path: str
    incident: Incident | None
    problems: list[Problem] = field(default_factory=list)
    source_format: str = ""
    source_sha256: str = ""

    @property
    def rejected(self) -> bool:
        return self.incident is None


def parse_bytes(data: bytes, source_path: str) -> ParseResult:
    """Parse one post-mortem file's bytes; ``source_path`` names it in records and problems."""
    sha = hashlib.sha256(data).hexdigest()
    path = PurePath(source_path)
    suffix = path.suffix.lower()
    result = ParseResult(source_path, None, source_sha256=sha)

    def fail(message: str, line: int | None = None, fld: str | None = None) -> ParseResult:
        result.problems.append(Problem(source_path, "error", line, fld, message))
        return result

    if suffix not in SUFFIXES:
        return fail(f"not a post-mortem file type ({', '.join(SUFFIXES)})")
    if len(data) > MAX_FILE_BYTES:
        return fail(f"file is {len(data) / 1048576:.1f} MB; post-mortems over {MAX_FILE_BYTES // 1048576} MB are not read")
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
        else:
            raw = _read_markdown(text, result)
    except YamlError as exc:
        return fail(str(exc), exc.line)

    incident, problems = build_incident(
        raw, source_path=source_path, source_format=result.source_format, source_sha256=sha, file_stem=path.stem
    )
    result.problems.extend(Problem(source_path, level, line, fld, message) for line, fld, level, message in problems)
    result.incident = incident
    return result


def _read_markdown(text: str, result: ParseResult) -> RawDoc:
    split = split_front_matter(text)
    if split is None:
        result.source_format = "markdown" if PurePath(result.source_path).suffix.lower() != ".txt" else "text"
        return parse_template(text)
    front_text, body, offset = split
    result.source_format = "front_matter"
    front = raw_from_yaml(load_yaml(front_text, line_offset=1), front_text, line_offset=1, where="front matter")
    doc = parse_template(body, line_offset=offset)
    doc.merge_over(front)
    return doc


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
