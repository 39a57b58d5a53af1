"""What a loader produces: a document's extracted text and its structure as spans of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ingest.untrusted import Flag

if TYPE_CHECKING:
    from ingest.personal_data import Finding

BlockKind = Literal["heading", "paragraph", "list_item", "table_row"]


@dataclass(frozen=True)
class Block:
    """One structural element. `Document.text[start:end]` is the block's text, verbatim."""

    kind: BlockKind
    start: int
    end: int
    section: tuple[str, ...]
    page: int | None = None
    level: int = 0
    """Heading depth (1 = top) for headings; nesting depth for list items."""
    cells: tuple[tuple[str, str], ...] = ()
    """For table rows: (column name, cell text) pairs in column order."""
    ocr: bool = False
    """The block was read by OCR from a scanned page."""
    page_breaks: tuple[tuple[int, int], ...] = ()
    """(offset in the document text, page) where the block runs on onto a new page: a
    paragraph broken by a page break starts on `page` and goes on on the next."""

    def page_at(self, offset: int) -> int | None:
        """The page of the block's text at `offset` (a document text offset)."""
        page = self.page
        for at, next_page in self.page_breaks:
            if offset >= at:
                page = next_page
        return page


@dataclass(frozen=True)
class ReadNotes:
    """What a reader knows beyond the text and blocks, for metadata inference."""

    furniture: tuple[str, ...] = ()
    """Page header and footer lines: read for metadata only, never text or blocks."""
    styled_headings: bool = False
    """Headings come from the file's markup (Word heading styles), not from line shapes,
    so a level-1 heading counts as a top heading as `# ` does in text."""


@dataclass
class DocumentMetadata:
    """Facts about a document, inferred from its content or set in a sidecar file."""

    title: str = ""
    organisations: list[str] = field(default_factory=list)
    region: str = ""
    doc_type: str = "dokument"
    date: str | None = None
    """The document's own date or adoption date, ISO yyyy-mm-dd or yyyy."""
    valid_until: str | None = None
    years: tuple[int, int] | None = None
    """First and last year the document concerns (dates, periods in the title, validity)."""
    access: list[str] = field(default_factory=list)
    """The groups that may read the document, from the sidecar's `access: [...]`; empty:
    the groups given at ingest, else the default of the settings (`knowledge.access`)."""


@dataclass
class Document:
    """A parsed document. `doc_id` is stable across re-ingestion of the same file name."""

    doc_id: str
    file: str
    text: str
    blocks: list[Block]
    metadata: DocumentMetadata
    content_hash: str
    flags: tuple[Flag, ...] = ()
    """Instruction-like text and links outside the allowed domains (`ingest.untrusted`)."""
    personal_data: tuple[Finding, ...] = ()
    """Private identifiers masked at ingest: kind and place (`ingest.personal_data`)."""

    @property
    def ocr_pages(self) -> list[int]:
        """The pages whose text was read by OCR (scanned pages), in order."""
        return sorted({b.page for b in self.blocks if b.ocr and b.page is not None})

    def block_text(self, block: Block) -> str:
        return self.text[block.start : block.end]
