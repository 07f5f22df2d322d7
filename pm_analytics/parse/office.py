"""Word ``.docx`` exports (Google Docs "Download → Microsoft Word", Word itself) -> the document model.

python-docx opens the package: its parts, their relationships (a link's
target) and the styles, with an XML parser that resolves no entities. The body
is then walked in document order, element by element, into a
:class:`~.structured.BlockWriter`:

- a paragraph in a heading style (``Heading 1``-``6``, ``Title``, or any style
  with an outline level) is a heading; in a code style (``Code``, ``HTML
  Preformatted`` ...) it is code, never read;
- a numbered or bulleted paragraph (its own numbering or its style's) is a list
  item at its level; a ``☐``/``☒`` bullet is a task box;
- any other paragraph is text: bold and whole-line italic runs and hyperlinks
  are spelled as Markdown spells them, line breaks split it into lines;
- a table row is a row of its cells (a cell's paragraphs joined by spaces); a
  row marked "repeat as header" is a header; a table of one column is a box
  around ordinary paragraphs and is read as them.

Tracked deletions, fields' codes, drawings, text boxes, comments, headers and
footers are not read. Nothing is fetched: a linked (not embedded) image, a
remote template or an ``INCLUDEPICTURE`` field is a relationship python-docx
records and never follows, and nothing here looks at it. The zip package is
checked (:func:`~.archive.open_package`) before python-docx reads any part.
"""

from __future__ import annotations

import io
import re
import zipfile

from pm_analytics.parse.archive import ArchiveError, open_package
from pm_analytics.parse.structured import BlockWriter, emphasised_line

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_OFF = ("0", "false", "off", "none")
_CODE_STYLES = re.compile(r"\b(code|preformatted|macro text|verbatim|monospace)\b", re.I)
_HEADING_STYLE = re.compile(r"heading\s*([1-9])$", re.I)
# Word's built-in list styles nest by name: "List Bullet 2" is the second level.
_LIST_STYLE = re.compile(r"list(?: bullet| number| continue)?\s+([2-9])$", re.I)
# Elements whose content is never text of the post-mortem.
_SKIPPED = {W + "del", W + "moveFrom", W + "rPr", W + "pPr", W + "drawing", W + "pict", W + "object",
            W + "instrText", W + "delText", W + "commentReference", W + "footnoteReference",
            W + "endnoteReference", MC + "AlternateContent", W + "fldChar", W + "sdtPr", W + "sdtEndPr"}
_CHECKBOX_GLYPHS = {"☐": " ", "□": " ", "☑": "x", "☒": "x", "✓": "x", "✔": "x"}
MAX_CELL_CHARS = 20_000


class ExportError(ValueError):
    """The export cannot be read; the message says why, for the author."""


def read_docx(data: bytes) -> BlockWriter:
    """The document model of a ``.docx``'s body. Raises :class:`ExportError` for a file that is not
    one, or breaks a limit of :mod:`.archive`."""
    try:
        open_package(data).close()
    except ArchiveError as exc:
        raise ExportError(str(exc)) from None
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, etree.LxmlError,
            AttributeError, TypeError, NotImplementedError) as exc:
        raise ExportError(f"not a readable Word .docx file ({type(exc).__name__}: {str(exc)[:160]})") from None
    return _Walker(document).walk()


