"""`ChromaStore`: the `VectorStore` contract (see `knowledge.store`) on Chroma, embedded or
as a server, for a process among others that read and write the same store.

Another process's write is seen at the next read: every read checks the store's
generation token, and a token this store did not write makes it reopen its collections
(`knowledge.store_link`), so an embedded index is never read stale. A read that Chroma
fails (a stale index, collections dropped by a rebuild) is tried once more on reopened
collections; if it fails again, `StoreUnavailableError` (a 503, never a 500). A write
that fails for lack of disk space is a `DiskFullError` naming where the store lives;
reads go on, from collections reopened after the failed write.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict
from typing import Any, TypeVar

import numpy as np

from knowledge.read_cache import Generation, ReadCache
from knowledge.span_store import SPANS_COLLECTION, SpanCollection
from knowledge.spans import StoredSpan
from knowledge.store import (
    SCHEMA,
    DocumentRecord,
    Manifest,
    StoredChunk,
    VectorStore,
    chunk_from,
    chunk_metadata,
    record_from,
    record_metadata,
)
from knowledge.store_faults import write_failure
from knowledge.store_link import Client, Opened, StoreLink, unavailable
from nara.errors import IndexMismatchError, NaraError, StoreUnavailableError

T = TypeVar("T")

GENERATION = "generation"
"""Id of the record in `<prefix>-meta` whose text changes with every committed write."""
BATCH = 500
"""Chunks per Chroma write."""
OWN_TOKENS = 64
"""Generation tokens this store wrote that it remembers: a reader seeing one of them
knows its collections are current (64 writes is far more than can race one read)."""
VECTOR = {"configuration": {"hnsw": {"space": "cosine"}}, "embedding_function": None}
PLAIN = {"embedding_function": None}


class ChromaStore(VectorStore):
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
        self._link = StoreLink(client, prefix, create, open_client)
        self._location = location
        self._spans = SpanCollection(self._link.current.spans)
        self._cache = ReadCache()
        self._token = Generation(self._read_generation)
        self._reopen_lock = threading.Lock()
        self._own: deque[str] = deque(maxlen=OWN_TOKENS)
        self._mismatch: IndexMismatchError | None = None
        self._stale = False  # a failed write could not be followed by a reopen
        self._wanted = manifest
        with self._link.use() as opened:
            self.manifest = self._check_manifest(opened, manifest)
            self._opened_at = self._token_of(opened)

    # the current collections, by their names of old (tests look at them)
    @property
    def _chunks(self) -> Any:
        return self._link.current.chunks

    @property
    def _docs(self) -> Any:
        return self._link.current.documents

    @property
    def _registers(self) -> Any:
        return self._link.current.registers

    @property
    def _meta(self) -> Any:
        return self._link.current.meta

    @staticmethod
    def _manifest_metadata(manifest: Manifest) -> dict[str, object]:
        return {f"nara_{k}": v for k, v in asdict(manifest).items()} | {"nara_schema": SCHEMA}

    @staticmethod
    def _check_manifest(opened: Opened, wanted: Manifest) -> Manifest:
        meta = opened.chunks.metadata or {}
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

    # -- reaching Chroma ---------------------------------------------------------
    def _read(self, call: Callable[[Opened], T], *, checked: bool = True) -> T:
        """`call` on the current collections; once more on reopened ones if Chroma fails
        it; `StoreUnavailableError` if it fails again. `checked`: refuse while the
        reopened store was built with other settings (`IndexMismatchError`)."""
        if checked and self._mismatch is not None:
            raise self._mismatch
        try:
            with self._link.use() as opened:
                return call(opened)
        except NaraError:
            raise
        except Exception:
            self._reopen()
        try:
            with self._link.use() as opened:
                return call(opened)
        except NaraError:
            raise
        except Exception as exc:
            raise unavailable(exc) from exc

    def _write(self, call: Callable[[Opened], T]) -> T:
        """`call` on the current collections; a failure leaves this store reopened (its
        in-memory state may hold part of the failed write; if it cannot be reopened, as
        on a full disk, the next write reopens it first), and lack of space becomes
        `DiskFullError`."""
        if self._stale:
            self._reopen_for_write()
        try:
            with self._link.use() as opened:
                return call(opened)
        except NaraError:
            raise
        except Exception as exc:
            failure = write_failure(exc, self._location)
            self._stale = True
            with contextlib.suppress(NaraError):  # reads go on with what is open
                self._reopen()
                self._stale = False
            if failure is None:
                raise
            raise failure from exc

    def _reopen_for_write(self) -> None:
        try:
            self._reopen()
        except StoreUnavailableError as err:
            cause = err.__cause__
            failure = write_failure(cause, self._location) if cause else None
            raise (failure or err) from cause
        self._stale = False

    def _reopen(self, seen: str | None = None) -> None:
        """Reopen the collections (`seen`: the foreign token that called for it; a reader
        that finds it already handled by another thread does nothing)."""
        with self._reopen_lock:
            if seen is not None and seen == self._opened_at:
                return
            opened = self._link.reopen()
            self._spans.collection = opened.spans
            try:
                self._check_manifest(opened, self._wanted)
                self._mismatch = None
            except IndexMismatchError as err:
                self._mismatch = err
            self._opened_at = self._token_of(opened) if seen is None else seen
        if self._mismatch is not None:
            raise self._mismatch

    def refresh(self) -> None:
        """See writes by other processes now (a writer calls this under the write lock,
        so that it never writes through a stale index)."""
        self._read_generation()

    @staticmethod
    def _token_of(opened: Opened) -> str:
        found = opened.meta.get(ids=[GENERATION], include=["documents"])
        return str((found["documents"] or [""])[0])

    def _read_generation(self) -> str:
        token = self._read(self._token_of, checked=False)
        if token != self._opened_at and token not in self._own:
            self._reopen(token)
        if self._mismatch is not None:
            raise self._mismatch
        return token

    def _generation(self) -> str:
        return self._token.current()

    def pinned(self) -> AbstractContextManager[object]:
        return self._token.pinned()

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

        def write(c: Opened) -> None:
            self._sweep(c, record.doc_id, keep)
            self._spans.sweep(c.spans, record.doc_id, keep)
            for i in range(0, len(chunks), BATCH):
                part = chunks[i : i + BATCH]
                c.chunks.upsert(
                    ids=[x.chunk_id for x in part],
                    embeddings=vectors[i : i + BATCH].tolist(),
                    documents=[x.text for x in part],
                    metadatas=[chunk_metadata(x) for x in part],
                )
            if spans and span_vectors is not None:
                self._spans.put(c.spans, spans, span_vectors)
            c.registers.upsert(
                ids=[record.key],
                embeddings=[[1.0]],
                documents=[registers or "{}"],
                metadatas=[{"doc_id": record.doc_id}],
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
        so that every reader's cache, in this process or another, is invalidated. The
        token is this store's own before it is written: no reader here takes it for
        another process's."""
        token = uuid.uuid4().hex
        self._own.append(token)
        c.meta.upsert(ids=[GENERATION], embeddings=[[1.0]], documents=[token], metadatas=None)
        self._token.wrote(token)

    # -- reads ------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        generation = self._generation()
        cached = self._cache.records(generation)
        if cached is not None:
            return cached
        found = self._read(lambda c: c.documents.get(include=["metadatas"]))
        records = sorted((record_from(m) for m in found["metadatas"] or []), key=lambda r: r.doc_id)
        self._cache.keep_records(generation, records)
        return list(records)

    def registers(self, key: str) -> str | None:
        found = self._read(lambda c: c.registers.get(ids=[key], include=["documents"]))
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
        self, vector: np.ndarray, k: int, keys: Sequence[str]
    ) -> list[tuple[StoredChunk, float]]:
        if not keys or k <= 0:
            return []
        where = {"key": keys[0]} if len(keys) == 1 else {"key": {"$in": list(keys)}}
        found = self._read(
            lambda c: c.chunks.query(
                query_embeddings=[vector.tolist()], n_results=k, where=where, include=["distances"]
            )
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
        out: list[StoredChunk] = []
        for i in range(0, len(keys), 100):
            part = list(keys[i : i + 100])
            out += _chunks_of(self._read(_get_by_keys(part)))
        return sorted(out, key=lambda c: (c.doc_id, c.index))

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[StoredChunk]:
        if not chunk_ids:
            return []
        ids = list(chunk_ids)
        found = self._read(lambda c: c.chunks.get(ids=ids, include=["documents", "metadatas"]))
        return _chunks_of(found)

    def spans(self, chunk_ids: Sequence[str]) -> list[StoredSpan]:
        if not chunk_ids:
            return []
        generation = self._generation()
        return self._read(lambda c: self._spans.for_chunks(c.spans, chunk_ids, generation))


def _get_by_keys(keys: list[str]) -> Callable[[Opened], Any]:
    where = {"key": keys[0]} if len(keys) == 1 else {"key": {"$in": keys}}
    return lambda c: c.chunks.get(where=where, include=["documents", "metadatas"])


def _chunks_of(found: Any) -> list[StoredChunk]:
    return [
        chunk_from(cid, text, meta)
        for cid, text, meta in zip(
            found["ids"], found["documents"] or [], found["metadatas"] or [], strict=True
        )
    ]
