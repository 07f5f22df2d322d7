"""Stage one of reading a text post-mortem: lines -> a small document model with line numbers.

Nothing here knows what a post-mortem field is; :mod:`.reader` applies the
field rules to the blocks. Each block is one source line unless noted:

``heading``  ``#`` headings (level 1-6), setext underlines (``===`` 1, ``---`` 2),
             a line that is bold and nothing else or an HTML ``<summary>`` (level 7)
``row``      a pipe-table or tab-separated row (``cells``); rows in a run share ``table``,
             and the row above a ``|---|`` line is its table's ``header``
``item``     a list item (``-``, ``*``, ``+``, ``•``, ``1.``, ``1)``, and Google Docs' escaped
             ``\\-``) with its nesting ``depth``, ``parent`` item and ``task`` box (``" "``/``"x"``)
``text``     any other line; ``para`` marks the first line of a paragraph
``code``     a whole fenced code block or ``<pre>`` block: nothing inside is ever read
``html``     an HTML comment or a line holding only tags such as ``<details>``; a ``key: value`` line
             inside a comment (status pages keep metadata there) carries it as ``label``/``value``,
             and nothing else in a comment is read

Text and item blocks whose text reads ``Label: value`` carry the two parts as
``label``/``value`` candidates. Inline HTML tags are dropped and entities
decoded; ``text`` is the line cleaned of Markdown emphasis and escapes
(:func:`~.values.clean`), ``source`` the line as written, for quoting. Every
pattern here is anchored or bounded, so a pathological line costs time
linear in its length.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from pm_analytics.parse.values import clean

HEADING, ROW, ITEM, TEXT, CODE, HTML = "heading", "row", "item", "text", "code", "html"
# Every character a table separator, setext underline or rule is made of.
_MARKS = "-=_*|: \t"
BOLD_LEVEL = 7


@dataclass(slots=True)
class Block:
    kind: str
    line: int
    text: str
    source: str = ""
    level: int = 0
    cells: list[str] | None = None
    table: int = 0
    header: bool = False
    depth: int = 0
    parent: int | None = None
    task: str | None = None
    para: bool = False
    label: str | None = None
    value: str | None = None


_BOLD_ONLY = re.compile(r"(\*\*|__)([^*_].{0,200}?)\1[ \t]*:?[ \t]*$")
# "- ", "1. ", "1) " and, as formal reports number them, "(1) ".
_ITEM = re.compile(r"(?:\\?[-*+•▪◦‣]|\d{1,3}\\?[.)]|\(\d{1,3}\))[ \t]+(.*)$")
_TASK = re.compile(r"\\?\[([ xX✓✔])\\?\][ \t]*(.*)$")
_FENCE = re.compile(r"(`{3,}|~{3,})")
_SETEXT = re.compile(r"(=+|-+)[ \t]*$")
_SEPARATOR = re.compile(r"\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$")
_RULE = re.compile(r"(?:[-=_*][ \t]*){3,}$|-{3,}(?:\t+-{2,})+\t*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_LABEL = re.compile(r"([A-Za-z](?:[^:|\t]{0,80}?[A-Za-z)\]?])?)[ \t]*:(?!//)[ \t]*(.*)$")
# Tags an author's HTML can hold; anything else in angle brackets (the template's <put time here>) stays.
_TAG = re.compile(
    r"</?(?:a|abbr|b|big|blockquote|br|center|code|del|details|div|em|font|h[1-6]|hr|i|img|ins|kbd|li|mark|ol|p|"
    r"pre|s|small|span|strike|strong|sub|summary|sup|table|tbody|td|tfoot|th|thead|tr|tt|u|ul)\b[^<>]{0,500}>",
    re.I)
_ONLY_TAGS = re.compile(r"(?:[ \t]*<[^<>]{0,500}>)+[ \t]*$")
_SUMMARY = re.compile(r"[ \t]*<summary\b[^<>]{0,200}>(.*?)</summary>", re.I)


def inline_html(line: str) -> str:
    """The line with HTML tags dropped (``<br>`` becomes a space) and entities decoded."""
    if "<" in line and _TAG.search(line):
        line = _TAG.sub(lambda m: " " if m.group(0)[1:3].lower() == "br" else "", line)
    if "&" in line:
        line = html.unescape(line)
    return line


def read_document(text: str, line_offset: int = 0) -> list[Block]:
    """The blocks of ``text``; ``line_offset`` counts the lines cut before it (front matter)."""
    blocks: list[Block] = []
    lines = text.splitlines()
    head = text[:20000]
    jira = ("\nh" in head or head[:1] == "h") and _JIRA_HEADING.search(head) is not None
    fence: str | None = None
    in_comment = in_pre = False
    blank_before = True
    table = 0
    items: list[tuple[int, int]] = []  # (indent, block index) of the open list items, outermost first
    for index, raw in enumerate(lines):
        number = index + 1 + line_offset
        if "\u00a0" in raw:
            raw = raw.replace("\u00a0", " ")
        stripped = raw.strip()
        # -- blocks nothing is read from ------------------------------------------
        if fence is not None:
            if stripped.startswith(fence) and not stripped[len(fence):].strip(fence[0] + " \t"):
                fence = None
            blank_before = False
            continue
        if in_comment:
            if "-->" in stripped:
                in_comment = False
                stripped = stripped.split("-->", 1)[0].strip()
            meta = _LABEL.match(stripped) if ":" in stripped[:60] else None
            if meta:
                blocks.append(Block(HTML, number, "", raw, label=meta.group(1).strip(), value=meta.group(2).strip()))
            continue
        if in_pre:
            if "</pre>" in stripped.lower():
                in_pre = False
            continue
        if not stripped:
            blank_before = True
            table = 0
            continue
        first = stripped[0]
        if first in "`~" and (m := _FENCE.match(stripped)):
            fence = m.group(1)
            blocks.append(Block(CODE, number, "", raw))
            blank_before = False
            continue
        if jira:
            converted = _from_jira(stripped)
            if converted is None:
                fence = "{code}" if stripped.startswith("{code") else "{noformat}"
                blocks.append(Block(CODE, number, "", raw))
                continue
            raw = converted
            stripped = converted.strip()
            first = stripped[:1] or " "
        if first == "<":
            low = stripped[:8].lower()
            if low.startswith("<!--"):
                if "-->" not in stripped[4:]:
                    in_comment = True
                blocks.append(Block(HTML, number, "", raw))
                continue
            if low.startswith("<pre"):
                if "</pre>" not in stripped.lower():
                    in_pre = True
                blocks.append(Block(CODE, number, "", raw))
                continue
            summary = _SUMMARY.match(stripped)
            if summary:
                title = clean(inline_html(summary.group(1)))
                blocks.append(Block(HEADING, number, title, raw, level=BOLD_LEVEL))
                blank_before = True
                continue
            if _ONLY_TAGS.match(stripped) and _TAG.match(stripped):
                blocks.append(Block(HTML, number, "", raw))
                blank_before = True
                table = 0
                continue
        line = raw
        if "<" in raw or "&" in raw:
            line = inline_html(raw)
            stripped = line.strip()
        if not stripped:
            blank_before = True
            continue
        first = stripped[0]
        # -- separators, underlines (lines of nothing but these marks) -------------------------
        if first in "-=_*|:" and stripped[-1] in _MARKS and len(stripped) < 2000 and not stripped.strip(_MARKS):
            if first in "|:-" and "-" in stripped and _SEPARATOR.match(stripped) and (
                    first != "-" or "|" in stripped):
                if blocks and blocks[-1].kind == ROW and blocks[-1].table == table and table:
                    blocks[-1].header = True
                continue
            if first in "=-" and _SETEXT.match(stripped) and blocks and not blank_before \
                    and blocks[-1].kind == TEXT and blocks[-1].para and blocks[-1].line == number - 1:
                previous = blocks[-1]
                previous.kind, previous.level = HEADING, 1 if first == "=" else 2
                previous.label = previous.value = None
                blank_before = True
                continue
            if _RULE.match(stripped):
                blank_before = True
                table = 0
                continue
        # -- headings ----------------------------------------------------------------
        if first == "#" and (level := _heading_level(stripped)):
            blocks.append(Block(HEADING, number, clean(_heading_title(stripped, level)), raw, level=level))
            blank_before, table, items = True, 0, []
            continue
        # -- table rows ----------------------------------------------------------------
        cells = None
        if first == "|" and stripped.count("|") >= 2:
            inner = stripped[1:-1] if stripped.endswith("|") and not stripped.endswith("\\|") else stripped[1:]
            cells = [clean(c) for c in _CELL_SPLIT.split(inner)]
        elif "\t" in stripped:
            cells = [clean(c) for c in stripped.split("\t") if c.strip()]
            if len(cells) < 2:
                cells = None
        elif "|" in stripped and index + 1 < len(lines) and "-" in lines[index + 1] \
                and "|" in lines[index + 1] and len(lines[index + 1]) < 2000 \
                and _SEPARATOR.match(lines[index + 1].strip()):
            cells = [clean(c) for c in _CELL_SPLIT.split(stripped.strip("|"))]
        if cells is not None:
            if not table:
                table = number
            blocks.append(Block(ROW, number, " ".join([c for c in cells if c]), raw, cells=cells, table=table))
            blank_before = False
            continue
        table = 0
        # -- list items ------------------------------------------------------------------
        # "(1)" opens a list only where a list could start (after a blank line, a heading, a "(1)" item or a
        # line ending in a colon): at the start of a wrapped line it is the sentence going on ("asked
        # to\n(1) confirm ... (2) report").
        if first in "-*+•▪◦‣\\0123456789(" and (first != "(" or blank_before or _opens_list(blocks, items)) \
                and (m := _ITEM.match(stripped)):
            content = m.group(1)
            task = None
            if content[:1] in "[\\" and (t := _TASK.match(content)):
                task = " " if t.group(1) == " " else "x"
                content = t.group(2)
            indent = len(line) - len(line.lstrip(" \t"))
            while items and items[-1][0] >= indent:
                items.pop()
            parent = items[-1][1] if items else None
            block = Block(ITEM, number, clean(content), raw, depth=len(items), parent=parent, task=task)
            _note_label(block)
            items.append((indent, len(blocks)))
            blocks.append(block)
            blank_before = False
            continue
        # -- bold-only lines, text ---------------------------------------------------------
        if first in "*_" and (m := _BOLD_ONLY.match(stripped)):
            blocks.append(Block(HEADING, number, clean(m.group(2)).rstrip(":").strip(), raw, level=BOLD_LEVEL))
            blank_before = True
            continue
        if items and blank_before and line[0] not in " \t":
            items = []
        block = Block(TEXT, number, clean(stripped), raw, para=blank_before)
        _note_label(block)
        blocks.append(block)
        blank_before = False
    return blocks


def _opens_list(blocks: list[Block], items: list[tuple[int, int]]) -> bool:
    """Whether a "(2)" here goes on a list: an open item (or the one a sub-bullet is under) is a "(1)" one,
    or the last block introduces a list ("The review agreed these actions:")."""
    # The line before is an item of the list or one of its indented lines ("    Owner: Web Services.").
    if any(blocks[index].source.lstrip()[:1] == "(" for _, index in items) and blocks and \
            (blocks[-1].kind == ITEM or blocks[-1].source[:1] in (" ", "\t")):
        return True
    return bool(blocks) and blocks[-1].kind == TEXT and blocks[-1].text.rstrip().endswith(":")


_JIRA_HEADING = re.compile(r"^h[1-6]\.[ \t]", re.M)


def _from_jira(line: str) -> str | None:
    """A line of Jira's wiki markup in Markdown's terms (``h2. Title`` -> ``## Title``, ``||a||b||`` ->
    ``|a|b|`` with a separator-free header, ``# item`` -> ``1. item``); ``None`` opens a code block."""
    m = re.match(r"h([1-6])\.[ \t]+(.*)$", line)
    if m:
        return "#" * int(m.group(1)) + " " + m.group(2)
    if line.startswith("||"):
        return "|" + "|".join(c.strip() for c in line.strip().strip("|").split("||")) + "|"
    m = re.match(r"(#+|\*+)[ \t]+(.*)$", line)
    if m:
        return "  " * (len(m.group(1)) - 1) + ("1. " if m.group(1)[0] == "#" else "- ") + m.group(2)
    if line.startswith(("{code", "{noformat")) and not line.rstrip().endswith(("{code}", "{noformat}")) or \
            line in ("{code}", "{noformat}"):
        return None
    return line


def _heading_level(stripped: str) -> int:
    """1-6 for an ATX heading (``## Title``), else 0; counted by hand, not by a backtracking pattern."""
    hashes = len(stripped) - len(stripped.lstrip("#"))
    if hashes > 6 or (len(stripped) > hashes and stripped[hashes] not in " \t"):
        return 0
    return hashes


def _heading_title(stripped: str, level: int) -> str:
    title = stripped[level:].strip()
    unclosed = title.rstrip("#")
    if unclosed != title and (not unclosed or unclosed[-1] in " \t"):
        title = unclosed.strip()
    return title


def _note_label(block: Block) -> None:
    text = block.text
    if ":" in text[:90]:
        m = _LABEL.match(text)
        if m:
            block.label, block.value = m.group(1).strip(), m.group(2).strip()


def split_front_matter(text: str) -> tuple[str, str, str, int] | None:
    """``(kind, front matter, body, lines before the body)`` for a ``---`` YAML or ``+++`` TOML block
    opening the text; ``None`` without one. An opened block that never closes raises ``ValueError``."""
    for kind, mark in (("yaml", "---"), ("toml", "+++")):
        if not text.startswith(mark) and not text.startswith("\ufeff" + mark):
            continue
        opening = re.match(rf"\A\ufeff?{re.escape(mark)}[ \t]*\r?\n", text)
        if not opening:
            return None
        closing = "(?:---|\\.\\.\\.)" if kind == "yaml" else r"\+\+\+"
        m = re.compile(rf"^{closing}[ \t]*$", re.M).search(text, opening.end())
        if not m:
            raise ValueError(f"front matter opened with '{mark}' is never closed")
        body_start = m.end() + (1 if text[m.end():m.end() + 1] == "\n" else 2 if text[m.end():m.end() + 2] == "\r\n" else 0)
        front = text[opening.end():m.start()].rstrip("\r\n")
        return kind, front, text[body_start:], text.count("\n", 0, body_start)
    return None
