"""PDF reader: pdfplumber's positioned words → a document's text and blocks.

Per page: words (or, for a page without a text layer that holds an image, words read by
OCR), lines, page furniture dropped, tables, headings, list items and paragraphs
(`ingest.pdf_blocks`); then items continued over a page break are joined. Every block
carries the page it starts on; blocks read by OCR are marked `ocr`.

The page furniture of page 1 that carries a date is kept at the start of the text, in
no block: a document's date is often printed only in its header.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ingest.builder import TextBuilder
from ingest.model import Block
from ingest.ocr import ocr_words
from ingest.pdf_bands import Post, reading_flows, table_bands
from ingest.pdf_blocks import OCR_HEADING_RATIO, Item, PageReader, Style, heading_step
from ingest.pdf_columns import document_splits
from ingest.pdf_layout import Line, build_lines, furniture, strip_page_numbers
from ingest.pdf_markers import drawn_markers
from ingest.pdf_tables import inner_words
from nara.errors import IngestError

Parsed = tuple[str, list[Block]]
WORD_X_TOLERANCE = 1.5
"""Points between two characters that still join them into one word. pdfplumber's
default (3) glues a date to the text after a tab in LibreOffice headers."""
DATE = re.compile(r"\b(?:19|20)\d\d-[01]\d-[0-3]\d\b")


def _damaged(path: Path) -> IngestError:
    return IngestError(
        str(path),
        "is damaged or not a PDF (it could not be read).",
        "Export the PDF again from its source.",
    )


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """pdfminer's errors on damaged or encrypted files → `IngestError`s."""
    try:
        yield
    except IngestError:
        raise
    except Exception as exc:  # pdfminer raises many kinds on damaged files
        text = f"{type(exc).__name__} {exc!r}".lower()
        if "password" in text or "encrypt" in text or "crypt" in text:
            raise IngestError(
                str(path), "is an encrypted PDF.", "Save an unencrypted copy and ingest that."
            ) from None
        raise _damaged(path) from None


def _page_words(path: Path, page: Any) -> tuple[list[dict[str, Any]], bool]:
    """The page's words, and whether they were read by OCR."""
    words = page.extract_words(
        x_tolerance=WORD_X_TOLERANCE, extra_attrs=["size", "fontname"], keep_blank_chars=False
    )
    words = [w for w in words if w["text"].strip()]
    if words or not page.images:
        return words + drawn_markers(page, words), False
    return ocr_words(str(path), page), True


RULE_JOIN = 2.0
"""Points: horizontal edges at one height this close are one rule. Chromium draws each
cell's border on its own, so a row's rule arrives in pieces one per cell."""


def _rules(page: Any) -> list[tuple[float, float, float]]:
    """Horizontal ruling lines (table borders) of a page: (y, x0, x1), the pieces of
    one rule joined."""
    edges = sorted(
        (float(e["top"]), float(e["x0"]), float(e["x1"]))
        for e in page.edges
        if e.get("orientation") == "h"
    )
    rules: list[tuple[float, float, float]] = []
    for y, x0, x1 in sorted(edges, key=lambda e: (round(e[0]), e[1])):
        if rules and abs(rules[-1][0] - y) <= RULE_JOIN / 2 and x0 <= rules[-1][2] + RULE_JOIN:
            rules[-1] = (rules[-1][0], rules[-1][1], max(rules[-1][2], x1))
        else:
            rules.append((y, x0, x1))
    return rules


def _posts(page: Any) -> list[Post]:
    """Vertical ruling lines (cell borders) of a page: (top, bottom, x)."""
    return [
        (float(e["top"]), float(e["bottom"]), float(e["x0"]))
        for e in page.edges
        if e.get("orientation") == "v"
    ]


def _style(pages: Sequence[Sequence[Line]]) -> Style:
    """Body size: the commonest size of prose lines (one segment; table rows have more)."""
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            if not line.ocr and len(line.segments) == 1:
                sizes[round(line.size * 2) / 2] += len(line.text)
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    larger = sorted((s for s in sizes if s >= body + heading_step(body)), reverse=True)
    return Style(body, larger, inner_words(line for lines in pages for line in lines))


def _scale_ocr(lines: list[Line], body: float) -> None:
    """OCR sizes are line heights, which vary with the letters on the line: a line is
    given the body size unless it is clearly taller than the page's commonest line and
    stands alone (a line of several segments there is a table row)."""
    if not lines:
        return
    common = Counter(round(ln.size) for ln in lines).most_common(1)[0][0] or 1
    for line in lines:
        scaled = line.size * body / common
        heading = scaled >= OCR_HEADING_RATIO * body and len(line.segments) == 1
        line.size = scaled if heading else body


