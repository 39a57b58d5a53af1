"""Spans: the quotable pieces of a chunk, cut at ingest and stored with their own vectors.

A span is a sentence, a list item (an item opening with a short label, "Ledarskapet. Det
krävs …", keeps the label with its first sentence) or a table row. Every span is a
verbatim range of the document's extracted text (`text == document.text[char_start:
char_end]`) inside its chunk, and carries the page it stands on (from the document's
blocks, not the chunk's first page). List marks and surrounding whitespace are outside
the range.

Regions: consecutive paragraph blocks separated by a single line break are cut as one
text (a block boundary at "kl.⏎8–17" is a wrapped line, not a sentence end), and so is a
list item with the paragraph lines that follow it directly; headings and table rows are
regions of their own. `knowledge.sentences` cuts each region into sentences.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ingest import Block, Document
from knowledge.sentences import sentences

SPANS_VERSION = "spans-v1"
"""Recorded in the store's manifest: a change of the cutter asks for a re-index."""
LABEL_WORDS = 3
"""An item's first sentence of at most this many words is a label ("Ledarskapet.")."""
MIN_CHARS = 3
"""Pieces shorter than this ("a)", "–") are no span, nor pieces without a letter or
digit (a Markdown table's "|---|---|" rule)."""
EMBED_MAX_CHARS = 1200
"""What of a span is embedded: the e5 models read 512 tokens, and Swedish text runs at
about 3–4 characters per token of their tokenizer, so 1200 characters stay inside."""
LEADING_MARK = re.compile(r"\s*(?:(?:[-•*–▪◦●]|\d{1,2}[.)]|#{1,6})\s+)?")
Piece = tuple[int, int, str, bool]
"""(start, end, kind, opens_line) of one span."""
ITEM_LINE = re.compile(r"\s*(?:[-•*–▪◦●]|\d{1,2}[.)])\s")


@dataclass(frozen=True)
class StoredSpan:
    """One span of one chunk. `vector` (the span's passage embedding) is filled when
    read from the store; it takes no part in equality."""

    span_id: str
    chunk_id: str
    doc_id: str
    version: str
    index: int
    """Position in its chunk, from 0."""
    text: str
    char_start: int
    char_end: int
    kind: str
    """"sentence", "item", "row" or "heading"."""
    page: int | None
    opens_line: bool
    """The span starts its line (behind a list mark): an item's first sentence."""
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> str:
        return f"{self.doc_id}@{self.version}"


@dataclass(frozen=True)
class ChunkRange:
    """What the cutter needs of a chunk."""

    chunk_id: str
    char_start: int
    char_end: int
    kind: str


@dataclass
class _Region:
    start: int
    end: int
    kind: str  # "paragraph", "item", "heading" or "row"


def embed_text(span: StoredSpan) -> str:
    """The text embedded for a span: its words, cut to the model window."""
    return " ".join(span.text.split())[:EMBED_MAX_CHARS]


def page_at(blocks: Sequence[Block], starts: Sequence[int], offset: int) -> int | None:
    """The page of the text at `offset`: that of the last block starting at or before it
    (`starts` are the blocks' starts, ascending)."""
    i = bisect.bisect_right(starts, offset) - 1
    return blocks[i].page_at(offset) if i >= 0 else (blocks[0].page if blocks else None)


def cut_document(document: Document, chunks: Sequence[ChunkRange]) -> list[StoredSpan]:
    """The spans of every chunk of `document`, chunk by chunk, in text order."""
    blocks = sorted(document.blocks, key=lambda b: b.start)
    starts = [b.start for b in blocks]
    out: list[StoredSpan] = []
    for chunk in chunks:
        regions = _regions(document.text, blocks, starts, chunk)
        pieces = [p for r in regions for p in _pieces(document.text, r)]
        for i, (start, end, kind, opens) in enumerate(pieces):
            out.append(
                StoredSpan(
                    span_id=f"{chunk.chunk_id}/{i}",
                    chunk_id=chunk.chunk_id,
                    doc_id=document.doc_id,
                    version=document.content_hash,
                    index=i,
                    text=document.text[start:end],
                    char_start=start,
                    char_end=end,
                    kind=kind,
                    page=page_at(blocks, starts, start),
                    opens_line=opens,
                )
            )
    return out


