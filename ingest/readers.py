"""One reader per format: bytes on disk → extracted text and blocks.

A reader raises `IngestError` with a reason a user can act on; it never returns an
empty document.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ingest.builder import TextBuilder
from ingest.docx import read_docx
from ingest.model import Block, ReadNotes
from ingest.structure import parse_lines
from nara.errors import IngestError

Parsed = tuple[str, list[Block]]
ParsedWithNotes = tuple[str, list[Block], ReadNotes]
"""Text, blocks, and what else the reader knows (page furniture for metadata)."""
Reader = Callable[[Path, bytes], Parsed | ParsedWithNotes]


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; binary content is refused."""
    sample = data[:8192]
    if b"\x00" in sample:
        raise IngestError(
            str(path),
            "is a binary file, not text.",
            "Check the file; only text, Markdown, HTML, PDF and DOCX are read.",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text[:8192]) // 100):
        raise IngestError(
            str(path),
            "is a binary file, not text.",
            "Check the file; only text, Markdown, HTML, PDF and DOCX are read.",
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path, data: bytes) -> Parsed:
    text = decode_text(path, data)
    return text, parse_lines(text)


_LAYOUT_CELL = re.compile(r"\S+(?: \S+)*")
_ALIGN_WINDOW = 4  # lines searched for a neighbouring table row (wrapped cells sit between)
_ROW_GAP = 2  # blank lines layout mode may put between the rows of one table


def _layout_cells(raw: str) -> list[tuple[int, str]]:
    """(column, text) of the parts of a layout line that are 2+ spaces apart."""
    return [(m.start(), m.group()) for m in _LAYOUT_CELL.finditer(raw)]


def _aligned(cells: list[tuple[int, str]], other: list[tuple[int, str]]) -> bool:
    """Every column break of `cells` lines up (±1) with a column start of `other`."""
    starts = [col for col, _ in other]
    return all(any(abs(col - s) <= 1 for s in starts) for col, _ in cells[1:])


def _same_table(a: list[tuple[int, str]], b: list[tuple[int, str]]) -> bool:
    if len(a) < 2 or len(b) < 2:
        return False
    fewer, more = sorted((a, b), key=len)
    return _aligned(fewer, more)


def _join_table_rows(raws: list[str]) -> list[str]:
    """Drop the blank lines layout mode puts between tall table rows, so that rows whose
    columns line up (and have a clear column gap) stay one table under one header row."""
    cells = [_layout_cells(r) for r in raws]
    wide = [re.search(r"\S {3,}\S", r) is not None for r in raws]
    keep = [True] * len(raws)
    for i in range(len(raws)):
        j = i + 1
        while j < len(raws) and not cells[j] and j - i <= _ROW_GAP:
            j += 1
        if (
            i + 1 < j < len(raws)
            and cells[j]
            and (wide[i] or wide[j])
            and _same_table(cells[i], cells[j])
        ):
            keep[i + 1 : j] = [False] * (j - i - 1)
    return [r for r, k in zip(raws, keep, strict=True) if k]


def _pdf_page_text(raw: str) -> str:
    """Layout-mode lines: column gaps become tabs so table rows keep their cells.

    Three or more spaces always separate columns. Two spaces do only where the line's
    column breaks line up with a neighbouring multi-column line (tight table columns),
    so a stray double space inside a paragraph stays text.
    """
    raws = _join_table_rows(raw.split("\n"))
    cells = [_layout_cells(r) for r in raws]
    lines = []
    for i, row in enumerate(cells):
        tabular = False
        if len(row) >= 2:
            for step in (-1, 1):
                j = i + step
                while 0 <= j < len(cells) and abs(j - i) <= _ALIGN_WINDOW and cells[j]:
                    if len(cells[j]) >= 2:
                        tabular = tabular or _aligned(row, cells[j])
                        break
                    j += step
        if tabular:
            lines.append("\t".join(text for _, text in row))
        else:
            lines.append(re.sub(r" {3,}", "\t", raws[i].strip()))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


@contextlib.contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs what it repairs or gives up on, without naming the file; the reader
    reports the outcome itself, so those warnings stay off the user's console."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_pdf(path: Path, data: bytes) -> Parsed:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        with _quiet_pypdf():
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise IngestError(
                    str(path), "is an encrypted PDF.", "Save an unencrypted copy and ingest that."
                )
            pages = [_pdf_page_text(p.extract_text(extraction_mode="layout")) for p in reader.pages]
    except IngestError:
        raise
    except (
        PdfReadError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        AssertionError,
        OSError,
    ):
        raise IngestError(
            str(path),
            "is damaged or not a PDF (it could not be read).",
            "Export the PDF again from its source.",
        ) from None
    except Exception as exc:  # pypdf raises many kinds on damaged files
        if "encrypt" in str(exc).lower() or "crypt" in type(exc).__name__.lower():
            raise IngestError(
                str(path), "is an encrypted PDF.", "Save an unencrypted copy and ingest that."
            ) from None
        raise IngestError(
            str(path),
            "is damaged or not a PDF (it could not be read).",
            "Export the PDF again from its source.",
        ) from None
    if not any(page.strip() for page in pages):
        raise IngestError(
            str(path),
            "has no text layer (a scanned PDF?).",
            "Run OCR on it first, e.g. `ocrmypdf in.pdf out.pdf`.",
        )
    starts, parts, pos = [], [], 0
    for page in pages:
        starts.append(pos)
        parts.append(page)
        pos += len(page) + 2
    text = "\n\n".join(parts)
    return text, parse_lines(text, starts)


def read_html(path: Path, data: bytes) -> Parsed:
    from bs4 import BeautifulSoup

    text = decode_text(path, data)
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "header", "noscript"]):
        tag.decompose()
    builder = TextBuilder()
    body = soup.body or soup
    for el in body.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr"]):
        if el.name[0] == "h" and el.name[1:].isdigit():
            builder.heading(el.get_text(" "), int(el.name[1]))
        elif el.name == "p" and not el.find_parent(["li", "td", "th"]):
            builder.paragraph(el.get_text(" "))
        elif el.name == "li":
            depth = len(el.find_parents(["ul", "ol"]))
            builder.list_item(el.get_text(" ", strip=True), max(1, depth))
        elif el.name == "tr":
            _html_row(builder, el)
    if not builder.blocks:
        raise IngestError(str(path), "contains no readable text.", "Check that it is an HTML page.")
    return builder.text, builder.blocks


def _html_row(builder: TextBuilder, row: Any) -> None:
    cells = row.find_all(["td", "th"])
    if not cells or all(c.name == "th" for c in cells):
        return
    table = row.find_parent("table")
    head = table.find("tr") if table else None
    header = [c.get_text(" ", strip=True) for c in head.find_all(["th", "td"])] if head else []
    if head is row:
        return
    builder.table_row([c.get_text(" ", strip=True) for c in cells], header)


READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".text": read_text,
    ".md": read_text,
    ".markdown": read_text,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".html": read_html,
    ".htm": read_html,
}
