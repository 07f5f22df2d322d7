"""Write the Word and HTML exports of our own post-mortem fixtures, as Google Docs would export them.

    .venv/bin/python scripts/make_export_fixtures.py           # (re)write tests/fixtures/exports/
    .venv/bin/python scripts/make_export_fixtures.py --check   # exit 1 if the files there are not what it writes

For every Markdown and text fixture in ``tests/fixtures/good/`` and
``tests/fixtures/hostile/`` it writes ``tests/fixtures/exports/<good|hostile>/<name>.docx``
and ``<name>.html``: the same post-mortem as a Google Doc holding it would give
with "Download → Microsoft Word" and "Download → Web page". The Markdown's
structure is read with pm-analytics' own stage one (:mod:`pm_analytics.parse.document`)
and each block written as the element a document editor has for it:

=====================  ==========================================  ==============================================
Markdown               .docx                                       .html (Google Docs' shape)
=====================  ==========================================  ==============================================
``#`` heading          a ``Heading N`` paragraph                   ``<hN>``
bold-only line         a paragraph of one bold run                 ``<p>`` of a span whose CSS class is bold
text lines             a paragraph, its lines split by line breaks ``<p>`` with ``<br>``
``-``/``1.`` items     numbered paragraphs at their level          ``<ul>``/``<ol class="lst-kix_…-N">``
``[x]`` task items     ``☒``/``☐`` checkbox bullets                 ``☒``/``☐`` before the item's text
pipe and tab rows      a table per run of rows (a ``|---|``         ``<table>``, the header row in ``<th>``
                       header row repeats as header)
``[text](url)``        a hyperlink                                 ``<a>`` through Google's redirect
front matter           its lines, one paragraph each               its lines, one ``<p>`` each
code fence             ``Code`` style paragraphs                   ``<pre>``
=====================  ==========================================  ==============================================

The hostile fixtures get what a hostile export would carry on top: the HTML a
``<script>``, a ``<style>``, an ``<iframe>``, event handlers, a refresh and
remote resources; the ``.docx`` a linked (not embedded) image, a remote
template and an ``INCLUDEPICTURE`` field, all pointing at ``CANARY`` (port 9,
discard, on this machine). None of it may change what is read, or be fetched.

Deterministic: python-docx stamps the time into the document's properties and
its zip entries; both are pinned here (:data:`PINNED`), so the same input
writes the same bytes.
"""

from __future__ import annotations

import argparse
import html
import io
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pm_analytics.parse.document import (  # noqa: E402
    BOLD_LEVEL, CODE, HEADING, HTML, ITEM, ROW, TEXT, read_document, split_front_matter)
from pm_analytics.parse.rules import MARKDOWN_LINK  # noqa: E402

SOURCES = (ROOT / "tests" / "fixtures" / "good", ROOT / "tests" / "fixtures" / "hostile")
TARGET = ROOT / "tests" / "fixtures" / "exports"
PINNED = datetime(2026, 1, 1, tzinfo=timezone.utc)
ZIP_TIME = (2026, 1, 1, 0, 0, 0)
CANARY = "http://127.0.0.1:9"


# -- the export model: what the Markdown holds, as a document editor's elements ---------------------

@dataclass
class Element:
    kind: str  # front, heading, bold, para, item, table, code
    text: str = ""
    level: int = 0
    lines: list[str] = field(default_factory=list)
    ordered: bool = False
    task: str | None = None
    rows: list[tuple[list[str], bool]] = field(default_factory=list)
    table: int = 0


