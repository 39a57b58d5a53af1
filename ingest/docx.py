"""DOCX reader: Word files as users have them.

- Headings come from heading styles (Heading N / Rubrik N, Title) and outline levels;
  Word's automatic heading numbers are kept in front of the heading text.
- List items get their nesting and marker from the numbering definitions (numPr on the
  paragraph or its style → abstractNum level); bullets carry no marker in the text.
- A table of contents is skipped: its content control (docPartGallery "Table of
  Contents"), the result of a TOC field (complex or simple) and TOC-styled paragraphs.
- Every run's text is kept, so a bold label ("Målgrupp: …") stays in its paragraph.
- Page headers and footers are returned as furniture, for metadata only; they never
  become text or blocks.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docx.oxml.ns import qn

from ingest.builder import TextBuilder
from ingest.docx_styles import Formatting, number
from ingest.model import Block, ReadNotes
from ingest.structure import HEADER_WORD_LIMIT
from nara.errors import IngestError

TOC_GALLERY = "table of contents"
TOC_FIELD = "TOC"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
BREAKS = {qn("w:tab"), qn("w:br"), qn("w:cr")}
OFF = {"0", "false", "off"}
LOOK_FIRST_ROW = 0x0020  # w:tblLook w:val bit for "header row" (ECMA-376 §17.4.56)
HYPHENS = {qn("w:noBreakHyphen"): "-", qn("w:softHyphen"): ""}
MAX_GRID_SPAN = 63
"""Word's most columns in a table; a larger w:gridSpan is read as this."""


class _Fields:
    """Complex fields (fldChar begin … separate … end) across runs and paragraphs:
    whether the text being read is the cached result of a TOC field."""

    def __init__(self) -> None:
        self._stack: list[list[str]] = []  # instruction text of each open field

    def char(self, kind: str | None) -> None:
        if kind == "begin":
            self._stack.append([])
        elif kind == "end" and self._stack:
            self._stack.pop()

    def instr(self, text: str) -> None:
        if self._stack:
            self._stack[-1].append(text)

    @property
    def in_toc(self) -> bool:
        return any("".join(f).strip().upper().startswith(TOC_FIELD) for f in self._stack)


def _text(el: Any, fields: _Fields) -> str:
    """The visible text of a paragraph (or part of one), in document order."""
    out: list[str] = []
    for child in el:
        tag = child.tag
        if tag == qn("w:t"):
            if not fields.in_toc:
                out.append(child.text or "")
        elif tag in BREAKS:
            out.append(" ")
        elif tag in HYPHENS:
            out.append(HYPHENS[tag])
        elif tag == qn("w:fldChar"):
            fields.char(child.get(qn("w:fldCharType")))
        elif tag == qn("w:instrText"):
            fields.instr(child.text or "")
        elif tag == qn("w:fldSimple"):
            instr = (child.get(qn("w:instr")) or "").strip().upper()
            if not instr.startswith(TOC_FIELD):
                out.append(_text(child, fields))
        elif tag in (qn("w:delText"), qn("w:pPr"), qn("w:rPr"), MC_FALLBACK):
            continue
        else:
            out.append(_text(child, fields))
    return "".join(out)


def _is_toc_sdt(sdt: Any) -> bool:
    pr = sdt.find(qn("w:sdtPr"))
    gallery = pr.find(f".//{qn('w:docPartGallery')}") if pr is not None else None
    value = gallery.get(qn("w:val")) if gallery is not None else ""
    return TOC_GALLERY in (value or "").lower()


def _body(el: Any) -> Iterator[Any]:
    """Paragraphs and tables of the body in order, inside content controls too,
    except a table-of-contents control."""
    for child in el:
        if child.tag in (qn("w:p"), qn("w:tbl")):
            yield child
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None and not _is_toc_sdt(child):
                yield from _body(content)
        elif child.tag in (qn("w:customXml"), qn("w:ins")):
            yield from _body(child)


