"""Builds a document's text and blocks together, for formats that carry structure
(DOCX styles, HTML elements) rather than plain lines."""

from __future__ import annotations

from collections.abc import Sequence

from ingest.model import Block, BlockKind
from ingest.structure import SectionStack


def _squeezed(text: str, offset: int) -> int:
    """Where `offset` of `text` lands once its white space is squeezed to single spaces
    and stripped (a word starting at `offset` keeps its space before it)."""
    head = text[:offset]
    squeezed = " ".join(head.split())
    return len(squeezed) + (1 if squeezed and head[-1:].isspace() else 0)


class TextBuilder:
    """Appends blocks; each becomes a line of the extracted text, blank line between."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._pos = 0
        self.blocks: list[Block] = []
        self.sections = SectionStack()
        self.page: int | None = None

    def _add(
        self,
        kind: BlockKind,
        text: str,
        level: int = 0,
        cells: tuple[tuple[str, str], ...] = (),
        breaks: Sequence[tuple[int, int]] = (),
    ) -> None:
        raw = text
        text = " ".join(text.split()) if kind != "table_row" else text
        if not text:
            return
        if self._parts:
            self._parts.append("\n\n")
            self._pos += 2
        start = self._pos
        self._parts.append(text)
        self._pos += len(text)
        moved = tuple((start + _squeezed(raw, at), page) for at, page in breaks)
        self.blocks.append(
            Block(
                kind,
                start,
                self._pos,
                self.sections.path,
                self.page,
                level,
                cells,
                page_breaks=moved,
            )
        )

    def heading(self, text: str, level: int) -> None:
        text = " ".join(text.split())
        if text:
            self.sections.push(level, text)
            self._add("heading", text, level)

    def paragraph(self, text: str, breaks: Sequence[tuple[int, int]] = ()) -> None:
        """`breaks`: (offset in `text`, page) where the paragraph runs on onto a page."""
        self._add("paragraph", text, breaks=breaks)

    def list_item(self, text: str, level: int = 1, breaks: Sequence[tuple[int, int]] = ()) -> None:
        self._add("list_item", text, level, breaks=breaks)

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
