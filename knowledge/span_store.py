"""The `<prefix>-spans` collection: every chunk's spans with their own vectors.

Spans follow their chunks through a document's life (see `knowledge.store`): they are
written before the commit point and invisible until then (readers only ask for the
chunk ids of live versions), swept with stale chunks, and deleted with the old version
after the commit. Spans read are kept in a small in-process LRU by chunk id, valid for
one store generation (like `knowledge.read_cache`): a write by any process empties it,
so that a removed document's spans are never served.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from knowledge.access import ACCESS_FIELD, OPEN_GROUP, Access
from knowledge.spans import StoredSpan

BATCH = 500
"""Records per Chroma write (the chunk collection uses the same)."""
GUESS = 32
"""Span ids asked for per chunk and read (the sample's chunks hold at most 20 spans)."""
SPAN_FIELDS = ["documents", "metadatas", "embeddings"]


def _metadata(span: StoredSpan) -> dict[str, str | int | bool]:
    meta: dict[str, str | int | bool] = {
        "chunk_id": span.chunk_id,
        "doc_id": span.doc_id,
        "version": span.version,
        "key": span.key,
        "index": span.index,
        "char_start": span.char_start,
        "char_end": span.char_end,
        "kind": span.kind,
        "opens_line": span.opens_line,
    }
    if span.page is not None:
        meta["page"] = span.page
    return meta


def _span_from(span_id: str, text: str, meta: dict, vector: object) -> StoredSpan:  # type: ignore[type-arg]
    return StoredSpan(
        span_id=span_id,
        chunk_id=str(meta["chunk_id"]),
        doc_id=str(meta["doc_id"]),
        version=str(meta["version"]),
        index=int(meta["index"]),
        text=text,
        char_start=int(meta["char_start"]),
        char_end=int(meta["char_end"]),
        kind=str(meta["kind"]),
        page=int(meta["page"]) if meta.get("page") is not None else None,
        opens_line=bool(meta.get("opens_line", False)),
        vector=np.asarray(vector, dtype=np.float32),
    )


SPAN_GRAPH = {"ef_construction": 4, "max_neighbors": 2}
"""The HNSW graph of the spans collection, as cheap as Chroma allows: spans are read by
chunk id with their vectors (`get`), never searched by vector, so the graph Chroma builds
for every record is only write cost. With its defaults (100, 16) an add took about 1.4 ms
a span (chromadb 1.5.9, embedded, 384 dimensions, 2 cores); with these about 0.25 ms.
Stores created before keep their graph (the configuration is fixed at creation)."""
SPANS_COLLECTION: dict[str, object] = {
    "configuration": {"hnsw": {"space": "cosine", **SPAN_GRAPH}},
    "embedding_function": None,
}
"""How the `<prefix>-spans` collection is created."""


class SpanCollection:
    """Spans with vectors, stored per chunk; reads by chunk id through an LRU. Every call
    takes the `<prefix>-spans` collection to use (the store may reopen it)."""

    CACHED_CHUNKS = 512
    """Chunks whose spans are kept (about 15 kB each with 384-d vectors: ~8 MB)."""

    def __init__(self, collection: Any = None) -> None:
        self.collection = collection
        # the store's current spans collection, for inspection (calls take their own)
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._cache: OrderedDict[tuple[str, str], tuple[StoredSpan, ...]] = OrderedDict()

    # -- writes -----------------------------------------------------------------
    def put(
        self,
        collection: Any,
        spans: Sequence[StoredSpan],
        vectors: np.ndarray,
        access: Sequence[str] = (OPEN_GROUP,),
    ) -> None:
        """Write spans with their vectors; `access`: their document's groups."""
        groups = {ACCESS_FIELD: list(access)}
        for i in range(0, len(spans), BATCH):
            part = spans[i : i + BATCH]
            collection.upsert(
                ids=[s.span_id for s in part],
                embeddings=vectors[i : i + BATCH].tolist(),
                documents=[s.text for s in part],
                metadatas=[_metadata(s) | groups for s in part],  # type: ignore[misc]
            )

    def sweep(self, collection: Any, doc_id: str, keep: set[str]) -> None:
        """Delete the spans of `doc_id` whose version is not in `keep` (leftovers)."""
        found = collection.get(where={"doc_id": doc_id}, include=["metadatas"])
        stale = [
            i
            for i, m in zip(found["ids"], found["metadatas"] or [], strict=True)
            if m.get("version") not in keep
        ]
        if stale:
            collection.delete(ids=stale)

    def delete_version(self, collection: Any, key: str) -> None:
        collection.delete(where={"key": key})

    def delete_document(self, collection: Any, doc_id: str) -> None:
        collection.delete(where={"doc_id": doc_id})

    # -- reads ------------------------------------------------------------------
    def for_chunks(
        self,
        collection: Any,
        chunk_ids: Sequence[str],
        generation: str,
        access: Access | None = None,
    ) -> list[StoredSpan]:
        """The spans of those chunks with their vectors, chunk by chunk in the order
        given, each chunk's in text order. Unknown ids give nothing, and so do chunks
        `access` may not read: the cache is per reader scope, filled by reads that hold
        the reader's filter. `generation` is the store's current token."""
        scope = access.scope if access else "*"
        wanted = [(scope, c) for c in dict.fromkeys(chunk_ids)]
        with self._lock:
            if generation != self._generation:
                self._generation = generation
                self._cache.clear()
            have = {c: self._cache[c] for c in wanted if c in self._cache}
            for c in have:
                self._cache.move_to_end(c)
        missing = [c for c in wanted if c not in have]
        if missing:
            fetched = self._fetch(collection, [c for _, c in missing], access)
            by_scope = {(scope, c): spans for c, spans in fetched.items()}
            have.update(by_scope)
            self._keep(by_scope, generation)
        return [s for c in wanted for s in have.get(c, ())]

    def _fetch(
        self, collection: Any, chunk_ids: list[str], access: Access | None
    ) -> dict[str, tuple[StoredSpan, ...]]:
        """The spans of those chunks, read by their ids (`<chunk id>/<i>`, i from 0) one
        version at a time, each read holding the reader's clause for that version. A
        read by ids is Chroma's primary key; a `where` on `chunk_id` alone is a
        metadata query, 110–180 ms at the sample ×1 000 (944 000 spans) against 4–16 ms
        by ids, and with several versions' keys `$in` beside ids 360 ms (issue #15)."""
        if versions_of(chunk_ids) is None:  # ids of another form: select by chunk id
            return self._fetch_where(collection, chunk_ids, access)
        by_version: dict[str, list[str]] = {}
        for chunk_id in chunk_ids:
            by_version.setdefault(chunk_id.rsplit("#", 1)[0], []).append(chunk_id)
        out: dict[str, tuple[StoredSpan, ...]] = {}
        for version, ids in by_version.items():
            where = access.by_id(None, {version}) if access is not None else None
            out |= self._by_ids(collection, ids, where)
        return out

    def _by_ids(
        self, collection: Any, chunk_ids: list[str], where: dict[str, object] | None
    ) -> dict[str, tuple[StoredSpan, ...]]:
        """Spans `<chunk>/<i>` for i below `GUESS`, then the next `GUESS` of the chunks
        that had as many, until none has: a chunk's spans are numbered from 0."""
        out: dict[str, tuple[StoredSpan, ...]] = {}
        pending, start = chunk_ids, 0
        while pending:
            ids = [f"{c}/{i}" for c in pending for i in range(start, start + GUESS)]
            found = self._parsed(collection.get(ids=ids, where=where, include=SPAN_FIELDS))
            for chunk_id, spans in found.items():
                out[chunk_id] = out.get(chunk_id, ()) + spans
            pending = [c for c in pending if len(found.get(c, ())) == GUESS]
            start += GUESS
        return out

    def _fetch_where(
        self, collection: Any, chunk_ids: list[str], access: Access | None
    ) -> dict[str, tuple[StoredSpan, ...]]:
        where: dict[str, object] | None = (
            {"chunk_id": chunk_ids[0]} if len(chunk_ids) == 1 else {"chunk_id": {"$in": chunk_ids}}
        )
        if access is not None:
            where = access.by_id(where, versions_of(chunk_ids))
        return self._parsed(collection.get(where=where, include=SPAN_FIELDS))

    @staticmethod
    def _parsed(found: Any) -> dict[str, tuple[StoredSpan, ...]]:
        vectors = found["embeddings"]
        spans = [
            _span_from(sid, text, meta, vectors[i] if vectors is not None else ())
            for i, (sid, text, meta) in enumerate(
                zip(found["ids"], found["documents"] or [], found["metadatas"] or [], strict=True)
            )
        ]
        by_chunk: dict[str, list[StoredSpan]] = {}
        for span in sorted(spans, key=lambda s: s.index):
            by_chunk.setdefault(span.chunk_id, []).append(span)
        return {c: tuple(s) for c, s in by_chunk.items()}

    def _keep(
        self, fetched: dict[tuple[str, str], tuple[StoredSpan, ...]], generation: str
    ) -> None:
        with self._lock:
            if generation != self._generation:
                return  # a newer generation was seen meanwhile
            for chunk_id, spans in fetched.items():
                self._cache[chunk_id] = spans
                self._cache.move_to_end(chunk_id)
            while len(self._cache) > self.CACHED_CHUNKS:
                self._cache.popitem(last=False)


def versions_of(chunk_ids: Sequence[str]) -> set[str] | None:
    """The versions of these chunks (a chunk id is `<version key>#<index>`,
    `knowledge.ingest_prepare`), None when an id is not of that form. A read by id names
    them beside its ids: Chroma evaluates a reader's `$contains` by scanning the
    collection, and with ids alone it took 24 s for 60 chunks of 62 000 (the sample ×345
    on a Chroma server, 2 loaded cores), 0.34 s with the versions' keys beside it."""
    if not chunk_ids or not all("#" in i for i in chunk_ids):
        return None
    return {i.rsplit("#", 1)[0] for i in chunk_ids}
