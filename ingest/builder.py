"""Builds a document's text and blocks together, for formats that carry structure
(DOCX styles, HTML elements) rather than plain lines."""

from __future__ import annotations

from collections.abc import Sequence

from ingest.model import Block, BlockKind
from ingest.structure import SectionStack


class TextBuilder:
    """Appends blocks; each becomes a line of the extracted text, blank line between."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._pos = 0
        self.blocks: list[Block] = []
        self.sections = SectionStack()
        self.page: int | None = None

    def _add(
        self, kind: BlockKind, text: str, level: int = 0, cells: tuple[tuple[str, str], ...] = ()
    ) -> None:
        text = " ".join(text.split()) if kind != "table_row" else text
        if not text:
            return
        if self._parts:
            self._parts.append("\n\n")
            self._pos += 2
        start = self._pos
        self._parts.append(text)
        self._pos += len(text)
        self.blocks.append(
            Block(kind, start, self._pos, self.sections.path, self.page, level, cells)
        )

    def heading(self, text: str, level: int) -> None:
        text = " ".join(text.split())
        if text:
            self.sections.push(level, text)
            self._add("heading", text, level)

    def paragraph(self, text: str) -> None:
        self._add("paragraph", text)

    def list_item(self, text: str, level: int = 1) -> None:
        self._add("list_item", text, level)

    def table_row(self, cells: Sequence[str], header: Sequence[str] | None) -> None:
        clean = [" ".join(c.split()) for c in cells]
        names = list(header or [])
        pairs = tuple(
            (names[k] if k < len(names) and names[k] else f"Kolumn {k + 1}", cell)
            for k, cell in enumerate(clean)
            if cell
        )
        if len(pairs) >= 1:
            self._add("table_row", "\t".join(c for c in clean if c), cells=pairs)

    @property
    def text(self) -> str:
        return "".join(self._parts)
