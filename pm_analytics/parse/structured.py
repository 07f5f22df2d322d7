"""The document model of a post-mortem whose format states its structure (Word, HTML exports).

A Markdown or text file says what a line is by how it is written; a ``.docx`` or
``.html`` export says it with its elements: a heading style, a list paragraph
and its level, a table row and its cells. :class:`BlockWriter` turns those
elements into the same :class:`~.document.Block` list :mod:`.document` makes of
Markdown, so every field rule of :mod:`.reader` reads them alike:

- a heading element is a ``heading`` of its level; a paragraph that is bold and
  nothing else is a bold-line heading, as ``**Impact summary**`` is in Markdown;
- a list paragraph is an ``item`` with its ``depth``, ``parent`` and task box
  (``☐``/``☒`` bullets, ``[x]``), numbered ones written ``1.`` in ``source``;
- a table row is a ``row`` of its cells, rows of one table sharing ``table``; a
  two-cell row is a label/value row, as a tab-separated row is in the text export;
- a paragraph's lines (line breaks within it) are ``text`` blocks, the first
  marked ``para``; ``Label: value`` text carries its two parts;
- preformatted text is one ``code`` block: nothing in it is read.

Inline formatting reaches ``source`` in Markdown's spelling (``**bold**``, a
whole-line emphasis as ``_..._``, a link as ``[text](url)``), so the rules that
look at it (a link's target, a byline's emphasis) work unchanged; ``text`` is
that source cleaned as Markdown's is. A paragraph's line is read as the same
line would be in a text file only where the line itself decides: typed as a
list item (``- AI1: …``), tab-separated or a pipe row, or bold and nothing else.
Nothing reaches across lines: a line starting with ``#``, a code fence or an
HTML comment is text, so no text of the export can hide what follows it.

Such documents have no source lines; a block's ``line`` is its number in the
document's text rendering (:attr:`BlockWriter.lines`): one line per heading,
paragraph line, list item and table row, counted from 1. Problems and
``pm-analytics explain`` name these numbers.
"""

from __future__ import annotations

import re

# The Markdown reader's own patterns for a bold-only line, a typed list marker and a task box: an export's
# paragraph reads as the same line would in Markdown.
from pm_analytics.parse.document import (
    _BOLD_ONLY,
    _ITEM,
    _TASK,
    BOLD_LEVEL,
    CODE,
    HEADING,
    ITEM,
    ROW,
    TEXT,
    Block,
    _note_label,
)
from pm_analytics.parse.values import clean

# Task boxes as word processors draw them: a checkbox bullet, or the glyph typed before the text.
_GLYPH_TASK = re.compile(r"([☐☑☒✓✔])[ \t\u00a0]*(.*)$", re.S)
_CHECKED = "☑☒✓✔"
MAX_BLOCKS = 50_000


