"""HTML exports (Google Docs "Download → Web page", Confluence "Export to HTML", Notion "HTML") -> the
document model.

The bytes are decoded (UTF-8; else the charset a ``<meta>`` names, else
Windows-1252, with a warning) and parsed by ``lxml.html`` (libxml2's HTML
parser, which decodes entities and neither runs nor fetches anything; chosen
over BeautifulSoup and selectolax by ``benchmarks/html_parsers.py``). The tree
is then walked once, without recursion, into a :class:`~.structured.BlockWriter`:

- ``<h1>``-``<h6>`` (and Google Docs' ``<p class="title">``) are headings;
  ``<summary>`` a bold-line heading, as in Markdown;
- ``<p>``, ``<div>`` and other blocks are paragraphs, ``<br>`` a line break;
  bold (``<b>``, ``<strong>``, a ``font-weight`` of 600 or more in a ``style``
  attribute or in a class of the page's stylesheet, as Google Docs writes it),
  whole-line italics and links (``<a href>`` with a scheme, Google's
  ``google.com/url?q=`` redirect unwrapped) are spelled as Markdown spells them;
- ``<li>`` is a list item at its depth (Google Docs writes nested levels as
  flat lists whose class ends in the level, ``lst-kix_…-1``); a checkbox
  (``<input type=checkbox>``, Notion's ``checkbox-on``, Confluence's
  ``<li class="checked">``) is a task box;
- a table row is a row of its cells' text; ``<th>`` rows and ``<thead>`` are
  headers; a table of one column is a box around ordinary content;
- ``<pre>`` is code, never read.

Never text of the post-mortem: ``<head>``, ``<script>``, ``<style>``,
``<template>``, ``<noscript>``, ``<iframe>``, ``<object>``, ``<svg>``, forms'
controls, comments, images, and the chrome of a Confluence export (breadcrumbs,
page metadata, footer). A ``<script>`` is never markup anywhere downstream
either: what is read is text, and text is escaped wherever it is shown. A
document nested more than 256 elements deep (libxml2's limit, past which it
stops reading) is rejected rather than read in part.
"""

from __future__ import annotations

import codecs
import re
from urllib.parse import parse_qs, urlsplit

from pm_analytics.parse.office import ExportError
from pm_analytics.parse.structured import BlockWriter, emphasised_line

_SKIPPED = frozenset({"head", "script", "style", "template", "noscript", "iframe", "frame", "frameset", "object",
                      "embed", "applet", "svg", "math", "canvas", "audio", "video", "picture", "img", "map",
                      "select", "textarea", "button", "meta", "link", "base", "title", "source", "track", "param"})
_BLOCKS = frozenset({"p", "div", "blockquote", "section", "article", "main", "header", "footer", "aside", "figure",
                     "figcaption", "dd", "dt", "dl", "address", "details", "center", "hr", "body", "html", "form",
                     "fieldset", "legend", "caption", "nav"})
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# What a Confluence export wraps around the page: not the post-mortem.
_CHROME_IDS = frozenset({"breadcrumb-section", "footer", "breadcrumbs"})
_CHROME_CLASSES = frozenset({"page-metadata", "breadcrumbs"})
_LIST_LEVEL = re.compile(r"\blst-kix_[\w-]*?-(\d)\b")
_CSS_RULE = re.compile(r"([^{}]{1,2000})\{([^{}]{0,5000})\}")
_CSS_CLASS = re.compile(r"\s*\.([A-Za-z_][\w-]{0,80})\s*$")
_BOLD_CSS = re.compile(r"font-weight\s*:\s*(bold|bolder|[6-9]00)\b", re.I)
_NORMAL_CSS = re.compile(r"font-weight\s*:\s*(normal|lighter|[1-5]00)\b", re.I)
_ITALIC_CSS = re.compile(r"font-style\s*:\s*(italic|oblique)\b", re.I)
_UPRIGHT_CSS = re.compile(r"font-style\s*:\s*normal\b", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]{0,300}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.I)
_SPACE = re.compile(r"\s+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,20}:")
MAX_STYLE_CHARS = 500_000
MAX_CELL_CHARS = 20_000
ENTER, EXIT = 0, 1


