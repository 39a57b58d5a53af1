"""Hybrid retrieval: dense (Chroma) and BM25, fused by weighted reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from knowledge.embedders import Embedder
from knowledge.glossary import expand_query
from knowledge.keyword import KeywordIndex
from knowledge.store import DocumentRecord, StoredChunk, VectorStore


@dataclass(frozen=True)
class SearchFilters:
    """Restricts a search. Empty fields do not restrict."""

    documents: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    year: int | None = None

    def admits(self, doc: DocumentRecord) -> bool:
        if self.documents and doc.doc_id not in self.documents:
            return False
        if self.doc_types and doc.doc_type.lower() not in {t.lower() for t in self.doc_types}:
            return False
        if self.organisations:
            names = [o.lower() for o in (*doc.organisations, doc.region)]
            if not any(f.lower() in n for f in self.organisations for n in names):
                return False
        if self.year is not None:
            if doc.year_from is None or doc.year_to is None:
                return False
            return doc.year_from <= self.year <= doc.year_to
        return True


@dataclass(frozen=True)
class SearchResult:
    rank: int
    score: float
    chunk: StoredChunk
    document: DocumentRecord
    signals: dict[str, int] = field(default_factory=dict)
    """Rank of the chunk in each retriever ("dense", "bm25"), 1-based."""


@dataclass(frozen=True)
class FusionConfig:
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    candidates: int = 50


class HybridRetriever:
    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        keyword: KeywordIndex,
        fusion: FusionConfig | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.keyword = keyword
        self.fusion = fusion or FusionConfig()

    def live_documents(self, filters: SearchFilters | None = None) -> list[DocumentRecord]:
        docs = self.store.documents()
        keys = [d.key for d in docs]
        self.keyword.ensure(keys, lambda: self.store.chunks(keys))
        return [d for d in docs if filters is None or filters.admits(d)]

    def search(
        self, query: str, k: int = 5, filters: SearchFilters | None = None
    ) -> list[SearchResult]:
        docs = self.live_documents(filters)
        if not docs or not query.strip():
            return []
        by_key = {d.key: d for d in docs}
        n = self.fusion.candidates
        dense = self.store.query(self.embedder.embed_query(query), n, list(by_key))
        lexical = self.keyword.search(expand_query(query), n, set(by_key))
        return self._fuse(dense, lexical, by_key, k)

    def _fuse(
        self,
        dense: Sequence[tuple[StoredChunk, float]],
        lexical: Sequence[tuple[str, float]],
        by_key: dict[str, DocumentRecord],
        k: int,
    ) -> list[SearchResult]:
        f = self.fusion
        scores: dict[str, float] = {}
        signals: dict[str, dict[str, int]] = {}
        chunks = {c.chunk_id: c for c, _ in dense}
        for rank, (chunk, _) in enumerate(dense, 1):
            weight = f.dense_weight / (f.rrf_k + rank)
            scores[chunk.chunk_id] = scores.get(chunk.chunk_id, 0) + weight
            signals.setdefault(chunk.chunk_id, {})["dense"] = rank
        for rank, (chunk_id, _) in enumerate(lexical, 1):
            scores[chunk_id] = scores.get(chunk_id, 0) + f.bm25_weight / (f.rrf_k + rank)
            signals.setdefault(chunk_id, {})["bm25"] = rank
        best = sorted(scores, key=lambda cid: -scores[cid])[:k]
        missing = [cid for cid in best if cid not in chunks]
        if missing:
            chunks.update(self._fetch(missing, by_key))
        results: list[SearchResult] = []
        for cid in best:
            found = chunks.get(cid)
            if found is None or found.key not in by_key:
                continue
            chunk = found
            results.append(
                SearchResult(len(results) + 1, scores[cid], chunk, by_key[chunk.key], signals[cid])
            )
        return results

    def _fetch(
        self, chunk_ids: list[str], by_key: dict[str, DocumentRecord]
    ) -> dict[str, StoredChunk]:
        return {c.chunk_id: c for c in self.store.get_chunks(chunk_ids) if c.key in by_key}