def _open_pages(path: Path, data: bytes) -> tuple[list[list[Line]], list[Any], list[float]]:
    """Per page: its lines in reading order (a two-column page column by column, each
    column a flow of its own, `Line.flow`), its ruling lines and its height."""
    import pdfplumber

    read: list[tuple[list[dict[str, Any]], bool, float, float]] = []
    rules: list[Any] = []
    posts: list[list[Post]] = []
    with _reading(path), pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            words, ocr = _page_words(path, page)
            read.append((words, ocr, float(page.width), float(page.height)))
            rules.append(_rules(page) if not ocr else [])
            posts.append(_posts(page) if not ocr else [])
    splits = document_splits([(w, width, height) for w, _, width, height in read])
    pages: list[list[Line]] = []
    for number, ((words, ocr, _, _), split) in enumerate(zip(read, splits, strict=True), 1):
        lines: list[Line] = []
        tables = table_bands(rules[number - 1], posts[number - 1], split) if split else []
        for flow, flow_words in enumerate(reading_flows(words, split, tables)):
            for line in build_lines(flow_words, number, ocr):
                line.flow = flow
                lines.append(line)
        pages.append(lines)
    return pages, rules, [height for *_, height in read]


def _flows(lines: Sequence[Line]) -> list[list[Line]]:
    """A page's kept lines split where the flow (column) changes."""
    out: list[list[Line]] = []
    for line in lines:
        if not out or out[-1][-1].flow != line.flow:
            out.append([])
        out[-1].append(line)
    return out or [[]]


SHORT_COLUMN = 1.0
"""Line heights by which a column ends above the column beside it when its last
paragraph ends there (columns are balanced to within a line)."""
LAST_LINE_GAP = 0.15
"""Share of its column's measure a paragraph's last line leaves empty: a line a
paragraph runs on from is filled to the margin."""


def ends_short(column: Sequence[Line], beside: Sequence[Line]) -> bool:
    """`column` ends its last paragraph, though `beside`, the column to its right, goes
    on below it. Columns fill in turn, so text running on from one column to the next
    fills the first to its foot and its last line to the margin; a first column ending a
    line or more above the second, on a short line, ends with its paragraph (a subtitle
    beside an introduction)."""
    if not column or not beside or beside[0].top >= column[-1].top:
        return False
    last = column[-1]
    left, right = min(ln.x0 for ln in column), max(ln.x1 for ln in column)
    short_line = last.x1 < right - LAST_LINE_GAP * (right - left)
    return short_line and last.bottom < beside[-1].bottom - SHORT_COLUMN * (last.bottom - last.top)


def read_pdf(path: Path, data: bytes) -> Parsed:
    pages, rules, heights = _open_pages(path, data)
    dropped = furniture(pages, heights)
    style = _style(pages)
    reader = PageReader(style)
    for p, lines in enumerate(pages):
        if lines and lines[0].ocr:
            _scale_ocr(lines, style.body)
        kept = [ln for i, ln in enumerate(lines) if (p, i) not in dropped]
        flows = _flows(kept)
        for k, flow in enumerate(flows):
            reader.page(flow, rules[p], closed=k > 0 and ends_short(flows[k - 1], flow))
    items = reader.finish()
    if not items:
        raise IngestError(
            str(path),
            "has no text layer (a scanned PDF?) and no image to read by OCR.",
            "Check the file; a PDF of drawings only holds no text.",
        )
    dated = [
        strip_page_numbers(ln.text)
        for i, ln in enumerate(pages[0])
        if (0, i) in dropped and DATE.search(ln.text)
    ]
    return _build(items, dated)


def _build(items: Sequence[Item], preamble: Sequence[str]) -> Parsed:
    builder = TextBuilder()
    ocr_spans: list[tuple[int, int]] = []
    for item in items:
        before = len(builder.blocks)
        _add(builder, item)
        if item.ocr:
            ocr_spans.append((before, len(builder.blocks)))
    blocks = list(builder.blocks)
    for start, end in ocr_spans:
        blocks[start:end] = [dataclasses.replace(b, ocr=True) for b in blocks[start:end]]
    text = builder.text
    head = "\n".join(preamble)
    if head and blocks:
        shift = len(head) + 2
        text = f"{head}\n\n{text}"
        blocks = [_shifted(b, shift) for b in blocks]
    return text, blocks


def _shifted(block: Block, shift: int) -> Block:
    breaks = tuple((at + shift, page) for at, page in block.page_breaks)
    return dataclasses.replace(
        block, start=block.start + shift, end=block.end + shift, page_breaks=breaks
    )


def _add(builder: TextBuilder, item: Item) -> None:
    builder.page = item.page
    if item.kind == "heading":
        builder.heading(item.text, item.level)
    elif item.kind == "list_item":
        builder.list_item(item.text, max(1, item.level), item.breaks)
    elif item.kind == "paragraph":
        builder.paragraph(item.text, item.breaks)
    elif item.table is not None:
        table = item.table
        for row, page in zip(table.rows, table.row_pages, strict=True):
            builder.page = page
            builder.table_row(row, table.header)