class _Reader:
    def __init__(self, document: Any) -> None:
        self.document = document
        self.formatting = Formatting.of(document)
        self.header_styles = header_styles(document)
        self.fields = _Fields()
        self.builder = TextBuilder()

    def read(self) -> tuple[str, list[Block]]:
        for el in _body(self.document.element.body):
            if el.tag == qn("w:p"):
                self._paragraph(el)
            else:
                self._table(el)
        return self.builder.text, self.builder.blocks

    def _paragraph(self, p: Any) -> None:
        text = _text(p, self.fields)
        kind = self.formatting.classify(p)
        if kind.toc or not text.strip():
            return
        labelled = f"{kind.marker} {text}" if kind.marker else text
        if kind.heading:
            self.builder.heading(labelled, kind.heading)
        elif kind.list_level:
            self.builder.list_item(labelled, kind.list_level)
        else:
            self.builder.paragraph(text)

    def _cell_text(self, tc: Any) -> str:
        parts = []
        for el in _body(tc):
            if el.tag == qn("w:p"):
                kind = self.formatting.classify(el)
                text = _text(el, self.fields)
                parts.append(f"{kind.marker} {text}" if kind.marker else text)
            else:  # a table nested in the cell: its rows, cell by cell
                parts += [" ".join(self._row_cells(tr)) for tr in el.findall(qn("w:tr"))]
        return " ".join(p for p in parts if p.strip())

    def _row_cells(self, tr: Any) -> list[str]:
        cells = []
        for tc in tr.findall(qn("w:tc")):
            pr = tc.find(qn("w:tcPr"))
            merge = pr.find(qn("w:vMerge")) if pr is not None else None
            continued = merge is not None and merge.get(qn("w:val")) in (None, "continue")
            text = "" if continued else self._cell_text(tc)
            span = pr.find(qn("w:gridSpan")) if pr is not None else None
            cells.append(text)
            if span is not None:
                cells += [""] * ((number(span.get(qn("w:val")), 1, MAX_GRID_SPAN, 1) or 1) - 1)
        return cells

    def _table(self, tbl: Any) -> None:
        rows = [self._row_cells(tr) for tr in tbl.findall(qn("w:tr"))]
        rows = [r for r in rows if any(c.strip() for c in r)]
        if len(rows) == 1:
            self.builder.paragraph(" ".join(rows[0]))
            return
        if not rows:
            return
        if not _has_header(tbl, self.header_styles, rows[0]):
            for row in rows:
                self.builder.table_row(row, None)
            return
        header = [" ".join(c.split()) for c in rows[0]]
        for row in rows[1:]:
            if [" ".join(c.split()) for c in row] != header:  # a header repeated by Word
                self.builder.table_row(row, header)


def _on(el: Any, attr: str = "w:val") -> bool:
    return el is not None and (el.get(qn(attr)) or "on").lower() not in OFF


def header_styles(document: Any) -> set[str]:
    """Table styles that format a first row differently (a header row when switched on)."""
    return {
        el.get(qn("w:styleId")) or ""
        for el in document.styles.element.findall(qn("w:style"))
        if any(p.get(qn("w:type")) == "firstRow" for p in el.findall(qn("w:tblStylePr")))
    }


def _has_header(tbl: Any, styles: set[str], first_cells: list[str]) -> bool:
    """Whether the first row is a header: marked to repeat on each page, or switched on
    in the table's look with a style that formats it, or all bold; switched off in the
    look, it is not. Otherwise it is when its cells read as column names."""
    first = tbl.find(qn("w:tr"))
    if first is None:
        return False
    if _on(first.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}")):
        return True
    look = tbl.find(f"{qn('w:tblPr')}/{qn('w:tblLook')}")
    style = tbl.find(f"{qn('w:tblPr')}/{qn('w:tblStyle')}")
    if look is not None:
        on = _on(look, "w:firstRow") if look.get(qn("w:firstRow")) else _look_bit(look)
        if not on:
            return False
        if style is not None and style.get(qn("w:val")) in styles:
            return True
    runs = [r for r in first.iter(qn("w:r")) if "".join(r.itertext()).strip()]
    if runs and all(_on(r.find(f"{qn('w:rPr')}/{qn('w:b')}")) for r in runs):
        return True
    return len(first_cells) >= 2 and all(
        0 < len(c.strip()) <= HEADER_WORD_LIMIT and not c.strip().endswith(".") for c in first_cells
    )


def _look_bit(look: Any) -> bool:
    value = look.get(qn("w:val")) or "0"
    try:
        return bool(int(value, 16) & LOOK_FIRST_ROW)
    except ValueError:
        return False


def _furniture(document: Any) -> tuple[str, ...]:
    """Lines of the page headers and footers (default, first page, even pages)."""
    lines: list[str] = []
    fields = _Fields()
    for section in document.sections:
        for part in (
            section.header, section.first_page_header, section.even_page_header,
            section.footer, section.first_page_footer, section.even_page_footer,
        ):  # fmt: skip
            if part.is_linked_to_previous:
                continue
            for p in part._element.iter(qn("w:p")):
                line = " ".join(_text(p, fields).split())
                if line and line not in lines:
                    lines.append(line)
    return tuple(lines)


def read_docx(path: Path, data: bytes) -> tuple[str, list[Block], ReadNotes]:
    """Text and blocks of the body, and the page furniture (for metadata only)."""
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # zipfile, zlib, lxml and python-docx each raise their own kinds
        raise IngestError(
            str(path),
            f"is damaged or not a DOCX file ({type(exc).__name__}).",
            "Open and save it again in Word, or export it as PDF.",
        ) from None
    text, blocks = _Reader(document).read()
    if not blocks:
        raise IngestError(str(path), "contains no text.", "Check that the right file was chosen.")
    return text, blocks, ReadNotes(_furniture(document), styled_headings=True)
