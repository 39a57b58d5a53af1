"""The vector store: Chroma, embedded or as a server. Chroma is the source of truth.

The collections of a store: `<prefix>-chunks` (text, vectors, metadata),
`<prefix>-documents` (one record per document: its metadata, its extracted text and the
version that is live) and `<prefix>-spans` (each chunk's sentences, items and rows with
their own vectors; see `knowledge.span_store`), besides registers and a generation
token. Replacing a document is made atomic for readers by versioned chunks: new chunks
(and spans) are written first, invisible; the document record then switches to the new
version in one write; the old chunks are deleted last. A crash at any point leaves one
whole version visible, and leftovers are swept at the next write."""

from __future__ import annotations

import json
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from urllib.parse import urlparse

import numpy as np

from ingest.untrusted import Flag
from knowledge.read_cache import Generation, ReadCache
from knowledge.span_store import SpanCollection
from knowledge.spans import StoredSpan
from nara.errors import ConfigError, IndexMismatchError

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

    @property
    def key(self) -> str:
        """Identifies one version of one document."""
        return f"{self.doc_id}@{self.version}"


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

    def describe(self) -> str:
        return (
            f"embedder={self.embedder} (dim {self.dimension}), chunking={self.chunking}, "
            f"analyzer={self.analyzer}, registers={self.registers or '-'}, "
            f"spans={self.spans or '-'}"
        )


class VectorStore(ABC):
    """Contract, for every implementation (embedded and server Chroma share one test suite):

    - `put_document(record, text, chunks, vectors, registers, spans, span_vectors)`:
      before it returns, readers see the old version of the document (or none); after,
      exactly the new one. Never both, never neither; a failure part-way leaves the old
      version visible. `registers` (a JSON string) and `spans` belong to that version.
    - `remove_document(doc_id)`: True if it existed; its chunks are gone from search.
    - `documents()`: the live records, sorted by doc_id.
    - `document_text(doc_id)`: the extracted text that chunk offsets refer to.
    - `query(vector, k, keys)`: up to k chunks of the live versions named in `keys`
      (DocumentRecord.key), most similar first, with cosine similarity.
    - `chunks(keys)`: all chunks of those versions, in document order.
    - `get_chunks(ids)`: the chunks with those ids that exist, in any order.
    - `spans(chunk_ids)`: the spans of those chunks with their vectors, chunk by chunk in
      the order given, each in text order; a removed or replaced version has none.
    - `registers(key)`: the registers JSON stored with that version, or None.
    - `manifest`: the settings the store was built with.
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
    def registers(self, key: str) -> str | None: ...

    @abstractmethod
    def remove_document(self, doc_id: str) -> bool: ...

    @abstractmethod
    def documents(self) -> list[DocumentRecord]: ...

    @abstractmethod
    def document_text(self, doc_id: str) -> str | None: ...

    @abstractmethod
    def query(
        self, vector: np.ndarray, k: int, keys: Sequence[str]
    ) -> list[tuple[StoredChunk, float]]: ...

    @abstractmethod
    def chunks(self, keys: Sequence[str]) -> list[StoredChunk]: ...

    @abstractmethod
    def get_chunks(self, chunk_ids: Sequence[str]) -> list[StoredChunk]: ...

    @abstractmethod
    def spans(self, chunk_ids: Sequence[str]) -> list[StoredSpan]: ...

    def get_document(self, doc_id: str) -> DocumentRecord | None:
        return next((d for d in self.documents() if d.doc_id == doc_id), None)

    def pinned(self) -> AbstractContextManager[object]:
        """A block of reads on this thread that may share one snapshot of the store's
        cached state (see `knowledge.read_cache.Generation`); by default nothing is
        shared."""
        return nullcontext()


def _chunk_metadata(chunk: StoredChunk) -> dict[str, object]:
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


def _chunk_from(chunk_id: str, text: str, meta: dict) -> StoredChunk:  # type: ignore[type-arg]
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


def _record_metadata(record: DocumentRecord) -> dict[str, object]:
    data = asdict(record)
    data["organisations"] = json.dumps(list(record.organisations), ensure_ascii=False)
    data["flags"] = json.dumps([f.to_json() for f in record.flags], ensure_ascii=False)
    return {k: v for k, v in data.items() if v is not None}


def _record_from(meta: dict) -> DocumentRecord:  # type: ignore[type-arg]
    data = dict(meta)
    data["organisations"] = tuple(json.loads(str(data.get("organisations", "[]"))))
    flags = (Flag.from_json(f) for f in json.loads(str(data.get("flags", "[]"))))
    data["flags"] = tuple(f for f in flags if f is not None)
    known = DocumentRecord.__dataclass_fields__
    return DocumentRecord(**{k: v for k, v in data.items() if k in known})


def chroma_client(path: str | None = None, url: str | None = None):  # type: ignore[no-untyped-def]
    """An embedded client at `path`, or an HTTP client for a Chroma server at `url`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            raise ConfigError(
                f"NARA_CHROMA_URL '{url}' is not an http(s) URL.", "Use e.g. http://127.0.0.1:8000."
            )
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        return chromadb.HttpClient(
            host=parsed.hostname, port=port, ssl=parsed.scheme == "https", settings=chroma_settings
        )
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


