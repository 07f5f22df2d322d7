"""The Word reader, element by element: each shape an export tool writes becomes the block
the Markdown reader would make of the same line (pm_analytics/parse/structured.py)."""

import io

import pytest

from pm_analytics.parse import parse_bytes
from pm_analytics.parse.document import BOLD_LEVEL, CODE, HEADING, ITEM, ROW, TEXT
from pm_analytics.parse.office import ExportError, read_docx


def shapes(writer):
    """Each block as (kind, text, extra) with what matters for its kind."""
    out = []
    for b in writer.blocks:
        if b.kind == HEADING:
            out.append((HEADING, b.text, b.level))
        elif b.kind == ITEM:
            out.append((ITEM, b.text, (b.depth, b.task, b.source.split(" ")[0])))
        elif b.kind == ROW:
            out.append((ROW, b.cells, b.header))
        elif b.kind == TEXT:
            out.append((TEXT, b.text, b.para))
        else:
            out.append((b.kind, b.text, None))
    return out


# -- Word ------------------------------------------------------------------------------------------

def docx_bytes(build) -> bytes:
    import docx

    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_word_styles_lists_tables_and_runs():
    def build(d):
        d.add_paragraph("Checkout down", style="Title")
        d.add_heading("Timeline", 2)
        p = d.add_paragraph()
        p.add_run("Impact summary").bold = True
        p = d.add_paragraph()
        p.add_run("Author:").bold = True
        p.add_run(" Ann")
        d.add_paragraph("first bullet", style="List Bullet")
        d.add_paragraph("nested", style="List Bullet 2")
        d.add_paragraph("numbered", style="List Number")
        p = d.add_paragraph("line one")
        p.add_run().add_break()
        p.add_run("line two")
        p = d.add_paragraph()
        p.add_run("Posted March 12, 2024").italic = True
        t = d.add_table(rows=2, cols=2)
        for row, cells in zip(t.rows, (("Severity", "SEV2"), ("Teams", "Payments"))):
            for cell, text in zip(row.cells, cells):
                cell.text = text
        box = d.add_table(rows=1, cols=1)
        box.cell(0, 0).text = "inside a box"
        d.add_paragraph("Name\tState")

    got = shapes(read_docx(docx_bytes(build)))
    assert got == [
        (HEADING, "Checkout down", 1), (HEADING, "Timeline", 2), (HEADING, "Impact summary", BOLD_LEVEL),
        (TEXT, "Author: Ann", True), (ITEM, "first bullet", (0, None, "-")), (ITEM, "nested", (1, None, "-")),
        (ITEM, "numbered", (0, None, "1.")), (TEXT, "line one", True), (TEXT, "line two", False),
        (TEXT, "_Posted March 12, 2024_", True), (ROW, ["Severity", "SEV2"], False),
        (ROW, ["Teams", "Payments"], False), (TEXT, "inside a box", True), (ROW, ["Name", "State"], False)]


def test_word_tracked_deletions_and_field_codes_are_not_text():
    from docx.oxml import parse_xml

    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

    def build(d):
        d.element.body.insert(0, parse_xml(
            f'<w:p xmlns:w="{w}"><w:r><w:t>Kept </w:t></w:r><w:del w:id="1" w:author="a"><w:r>'
            '<w:delText>deleted</w:delText></w:r></w:del><w:ins w:id="2" w:author="a"><w:r><w:t>inserted</w:t>'
            '</w:r></w:ins><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> HYPERLINK "x" '
            '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t> shown</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'))

    assert shapes(read_docx(docx_bytes(build))) == [(TEXT, "Kept inserted shown", True)]


@pytest.mark.parametrize("data, message", [
    (b"not a zip at all", "not a Word .docx file"),
    (b"PK\x03\x04" + b"\x00" * 100, "not a Word .docx file"),
])
def test_what_is_not_a_word_file_is_reported(data, message):
    with pytest.raises(ExportError, match=message):
        read_docx(data)
    result = parse_bytes(data, "2025-01-01-x.docx")
    assert result.rejected and message in result.problems[0].message


def test_a_word_file_whose_part_is_compressed_like_a_bomb_is_refused_before_it_is_read():
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document>" + " " * 30_000_000 + "</w:document>")
    with pytest.raises(ExportError, match="zip bomb"):
        read_docx(out.getvalue())