def read_html(data: bytes) -> BlockWriter:
    """The document model of an HTML export (a warning about its encoding in ``warnings``). Raises
    :class:`~.office.ExportError` for a document that cannot be read whole."""
    import lxml.html
    from lxml import etree

    text, warning = _decode(data)
    if not text.strip():
        raise ExportError("file is empty")
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True,
                                  collect_ids=False, default_doctype=False)
    try:
        root = lxml.html.document_fromstring(text.replace("\x00", "\ufffd").encode("utf-8"), parser=parser)
    except (etree.ParserError, etree.LxmlError, ValueError) as exc:
        raise ExportError(f"not readable as HTML ({str(exc)[:160]})") from None
    if any("Excessive depth" in entry.message for entry in parser.error_log):
        raise ExportError("the HTML nests elements more than 256 deep; the parser stops there, so it is not "
                          "read (no export nests that deep)")
    writer = _Walker(root).walk()
    if warning:
        writer.warnings.append(warning)
    return writer


def _decode(data: bytes) -> tuple[str, str | None]:
    """The document's text and a warning when it was not UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "file is UTF-16; read it, but UTF-8 is expected"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        try:
            codec = codecs.lookup(declared.group(1).decode("ascii"))
        except LookupError:
            codec = None
        if codec is not None and codec.name not in ("utf-8", "utf-16", "utf-32"):
            return data.decode(codec.name, errors="replace"), f"not UTF-8; read as {codec.name}, as its <meta> says"
    return data.decode("cp1252", errors="replace"), "not valid UTF-8; read as Windows-1252"


def _stylesheet_classes(root) -> tuple[set[str], set[str], set[str], set[str]]:
    """Classes the page's ``<style>`` makes bold, not bold, italic and upright (as Google Docs styles
    text: ``.c3{font-weight:700}``)."""
    css = "".join(style.text or "" for style in root.iter("style"))[:MAX_STYLE_CHARS]
    bold, normal, italic, upright = set(), set(), set(), set()
    for selectors, body in _CSS_RULE.findall(css):
        for selector in selectors.split(","):
            m = _CSS_CLASS.match(selector)
            if not m:
                continue
            name = m.group(1)
            if _BOLD_CSS.search(body):
                bold.add(name)
            elif _NORMAL_CSS.search(body):
                normal.add(name)
            if _ITALIC_CSS.search(body):
                italic.add(name)
            elif _UPRIGHT_CSS.search(body):
                upright.add(name)
    return bold, normal, italic, upright


def _link(href: str | None) -> str | None:
    """A link's target as the post-mortem means it: absolute (with a scheme) only, Google Docs' redirect
    (``https://www.google.com/url?q=<target>&sa=D…``) unwrapped; a page-internal or relative link is none."""
    if not href:
        return None
    href = href.strip()
    if not _SCHEME.match(href):
        return None
    parts = urlsplit(href) if href[:5].lower() in ("http:", "https") else None
    if parts is not None and parts.netloc.lower() in ("www.google.com", "google.com") and parts.path == "/url":
        target = parse_qs(parts.query).get("q")
        if target and _SCHEME.match(target[0]):
            return target[0].strip()
    return href


class _Walker:
    def __init__(self, root) -> None:
        self.root = root
        self.writer = BlockWriter()
        self.bold_classes, self.normal_classes, self.italic_classes, self.upright_classes = _stylesheet_classes(root)
        self.lines: list[list[tuple[str, bool, bool, str | None]]] = [[]]
        self.bold: list[bool] = [False]
        self.italic: list[bool] = [False]
        self.links: list[str | None] = [None]
        self.heading: int | None = None
        self.lists: list[dict] = []  # the open <ul>/<ol>: their element, level and counter
        self.item: dict | None = None  # the open <li>: its level, number, task, whether it was written
        self.cell_depth = 0

    # -- the buffer of inline content --------------------------------------------------------------
    def _text(self, text: str | None) -> None:
        if not text:
            return
        text = _SPACE.sub(" ", text.replace("\u00a0", " "))
        if text:
            self.lines[-1].append((text, self.bold[-1], self.italic[-1], self.links[-1]))

    def _break(self) -> None:
        self.lines.append([])

    def _take(self) -> list[str]:
        lines = [emphasised_line(parts).strip() for parts in self.lines]
        self.lines = [[]]
        return [line for line in lines if line]

    def _flush(self) -> None:
        """Write what the buffer holds: the open item's text, a heading, or a paragraph."""
        if self.cell_depth:
            self._break()
            return
        lines = self._take()
        if not lines:
            return
        if self.heading is not None:
            self.writer.heading(self.heading, " ".join(lines))
        elif self.item is not None and not self.item["written"]:
            self.item["written"] = True
            self.writer.item(self.item["level"], lines, number=self.item["number"], task=self.item["task"])
        else:
            self.writer.paragraph(lines)

    # -- the walk ----------------------------------------------------------------------------------
    def walk(self) -> BlockWriter:
        body = self.root.find("body")
        start = body if body is not None else self.root
        pending: list[tuple[int, object]] = [(ENTER, start)]
        while pending and not self.writer.full:
            phase, element = pending.pop()
            if phase == EXIT:
                self._exit(element)
                if element.tail:
                    self._text(element.tail)
                continue
            tag = element.tag if isinstance(element.tag, str) else ""
            if not tag or tag in _SKIPPED or self._chrome(element):
                if element.tail:
                    self._text(element.tail)
                continue
            if not self._enter(element, tag):
                if element.tail:
                    self._text(element.tail)
                continue
            self._text(element.text)
            pending.append((EXIT, element))
            pending.extend((ENTER, child) for child in reversed(list(element)))
        self._flush()
        return self.writer

    def _chrome(self, element) -> bool:
        ident = element.get("id")
        if ident and ident in _CHROME_IDS:
            return True
        classes = element.get("class")
        return bool(classes) and bool(_CHROME_CLASSES.intersection(classes.split()))

    def _enter(self, element, tag: str) -> bool:
        """Open an element; False when it is read whole here (its children are not walked)."""
        classes = (element.get("class") or "").split()
        style = element.get("style") or ""
        bold = self.bold[-1]
        italic = self.italic[-1]
        if tag in ("b", "strong") or _BOLD_CSS.search(style) or self.bold_classes.intersection(classes):
            bold = True
        elif _NORMAL_CSS.search(style) or self.normal_classes.intersection(classes):
            bold = False
        if tag in ("i", "em", "cite") or _ITALIC_CSS.search(style) or self.italic_classes.intersection(classes):
            italic = True
        elif _UPRIGHT_CSS.search(style) or self.upright_classes.intersection(classes):
            italic = False
        link = self.links[-1]
        if tag == "a":
            link = _link(element.get("href")) or link
        if tag == "summary":
            bold = True
        self.bold.append(bold)
        self.italic.append(italic)
        self.links.append(link)
        if tag == "br":
            self._break()
        elif tag == "input" and (element.get("type") or "").lower() == "checkbox":
            self._text("☒ " if element.get("checked") is not None else "☐ ")
        elif "checkbox-on" in classes:
            self._text("☒ ")
        elif "checkbox-off" in classes:
            self._text("☐ ")
        elif self.cell_depth:
            if tag in ("td", "th", "tr", "li", "p", "div") or tag in _HEADINGS:
                self._text(" ")
        elif tag == "pre":
            self._flush()
            self.writer.code(element.text_content())
            self._pop_format()
            return False
        elif tag in _HEADINGS or (tag == "p" and "title" in classes):
            self._flush()
            self.heading = _HEADINGS.get(tag, 1)
        elif tag in ("ul", "ol"):
            self._flush()
            level = len(self.lists)
            flat = _LIST_LEVEL.search(element.get("class") or "")
            if flat:
                level = int(flat.group(1))
            start = element.get("start")
            self.lists.append({"element": element, "level": level, "ordered": tag == "ol",
                               "counter": (int(start) - 1) if start and start.isdigit() else 0,
                               "item": self.item})
            self.item = None
        elif tag == "li":
            self._flush()
            current = self.lists[-1] if self.lists else {"level": 0, "ordered": False, "counter": 0}
            number = None
            if current["ordered"]:
                current["counter"] += 1
                number = current["counter"]
            task = "x" if "checked" in classes else None
            self.item = {"level": current["level"], "number": number, "task": task, "written": False,
                         "element": element, "outer": self.item}
        elif tag == "table":
            self._flush()
            rows = self._rows(element)
            if rows is not None:
                self.writer.end_table()
                for row in rows:
                    self.writer.row(*row)
                self.writer.end_table()
                self._pop_format()
                return False
        elif tag in _BLOCKS or tag == "summary" or tag in ("tr", "td", "th", "tbody", "thead", "tfoot"):
            self._flush()
        return True

    def _exit(self, element) -> None:
        tag = element.tag
        classes = element.get("class") or ""
        if self.cell_depth or "checkbox-o" in classes:
            pass
        elif tag in _HEADINGS or (tag == "p" and "title" in classes.split()):
            self._flush()
            self.heading = None
        elif tag == "li":
            self._flush()
            if self.item is not None and self.item.get("element") is element:
                self.item = self.item["outer"]
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists and self.lists[-1]["element"] is element:
                self.item = self.lists.pop()["item"]
        elif tag in _BLOCKS or tag in ("summary", "tr", "td", "th", "table"):
            self._flush()
        self._pop_format()

    def _pop_format(self) -> None:
        self.bold.pop()
        self.italic.pop()
        self.links.pop()

    def _rows(self, table) -> list[tuple[list[str], bool]] | None:
        """The table's rows as (cells, header), or None for a table of one column (read as content)."""
        rows = [tr for tr in table.iter("tr") if _owner(tr, "table") is table]
        cells = [[c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")] for tr in rows]
        if not cells or all(len(row) <= 1 for row in cells):
            return None
        out = []
        for tr, row in zip(rows, cells):
            header = _owner(tr, "thead") is not None or (bool(row) and all(c.tag == "th" for c in row))
            texts = []
            for cell in row:
                texts.append(self._cell_text(cell)[:MAX_CELL_CHARS])
            out.append((texts, header))
        return out

    def _cell_text(self, cell) -> str:
        """A cell's content as one line in Markdown's spelling (its paragraphs and breaks as spaces)."""
        saved = (self.lines, self.heading, self.item, self.lists)
        self.lines, self.heading, self.item, self.lists = [[]], None, None, []
        self.cell_depth += 1
        pending: list[tuple[int, object]] = [(ENTER, cell)]
        while pending:
            phase, element = pending.pop()
            if phase == EXIT:
                self._pop_format()
                if element.tail and element is not cell:
                    self._text(element.tail)
                continue
            tag = element.tag if isinstance(element.tag, str) else ""
            if not tag or tag in _SKIPPED or tag == "pre":
                if tag == "pre":
                    self._text(element.text_content())
                if element.tail and element is not cell:
                    self._text(element.tail)
                continue
            self._enter(element, tag)
            pending.append((EXIT, element))
            self._text(element.text)
            pending.extend((ENTER, child) for child in reversed(list(element)))
        self.cell_depth -= 1
        lines = self._take()
        self.lines, self.heading, self.item, self.lists = saved
        return " ".join(lines)


def _owner(element, tag: str):
    parent = element.getparent()
    while parent is not None and parent.tag != tag:
        parent = parent.getparent()
    return parent


__all__ = ["read_html"]
