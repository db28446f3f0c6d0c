"""Building .docx files fast: a skeleton made once with python-docx, filled many times.

A form's skeleton (page, styles, header, footer, the bordered table of its
layout, signature lines, copies) depends only on the type's declaration and
settings and the language, so python-docx builds it once and the package is
kept in memory. Each record then only fills the values in: the XML parts
carry tokens such as ``⟦f_customer⟧`` which :meth:`Skeleton.fill` replaces in
one pass with escaped text. A register's thousands of rows are written as
XML strings, never cell by cell through python-docx.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt
from lxml import etree

if TYPE_CHECKING:
    # ``docx.Document`` is the function that opens one; this is its class.
    from docx.document import Document as WordDocument

TOKEN = re.compile(r"⟦(\w+)⟧")
#: Characters XML 1.0 does not allow (a pasted control character, a lone
#: surrogate): dropped rather than writing a file Word refuses to open.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TEXT_PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml|docProps/core\.xml")
_KEEP_STYLES = {
    "Normal",
    "Header",
    "Footer",
    "TableGrid",
    "TableNormal",
    "DefaultParagraphFont",
    "NoList",
    "HeaderChar",
    "FooterChar",
}
_DROP_PARTS = ("word/stylesWithEffects.xml", "docProps/thumbnail.jpeg", "customXml/")


@dataclass(frozen=True)
class Fonts:
    """East Asian and Latin fonts; the east Asian one is what Chinese text uses."""

    east_asia: str = "宋体"
    latin: str = "Times New Roman"
    heading_east_asia: str = "黑体"
    lang: str = "zh-CN"


def strip_invalid(text: str) -> str:
    """``text`` without the characters XML 1.0 (and so Word and Excel) refuse."""
    return _INVALID_XML.sub("", text)


def escape_text(value) -> str:
    """``value`` as the content of a ``<w:t>``: escaped, invalid characters
    dropped, line breaks and tabs as Word's own elements."""
    text = _INVALID_XML.sub("", "" if value is None else str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\n" in text or "\r" in text:
        text = re.sub(r"\r\n?|\n", '</w:t><w:br/><w:t xml:space="preserve">', text)
    if "\t" in text:
        text = text.replace("\t", '</w:t><w:tab/><w:t xml:space="preserve">')
    return text


def _plain_escape(value) -> str:
    text = _INVALID_XML.sub("", "" if value is None else str(value))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Skeleton:
    """A .docx package kept in memory, its text parts holding tokens."""

    def __init__(self, content: bytes):
        self.parts: list[tuple[str, bytes | str]] = []
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            for info in package.infolist():
                data = package.read(info.filename)
                if _TEXT_PARTS.fullmatch(info.filename):
                    text = data.decode("utf-8")
                    # A token's text keeps its spaces once filled in.
                    text = text.replace("<w:t>⟦", '<w:t xml:space="preserve">⟦')
                    self.parts.append((info.filename, text))
                else:
                    self.parts.append((info.filename, data))
        self.tokens = {
            m for _name, part in self.parts if isinstance(part, str) for m in TOKEN.findall(part)
        }

    def fill(self, values: Mapping[str, object], *, rows_xml: str | None = None) -> bytes:
        """The package with every token replaced by its value ("" if none);
        ``rows_xml`` (table rows) goes before the end of the document's first table."""

        def value_of(match: re.Match) -> str:
            name = match.group(1)
            value = values.get(name)
            return _plain_escape(value) if name.startswith("meta_") else escape_text(value)

        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
            for name, part in self.parts:
                if isinstance(part, str):
                    text = TOKEN.sub(value_of, part)
                    if rows_xml is not None and name == "word/document.xml":
                        text = text.replace("</w:tbl>", rows_xml + "</w:tbl>", 1)
                    package.writestr(name, text.encode("utf-8"))
                else:
                    package.writestr(name, part)
        return out.getvalue()


# --- building blocks (python-docx) ----------------------------------------------


def set_run_fonts(
    run,
    fonts: Fonts,
    *,
    east_asia: str | None = None,
    size: float | None = None,
    bold: bool = False,
) -> None:
    """Latin and east Asian font on the run itself, not only on its style."""
    run.font.name = fonts.latin
    r_fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    r_fonts.set(qn("w:eastAsia"), east_asia or fonts.east_asia)
    if size:
        run.font.size = Pt(size)
    if bold:
        run.bold = True


def _style_fonts(style, fonts: Fonts, east_asia: str | None = None) -> None:
    style.font.name = fonts.latin
    r_pr = style.element.get_or_add_rPr()
    r_fonts = r_pr.get_or_add_rFonts()
    r_fonts.set(qn("w:eastAsia"), east_asia or fonts.east_asia)
    r_fonts.set(qn("w:ascii"), fonts.latin)
    r_fonts.set(qn("w:hAnsi"), fonts.latin)
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = r_pr.makeelement(qn("w:lang"), {})
        r_pr.append(lang)
    lang.set(qn("w:eastAsia"), fonts.lang)


def new_document(
    fonts: Fonts, *, landscape: bool = False, title: str = "", subject: str = ""
) -> WordDocument:
    """An A4 document whose styles name the east Asian font."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    section.top_margin = section.bottom_margin = Cm(2.0)
    section.left_margin = section.right_margin = Cm(1.8)
    section.header_distance = section.footer_distance = Cm(1.0)
    styles = document.styles
    normal = styles["Normal"]
    _style_fonts(normal, fonts)
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(0)
    for name in ("Header", "Footer"):
        _style_fonts(styles[name], fonts)
        styles[name].font.size = Pt(9)
        # Their centre and right tab stops suit Letter paper; ours are set per line.
        p_pr = styles[name].element.pPr
        tabs = p_pr.find(qn("w:tabs")) if p_pr is not None else None
        if tabs is not None:
            p_pr.remove(tabs)
    # The document defaults too, so nothing falls back to a theme font.
    defaults = styles.element.find(qn("w:docDefaults"))
    r_fonts = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
    if r_fonts is not None:
        for attribute in list(r_fonts.attrib):
            del r_fonts.attrib[attribute]
        r_fonts.set(qn("w:ascii"), fonts.latin)
        r_fonts.set(qn("w:hAnsi"), fonts.latin)
        r_fonts.set(qn("w:eastAsia"), fonts.east_asia)
        r_fonts.set(qn("w:cs"), fonts.latin)
    properties = document.core_properties
    properties.author = ""
    properties.title = title
    properties.subject = subject
    properties.comments = "⟦meta_comments⟧"
    properties.identifier = "⟦meta_identifier⟧"
    properties.keywords = ""
    properties.last_modified_by = ""
    return document


def add_field(paragraph, instruction: str, fonts: Fonts) -> None:
    """A real Word field (PAGE, NUMPAGES): begin, instruction, result, end."""

    def run(inner: str):
        paragraph._p.append(
            parse_xml(
                f'<w:r {nsdecls("w")}><w:rPr><w:rFonts w:ascii="{fonts.latin}" '
                f'w:hAnsi="{fonts.latin}" w:eastAsia="{fonts.east_asia}"/></w:rPr>{inner}</w:r>'
            )
        )

    run('<w:fldChar w:fldCharType="begin"/>')
    run(f'<w:instrText xml:space="preserve"> {instruction} </w:instrText>')
    run('<w:fldChar w:fldCharType="separate"/>')
    run("<w:t>1</w:t>")
    run('<w:fldChar w:fldCharType="end"/>')


def add_text(paragraph, text: str, fonts: Fonts, **kwargs):
    run = paragraph.add_run(text)
    set_run_fonts(run, fonts, **kwargs)
    return run


def centred_line(
    document, text: str, fonts: Fonts, *, space_after: float | None = None, paragraph=None, **kwargs
):
    """A centred paragraph of one run (a heading, the period, a state mark):
    a new one, or ``paragraph`` (the one a new document starts with)."""
    paragraph = paragraph if paragraph is not None else document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if space_after is not None:
        paragraph.paragraph_format.space_after = Pt(space_after)
    add_text(paragraph, text, fonts, **kwargs)
    return paragraph


def title_line(document, text: str, fonts: Fonts, *, space_after: float | None = None):
    """The document's title: centred, bold, in the heading font at 16 pt."""
    return centred_line(
        document,
        text,
        fonts,
        space_after=space_after,
        east_asia=fonts.heading_east_asia,
        size=16,
        bold=True,
    )


def _bottom_border(paragraph) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    p_pr.append(
        parse_xml(
            f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="6" '
            'w:space="1" w:color="000000"/></w:pBdr>'
        )
    )


def _right_tab(paragraph, section) -> None:
    width = section.page_width - section.left_margin - section.right_margin
    paragraph.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)