class BlockWriter:
    """Collects the blocks of one structured document, in order; :attr:`lines` is its text rendering."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.lines: list[str] = []
        self._items: list[tuple[int, int]] = []  # (level, block index) of the open list items, outermost first
        self._table = 0
        self._table_open = False
        self._typed_rows = False
        self.warnings: list[str] = []

    # -- numbering -------------------------------------------------------------------------
    def _number(self, rendering: str) -> int:
        self.lines.append(rendering)
        return len(self.lines)

    @property
    def full(self) -> bool:
        """True once the document has more blocks than any post-mortem has (the rest is not read)."""
        return len(self.blocks) >= MAX_BLOCKS

    # -- structure -----------------------------------------------------------------------------
    def heading(self, level: int, source: str) -> None:
        """A heading element of ``level`` 1-6."""
        text = clean(source)
        if not text:
            return
        self.end_table()
        self._items = []
        self.blocks.append(Block(HEADING, self._number(text), text, source, level=max(1, min(level, 6))))

    def paragraph(self, lines: list[str]) -> None:
        """A paragraph that is not a list item: its lines as rendered (``source``), line breaks apart."""
        first = True
        for source in lines:
            stripped = source.strip()
            if not stripped:
                continue
            if "\t" not in stripped and not stripped.startswith("|") and self._typed_item(stripped):
                first = False
                continue
            self._line(stripped, para=first)
            first = False

    def item(self, level: int, lines: list[str], number: int | None = None, task: str | None = None) -> None:
        """A list paragraph at ``level`` (0 outermost); ``number`` for a numbered list, ``task`` for a
        checkbox bullet (``" "`` or ``"x"``). Lines after the first (line breaks) are text under it."""
        lines = [line for line in lines if line.strip()]
        if not lines:
            return
        self.end_table()
        content = lines[0].strip()
        if task is None:
            content, task = _task_box(content)
        while self._items and self._items[-1][0] >= level:
            self._items.pop()
        parent = self._items[-1][1] if self._items else None
        marker = f"{number}." if number is not None else "-"
        source = f"{marker} {'[x] ' if task == 'x' else '[ ] ' if task == ' ' else ''}{content}"
        block = Block(ITEM, self._number(f"{marker} {content}"), clean(content), source, depth=len(self._items),
                      parent=parent, task=task)
        _note_label(block)
        self._items.append((level, len(self.blocks)))
        self.blocks.append(block)
        for more in lines[1:]:
            self._line(more.strip(), para=False, in_item=True)

    def row(self, cells: list[str], header: bool = False) -> None:
        """One row of the current table (:meth:`end_table` closes it); ``cells`` as rendered."""
        cleaned = [clean(c) for c in cells]
        if not any(cleaned):
            return
        self._items = []
        if not self._table_open or self._typed_rows:
            self.end_table()
            self._table_open = True
        number = self._number("\t".join(cleaned))
        if not self._table:
            self._table = number
        self.blocks.append(Block(ROW, number, " ".join(c for c in cleaned if c), "| " + " | ".join(cells) + " |",
                                 cells=cleaned, table=self._table, header=header))

    def end_table(self) -> None:
        self._table = 0
        self._table_open = self._typed_rows = False

    def code(self, text: str) -> None:
        """Preformatted text: one ``code`` block, never read (its lines still count)."""
        self.end_table()
        lines = text.splitlines() or [""]
        number = self._number(lines[0])
        for line in lines[1:]:
            self._number(line)
        self.blocks.append(Block(CODE, number, "", lines[0]))

    # -- lines of a paragraph ------------------------------------------------------------------
    def _line(self, stripped: str, para: bool, in_item: bool = False) -> None:
        if "\t" in stripped or (stripped.startswith("|") and stripped.count("|") >= 2):
            self._typed_row(stripped)
            return
        if self._typed_rows:
            self.end_table()
        if not in_item and para:
            self._items = []
        m = _BOLD_ONLY.match(stripped) if stripped[0] in "*_" else None
        if m:
            self.end_table()
            text = clean(m.group(2)).rstrip(":").strip()
            self.blocks.append(Block(HEADING, self._number(text), text, stripped, level=BOLD_LEVEL))
            return
        self.end_table()
        text = clean(stripped)
        if not text:  # only marks Markdown would strip (a typed ``` or **): nothing to read
            return
        block = Block(TEXT, self._number(text), text, stripped, para=para)
        _note_label(block)
        self.blocks.append(block)

    def _typed_row(self, stripped: str) -> None:
        """A paragraph line that is a row as typed: tab-separated (as the template's text export has
        them) or a pipe row pasted from Markdown."""
        if "\t" in stripped:
            cells = [c for c in stripped.split("\t") if c.strip()]
        else:
            inner = stripped[1:-1] if stripped.endswith("|") else stripped[1:]
            cells = inner.split("|")
        if len(cells) < 2:
            self._line_text(stripped)
            return
        if not self._typed_rows:
            self.end_table()
            self._typed_rows = True
        cleaned = [clean(c) for c in cells]
        number = self._number("\t".join(cleaned))
        if not self._table:
            self._table = number
        self.blocks.append(Block(ROW, number, " ".join(c for c in cleaned if c), stripped, cells=cleaned,
                                 table=self._table))

    def _line_text(self, stripped: str) -> None:
        self.end_table()
        block = Block(TEXT, self._number(clean(stripped)), clean(stripped), stripped, para=True)
        _note_label(block)
        self.blocks.append(block)

    def _typed_item(self, stripped: str) -> bool:
        """A paragraph typed as a list item (``- AI1: ...``, Google Docs' ``\\- ...``, ``1. ...``)."""
        if stripped[0] not in "-*+•▪◦‣\\0123456789":
            return False
        m = _ITEM.match(stripped)
        if not m:
            return False
        self.item(0, [m.group(1)], number=1 if stripped[0].isdigit() else None)
        return True


def _task_box(content: str) -> tuple[str, str | None]:
    """The item's text without its task box, and the box (``" "``, ``"x"`` or ``None``)."""
    if content[:1] in "[\\" and (t := _TASK.match(content)):
        return t.group(2), " " if t.group(1) == " " else "x"
    if content[:1] in "☐☑☒✓✔" and (g := _GLYPH_TASK.match(content)):
        return g.group(2), "x" if g.group(1) in _CHECKED else " "
    return content, None


def emphasised_line(parts: list[tuple[str, bool, bool, str | None]]) -> str:
    """One line of inline content in Markdown's spelling: ``parts`` are ``(text, bold, italic, link)``
    runs in order. Bold runs are wrapped in ``**`` (whitespace kept outside), a line that is all italic
    in ``_`` (as a byline is), a link as ``[text](target)`` (a link whose text is its target as the bare
    target); only the rules' own reading of these marks gives them meaning."""
    merged: list[list] = []
    for text, bold, italic, link in parts:
        if not text:
            continue
        if merged and merged[-1][1] == bold and merged[-1][3] == link:
            merged[-1][0] += text
            merged[-1][2] = merged[-1][2] and italic
        else:
            merged.append([text, bold, italic, link])
    visible = [m for m in merged if m[0].strip()]
    all_italic = bool(visible) and all(m[2] for m in visible) and not any(m[1] for m in visible)
    out = []
    for text, bold, _, link in merged:
        if link and text.strip():
            inner = text.strip()
            shown = link if inner == link else f"[{inner}]({link})"
            out.append(_keep_space(text, shown))
        elif bold and text.strip():
            out.append(_keep_space(text, f"**{text.strip()}**"))
        else:
            out.append(text)
    line = "".join(out)
    if all_italic and line.strip():
        return _keep_space(line, f"_{line.strip()}_")
    return line


def _keep_space(text: str, core: str) -> str:
    lead = text[:len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    return f"{lead}{core}{trail}"


__all__ = ["BlockWriter", "MAX_BLOCKS", "emphasised_line"]
