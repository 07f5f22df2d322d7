"""The raw document every input shape is read into before its values are interpreted.

Its keys are the YAML format's snake_case keys (nested for ``blast_radius``,
``timing`` and ``participants``), so a template in Markdown, a front-matter
file and a YAML file all reach :mod:`pm_analytics.parse.build` in one shape.

Every value keeps where it came from (:class:`Source`: line, rule, quoted
text) and how strong that rule is. When two rules give a key, the stronger
one's value is used (:data:`EXPLICIT` > :data:`STATED` > :data:`TIMELINE` >
:data:`PROSE`); the others stay in :attr:`RawDoc.others` so the builder can
warn, naming both, when they disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

NESTED = ("blast_radius", "timing", "participants")
# How much a rule's reading is trusted: a labelled field, a duration stated in words, a timeline
# row's own words, a sentence of prose.
EXPLICIT, STATED, TIMELINE, PROSE = 4, 3, 2, 1
# The time a status page posted an update: weaker than any time the update's text states.
POSTED = 0
MAX_QUOTE_CHARS = 200


@dataclass(frozen=True)
class Source:
    """Where a value was read: the line, the rule that read it and the text it read, as written."""

    line: int | None
    rule: str
    text: str

    @staticmethod
    def quote(text: str) -> str:
        """The text as one line, cut to :data:`MAX_QUOTE_CHARS` (cut first, so a long line costs nothing)."""
        if isinstance(text, str) and len(text) <= MAX_QUOTE_CHARS and text.isprintable() and "  " not in text \
                and text[:1] != " " and text[-1:] != " ":
            return text  # already one line: every white-space character but " " is unprintable
        text = " ".join(str(text)[:MAX_QUOTE_CHARS * 4].split())
        return text if len(text) <= MAX_QUOTE_CHARS else text[:MAX_QUOTE_CHARS - 1] + "…"


@dataclass
class RawDoc:
    """Fields as written, where they were written, and which were left as placeholders."""

    fields: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    placeholders: set[str] = field(default_factory=set)
    problems: list[tuple[int | None, str | None, str, str]] = field(default_factory=list)
    first_heading: str | None = None
    line_finder: Callable[[str], int | None] | None = None
    sources: dict[str, Source] = field(default_factory=dict)
    strengths: dict[str, int] = field(default_factory=dict)
    others: dict[str, list[tuple[Any, Source]]] = field(default_factory=dict)
    text_lines: list[str] | None = None
    default_rule: str = "field"
    day_first: bool | None = None
    year: int | None = None

    def get(self, key: str) -> Any:
        """The value at a dotted key (``timing.time_to_detect``), or ``None``."""
        if "." not in key:
            return self.fields.get(key)
        node: Any = self.fields
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def set(self, key: str, value: Any, line: int | None = None, rule: str | None = None,
            text: str | None = None, strength: int = EXPLICIT) -> None:
        if "." in key:
            node = self.fields
            *parents, leaf = key.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
        else:
            self.fields[key] = value
        if line is not None:
            self.lines.setdefault(key, line)
        if rule is not None:
            self.sources[key] = Source(line, rule, Source.quote(text if text is not None else value))
        self.strengths[key] = max(strength, self.strengths.get(key, 0))

    def offer(self, key: str, value: Any, line: int | None, rule: str, text: str, strength: int) -> bool:
        """Give ``key`` a value read by ``rule``: it is used when no stronger (or equally strong, earlier)
        rule gave one; otherwise it is kept in :attr:`others`. True when it became the value."""
        current = self.strengths.get(key, 0) if self.has(key) else 0
        if strength > current:
            if current:
                self.others.setdefault(key, []).append((self.get(key), self.source_of(key)))
            self.set(key, value, line, rule, text, strength)
            self.strengths[key] = strength
            if line is not None:
                self.lines[key] = line
            self.placeholders.discard(key)
            return True
        self.others.setdefault(key, []).append((value, Source(line, rule, Source.quote(text))))
        return False

    def source_of(self, key: str) -> Source:
        """Where ``key``'s value came from (for YAML keys: the key's line, found on demand)."""
        if key in self.sources:
            return self.sources[key]
        line = self.line_of(key)
        text = ""
        if line is not None and self.text_lines is not None and 0 < line <= len(self.text_lines):
            text = self.text_lines[line - 1]
        return Source(line, f"{self.default_rule} '{key}'", Source.quote(text))

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def line_of(self, key: str) -> int | None:
        """The line a field was written on, where that is known."""
        if key in self.lines:
            return self.lines[key]
        if self.line_finder is not None:
            return self.line_finder(key)
        return None

    def problem(self, level: str, key: str | None, message: str, line: int | None = None) -> None:
        self.problems.append((line if line is not None else (self.line_of(key) if key else None), key, level, message))

    def merge_over(self, other: RawDoc, keep: frozenset[str] = frozenset()) -> None:
        """Let ``other`` (front matter) win over this document (the Markdown body) key by key, except the keys
        in ``keep``; the value that loses a disagreement stays among :attr:`others` for the builder's warning."""
        for key in keep:
            self.others.setdefault(key, []).append((other.get(key), other.source_of(key)))
        for key, value in other.fields.items():
            if key in keep:
                continue
            if key in NESTED and isinstance(value, dict) and isinstance(self.fields.get(key), dict):
                for sub, sub_value in value.items():
                    if self.fields[key].get(sub) not in (None, sub_value):
                        self.others.setdefault(f"{key}.{sub}", []).append(
                            (self.fields[key][sub], self.source_of(f"{key}.{sub}")))
                self.fields[key].update(value)
            else:
                if self.fields.get(key) not in (None, value):
                    self.others.setdefault(key, []).append((self.fields[key], self.source_of(key)))
                self.fields[key] = value
        for key, line in other.lines.items():
            if key not in keep:
                self.lines[key] = line
        for key in other.fields:
            if key in keep:
                continue
            for sub in ([f"{key}.{k}" for k in other.fields[key]] if key in NESTED and isinstance(other.fields[key], dict)
                        else [key]):
                self.sources[sub] = other.source_of(sub)
                self.strengths[sub] = EXPLICIT
        self.placeholders = {k for k in self.placeholders if not other.has(k)} | {
            k for k in other.placeholders if not self.has(k)
        }
        self.problems.extend(other.problems)


# Rules that read the zone a body's times are written in.
TIMELINE_HEADING_ZONE, ZONE_SENTENCE = "timeline heading", "zone sentence 'all times ...'"


# A key and its colon. Greedy, the key takes the spaces before the colon too, which are stripped: the
# lazy {0,60}? gives the same key but tries the colon after every character.
_YAML_KEY = re.compile(r"[ \t-]*([A-Za-z_][\w -]{0,60})[ \t]*:")


def yaml_line_finder(text: str, line_offset: int = 0) -> Callable[[str], int | None]:
    """Find the line of a (possibly nested) YAML key by its last part; the index of keys is built once,
    on the first question."""
    index: dict[str, int] = {}

    def find(key: str) -> int | None:
        if not index:
            for number, line in enumerate(text.splitlines(), start=1 + line_offset):
                m = _YAML_KEY.match(line) if ":" in line else None
                if m:
                    index.setdefault(m.group(1).rstrip(" "), number)
            index.setdefault("\0", 0)
        return index.get(key.split(".")[-1])

    return find