class _Walker:
    def __init__(self, document) -> None:
        self.document = document
        self.rels = document.part.rels
        # Styles by id, indexed here rather than looked up by XPath: an id is the document's text.
        self.styles: dict[str, object] = {}
        self.default_style = None
        for element in document.styles.element.findall(W + "style"):
            self.styles.setdefault(element.get(W + "styleId", ""), element)
            if element.get(W + "type") == "paragraph" and element.get(W + "default") in ("1", "true", "on"):
                self.default_style = element
        self.writer = BlockWriter()
        self.style_cache: dict[str | None, dict] = {}
        self.numbering = self._numbering_formats()
        self.counters: dict[tuple[str, int], int] = {}
        self.code: list[str] = []

    # -- styles and numbering ------------------------------------------------------------------
    def _style(self, style_id: str | None) -> dict:
        """What a paragraph style says, its base styles' included: name, heading level, numbering,
        bold/italic, code."""
        if style_id in self.style_cache:
            return self.style_cache[style_id]
        info = {"name": "", "heading": None, "num": None, "bold": None, "italic": None, "code": False}
        element = self.styles.get(style_id) if style_id else self.default_style
        chain, seen = [], set()
        while element is not None and len(chain) < 12 and id(element) not in seen:
            seen.add(id(element))
            chain.append(element)
            element = self.styles.get(_val(element, "basedOn") or "\0")
        for element in reversed(chain):  # the style itself last, so it wins over its bases
            name = (_val(element, "name") or "").strip()
            info["name"] = name
            heading = _HEADING_STYLE.match(name)
            if heading:
                info["heading"] = int(heading.group(1))
            elif name.lower() == "title":
                info["heading"] = 1
            ppr = element.find(W + "pPr")
            if ppr is not None:
                outline = ppr.find(W + "outlineLvl")
                if outline is not None and (value := outline.get(W + "val", "")).isdigit() and int(value) < 9:
                    info["heading"] = int(value) + 1
                num = _num_pr(ppr)
                if num is not None:
                    info["num"] = num
            rpr = element.find(W + "rPr")
            if rpr is not None:
                for key, tag in (("bold", "b"), ("italic", "i")):
                    flag = _flag(rpr, tag)
                    if flag is not None:
                        info[key] = flag
            if _CODE_STYLES.search(name):
                info["code"] = True
        self.style_cache[style_id] = info
        return info

    def _char_style(self, style_id: str) -> dict:
        key = "char:" + style_id
        if key not in self.style_cache:
            info = {"bold": None, "italic": None}
            element, depth = self.styles.get(style_id), 0
            while element is not None and depth < 12:
                rpr = element.find(W + "rPr")
                if rpr is not None:
                    for name, tag in (("bold", "b"), ("italic", "i")):
                        if info[name] is None:
                            info[name] = _flag(rpr, tag)
                element = self.styles.get(_val(element, "basedOn") or "\0")
                depth += 1
            self.style_cache[key] = info
        return self.style_cache[key]

    def _numbering_formats(self) -> dict[tuple[str, int], tuple[str, str]]:
        """``(numId, level) -> (format, level text)``: ``bullet``/``decimal``... and the bullet glyph."""
        try:
            numbering = self.document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return {}
        abstract = {}
        for definition in numbering.findall(W + "abstractNum"):
            levels = {}
            for lvl in definition.findall(W + "lvl"):
                level = lvl.get(W + "ilvl", "0")
                fmt = lvl.find(W + "numFmt")
                text = lvl.find(W + "lvlText")
                if level.isdigit():
                    levels[int(level)] = (fmt.get(W + "val", "") if fmt is not None else "",
                                          text.get(W + "val", "") if text is not None else "")
            abstract[definition.get(W + "abstractNumId")] = levels
        formats = {}
        for num in numbering.findall(W + "num"):
            ref = num.find(W + "abstractNumId")
            if ref is None:
                continue
            for level, value in abstract.get(ref.get(W + "val"), {}).items():
                formats[(num.get(W + "numId"), level)] = value
        return formats

    # -- the body ------------------------------------------------------------------------------
    def walk(self) -> BlockWriter:
        body = self.document.element.body
        pending = list(reversed(list(body)))
        while pending and not self.writer.full:
            element = pending.pop()
            tag = element.tag
            if tag == W + "p":
                self._paragraph(element)
            elif tag == W + "tbl":
                self._flush_code()
                cells = self._table(element)
                if cells is not None:
                    pending.extend(reversed(cells))
            elif tag in (W + "sdt", W + "sdtContent", W + "customXml", W + "ins", W + "moveTo"):
                pending.extend(reversed([c for c in element if c.tag != W + "sdtPr"]))
        self._flush_code()
        return self.writer

    def _paragraph(self, p) -> None:
        ppr = p.find(W + "pPr")
        style_id = None
        if ppr is not None and (pstyle := ppr.find(W + "pStyle")) is not None:
            style_id = pstyle.get(W + "val")
        style = self._style(style_id)
        lines = self._lines(p, style)
        if style["code"]:
            self.code.append("\n".join(lines))
            return
        self._flush_code()
        if not any(line.strip() for line in lines):
            self.writer.end_table()
            return
        num = _num_pr(ppr) if ppr is not None else None
        num = num if num is not None else style["num"]
        if style["heading"] is not None:
            self.writer.heading(style["heading"], " ".join(line.strip() for line in lines))
            return
        if num is not None and num[0] not in ("0", ""):
            fmt, glyph = self.numbering.get((num[0], num[1]), ("bullet", ""))
            task = _CHECKBOX_GLYPHS.get(glyph.strip()[:1]) if fmt == "bullet" else None
            number = None
            if fmt not in ("bullet", "none", ""):
                key = (num[0], num[1])
                number = self.counters.get(key, 0) + 1
                self.counters[key] = number
                for other in [k for k in self.counters if k[0] == num[0] and k[1] > num[1]]:
                    del self.counters[other]
            level = num[1]
            if level == 0 and (named := _LIST_STYLE.match(style["name"])):
                level = int(named.group(1)) - 1
            self.writer.item(level, lines, number=number, task=task)
            return
        self.writer.paragraph(lines)

    def _lines(self, p, style: dict) -> list[str]:
        """The paragraph's lines in Markdown's spelling (see :func:`~.structured.emphasised_line`)."""
        lines: list[list[tuple[str, bool, bool, str | None]]] = [[]]
        pending = [(child, None) for child in reversed(list(p))]
        while pending:
            element, link = pending.pop()
            tag = element.tag
            if tag in _SKIPPED or not isinstance(tag, str):
                continue
            if tag == W + "r":
                bold, italic = self._run_format(element, style)
                for child in element:
                    ctag = child.tag
                    if ctag == W + "t":
                        text = child.text or ""
                    elif ctag == W + "tab" or ctag == W + "ptab":
                        text = "\t"
                    elif ctag in (W + "br", W + "cr"):
                        lines.append([])
                        continue
                    elif ctag == W + "noBreakHyphen":
                        text = "-"
                    else:
                        continue
                    lines[-1].append((text, bold, italic, link))
                continue
            if tag == W + "hyperlink":
                rid = element.get(R + "id")
                target = link
                if rid and rid in self.rels and self.rels[rid].is_external:
                    target = str(self.rels[rid].target_ref).strip()
                pending.extend((child, target) for child in reversed(list(element)))
                continue
            pending.extend((child, link) for child in reversed(list(element)))
        return [emphasised_line(parts) for parts in lines]

    def _run_format(self, run, style: dict) -> tuple[bool, bool]:
        rpr = run.find(W + "rPr")
        bold = italic = None
        if rpr is not None:
            bold, italic = _flag(rpr, "b"), _flag(rpr, "i")
            rstyle = rpr.find(W + "rStyle")
            if rstyle is not None and (bold is None or italic is None):
                char = self._char_style(rstyle.get(W + "val", ""))
                bold = char["bold"] if bold is None else bold
                italic = char["italic"] if italic is None else italic
        return (bool(style["bold"]) if bold is None else bold, bool(style["italic"]) if italic is None else italic)

    def _table(self, tbl) -> list | None:
        """Write the table's rows; for a table of one column, return the cells' contents to be read as
        ordinary paragraphs instead."""
        rows = [tr for tr in tbl.iter(W + "tr") if _nearest(tr, W + "tbl") is tbl]
        cells_of = [[tc for tc in tr.iter(W + "tc") if _nearest(tc, W + "tr") is tr] for tr in rows]
        if cells_of and all(len(cells) <= 1 for cells in cells_of):
            return [child for cells in cells_of for tc in cells for child in tc if child.tag != W + "tcPr"]
        self.writer.end_table()
        for tr, cells in zip(rows, cells_of):
            if self.writer.full:
                break
            trpr = tr.find(W + "trPr")
            header = trpr is not None and trpr.find(W + "tblHeader") is not None and \
                _flag(trpr, "tblHeader") is not False
            texts = []
            for tc in cells:
                parts = []
                for p in tc.iter(W + "p"):
                    parts.extend(line.strip() for line in self._lines(p, self._style(_style_id(p))))
                texts.append(" ".join(part for part in parts if part)[:MAX_CELL_CHARS])
            self.writer.row(texts, header=header)
        self.writer.end_table()
        return None

    def _flush_code(self) -> None:
        if self.code:
            self.writer.code("\n".join(self.code))
            self.code = []


def _val(element, tag: str) -> str | None:
    child = element.find(W + tag)
    return child.get(W + "val") if child is not None else None


def _nearest(element, tag: str):
    parent = element.getparent()
    while parent is not None and parent.tag != tag:
        parent = parent.getparent()
    return parent


def _style_id(p) -> str | None:
    ppr = p.find(W + "pPr")
    if ppr is not None and (pstyle := ppr.find(W + "pStyle")) is not None:
        return pstyle.get(W + "val")
    return None


def _num_pr(ppr) -> tuple[str, int] | None:
    num_pr = ppr.find(W + "numPr")
    if num_pr is None:
        return None
    num_id = num_pr.find(W + "numId")
    level = num_pr.find(W + "ilvl")
    value = level.get(W + "val", "0") if level is not None else "0"
    return (num_id.get(W + "val", "") if num_id is not None else "", int(value) if value.isdigit() else 0)


def _flag(parent, tag: str) -> bool | None:
    """A toggle property (``<w:b/>``, ``<w:b w:val="0"/>``): True, False, or None when not set."""
    element = parent.find(W + tag)
    if element is None:
        return None
    return element.get(W + "val", "true").lower() not in _OFF


__all__ = ["ExportError", "read_docx"]
