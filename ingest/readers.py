"""One reader per format: bytes on disk → extracted text and blocks.

A reader raises `IngestError` with a reason a user can act on; it never returns an
empty document.
"""

from __future__ import annotations

import codecs
import importlib
from collections.abc import Callable
from pathlib import Path

from ingest.model import Block, ReadNotes
from ingest.structure import parse_lines
from nara.errors import IngestError

Parsed = tuple[str, list[Block]]
ParsedWithNotes = tuple[str, list[Block], ReadNotes]
"""Text, blocks, and what else the reader knows (page furniture for metadata)."""
Reader = Callable[[Path, bytes], Parsed | ParsedWithNotes]


UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
"""Notepad's "Unicode" saves UTF-16 with a byte-order mark; its bytes hold many NULs."""


def decode_text(path: Path, data: bytes) -> str:
    """UTF-16 with a byte-order mark, UTF-8 (with or without BOM), else Windows-1252;
    binary content is refused."""
    if data.startswith(UTF16_BOMS):
        try:
            return _checked(path, data.decode("utf-16"))
        except UnicodeDecodeError:
            raise IngestError(
                str(path),
                "börjar som UTF-16-text men är trasig (ogiltiga tecken).",
                "Spara filen igen som UTF-8-text.",
            ) from None
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
    return _checked(path, text)


def _checked(path: Path, text: str) -> str:
    """The text with its line ends made \\n, or refused when control characters show it
    is binary content."""
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


def _imported(module: str, name: str) -> Reader:
    """The reader `module.name`, imported when it first reads a file: python-docx and the
    PDF and HTML readers' libraries cost a command that reads no file (`nara ask`,
    `nara documents`) a few tenths of a second at start-up."""

    def read(path: Path, data: bytes) -> Parsed | ParsedWithNotes:
        reader: Reader = getattr(importlib.import_module(module), name)
        return reader(path, data)

    return read


READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".text": read_text,
    ".md": read_text,
    ".markdown": read_text,
    ".pdf": _imported("ingest.pdf", "read_pdf"),
    ".docx": _imported("ingest.docx", "read_docx"),
    ".html": _imported("ingest.html", "read_html"),
    ".htm": _imported("ingest.html", "read_html"),
}
