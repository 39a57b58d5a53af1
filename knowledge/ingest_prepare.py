"""What a document write stores, made before the write lock is taken: its chunks, spans,
their vectors and its registers (`prepare`). Embedding is the slow part of a write
(seconds a document with e5); the lock is held only for the commit into the store
(`knowledge.base.KnowledgeBase`), so other writers, on this machine or another, wait
for Chroma writes, not for embedding."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingest import Document
from ingest.limits import IngestLimits, check_count
from knowledge.chunking import ChunkingConfig, chunk_document, index_text
from knowledge.embedders import Embedder
from knowledge.ingest_run import Cancel, embed_distinct, record_of
from knowledge.registers import extract_registers
from knowledge.spans import ChunkRange, StoredSpan, cut_document, embed_text
from knowledge.store import DocumentRecord, StoredChunk
from nara.errors import IngestError


@dataclass(frozen=True)
class Prepared:
    """One version of one document, ready for `VectorStore.put_document`."""

    record: DocumentRecord
    text: str
    chunks: list[StoredChunk]
    vectors: np.ndarray
    registers: str
    spans: list[StoredSpan]
    span_vectors: np.ndarray


def stored_chunks(document: Document, chunking: ChunkingConfig, source: str) -> list[StoredChunk]:
    """The document's chunks as stored, ids naming its version. `IngestError` naming
    `source` when it has no text to chunk."""
    chunks = chunk_document(document, chunking)
    if not chunks:
        raise IngestError(
            source,
            "innehåller bara rubriker: ingen text att söka i eller citera.",
            "Kontrollera att rätt fil valdes; en skannad fil behöver OCR (tesseract-ocr-swe).",
        )
    return [
        StoredChunk(
            chunk_id=f"{c.doc_id}@{document.content_hash}#{c.index}",
            doc_id=c.doc_id,
            version=document.content_hash,
            index=c.index,
            text=c.text,
            index_text=index_text(document, c, chunking.max_label_chars),
            char_start=c.char_start,
            char_end=c.char_end,
            section=c.section_label,
            page=c.page,
            kind=c.kind,
            cells=c.cells,
        )
        for c in chunks
    ]


def prepare(
    document: Document,
    chunking: ChunkingConfig,
    limits: IngestLimits,
    embedder: Embedder,
    cancel: Cancel,
    source: str,
) -> Prepared:
    """Chunks, spans, vectors and registers of one document. Over the chunk or span
    limit, `IngestError` naming `source` (the file's path) before anything is embedded;
    `IngestCancelledError` when `cancel` is set before an embedding batch."""
    stored = stored_chunks(document, chunking, source)
    check_count(
        source, "Antalet delar (chunks)", len(stored), limits.max_chunks, "ingest_max_chunks"
    )
    ranges = [ChunkRange(c.chunk_id, c.char_start, c.char_end, c.kind) for c in stored]
    spans = cut_document(document, ranges)
    check_count(
        source,
        "Antalet meningar och rader (spans)",
        len(spans),
        limits.max_spans,
        "ingest_max_spans",
    )
    vectors = embed_distinct(embedder, [c.index_text for c in stored], cancel)
    span_vectors = embed_distinct(embedder, [embed_text(s) for s in spans], cancel)
    cancel.check()
    return Prepared(
        record_of(document, len(stored)),
        document.text,
        stored,
        vectors,
        extract_registers(document).to_json(),
        spans,
        span_vectors,
    )
