"""The vector store: Chroma, embedded or as a server. Chroma is the source of truth.

The collections of a store: `<prefix>-chunks` (text, vectors, metadata),
`<prefix>-documents` (one record per document: its metadata, its extracted text and the
version that is live) and `<prefix>-spans` (each chunk's sentences, items and rows with
their own vectors; see `knowledge.span_store`), besides registers and a generation
token. Replacing a document is made atomic for readers by versioned chunks: new chunks
(and spans) are written first, invisible; the document record then switches to the new
version in one write; the old chunks are deleted last. A crash at any point leaves one
whole version visible, and leftovers are swept at the next write.

This module holds the records and the contract; `knowledge.chroma_store` the Chroma
implementation (imported here as `ChromaStore`), which also sees other processes'
writes."""

from __future__ import annotations

import functools
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field

import numpy as np

from ingest.untrusted import Flag
from knowledge.access import ACCESS_FIELD, OPEN_GROUP, Access
from knowledge.spans import StoredSpan
from knowledge.store_link import SUFFIXES, chroma_client

SCHEMA = "1"


@dataclass(frozen=True)
class DocumentRecord:
    doc_id: str
    file: str
    title: str
    version: str
    organisations: tuple[str, ...] = ()
    region: str = ""
    doc_type: str = ""
    date: str | None = None
    valid_until: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    n_chunks: int = 0
    ingested_at: str = ""
    flags: tuple[Flag, ...] = ()
    """What the text holds that is not plain statement (`ingest.untrusted`)."""
    access: tuple[str, ...] = (OPEN_GROUP,)
    """The groups that may read the document (`knowledge.access`)."""

    @functools.cached_property
    def key(self) -> str:
        """Identifies one version of one document (kept: a search at the sample ×1 000
        reads it for each of 4 000 records several times, 9 % of its time)."""
        return f"{self.doc_id}@{self.version}"

    @functools.cached_property
    def names(self) -> str:
        """The region and the organisations, the names a question may use for it."""
        return " ".join((self.region, *self.organisations))


@dataclass(frozen=True)
class ChunkRef:
    """A chunk named by a dense query: its id and version, not yet read."""

    chunk_id: str
    key: str


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: str
    doc_id: str
    version: str
    index: int
    text: str
    index_text: str
    char_start: int
    char_end: int
    section: str
    page: int | None
    kind: str
    cells: tuple[tuple[str, str], ...] = field(default=())

    @property
    def key(self) -> str:
        return f"{self.doc_id}@{self.version}"


@dataclass(frozen=True)
class Manifest:
    """The settings that shaped an index. A store refuses to open with others."""

    embedder: str
    dimension: int
    chunking: str
    analyzer: str
    registers: str = ""
    """Version of the register extractor (registers are extracted at ingest)."""
    spans: str = ""
    """Version of the span cutter (spans are cut and embedded at ingest)."""
    access: str = ""
    """Version of the access metadata (`knowledge.access.ACCESS_VERSION`)."""

    def describe(self) -> str:
        return (
            f"embedder={self.embedder} (dim {self.dimension}), chunking={self.chunking}, "
            f"analyzer={self.analyzer}, registers={self.registers or '-'}, "
            f"spans={self.spans or '-'}, access={self.access or '-'}"
        )


