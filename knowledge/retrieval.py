"""Hybrid retrieval: dense (Chroma) and BM25, fused by normalised scores.

Each retriever proposes its best candidates; their union is scored by the features and
weights of `knowledge.fusion` (z-scores of both retrievers plus light refinements, with
weights fitted on the dev part of the gold suites). The keyword query is the question
with English domain terms glossed in Swedish and its question adverb ("hur ofta") left
out (see `knowledge.query`). Reciprocal rank fusion is kept as
`FusionConfig(method="rrf")` for comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ingest.organisations import canonical
from knowledge.access import PUBLIC, Access
from knowledge.embedders import Embedder
from knowledge.fusion import FusionConfig, Pool, pool_of, scores
from knowledge.keyword import KeywordIndex, KeywordScores
from knowledge.query import Query, as_query, named_documents
from knowledge.store import ChunkRef, DocumentRecord, StoredChunk, VectorStore


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
            asked = {f.lower() for f in self.organisations}
            asked |= {
                canonical(f).lower() for f in self.organisations
            }  # "Sveriges Kommuner …" → skr
            if not any(f in n for f in asked for n in names):
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


class HybridRetriever:
    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        keyword: KeywordIndex,
        fusion: FusionConfig | None = None,
        query_vector: Callable[[str], np.ndarray] | None = None,
    ) -> None:
        """`query_vector` embeds a query (default: `embedder.embed_query`); the knowledge
        base passes its cache so that a question is embedded once."""
        self.store = store
        self.embedder = embedder
        self.query_vector = query_vector or embedder.embed_query
        self.keyword = keyword
        self.fusion = fusion or FusionConfig()
        # the knowledge base passes the fitted weights (`knowledge.fusion.fitted_fusion`)

    def live_documents(
        self, filters: SearchFilters | None = None, access: Access = PUBLIC
    ) -> list[DocumentRecord]:
        """The live records `access` may read (the store's query holds its filter) that
        `filters` admit; the keyword index is brought up to date with every live one."""
        self.keyword.ensure([d.key for d in self.store.documents()], self.store.chunks)
        docs = self.store.documents(access)
        return [d for d in docs if filters is None or filters.admits(d)]

    def search(
        self,
        query: str | Query,
        k: int = 5,
        filters: SearchFilters | None = None,
        access: Access = PUBLIC,
    ) -> list[SearchResult]:
        """The k best chunks for the question (a text is analysed here; a `Query`
        analysed once by the caller is read as it is) among the documents `access` may
        read: the dense query carries its filter, and the keyword scores are restricted
        to the same admitted versions."""
        q = as_query(query)
        docs = self.live_documents(filters, access)
        if not docs or not q.text.strip() or k <= 0:
            return []
        by_key = {d.key: d for d in docs}
        n = max(self.fusion.candidates, k)
        vector = self.query_vector(q.text)
        dense = _with_signal(self.store.nearest(vector, n, list(by_key), access))
        lexical = self.keyword.scores(q.keyword_text, set(by_key))
        if self.fusion.method == "rrf":
            return self._fuse_rrf(dense, _top(lexical, n), by_key, k, access)
        pool = self._pool(q, docs, dense, lexical, n)
        return self._fuse_scores(pool, dense, by_key, k, access)

    def pool(
        self, query: str | Query, filters: SearchFilters | None = None, access: Access = PUBLIC
    ) -> Pool | None:
        """The scored candidates of a question with their fusion features (None when
        nothing can be searched), for fitting the fusion weights."""
        q = as_query(query)
        docs = self.live_documents(filters, access)
        if not docs or not q.text.strip():
            return None
        n, keys = self.fusion.candidates, [d.key for d in docs]
        dense = _with_signal(self.store.nearest(self.query_vector(q.text), n, keys, access))
        return self._pool(q, docs, dense, self.keyword.scores(q.keyword_text, set(keys)), n)

    def _pool(
        self,
        q: Query,
        docs: list[DocumentRecord],
        dense: Sequence[tuple[ChunkRef, float]],
        lexical: KeywordScores | None,
        n: int,
    ) -> Pool:
        named = {d.key for d in named_documents(q, docs)}
        if len(named) >= len(docs):
            named = set()  # every document named: no document is preferred
        return pool_of(
            dense, lexical, _top(lexical, n), q.answer_types, named, self.fusion.length_reference
        )

    # -- score fusion -------------------------------------------------------------
    def _fuse_scores(
        self,
        pool: Pool,
        dense: Sequence[tuple[ChunkRef, float]],
        by_key: dict[str, DocumentRecord],
        k: int,
        access: Access,
    ) -> list[SearchResult]:
        if not pool.ids:
            return []
        score = scores(pool, self.fusion)
        order = np.argsort(-score, kind="stable")[:k]
        chunks = self._read([pool.ids[i] for i in order], dense, by_key, access)
        results: list[SearchResult] = []
        for i in order:
            cid = pool.ids[i]
            found = chunks.get(cid)
            if found is None or found.key not in by_key:
                continue
            results.append(
                SearchResult(
                    len(results) + 1, float(score[i]), found, by_key[found.key], pool.signals[cid]
                )
            )
        return results

    # -- reciprocal rank fusion -------------------------------------------------------
    def _fuse_rrf(
        self,
        dense: Sequence[tuple[ChunkRef, float]],
        lexical: Sequence[tuple[str, float]],
        by_key: dict[str, DocumentRecord],
        k: int,
        access: Access,
    ) -> list[SearchResult]:
        f = self.fusion
        scores: dict[str, float] = {}
        signals: dict[str, dict[str, int]] = {}
        for rank, (ref, _) in enumerate(dense, 1):
            weight = f.dense_weight / (f.rrf_k + rank)
            scores[ref.chunk_id] = scores.get(ref.chunk_id, 0) + weight
            signals.setdefault(ref.chunk_id, {})["dense"] = rank
        for rank, (chunk_id, _) in enumerate(lexical, 1):
            scores[chunk_id] = scores.get(chunk_id, 0) + f.bm25_weight / (f.rrf_k + rank)
            signals.setdefault(chunk_id, {})["bm25"] = rank
        best = sorted(scores, key=lambda cid: -scores[cid])[:k]
        chunks = self._read(best, dense, by_key, access)
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

    def _read(
        self,
        chunk_ids: list[str],
        dense: Sequence[tuple[ChunkRef, float]],
        by_key: dict[str, DocumentRecord],
        access: Access,
    ) -> dict[str, StoredChunk]:
        """The final results' chunks: those the dense query named as it read them (its
        read cache), the keyword side's with the reader's admitted versions."""
        named = {ref.chunk_id for ref, _ in dense}
        chunks = self.store.hit_chunks([c for c in chunk_ids if c in named])
        missing = [c for c in chunk_ids if c not in chunks]
        if missing:
            chunks.update(self._fetch(missing, by_key, access))
        return chunks

    def _fetch(
        self, chunk_ids: list[str], by_key: dict[str, DocumentRecord], access: Access
    ) -> dict[str, StoredChunk]:
        found = self.store.get_chunks(chunk_ids, access.admitted(by_key))
        return {c.chunk_id: c for c in found if c.key in by_key}


def _with_signal(
    dense: Sequence[tuple[ChunkRef, float]],
) -> list[tuple[ChunkRef, float]]:
    """The dense hits that share something with the question (similarity above 0), best
    first and ties by chunk id. A store returns an arbitrary few of many chunks tied at
    0 (an embedder that saw none of the question's words), so keeping them would make
    the same question's answer differ from one process to the next."""
    kept = [(chunk, score) for chunk, score in dense if score > 0]
    return sorted(kept, key=lambda hit: (-hit[1], hit[0].chunk_id))


def _top(lexical: KeywordScores | None, n: int) -> list[tuple[str, float]]:
    """The n best chunks by BM25 (score above 0), best first, ties in row order. Only
    the rows scoring above 0 are sorted (the rows holding a query term), not every row
    of the index: a stable sort of all 180 000 rows of the sample ×1 000 took ~15 ms."""
    if lexical is None or n <= 0:
        return []
    scores = lexical.bm25
    rows = np.flatnonzero(scores > 0)
    if len(rows) > n:  # only rows scoring at least the n-th best, in row order, are sorted
        rows = rows[scores[rows] >= -np.partition(-scores[rows], n - 1)[n - 1]]
    top = rows[np.argsort(-scores[rows], kind="stable")[:n]]
    return [(lexical.chunk_ids[i], float(scores[i])) for i in top]