def cut_text(text: str, start: int, end: int, row: bool = False) -> list[Piece]:
    """(start, end, kind, opens_line) of the spans of `text[start:end]` when no blocks are
    known: each run of lines is a region, a line opening with a list mark an item."""
    regions = [_Region(start, end, "row")] if row else _line_regions(text, start, end)
    return [p for r in regions for p in _pieces(text, r)]


def _line_regions(text: str, start: int, end: int) -> list[_Region]:
    regions: list[_Region] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        a, b = start + line.start(), start + line.end()
        item = bool(ITEM_LINE.match(line.group()))
        if regions and not item and text[regions[-1].end : a] == "\n":
            regions[-1].end = b
        else:
            regions.append(_Region(a, b, "item" if item else "paragraph"))
    return regions


def _regions(
    text: str, blocks: Sequence[Block], starts: Sequence[int], chunk: ChunkRange
) -> list[_Region]:
    if chunk.kind == "table_row":
        return [_Region(chunk.char_start, chunk.char_end, "row")]
    first = max(0, bisect.bisect_right(starts, chunk.char_start) - 1)
    regions: list[_Region] = []
    for i in range(first, len(blocks)):  # not blocks[first:]: a copy per chunk is quadratic
        block = blocks[i]
        if block.start >= chunk.char_end:
            break
        start, end = max(block.start, chunk.char_start), min(block.end, chunk.char_end)
        if start >= end:
            continue
        kind = {"list_item": "item", "table_row": "row"}.get(block.kind, block.kind)
        last = regions[-1] if regions else None
        joins = last is not None and kind == "paragraph" and last.kind in ("paragraph", "item")
        if joins and last is not None and _single_break(text[last.end : start]):
            last.end = end
        else:
            regions.append(_Region(start, end, kind))
    if not regions:  # no block inside the chunk: cut its text as lines
        return _line_regions(text, chunk.char_start, chunk.char_end)
    return regions


def _single_break(gap: str) -> bool:
    return gap.count("\n") == 1 and not gap.strip()


def _pieces(text: str, region: _Region) -> list[Piece]:
    """(start, end, kind, opens_line) of the spans of one region."""
    if region.kind in ("row", "heading"):
        start, end = _trimmed(text, region.start, region.end)
        return [(start, end, region.kind, True)] if _quotable(text[start:end]) else []
    cuts = sentences(text, region.start, region.end)
    if region.kind == "item" and len(cuts) > 1 and _is_label(text, cuts[0], cuts[1]):
        cuts = [(cuts[0][0], cuts[1][1]), *cuts[2:]]
    out = []
    kind = "item" if region.kind == "item" else "sentence"
    for i, (a, b) in enumerate(cuts):
        start, end = _trimmed(text, a, b)
        opens = _opens_line(text, start)
        if i and opens:  # a line after the item's own: the paragraph that follows it
            kind = "sentence"
        if _quotable(text[start:end]):
            out.append((start, end, kind, opens))
    return out


def _quotable(piece: str) -> bool:
    return len(piece) >= MIN_CHARS and any(ch.isalnum() for ch in piece)


def _is_label(text: str, first: tuple[int, int], second: tuple[int, int]) -> bool:
    """A short first sentence of an item with the next one on the same line."""
    label = LEADING_MARK.sub("", text[first[0] : first[1]], count=1)
    return len(label.split()) <= LABEL_WORDS and "\n" not in text[first[1] : second[0]]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Without a leading list mark or heading mark, nor surrounding whitespace."""
    piece = text[start:end]
    start += len(piece) - len(LEADING_MARK.sub("", piece, count=1))
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _opens_line(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return not LEADING_MARK.sub("", text[line_start:start], count=1).strip()