@dataclass(frozen=True)
class PageFrame:
    """What every page carries: header left/right, footer notes."""

    header_left: str
    header_right: str
    page_of: str = "Page %(page)s of %(pages)s"
    footer_left: str = ""
    footer_right: str = ""


def add_frame(document, frame: PageFrame, fonts: Fonts) -> None:
    """Header line with the form code and number; footer with page X of Y."""
    section = document.sections[0]
    header = section.header.paragraphs[0]
    _right_tab(header, section)
    add_text(header, frame.header_left, fonts)
    header.add_run("\t")
    add_text(header, frame.header_right, fonts)
    _bottom_border(header)

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, _, rest = frame.page_of.partition("%(page)s")
    middle, _, after = rest.partition("%(pages)s")
    add_text(footer, before, fonts)
    add_field(footer, "PAGE", fonts)
    add_text(footer, middle, fonts)
    add_field(footer, "NUMPAGES", fonts)
    add_text(footer, after, fonts)
    notes = section.footer.add_paragraph()
    _right_tab(notes, section)
    add_text(notes, frame.footer_left, fonts)
    notes.add_run("\t")
    add_text(notes, frame.footer_right, fonts)


def table_grid(document, rows: int, columns: Iterable, fonts: Fonts):
    widths = list(columns)
    table = document.add_table(rows=rows, cols=len(widths))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    tbl_pr.append(parse_xml(f'<w:tblLayout {nsdecls("w")} w:type="fixed"/>'))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width
    return table


