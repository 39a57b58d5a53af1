"""Gathering evidence: retrieve chunks, cut them into spans, rank the spans."""

from __future__ import annotations

from dataclasses import dataclass, replace

from assistant.answerers import Evidence
from assistant.evidence import Span, TermWeights, spans_of
from assistant.model import Kind
from assistant.question import Question
from knowledge.analysis import Analyzer, stem, words
from knowledge.base import KnowledgeBase
from knowledge.retrieval import SearchFilters, SearchResult
from knowledge.store import DocumentRecord

RESULTS_K = 6
PER_DOCUMENT_K = 3
GENERIC_NAME_WORDS = frozenset({"region", "kommun", "kommuner", "län", "landsting"})
# Words of the question that say what kind of answer is wanted, not what it is about.
KIND_WORDS = frozenset(
    stem(w)
    for w in [
        "ansvarar",
        "ansvarig",
        "ansvaret",
        "ansvar",
        "leder",
        "prioriterat",
        "prioriterade",
        "prioriteringar",
        "gäller",
        "gällde",
        "länge",
        "ingår",
        "innebär",
        "enligt",
        "står",
        "beskrivs",
        "finns",
        "nämns",
        "responsible",
        "prioritised",
        "prioritized",
    ]
)


def name_stems(doc: DocumentRecord) -> set[str]:
    """Stems of the names a question may use for a document: region, organisations."""
    names = " ".join((doc.region, *doc.organisations))
    return {stem(w) for w in words(names) if w not in GENERIC_NAME_WORDS and len(w) > 2}


def named_documents(question: str, docs: list[DocumentRecord]) -> list[DocumentRecord]:
    asked = {stem(w) for w in words(question)}
    asked |= {stem(w.removesuffix("s")) for w in words(question)}
    return [d for d in docs if name_stems(d) & asked]


@dataclass
class _Cache:
    fingerprint: tuple[str, ...]
    weights: TermWeights
    names: set[str]


class Gatherer:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._cache: _Cache | None = None

    def _stats(self, docs: list[DocumentRecord]) -> _Cache:
        keys = tuple(sorted(d.key for d in docs))
        if self._cache is None or self._cache.fingerprint != keys:
            chunks = self.kb.store.chunks(list(keys))
            vocab = Analyzer.vocabulary_of(c.text for c in chunks)
            weights = TermWeights(Analyzer(vocab), (c.text for c in chunks))
            names: set[str] = set()
            for d in docs:
                names |= name_stems(d)
            self._cache = _Cache(keys, weights, names)
        return self._cache

    def _retrieve(
        self, q: Question, filters: SearchFilters | None, named: list[DocumentRecord]
    ) -> list[SearchResult]:
        if q.kind is Kind.COMPARISON and len(named) >= 2:
            results: list[SearchResult] = []
            for doc in named:
                only = SearchFilters(documents=(doc.doc_id,))
                results += self.kb.search(q.text, PER_DOCUMENT_K, only)
            return results
        return self.kb.search(q.text, RESULTS_K, filters)

    def gather(self, q: Question, filters: SearchFilters | None = None) -> Evidence:
        docs = [d for d in self.kb.documents() if filters is None or filters.admits(d)]
        if not docs:
            return Evidence(q, (), ())
        stats = self._stats(self.kb.documents())
        named = named_documents(q.text, docs)
        results = self._retrieve(q, filters, named)
        wanted = stats.weights.terms(q.text) - stats.names - KIND_WORDS
        ranked = rank_spans(results, wanted, stats.weights)
        return Evidence(q, tuple(results), tuple(ranked), document_text=self.kb.document_text)


def scored(span: Span, wanted: set[str], weights: TermWeights) -> Span:
    context = span.text
    if span.kind == "row":
        context = span.text + " " + span.result.chunk.section
    cover = weights.coverage(wanted, context)
    return replace(span, coverage=cover, score=cover + 0.2 / (span.result.rank + 1))


def rank_spans(results: list[SearchResult], wanted: set[str], weights: TermWeights) -> list[Span]:
    spans = [scored(s, wanted, weights) for r in results for s in spans_of(r)]
    return sorted(spans, key=lambda s: -s.score)