class VectorStore(ABC):
    """Contract, for every implementation (embedded and server Chroma share one test suite):

    - `put_document(record, text, chunks, vectors, registers, spans, span_vectors)`:
      before it returns, readers see the old version of the document (or none); after,
      exactly the new one. Never both, never neither; a failure part-way leaves the old
      version visible. `registers` (a JSON string) and `spans` belong to that version;
      the record's groups (`record.access`) go into the metadata of all of them.
    - `remove_document(doc_id)`: True if it existed; its chunks are gone from search.
    - `documents(access)`: the live records `access` may read, sorted by doc_id.
    - `document_text(doc_id)`: the extracted text that chunk offsets refer to.
    - `query(vector, k, keys, access)`: up to k chunks of the live versions named in
      `keys` (DocumentRecord.key) that `access` may read, most similar first, with cosine
      similarity. `nearest` (same arguments) names them without reading them
      (`ChunkRef`), and `hit_chunks(ids)` reads chunks it named (a search reads only
      those of its final results).
    - `chunks(keys)`: all chunks of those versions, in document order (for indexes).
    - `get_chunks(ids, access)`: the chunks with those ids that exist and `access` may
      read, in any order.
    - `spans(chunk_ids, access)`: the spans of those chunks with their vectors, chunk by
      chunk in the order given, each in text order; a removed or replaced version, or
      one `access` may not read, has none.
    - `registers(key, access)`: the registers JSON stored with that version, or None
      (also when `access` may not read it).
    - `manifest`: the settings the store was built with.

    `access` None reads every document (ingest and indexes); every read on behalf of a
    reader passes the reader's `Access`, which the store puts in its query.
    """

    manifest: Manifest

    @abstractmethod
    def put_document(
        self,
        record: DocumentRecord,
        text: str,
        chunks: Sequence[StoredChunk],
        vectors: np.ndarray,
        registers: str = "",
        spans: Sequence[StoredSpan] = (),
        span_vectors: np.ndarray | None = None,
    ) -> None: ...

    @abstractmethod
    def registers(self, key: str, access: Access | None = None) -> str | None: ...

    @abstractmethod
    def remove_document(self, doc_id: str) -> bool: ...

    @abstractmethod
    def documents(self, access: Access | None = None) -> list[DocumentRecord]: ...

    @abstractmethod
    def document_text(self, doc_id: str) -> str | None: ...

    @abstractmethod
    def query(
        self, vector: np.ndarray, k: int, keys: Sequence[str], access: Access | None = None
    ) -> list[tuple[StoredChunk, float]]: ...

    @abstractmethod
    def nearest(
        self, vector: np.ndarray, k: int, keys: Sequence[str], access: Access | None = None
    ) -> list[tuple[ChunkRef, float]]: ...

    @abstractmethod
    def hit_chunks(self, chunk_ids: Sequence[str]) -> dict[str, StoredChunk]: ...

    @abstractmethod
    def chunks(self, keys: Sequence[str]) -> list[StoredChunk]: ...

    @abstractmethod
    def get_chunks(
        self, chunk_ids: Sequence[str], access: Access | None = None
    ) -> list[StoredChunk]: ...

    @abstractmethod
    def spans(self, chunk_ids: Sequence[str], access: Access | None = None) -> list[StoredSpan]: ...

    def get_document(self, doc_id: str) -> DocumentRecord | None:
        return next((d for d in self.documents() if d.doc_id == doc_id), None)

    def pinned(self) -> AbstractContextManager[object]:
        """A block of reads on this thread that may share one snapshot of the store's
        cached state (see `knowledge.read_cache.Generation`); by default nothing is
        shared."""
        return nullcontext()


def chunk_metadata(chunk: StoredChunk) -> dict[str, object]:
    meta: dict[str, object] = {
        "doc_id": chunk.doc_id,
        "version": chunk.version,
        "key": chunk.key,
        "index": chunk.index,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
        "section": chunk.section,
        "kind": chunk.kind,
        "index_text": chunk.index_text,
        "cells": json.dumps(chunk.cells, ensure_ascii=False),
    }
    if chunk.page is not None:
        meta["page"] = chunk.page
    return meta


def chunk_from(chunk_id: str, text: str, meta: dict) -> StoredChunk:  # type: ignore[type-arg]
    return StoredChunk(
        chunk_id=chunk_id,
        doc_id=str(meta["doc_id"]),
        version=str(meta["version"]),
        index=int(meta["index"]),
        text=text,
        index_text=str(meta.get("index_text", text)),
        char_start=int(meta["char_start"]),
        char_end=int(meta["char_end"]),
        section=str(meta.get("section", "")),
        page=int(meta["page"]) if meta.get("page") is not None else None,
        kind=str(meta.get("kind", "text")),
        cells=tuple(tuple(c) for c in json.loads(str(meta.get("cells", "[]")))),  # type: ignore[misc]
    )


def record_metadata(record: DocumentRecord) -> dict[str, object]:
    data = asdict(record)
    data["organisations"] = json.dumps(list(record.organisations), ensure_ascii=False)
    data["flags"] = json.dumps([f.to_json() for f in record.flags], ensure_ascii=False)
    data[ACCESS_FIELD] = list(record.access)
    return {k: v for k, v in data.items() if v is not None}


def record_from(meta: dict) -> DocumentRecord:  # type: ignore[type-arg]
    data = dict(meta)
    data["organisations"] = tuple(json.loads(str(data.get("organisations", "[]"))))
    flags = (Flag.from_json(f) for f in json.loads(str(data.get("flags", "[]"))))
    data["flags"] = tuple(f for f in flags if f is not None)
    data[ACCESS_FIELD] = tuple(str(g) for g in data.get(ACCESS_FIELD) or ())
    known = DocumentRecord.__dataclass_fields__
    return DocumentRecord(**{k: v for k, v in data.items() if k in known})


COLLECTIONS = SUFFIXES


def drop_store(client, prefix: str) -> None:  # type: ignore[no-untyped-def]
    """Delete a store's collections, whatever settings built it (for a rebuild)."""
    existing = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    for suffix in COLLECTIONS:
        if f"{prefix}-{suffix}" in existing:
            client.delete_collection(f"{prefix}-{suffix}")


from knowledge.chroma_store import GENERATION, ChromaStore  # noqa: E402

__all__ = ["GENERATION", "ChromaStore", "chroma_client", "drop_store"]
