"""Chunks along the document's structure, sized for the embedding model.

A chunk never crosses a section boundary; a table row is a chunk of its own so that
"who is responsible for X" finds the row of X with its columns. The chunk's text is a
verbatim span of the document (`text == document.text[char_start:char_end]`); what is
embedded and keyword-indexed is that text under a short contextual header.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ingest import Block, Document
from ingest.limits import IngestLimits, clip

CHUNKER_VERSION = "blocks-v5"
MARKUP = re.compile(r"(?m)^\s*(?:[-•*–▪◦●]|\d{1,2}[.)]|#{1,6})\s")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9\"”])")


@dataclass(frozen=True)
class ChunkingConfig:
    max_chars: int = 1000
    max_label_chars: int = IngestLimits.defaults().max_meta_chars
    """Longest heading in a chunk's section path, and longest title or region in its
    header (NARA_INGEST_MAX_META_CHARS): a header stays a small part of the embedding
    window, whatever a document's headings. Not part of the signature: only headings
    longer than any real one are clipped."""

    @property
    def signature(self) -> str:
        return f"{CHUNKER_VERSION}:max_chars={self.max_chars}"


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    index: int
    text: str
    char_start: int
    char_end: int
    section: tuple[str, ...]
    page: int | None
    kind: str  # "text" or "table_row"
    cells: tuple[tuple[str, str], ...] = ()

    @property
    def section_label(self) -> str:
        return " > ".join(self.section)


SECTION_LINE_LABELS = 2
"""The "Avsnitt: …" line of a header holds at most this many labels' worth of characters
(a longer path is cut at its end)."""


def context_header(
    document: Document, section: Sequence[str], limit: int = ChunkingConfig.max_label_chars
) -> str:
    """Title, the region when the title does not name it, and the section path; each
    line at most `limit` characters (the section line twice that)."""
    meta = document.metadata
    parts = [clip(meta.title, limit)]
    if meta.region and meta.region.lower()[:6] not in meta.title.lower():
        parts.append(f"Region {clip(meta.region, limit)}")
    if section:
        parts.append("Avsnitt: " + clip(" > ".join(section), limit * SECTION_LINE_LABELS))
    return "\n".join(parts)


def index_text(
    document: Document, chunk: Chunk, limit: int = ChunkingConfig.max_label_chars
) -> str:
    """What gets embedded and keyword-indexed: header (bounded by `limit`), then the body."""
    body = (
        "\n".join(f"{name}: {value}" for name, value in chunk.cells) if chunk.cells else chunk.text
    )
    return f"{context_header(document, chunk.section, limit)}\n\n{body}"


def _split_long(document: Document, block: Block, limit: int) -> Iterator[tuple[int, int]]:
    """Spans of a block longer than `limit`, cut at sentence ends where possible."""
    start = block.start
    text = document.text
    cuts = [block.start + m.start() for m in SENTENCE_END.finditer(text[block.start : block.end])]
    piece_start = start
    last_cut = None
    for cut in [*cuts, block.end]:
        if cut - piece_start > limit and last_cut is not None and last_cut > piece_start:
            yield piece_start, last_cut
            piece_start = last_cut
            while piece_start < block.end and text[piece_start].isspace():
                piece_start += 1
        last_cut = cut
    while block.end - piece_start > limit * 1.5:  # no sentence ends: hard cut at a space
        cut = text.rfind(" ", piece_start, piece_start + limit)
        cut = cut if cut > piece_start else piece_start + limit
        yield piece_start, cut
        piece_start = cut + 1
    yield piece_start, block.end


class _Grouper:
    def __init__(self, document: Document, config: ChunkingConfig) -> None:
        self.document = document
        self.limit = config.max_chars
        self.label_limit = config.max_label_chars
        self.chunks: list[Chunk] = []
        self.group: list[Block] = []

    def _make(
        self,
        start: int,
        end: int,
        section: tuple[str, ...],
        page: int | None,
        kind: str = "text",
        cells: tuple[tuple[str, str], ...] = (),
    ) -> None:
        text = self.document.text[start:end]
        section = tuple(clip(name, self.label_limit) for name in section)
        self.chunks.append(
            Chunk(
                self.document.doc_id, len(self.chunks), text, start, end, section, page, kind, cells
            )
        )

    def flush(self) -> None:
        if any(b.kind != "heading" for b in self.group):
            first, last = self.group[0], self.group[-1]
            self._make(self._start_of(first), last.end, last.section, first.page)
        self.group = []

    def _start_of(self, block: Block) -> int:
        """Where a chunk opening with `block` starts: a list item keeps its marker, so
        that the chunk's first line still reads as an item."""
        if block.kind != "list_item":
            return block.start
        line_start = self.document.text.rfind("\n", 0, block.start) + 1
        marker = self.document.text[line_start : block.start]
        return line_start if LIST_MARK.fullmatch(marker) else block.start

    def _gap_has_text(self, block: Block) -> bool:
        if not self.group:
            return False
        gap = self.document.text[self.group[-1].end : block.start]
        return bool(MARKUP.sub("", gap).strip())

    def add(self, block: Block) -> None:
        if block.kind == "table_row":
            self.flush()
            self._make(block.start, block.end, block.section, block.page, "table_row", block.cells)
            return
        only_headings = all(b.kind == "heading" for b in self.group)
        if (block.kind == "heading" and not only_headings) or (
            self.group
            and (
                self._gap_has_text(block)
                or (block.section != self.group[-1].section and not only_headings)
                or block.end - self.group[0].start > self.limit
            )
        ):
            self.flush()
        if block.end - block.start > self.limit:
            self._add_long(block)
        else:
            self.group.append(block)

    def _add_long(self, block: Block) -> None:
        spans = list(_split_long(self.document, block, self.limit))
        head = self.group
        self.group = []
        for i, (start, end) in enumerate(spans):
            if i == 0 and head and end - head[0].start <= self.limit * 1.3:
                start = self._start_of(head[0])
            elif i == 0 and head:
                self.group = head
                self.flush()
            self._make(start, end, block.section, block.page)


LIST_MARK = re.compile(r"[ \t]*(?:[-•*–▪◦●]|\d{1,2}[.)])[ \t]+")


def chunk_document(document: Document, config: ChunkingConfig) -> list[Chunk]:
    grouper = _Grouper(document, config)
    for block in document.blocks:
        grouper.add(block)
    grouper.flush()
    return grouper.chunks
