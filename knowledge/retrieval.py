"""Hybrid retrieval: dense (Chroma) and BM25, fused by normalised scores.

Each retriever proposes its best candidates; over their union both scores are turned into
z-scores (so a chunk far ahead of the rest in one retriever counts for more than one just
ahead of the next, which rank fusion cannot see) and added with weights. Light signals
from the keyword index and the question then refine the order, in hybrid mode only (a
single-retriever ablation, one weight 0, stays pure):

- adjacent term pairs of the question found in the chunk (a phrase match),
- a small penalty for very short chunks (a heading with one line under it matches the
  question's words without holding the answer),
- the expected answer type: a "when" question prefers chunks with a date, "how often" a
  frequency, "how many" a count, "who is in" a membership (see `knowledge.answer_types`),
- a soft prior for the documents whose region or organisation the question names.

The keyword query is the question with English domain terms glossed in Swedish and its
question adverb ("hur ofta") left out (see `knowledge.query`). Reciprocal rank fusion is
kept as `FusionConfig(method="rrf")` for comparison.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ingest.organisations import canonical
from knowledge.embedders import Embedder
from knowledge.keyword import KeywordIndex, KeywordScores
from knowledge.query import Query, as_query, named_documents
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


@dataclass(frozen=True)
class FusionConfig:
    """Weights of the fusion, tuned on the gold set (evals/gold) over a broad plateau."""

    rrf_k: int = 60
    """Only for method "rrf"."""
    dense_weight: float = 0.7
    bm25_weight: float = 1.0
    candidates: int = 100
    """Candidates taken from each retriever; their union is the pool that is scored."""
    method: str = "score"
    """"score": z-normalised score fusion with the refinements; "rrf": reciprocal ranks."""
    pair_weight: float = 0.1
    """Per unit of summed IDF of the question's adjacent term pairs found in the chunk."""
    length_weight: float = 0.5
    length_reference: int = 400
    """Chunks shorter than this many characters get weight * log(length / reference)."""
    answer_type_weight: float = 1.0
    """Per kind of answer asked for (date, frequency, count, …) that the chunk can hold."""
    named_weight: float = 0.5
    """Bonus for chunks of the documents the question names (when it names some)."""


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

    def live_documents(self, filters: SearchFilters | None = None) -> list[DocumentRecord]:
        docs = self.store.documents()
        keys = [d.key for d in docs]
        self.keyword.ensure(keys, lambda: self.store.chunks(keys))
        return [d for d in docs if filters is None or filters.admits(d)]

    def search(
        self, query: str | Query, k: int = 5, filters: SearchFilters | None = None
    ) -> list[SearchResult]:
        """The k best chunks for the question (a text is analysed here; a `Query`
        analysed once by the caller is read as it is)."""
        q = as_query(query)
        docs = self.live_documents(filters)
        if not docs or not q.text.strip() or k <= 0:
            return []
        by_key = {d.key: d for d in docs}
        n = max(self.fusion.candidates, k)
        dense = _with_signal(self.store.query(self.query_vector(q.text), n, list(by_key)))
        lexical = self.keyword.scores(q.keyword_text, set(by_key))
        if self.fusion.method == "rrf":
            return self._fuse_rrf(dense, _top(lexical, n), by_key, k)
        named = {d.key for d in named_documents(q, docs)}
        return self._fuse_scores(q, dense, lexical, n, by_key, k, named)

    # -- score fusion -------------------------------------------------------------
    def _fuse_scores(
        self,
        query: Query,
        dense: Sequence[tuple[StoredChunk, float]],
        lexical: KeywordScores | None,
        n: int,
        by_key: dict[str, DocumentRecord],
        k: int,
        named: set[str],
    ) -> list[SearchResult]:
        f = self.fusion
        chunks = {c.chunk_id: c for c, _ in dense}
        dense_score = {c.chunk_id: s for c, s in dense}
        signals: dict[str, dict[str, int]] = {}
        for rank, (chunk, _) in enumerate(dense, 1):
            signals.setdefault(chunk.chunk_id, {})["dense"] = rank
        top_lexical = _top(lexical, n)
        for rank, (chunk_id, _) in enumerate(top_lexical, 1):
            signals.setdefault(chunk_id, {})["bm25"] = rank
        pool = list(signals)
        if not pool:
            return []
        position = lexical.positions if lexical is not None else {}
        at = np.asarray([position.get(cid, -1) for cid in pool])
        known = at >= 0
        floor = min(dense_score.values(), default=0.0)
        d = np.asarray([dense_score.get(cid, floor) for cid in pool], dtype=np.float64)
        score = f.dense_weight * _z(d)
        if lexical is not None:
            b = np.where(known, lexical.bm25[np.maximum(at, 0)], 0.0).astype(np.float64)
            score += f.bm25_weight * _z(b)
            if f.dense_weight > 0 and f.bm25_weight > 0:  # hybrid: refine
                score += self._refinements(query, lexical, at, known)
                if named and len(named) < len(by_key):
                    key_of = {c.chunk_id: c.key for c, _ in dense}
                    in_named = [
                        key_of.get(cid, lexical.chunk_keys[a] if a >= 0 else "") in named
                        for cid, a in zip(pool, at, strict=True)
                    ]
                    score += f.named_weight * np.asarray(in_named, dtype=np.float64)
        order = np.argsort(-score, kind="stable")[:k]
        best = [pool[i] for i in order]
        missing = [cid for cid in best if cid not in chunks]
        if missing:
            chunks.update(self._fetch(missing, by_key))
        results: list[SearchResult] = []
        for i in order:
            cid = pool[i]
            found = chunks.get(cid)
            if found is None or found.key not in by_key:
                continue
            results.append(
                SearchResult(
                    len(results) + 1, float(score[i]), found, by_key[found.key], signals[cid]
                )
            )
        return results

    def _refinements(
        self, query: Query, lexical: KeywordScores, at: np.ndarray, known: np.ndarray
    ) -> np.ndarray:
        f = self.fusion
        idx = np.maximum(at, 0)
        pairs = lexical.bigrams[idx].astype(np.float64)
        lengths = np.maximum(lexical.lengths[idx].astype(np.float64), 1.0)
        short = np.log(np.minimum(lengths, f.length_reference) / f.length_reference)
        extra = f.pair_weight * pairs + f.length_weight * short
        asked = query.answer_types
        if asked:
            held = lexical.flags[idx].astype(np.int64) & asked
            extra += f.answer_type_weight * np.asarray([bin(h).count("1") for h in held])
        return np.where(known, extra, 0.0)

    # -- reciprocal rank fusion -------------------------------------------------------
    def _fuse_rrf(
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


def _with_signal(
    dense: Sequence[tuple[StoredChunk, float]],
) -> list[tuple[StoredChunk, float]]:
    """The dense hits that share something with the question (similarity above 0), best
    first and ties by chunk id. A store returns an arbitrary few of many chunks tied at
    0 (an embedder that saw none of the question's words), so keeping them would make
    the same question's answer differ from one process to the next."""
    kept = [(chunk, score) for chunk, score in dense if score > 0]
    return sorted(kept, key=lambda hit: (-hit[1], hit[0].chunk_id))


def _top(lexical: KeywordScores | None, n: int) -> list[tuple[str, float]]:
    """The n best chunks by BM25 (score above 0), best first."""
    if lexical is None:
        return []
    scores = lexical.bm25
    top = np.argsort(-scores, kind="stable")[:n]
    return [(lexical.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]


def _z(values: np.ndarray) -> np.ndarray:
    """Standard scores over the candidate pool; all 0 when the values do not vary."""
    std = float(values.std())
    if not math.isfinite(std) or std < 1e-9:
        return np.zeros_like(values)
    return (values - values.mean()) / std