GENERATION = "generation"
"""Id of the record in `<prefix>-meta` whose text changes with every committed write."""


COLLECTIONS = ("chunks", "documents", "registers", "meta", "spans")


def drop_store(client, prefix: str) -> None:  # type: ignore[no-untyped-def]
    """Delete a store's collections, whatever settings built it (for a rebuild)."""
    existing = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    for suffix in COLLECTIONS:
        if f"{prefix}-{suffix}" in existing:
            client.delete_collection(f"{prefix}-{suffix}")


class ChromaStore(VectorStore):
    def __init__(self, client, prefix: str, manifest: Manifest) -> None:  # type: ignore[no-untyped-def]
        self._client = client
        self._chunks = client.get_or_create_collection(
            f"{prefix}-chunks",
            metadata=self._manifest_metadata(manifest),
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        self._docs = client.get_or_create_collection(f"{prefix}-documents", embedding_function=None)
        self._registers = client.get_or_create_collection(
            f"{prefix}-registers", embedding_function=None
        )
        self._meta = client.get_or_create_collection(f"{prefix}-meta", embedding_function=None)
        self._spans = SpanCollection(client, prefix)
        self._cache = ReadCache()
        self._token = Generation(self._read_generation)
        self.manifest = self._check_manifest(manifest)

    @staticmethod
    def _manifest_metadata(manifest: Manifest) -> dict[str, object]:
        return {f"nara_{k}": v for k, v in asdict(manifest).items()} | {"nara_schema": SCHEMA}

    def _check_manifest(self, wanted: Manifest) -> Manifest:
        meta = self._chunks.metadata or {}
        stored = Manifest(
            embedder=str(meta.get("nara_embedder", "")),
            dimension=int(meta.get("nara_dimension", 0)),
            chunking=str(meta.get("nara_chunking", "")),
            analyzer=str(meta.get("nara_analyzer", "")),
            registers=str(meta.get("nara_registers", "")),
            spans=str(meta.get("nara_spans", "")),
        )
        if stored != wanted:
            raise IndexMismatchError(
                f"The store was built with {stored.describe()}, but the current settings "
                f"ask for {wanted.describe()}.",
                "Either set NARA_EMBEDDER / NARA_CHUNK_MAX_CHARS back to what the store was "
                "built with, or re-index: `nara ingest --rebuild PATH...` empties this store "
                "and ingests your documents again, or point NARA_DATA_DIR (or NARA_COLLECTION) "
                "at a new store and run `nara ingest` there.",
            )
        return stored

    # -- writes -----------------------------------------------------------------
    def put_document(
        self,
        record: DocumentRecord,
        text: str,
        chunks: Sequence[StoredChunk],
        vectors: np.ndarray,
        registers: str = "",
        spans: Sequence[StoredSpan] = (),
        span_vectors: np.ndarray | None = None,
    ) -> None:
        old = self.get_document(record.doc_id)
        keep = {record.version, old.version if old else ""}
        self._sweep(record.doc_id, keep)
        self._spans.sweep(record.doc_id, keep)
        if chunks:
            for i in range(0, len(chunks), 500):
                part = chunks[i : i + 500]
                self._chunks.upsert(
                    ids=[c.chunk_id for c in part],
                    embeddings=vectors[i : i + 500].tolist(),
                    documents=[c.text for c in part],
                    metadatas=[_chunk_metadata(c) for c in part],  # type: ignore[misc]
                )
        if spans:
            if span_vectors is None or len(span_vectors) != len(spans):
                raise ValueError("put_document needs one vector per span")
            self._spans.put(spans, span_vectors)
        self._registers.upsert(
            ids=[record.key],
            embeddings=[[1.0]],
            documents=[registers or "{}"],
            metadatas=[{"doc_id": record.doc_id}],
        )
        self._docs.upsert(  # the commit point: one record switches version
            ids=[record.doc_id],
            embeddings=[[1.0]],
            documents=[text],
            metadatas=[_record_metadata(record)],  # type: ignore[list-item]
        )
        self._touch()
        if old and old.version != record.version:
            self._chunks.delete(where={"key": old.key})
            self._spans.delete_version(old.key)
            self._registers.delete(ids=[old.key])

    def sweep_document(self, record: DocumentRecord) -> None:
        """Delete what other versions of `record`'s document left behind (a write killed
        after its commit leaves the old chunks, spans and registers, hidden): for an
        unchanged document, which is not written again and so never swept otherwise."""
        keep = {record.version}
        self._sweep(record.doc_id, keep)
        self._spans.sweep(record.doc_id, keep)
        found = self._registers.get(where={"doc_id": record.doc_id}, include=[])
        stale = [i for i in found["ids"] if i != record.key]
        if stale:
            self._registers.delete(ids=stale)

    def _sweep(self, doc_id: str, keep: set[str]) -> None:
        found = self._chunks.get(where={"doc_id": doc_id}, include=["metadatas"])
        stale = [
            i
            for i, m in zip(found["ids"], found["metadatas"] or [], strict=True)
            if m.get("version") not in keep
        ]
        if stale:
            self._chunks.delete(ids=stale)

    def remove_document(self, doc_id: str) -> bool:
        existed = self.get_document(doc_id) is not None
        self._docs.delete(ids=[doc_id])  # the commit point: chunks become invisible
        self._touch()
        self._chunks.delete(where={"doc_id": doc_id})
        self._spans.delete_document(doc_id)
        self._registers.delete(where={"doc_id": doc_id})
        return existed

    # -- reads ------------------------------------------------------------------
    def _touch(self) -> None:
        """A new generation token, right after a commit (before old chunks are deleted),
        so that every reader's cache, in this process or another, is invalidated."""
        token = uuid.uuid4().hex
        self._meta.upsert(ids=[GENERATION], embeddings=[[1.0]], documents=[token], metadatas=None)
        self._token.wrote(token)

    def _read_generation(self) -> str:
        found = self._meta.get(ids=[GENERATION], include=["documents"])
        return (found["documents"] or [""])[0]

    def _generation(self) -> str:
        return self._token.current()

    def pinned(self) -> AbstractContextManager[object]:
        return self._token.pinned()

    def documents(self) -> list[DocumentRecord]:
        generation = self._generation()
        cached = self._cache.records(generation)
        if cached is not None:
            return cached
        found = self._docs.get(include=["metadatas"])
        records = sorted(
            (_record_from(m) for m in found["metadatas"] or []), key=lambda r: r.doc_id
        )
        self._cache.keep_records(generation, records)
        return list(records)

    def registers(self, key: str) -> str | None:
        found = self._registers.get(ids=[key], include=["documents"])
        docs = found["documents"] or []
        return docs[0] if docs else None

    def document_text(self, doc_id: str) -> str | None:
        generation = self._generation()
        text = self._cache.text(generation, doc_id)
        if text is None:
            found = self._docs.get(ids=[doc_id], include=["documents"])
            text = (found["documents"] or [None])[0]
            if text is not None:
                self._cache.keep_text(generation, doc_id, text)
        return text

    def query(
        self, vector: np.ndarray, k: int, keys: Sequence[str]
    ) -> list[tuple[StoredChunk, float]]:
        if not keys or k <= 0:
            return []
        where = {"key": keys[0]} if len(keys) == 1 else {"key": {"$in": list(keys)}}
        found = self._chunks.query(
            query_embeddings=[vector.tolist()], n_results=k, where=where, include=["distances"]
        )
        ids, dists = found["ids"][0], (found["distances"] or [[]])[0]
        chunks = self._cached_chunks(ids)
        return [(chunks[i], 1.0 - float(d)) for i, d in zip(ids, dists, strict=True) if i in chunks]

    def _cached_chunks(self, chunk_ids: Sequence[str]) -> dict[str, StoredChunk]:
        """Those chunks by id, from the read cache, the others read and kept (a chunk
        deleted meanwhile is left out, as a search a moment later would)."""
        generation = self._generation()
        have = self._cache.chunks(generation, chunk_ids)
        missing = [c for c in chunk_ids if c not in have]
        if missing:
            fetched = self.get_chunks(missing)
            self._cache.keep_chunks(generation, fetched)
            have.update((c.chunk_id, c) for c in fetched)
        return have

    def chunks(self, keys: Sequence[str]) -> list[StoredChunk]:
        if not keys:
            return []
        out: list[StoredChunk] = []
        for i in range(0, len(keys), 100):
            part = list(keys[i : i + 100])
            where = {"key": part[0]} if len(part) == 1 else {"key": {"$in": part}}
            found = self._chunks.get(where=where, include=["documents", "metadatas"])
            out += [
                _chunk_from(cid, text, meta)
                for cid, text, meta in zip(
                    found["ids"], found["documents"] or [], found["metadatas"] or [], strict=True
                )
            ]
        return sorted(out, key=lambda c: (c.doc_id, c.index))

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[StoredChunk]:
        if not chunk_ids:
            return []
        found = self._chunks.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        return [
            _chunk_from(cid, text, meta)
            for cid, text, meta in zip(
                found["ids"], found["documents"] or [], found["metadatas"] or [], strict=True
            )
        ]

    def spans(self, chunk_ids: Sequence[str]) -> list[StoredSpan]:
        return self._spans.for_chunks(chunk_ids, self._generation()) if chunk_ids else []