def export_model(text: str) -> list[Element]:
    """The elements of a Markdown or text post-mortem, in order."""
    source_lines = text.splitlines()
    try:
        split = split_front_matter(text)
    except ValueError:  # front matter never closed: its lines are text, as they are to the reader
        split = None
    elements: list[Element] = []
    body, offset = text, 0
    if split is not None:
        _, _, body, offset = split
        elements.append(Element("front", lines=[line for line in source_lines[:offset]]))
    blocks = read_document(body, line_offset=offset)
    for index, block in enumerate(blocks):
        last = elements[-1] if elements else None
        if block.kind == HEADING and block.level < BOLD_LEVEL:
            elements.append(Element("heading", block.text, level=block.level))
        elif block.kind == HEADING:
            elements.append(Element("bold", block.text))
        elif block.kind == ROW:
            if last is not None and last.kind == "table" and last.table == block.table:
                last.rows.append((list(block.cells or []), block.header))
            else:
                elements.append(Element("table", rows=[(list(block.cells or []), block.header)], table=block.table))
        elif block.kind == ITEM:
            ordered = block.source.lstrip()[:1].isdigit()
            elements.append(Element("item", block.text, level=block.depth, ordered=ordered, task=block.task,
                                    lines=[block.text]))
        elif block.kind == TEXT:
            if not block.para and last is not None and last.kind in ("para", "item"):
                last.lines.append(block.text)
            else:
                elements.append(Element("para", lines=[block.text]))
        elif block.kind == CODE:
            following = blocks[index + 1].line if index + 1 < len(blocks) else len(source_lines) + 1
            inside = source_lines[block.line:following - 1]
            while inside and not inside[-1].strip().strip("`~"):
                inside.pop()
            elements.append(Element("code", lines=inside))
        elif block.kind == HTML:
            continue
    return elements


def runs(text: str) -> list[tuple[str, str | None]]:
    """``text`` as (text, link) runs: Markdown links become links, everything else stays as written."""
    out, at = [], 0
    for m in MARKDOWN_LINK.finditer(text):
        if m.start() > at:
            out.append((text[at:m.start()], None))
        out.append((m.group(1), m.group(2)))
        at = m.end()
    if at < len(text):
        out.append((text[at:], None))
    return out


# -- HTML, as Google Docs writes it -----------------------------------------------------------------

_GOOGLE_CSS = (
    "@import url(https://themes.googleusercontent.com/fonts/css?kit=pm-analytics-fixture);"
    "ol{margin:0;padding:0}table td,table th{padding:0}"
    ".c0{color:#000000;font-weight:400;text-decoration:none;vertical-align:baseline;font-size:11pt;"
    "font-family:\"Arial\";font-style:normal}"
    ".c1{padding-top:0pt;padding-bottom:0pt;line-height:1.15;orphans:2;widows:2;text-align:left}"
    ".c2{color:#000000;font-weight:700;text-decoration:none;vertical-align:baseline;font-size:11pt;"
    "font-family:\"Arial\";font-style:normal}"
    ".c3{border-right-style:solid;padding:5pt 5pt 5pt 5pt;border-bottom-color:#000000;border-top-width:1pt}"
    ".c4{border-spacing:0;border-collapse:collapse;margin-right:auto}"
    ".c5{background-color:#ffffff;max-width:468pt;padding:72pt 72pt 72pt 72pt}"
    ".c6{color:#1155cc;text-decoration:underline}"
    ".c7{font-family:\"Courier New\";font-weight:400}"
    ".c8{margin-left:36pt;padding-left:0pt}"
    ".title{padding-top:0pt;color:#000000;font-size:26pt;padding-bottom:3pt;font-family:\"Arial\"}"
    "h1{padding-top:20pt;color:#000000;font-size:20pt;padding-bottom:6pt;font-family:\"Arial\";font-weight:400}"
    "h2{padding-top:18pt;color:#000000;font-size:16pt;padding-bottom:6pt;font-family:\"Arial\";font-weight:400}"
    "h3{padding-top:16pt;color:#434343;font-size:14pt;padding-bottom:4pt;font-family:\"Arial\";font-weight:400}"
)


def _hostile_head(canary: str) -> str:
    return ('<script>document.body.setAttribute("data-pwned","head-script")</script>'
            '<meta http-equiv="refresh" content="0;url=javascript:alert(11)">'
            f'<base href="{canary}/base/">'
            f'<link rel="stylesheet" href="{canary}/style.css">'
            f'<script src="{canary}/remote.js"></script>'
            f'<style>body{{background:url({canary}/bg.png)}}</style>')


