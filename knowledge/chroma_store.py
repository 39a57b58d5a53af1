"""`ChromaStore`: the `VectorStore` contract (see `knowledge.store`) on Chroma, embedded or
as a server. How it reaches Chroma, and sees other processes' writes, is
`knowledge.chroma_access`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from knowledge.access import ACCESS_FIELD, Access
from knowledge.chroma_access import GENERATION, ChromaAccess
from knowledge.dense_query import unfiltered_size, where_keys
from knowledge.read_cache import ReadCache
from knowledge.span_store import SPANS_COLLECTION, SpanCollection, versions_of
from knowledge.spans import StoredSpan
from knowledge.store import (
    ChunkRef,
    DocumentRecord,
    Manifest,
    StoredChunk,
    VectorStore,
    chunk_from,
    chunk_metadata,
    record_from,
    record_metadata,
)
from knowledge.store_link import Client, Opened

__all__ = ["GENERATION", "ChromaStore"]

BATCH = 500
"""Chunks per Chroma write."""
VECTOR = {"configuration": {"hnsw": {"space": "cosine"}}, "embedding_function": None}
PLAIN = {"embedding_function": None}


class ChromaStore(ChromaAccess, VectorStore):
    """`client`: a Chroma client; `open_client` makes the client of a reopening (for an
    embedded store `knowledge.store_link.private_client`, so that the index is read from
    disk again); `location` names where the store lives in a disk-full message."""

    def __init__(
        self,
        client: Any,
        prefix: str,
        manifest: Manifest,
        open_client: Callable[[], Client] | None = None,
        location: str = "",
    ) -> None:
        create: dict[str, dict[str, Any]] = {
            "chunks": {**VECTOR, "metadata": self._manifest_metadata(manifest)},
            "documents": PLAIN,
            "registers": PLAIN,
            "meta": PLAIN,
            "spans": dict(SPANS_COLLECTION),
        }
        super().__init__(client, prefix, manifest, open_client, location, create)
        self._spans = SpanCollection(self._link.current.spans)
        self._cache = ReadCache()

    def _reopened(self, opened: Opened) -> None:
        self._spans.collection = opened.spans

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
        if spans and (span_vectors is None or len(span_vectors) != len(spans)):
            raise ValueError("put_document needs one vector per span")
        old = self.get_document(record.doc_id)
        keep = {record.version, old.version if old else ""}
        groups = {ACCESS_FIELD: list(record.access)}

        def write(c: Opened) -> None:
            self._sweep(c, record.doc_id, keep)
            self._spans.sweep(c.spans, record.doc_id, keep)
            for i in range(0, len(chunks), BATCH):
                part = chunks[i : i + BATCH]
                c.chunks.upsert(
                    ids=[x.chunk_id for x in part],
                    embeddings=vectors[i : i + BATCH].tolist(),
                    documents=[x.text for x in part],
                    metadatas=[chunk_metadata(x) | groups for x in part],
                )
            if spans and span_vectors is not None:
                self._spans.put(c.spans, spans, span_vectors, record.access)
            c.registers.upsert(
                ids=[record.key],
                embeddings=[[1.0]],
                documents=[registers or "{}"],
                metadatas=[{"doc_id": record.doc_id} | groups],
            )
            c.documents.upsert(  # the commit point: one record switches version
                ids=[record.doc_id],
                embeddings=[[1.0]],
                documents=[text],
                metadatas=[record_metadata(record)],
            )
            self._touch(c)
            if old and old.version != record.version:
                c.chunks.delete(where={"key": old.key})
                self._spans.delete_version(c.spans, old.key)
                c.registers.delete(ids=[old.key])

        self._write(write)

    def sweep_document(self, record: DocumentRecord) -> None:
        """Delete what other versions of `record`'s document left behind (a write killed
        after its commit leaves the old chunks, spans and registers, hidden): for an
        unchanged document, which is not written again and so never swept otherwise."""
        keep = {record.version}

        def write(c: Opened) -> None:
            self._sweep(c, record.doc_id, keep)
            self._spans.sweep(c.spans, record.doc_id, keep)
            found = c.registers.get(where={"doc_id": record.doc_id}, include=[])
            stale = [i for i in found["ids"] if i != record.key]
            if stale:
                c.registers.delete(ids=stale)

        self._write(write)

    @staticmethod
    def _sweep(c: Opened, doc_id: str, keep: set[str]) -> None:
        found = c.chunks.get(where={"doc_id": doc_id}, include=["metadatas"])
        stale = [
            i
            for i, m in zip(found["ids"], found["metadatas"] or [], strict=True)
            if m.get("version") not in keep
        ]
        if stale:
            c.chunks.delete(ids=stale)

    def remove_document(self, doc_id: str) -> bool:
        existed = self.get_document(doc_id) is not None

        def write(c: Opened) -> None:
            c.documents.delete(ids=[doc_id])  # the commit point: chunks become invisible
            self._touch(c)
            c.chunks.delete(where={"doc_id": doc_id})
            self._spans.delete_document(c.spans, doc_id)
            c.registers.delete(where={"doc_id": doc_id})

        self._write(write)
        return existed

    def _touch(self, c: Opened) -> None:
        """A new generation token, right after a commit (before old chunks are deleted),
        so that every reader's cache, in this process or another, is invalidated."""
        token = self._own_token()
        c.meta.upsert(ids=[GENERATION], embeddings=[[1.0]], documents=[token], metadatas=None)
        self._token.wrote(token)

    # -- reads ------------------------------------------------------------------
    def documents(self, access: Access | None = None) -> list[DocumentRecord]:
        """The live records `access` may read (read with its filter, then kept for the
        store generation per reader scope)."""
        generation = self._generation()
        scope = access.scope if access else "*"
        cached = self._cache.records(generation, scope)
        if cached is not None:
            return cached
        where = access.where() if access else None
        found = self._read(lambda c: c.documents.get(where=where, include=["metadatas"]))
        records = sorted((record_from(m) for m in found["metadatas"] or []), key=lambda r: r.doc_id)
        self._cache.keep_records(generation, records, scope)
        return list(records)

    def registers(self, key: str, access: Access | None = None) -> str | None:
        where = access.where() if access else None
        found = self._read(lambda c: c.registers.get(ids=[key], where=where, include=["documents"]))
        docs = found["documents"] or []
        return str(docs[0]) if docs else None

    def document_text(self, doc_id: str) -> str | None:
        generation = self._generation()
        text = self._cache.text(generation, doc_id)
        if text is None:
            found = self._read(lambda c: c.documents.get(ids=[doc_id], include=["documents"]))
            text = (found["documents"] or [None])[0]
            if text is not None:
                self._cache.keep_text(generation, doc_id, text)
        return text

    def query(
        self, vector: np.ndarray, k: int, keys: Sequence[str], access: Access | None = None
    ) -> list[tuple[StoredChunk, float]]:
        hits = self.nearest(vector, k, keys, access)
        chunks = self.hit_chunks([ref.chunk_id for ref, _ in hits])
        return [(chunks[ref.chunk_id], s) for ref, s in hits if ref.chunk_id in chunks]

    def hit_chunks(self, chunk_ids: Sequence[str]) -> dict[str, StoredChunk]:
        """Chunks a dense query named (`nearest`), from the read cache or read and kept."""
        return self._cached_chunks(chunk_ids)

    def nearest(
        self, vector: np.ndarray, k: int, keys: Sequence[str], access: Access | None = None
    ) -> list[tuple[ChunkRef, float]]:
        """See `knowledge.dense_query`: unfiltered with a margin when `keys` admit most of
        the store, filtered otherwise or when the margin did not suffice. Only the versions
        of `keys` that `documents(access)` (a read holding the reader's filter) returned
        are searched: the unfiltered plan keeps only their chunks, and the filtered one
        selects them by key (`Access.admitted`), which Chroma matches through its metadata
        index, not by the groups' `$contains`, which it evaluates by scanning the
        collection (issue #15)."""
        if not keys or k <= 0:
            return []
        wanted = set(keys)
        if access is not None and not access.all_documents:
            wanted &= {d.key for d in self.documents(access)}
        size = unfiltered_size(k, wanted, self.documents())
        if size is not None:
            hits, complete = self._nearest(vector, size, None)
            kept = [(ref, score) for ref, score in hits if ref.key in wanted]
            if len(kept) >= k or complete:
                return kept[:k]
        if not wanted:
            return []
        return self._nearest(vector, k, where_keys(sorted(wanted)))[0]

    def _nearest(
        self, vector: np.ndarray, n: int, where: dict[str, object] | None
    ) -> tuple[list[tuple[ChunkRef, float]], bool]:
        """The n nearest chunks (of `where`), and whether Chroma had fewer to give. Their
        versions come from their ids (`<key>#<index>`), so no chunk is read: at the sample
        ×1 000 reading the 120 of an unfiltered query took 16 ms, the query 3 ms."""
        found = self._read(
            lambda c: c.chunks.query(
                query_embeddings=[vector.tolist()], n_results=n, where=where, include=["distances"]
            )
        )
        ids, dists = found["ids"][0], (found["distances"] or [[]])[0]
        if versions_of(ids) is None:  # ids of another form: their chunks tell the version
            chunks = self._cached_chunks(ids)
            keys = {i: chunks[i].key for i in ids if i in chunks}
        else:
            keys = {i: i.rsplit("#", 1)[0] for i in ids}
        hits = [
            (ChunkRef(i, keys[i]), 1.0 - float(d))
            for i, d in zip(ids, dists, strict=True)
            if i in keys
        ]
        return hits, len(ids) < n

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
        out: list[StoredChunk] = []
        for i in range(0, len(keys), 100):
            part = list(keys[i : i + 100])
            out += _chunks_of(self._read(_get_by_keys(part)))
        return sorted(out, key=lambda c: (c.doc_id, c.index))

    def get_chunks(
        self, chunk_ids: Sequence[str], access: Access | None = None
    ) -> list[StoredChunk]:
        if not chunk_ids:
            return []
        ids = list(chunk_ids)
        keys = versions_of(ids)
        where = access.by_id(where_keys(sorted(keys)) if keys else None, keys) if access else None
        found = self._read(
            lambda c: c.chunks.get(ids=ids, where=where, include=["documents", "metadatas"])
        )
        return _chunks_of(found)

    def spans(self, chunk_ids: Sequence[str], access: Access | None = None) -> list[StoredSpan]:
        if not chunk_ids:
            return []
        generation = self._generation()
        return self._read(lambda c: self._spans.for_chunks(c.spans, chunk_ids, generation, access))


def _get_by_keys(keys: list[str]) -> Callable[[Opened], Any]:
    where = where_keys(keys)
    return lambda c: c.chunks.get(where=where, include=["documents", "metadatas"])


def _chunks_of(found: Any) -> list[StoredChunk]:
    return [
        chunk_from(cid, text, meta)
        for cid, text, meta in zip(
            found["ids"], found["documents"] or [], found["metadatas"] or [], strict=True
        )
    ]
