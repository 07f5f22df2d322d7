"""The raw document every input shape is read into before its values are interpreted.

Its keys are the YAML format's snake_case keys (nested for ``blast_radius``,
``timing`` and ``participants``), so a template in Markdown, a front-matter
file and a YAML file all reach :mod:`pm_analytics.parse.build` in one shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

NESTED = ("blast_radius", "timing", "participants")


@dataclass
class RawDoc:
    """Fields as written, where they were written, and which were left as placeholders."""

    fields: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    placeholders: set[str] = field(default_factory=set)
    problems: list[tuple[int | None, str | None, str, str]] = field(default_factory=list)
    first_heading: str | None = None
    line_finder: Callable[[str], int | None] | None = None

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

    def set(self, key: str, value: Any, line: int | None = None) -> None:
        node = self.fields
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
        if line is not None:
            self.lines.setdefault(key, line)

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

    def merge_over(self, other: RawDoc) -> None:
        """Let ``other`` (front matter) win over this document (the Markdown body) key by key."""
        for key, value in other.fields.items():
            if key in NESTED and isinstance(value, dict) and isinstance(self.fields.get(key), dict):
                self.fields[key].update(value)
            else:
                self.fields[key] = value
        for key, line in other.lines.items():
            self.lines[key] = line
        self.placeholders = {k for k in self.placeholders if not other.has(k)} | {
            k for k in other.placeholders if not self.has(k)
        }
        self.problems.extend(other.problems)


def yaml_line_finder(text: str, line_offset: int = 0) -> Callable[[str], int | None]:
    """Find the line of a (possibly nested) YAML key by its last part, on demand."""

    def find(key: str) -> int | None:
        leaf = key.split(".")[-1]
        m = re.search(rf"^[ \t-]*{re.escape(leaf)}[ \t]*:", text, re.M)
        if not m:
            return None
        return text.count("\n", 0, m.start()) + 1 + line_offset

    return find