def page_break(document) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def save(document) -> bytes:
    """The document's package, slimmed: only the styles it uses, no
    thumbnail or duplicate style part (a form is then a few kilobytes)."""
    _prune_styles(document)
    buffer = io.BytesIO()
    document.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in source.infolist():
            if info.filename.startswith(_DROP_PARTS):
                continue
            data = source.read(info.filename)
            if info.filename.endswith(".rels") or info.filename == "[Content_Types].xml":
                data = _drop_references(data)
            package.writestr(info.filename, data)
    return out.getvalue()


def _drop_references(data: bytes) -> bytes:
    root = etree.fromstring(data)
    for child in list(root):
        target = child.get("Target") or child.get("PartName") or ""
        if target.endswith(("stylesWithEffects.xml", "thumbnail.jpeg")) or "customXml/" in target:
            root.remove(child)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _prune_styles(document) -> None:
    styles = document.styles.element
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:styleId")) not in _KEEP_STYLES:
            styles.remove(style)


_SKELETONS: dict = {}


def cached_skeleton(key, build: Callable[[], bytes]) -> Skeleton:
    """The skeleton ``build`` makes for ``key`` (a hashable description of
    everything it depends on), built once per process."""
    found = _SKELETONS.get(key)
    if found is None:
        if len(_SKELETONS) > 256:
            _SKELETONS.clear()
        found = _SKELETONS[key] = Skeleton(build())
    return found


def row_xml(
    cells: Iterable[str], widths: Iterable[int], fonts: Fonts, half_points: int = 18
) -> str:
    """One table row as XML: ``widths`` in twentieths of a point, text in
    ``half_points`` (9 pt: a ledger's size)."""
    run_props = (
        f'<w:rPr><w:rFonts w:ascii="{fonts.latin}" w:hAnsi="{fonts.latin}" '
        f'w:eastAsia="{fonts.east_asia}"/><w:sz w:val="{half_points}"/>'
        f'<w:szCs w:val="{half_points}"/></w:rPr>'
    )
    parts = ["<w:tr>"]
    for text, width in zip(cells, widths, strict=True):
        parts.append(
            f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr><w:p><w:r>'
            f'{run_props}<w:t xml:space="preserve">{escape_text(text)}</w:t></w:r>'
            "</w:p></w:tc>"
        )
    parts.append("</w:tr>")
    return "".join(parts)


__all__ = [
    "Fonts",
    "PageFrame",
    "Skeleton",
    "add_field",
    "add_frame",
    "add_text",
    "cached_skeleton",
    "escape_text",
    "new_document",
    "page_break",
    "row_xml",
    "save",
    "set_run_fonts",
    "strip_invalid",
    "table_grid",
]