def _hostile_body(canary: str) -> str:
    return ('<script>alert(12); document.body.setAttribute("data-pwned","body-script")</script>'
            f'<p class="c1"><img alt="" src="{canary}/pixel.png" onerror="alert(13)"></p>'
            f'<iframe src="{canary}/frame"></iframe>'
            '<svg onload="alert(14)"><script>alert(15)</script></svg>'
            f'<object data="{canary}/object.swf"></object>'
            '<noscript><p>noscript text is not the post-mortem</p></noscript>'
            '<template><p>template text is not the post-mortem</p></template>'
            '<!-- <script>alert(16)</script> -->')


def _google_href(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return ("https://www.google.com/url?q=" + quote(url, safe="") +
                "&sa=D&source=editors&ust=1767225600000000&usg=AOvVaw0pmAnalyticsFixture")
    return url


def _html_runs(text: str, css: str = "c0") -> str:
    out = []
    for part, link in runs(text):
        if link is None:
            out.append(f'<span class="{css}">{html.escape(part, quote=False)}</span>')
        else:
            out.append(f'<span class="c6 {css}"><a class="c6" href="{html.escape(_google_href(link))}">'
                       f'{html.escape(part, quote=False)}</a></span>')
    return "".join(out)


def to_html(elements: list[Element], title: str, hostile: bool = False, canary: str = CANARY) -> str:
    """The Google Docs "Download → Web page" shape of ``elements`` (one document, all on one line)."""
    body: list[str] = []
    lists: list[tuple[str, int]] = []  # the open <ul>/<ol> (tag, level)

    def close_lists() -> None:
        while lists:
            body.append(f"</{lists.pop()[0]}>")

    for index, element in enumerate(elements):
        if element.kind != "item":
            close_lists()
        if element.kind == "front":
            body.extend(f'<p class="c1"><span class="c0">{html.escape(line, quote=False)}</span></p>'
                        for line in element.lines)
        elif element.kind == "heading":
            level = min(element.level, 6)
            body.append(f'<h{level} class="c1" id="h.{index}">{_html_runs(element.text)}</h{level}>')
        elif element.kind == "bold":
            body.append(f'<p class="c1">{_html_runs(element.text, "c2")}</p>')
        elif element.kind == "para":
            body.append('<p class="c1">' + "<br>".join(_html_runs(line) for line in element.lines) + "</p>")
        elif element.kind == "item":
            tag = "ol" if element.ordered else "ul"
            # Google Docs writes every level of a list as its own flat <ul>/<ol>, the level in its class.
            if not lists or lists[-1] != (tag, element.level):
                close_lists()
                lists.append((tag, element.level))
                body.append(f'<{tag} class="c8 lst-kix_fixture{index}-{element.level} start">')
            box = "☒ " if element.task == "x" else "☐ " if element.task == " " else ""
            lines = [box + element.lines[0]] + element.lines[1:]
            body.append('<li class="c1 li-bullet-0">' + "<br>".join(_html_runs(line) for line in lines) + "</li>")
        elif element.kind == "table":
            rows = []
            for cells, header in element.rows:
                cell_tag = "th" if header else "td"
                rows.append('<tr class="c3">' + "".join(
                    f'<{cell_tag} class="c3" colspan="1" rowspan="1"><p class="c1">{_html_runs(cell)}</p></{cell_tag}>'
                    for cell in cells) + "</tr>")
            body.append('<table class="c4"><tbody>' + "".join(rows) + "</tbody></table>")
        elif element.kind == "code":
            body.append('<pre class="c7">' + html.escape("\n".join(element.lines), quote=False) + "</pre>")
    close_lists()
    head = (f'<meta content="text/html; charset=UTF-8" http-equiv="content-type"><title>{html.escape(title)}'
            f'</title><style type="text/css">{_GOOGLE_CSS}</style>')
    if hostile:
        head += _hostile_head(canary)
        body.insert(len(body) // 2, _hostile_body(canary))
    return f'<html><head>{head}</head><body class="c5 doc-content">{"".join(body)}</body></html>'


# -- .docx -------------------------------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_BULLETS = ("●", "○", "■")
# numId -> (format, glyph): bullets, numbers, and the two checkbox bullets of a task list.
_NUMBERING = {"1": ("bullet", None), "2": ("decimal", None), "3": ("bullet", "☐"), "4": ("bullet", "☒")}


def _numbering_xml() -> bytes:
    parts = [f'<w:numbering xmlns:w="{W_NS}">']
    for num_id, (fmt, glyph) in _NUMBERING.items():
        parts.append(f'<w:abstractNum w:abstractNumId="{num_id}"><w:multiLevelType w:val="hybridMultilevel"/>')
        for level in range(9):
            text = glyph or (_BULLETS[level % 3] if fmt == "bullet" else f"%{level + 1}.")
            parts.append(f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
                         f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
                         f'<w:pPr><w:ind w:left="{720 * (level + 1)}" w:hanging="360"/></w:pPr></w:lvl>')
        parts.append("</w:abstractNum>")
    for num_id in _NUMBERING:
        parts.append(f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{num_id}"/></w:num>')
    parts.append("</w:numbering>")
    return "".join(parts).encode()


def to_docx(elements: list[Element], title: str, hostile: bool = False, canary: str = CANARY) -> bytes:
    """The Google Docs "Download → Microsoft Word" shape of ``elements``, as deterministic bytes."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn

    document = docx.Document()
    numbering = document.part.numbering_part
    fresh = parse_xml(_numbering_xml())
    for child in list(numbering.element):
        numbering.element.remove(child)
    for child in list(fresh):
        numbering.element.append(child)

    def add_runs(paragraph, text: str, bold: bool = False) -> None:
        for part, link in runs(text):
            if link is None:
                paragraph.add_run(part).bold = bold or None
                continue
            rid = document.part.relate_to(link, RT.HYPERLINK, is_external=True)
            hyperlink = paragraph._p.makeelement(qn("w:hyperlink"), {qn("r:id"): rid})
            run = paragraph._p.makeelement(qn("w:r"), {})
            text_element = run.makeelement(qn("w:t"), {})
            text_element.text = part
            text_element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            run.append(text_element)
            hyperlink.append(run)
            paragraph._p.append(hyperlink)

    def add_lines(paragraph, lines: list[str]) -> None:
        for number, line in enumerate(lines):
            if number:
                paragraph.add_run().add_break()
            add_runs(paragraph, line)

    for index, element in enumerate(elements):
        if element.kind == "front":
            for line in element.lines:
                document.add_paragraph().add_run(line)
        elif element.kind == "heading":
            add_runs(document.add_paragraph(style=f"Heading {min(element.level, 6)}"), element.text)
        elif element.kind == "bold":
            add_runs(document.add_paragraph(), element.text, bold=True)
        elif element.kind == "para":
            add_lines(document.add_paragraph(), element.lines)
        elif element.kind == "item":
            paragraph = document.add_paragraph()
            num_id = "4" if element.task == "x" else "3" if element.task == " " else "2" if element.ordered else "1"
            ppr = paragraph._p.get_or_add_pPr()
            ppr.append(parse_xml(f'<w:numPr xmlns:w="{W_NS}"><w:ilvl w:val="{min(element.level, 8)}"/>'
                                 f'<w:numId w:val="{num_id}"/></w:numPr>'))
            add_lines(paragraph, element.lines)
        elif element.kind == "table":
            width = max(len(cells) for cells, _ in element.rows)
            table = document.add_table(rows=len(element.rows), cols=width)
            table.style = "Table Grid"
            for row, (cells, header) in zip(table.rows, element.rows):
                if header:
                    row._tr.get_or_add_trPr().append(parse_xml(f'<w:tblHeader xmlns:w="{W_NS}"/>'))
                for cell, text in zip(row.cells, cells):
                    add_runs(cell.paragraphs[0], text)
            document.add_paragraph()  # Google Docs puts an empty paragraph after every table
        elif element.kind == "code":
            styles = document.styles
            if "Code" not in [s.name for s in styles]:
                from docx.enum.style import WD_STYLE_TYPE
                styles.add_style("Code", WD_STYLE_TYPE.PARAGRAPH).font.name = "Courier New"
            for line in element.lines or [""]:
                document.add_paragraph(line, style="Code")
    if hostile:
        _hostile_docx(document, canary)
    properties = document.core_properties
    properties.title = title
    properties.author = properties.last_modified_by = "pm-analytics fixtures"
    properties.created = properties.modified = properties.last_printed = PINNED.replace(tzinfo=None)
    properties.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    return _pinned_zip(buffer.getvalue())


def _hostile_docx(document, canary: str) -> None:
    """What a hostile .docx carries: a linked image, a remote template and an INCLUDEPICTURE field, all
    aimed at the canary address; none of it may be fetched or read."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml

    image = document.part.relate_to(f"{canary}/linked-image.png", RT.IMAGE, is_external=True)
    drawing = (
        f'<w:p xmlns:w="{W_NS}"><w:r><w:drawing><wp:inline '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
        '<wp:extent cx="952500" cy="952500"/><wp:docPr id="1" name="linked"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:nvPicPr><pic:cNvPr id="1" name="linked.png"/><pic:cNvPicPr/></pic:nvPicPr>'
        '<pic:blipFill><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        f'r:link="{image}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
        '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="952500" cy="952500"/></a:xfrm>'
        '<a:prstGeom prst="rect"/></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>'
    )
    field_code = (
        f'<w:p xmlns:w="{W_NS}"><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> INCLUDEPICTURE "{canary}/field.png" \\d </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    body = document.element.body
    middle = len(body) // 2
    body.insert(middle, parse_xml(drawing))
    body.insert(middle, parse_xml(field_code))
    settings = document.part._settings_part
    template = settings.relate_to(f"{canary}/template.dotm",
                                  "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                                  "attachedTemplate", is_external=True)
    settings.element.insert(0, parse_xml(
        f'<w:attachedTemplate xmlns:w="{W_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships" r:id="{template}"/>'))


def _pinned_zip(data: bytes) -> bytes:
    """The same zip with every entry's time pinned and its order kept: python-docx stamps the clock."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            pinned = zipfile.ZipInfo(info.filename, ZIP_TIME)
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = 0o600 << 16
            target.writestr(pinned, source.read(info.filename))
    return out.getvalue()


# -- the fixtures ----------------------------------------------------------------------------------

def sources() -> list[Path]:
    """The fixtures that get exports: every Markdown and text file of good/ and hostile/."""
    return sorted(p for folder in SOURCES for p in folder.iterdir() if p.suffix in (".md", ".txt"))


def exports_of(path: Path, canary: str = CANARY) -> dict[str, bytes]:
    """``{".docx": bytes, ".html": bytes}`` for one fixture; ``canary`` is where the hostile extras point
    (a test that listens there passes its own address)."""
    elements = export_model(path.read_text(encoding="utf-8"))
    hostile = path.parent.name == "hostile"
    return {".docx": to_docx(elements, path.stem, hostile, canary),
            ".html": to_html(elements, path.stem, hostile, canary).encode()}


def target_of(path: Path, suffix: str) -> Path:
    return TARGET / path.parent.name / (path.stem + suffix)


def differences() -> list[str]:
    """The export files that are missing or not what this script writes (compared by content: a zip's
    entries and their bytes)."""
    wrong = []
    for path in sources():
        for suffix, data in exports_of(path).items():
            target = target_of(path, suffix)
            if not target.is_file() or _content(target.read_bytes(), suffix) != _content(data, suffix):
                wrong.append(str(target.relative_to(ROOT)))
    return wrong


def _content(data: bytes, suffix: str):
    if suffix != ".docx":
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(i.filename, i.date_time, archive.read(i)) for i in archive.infolist()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = parser.parse_args(argv)
    if args.check:
        wrong = differences()
        for name in wrong:
            print(f"out of date: {name}")
        return 1 if wrong else 0
    for path in sources():
        for suffix, data in exports_of(path).items():
            target = target_of(path, suffix)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            print("wrote", target.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
