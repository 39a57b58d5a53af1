"""Gathering evidence: retrieve chunks, cut them into spans, rank the spans."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from assistant.answerers import Evidence
from assistant.evidence import Span, TermWeights, Wanted, spans_of
from assistant.features import answer_features
from assistant.model import Kind
from assistant.ranking import priority_section, rank_spans
from assistant.scorers import Scorers, default_scorers
from knowledge.access import PUBLIC, Access
from knowledge.analysis import STOPWORDS, stem
from knowledge.base import KnowledgeBase
from knowledge.expected import count_unrelated, holds, missing
from knowledge.query import Query, name_stems, named_documents
from knowledge.registers import PriorityEntry
from knowledge.retrieval import SearchFilters, SearchResult
from knowledge.spans import StoredSpan
from knowledge.store import DocumentRecord
from knowledge.term_stats import ScopeStats
from nara.vocabulary import alternatives, cue
from nara.vocabulary import words as vocab

RESULTS_K = 6
TOP_CHUNKS = 3
PER_DOCUMENT_K = 3
MAX_COMPARED = 4
"""Most named documents searched one by one (a search each, and their registers read):
a question that names more (a region's name held by hundreds of documents) is answered
from the MAX_COMPARED of them that one search restricted to them ranks first, so an
ask costs at most MAX_COMPARED + 1 searches whatever the number of documents. Four is
the most a question over the sample corpus can name (it has four documents)."""


def kind_words() -> frozenset[str]:
    """Stems of the words that say what kind of answer is wanted (vocabulary.yaml)."""
    return frozenset(stem(w) for w in vocab("kind_words"))


@dataclass
class _Cache:
    fingerprint: tuple[str, ...]
    weights: TermWeights
    names: set[str]
    """Stems left out of the words a passage must cover: document names, kind words."""


MAX_STATS = 8
"""Sets of readable documents whose term statistics are kept (one per reader scope in
use; with every document open to all, one)."""


class Gatherer:
    def __init__(self, kb: KnowledgeBase, scorers: Scorers | None = None) -> None:
        self.kb = kb
        self.scorers = scorers or default_scorers(kb.settings.embedder)
        self._cache: dict[tuple[str, ...], _Cache] = {}

    def _stats(self, docs: list[DocumentRecord]) -> _Cache:
        """Term weights and names of the documents a reader may read: words only other
        documents hold are unknown to them, as those documents are."""
        keys = tuple(sorted(d.key for d in docs))
        found = self._cache.get(keys)
        if found is None:  # from the keyword index's words: no chunk is read
            scope = ScopeStats.of(self.kb.term_rows(keys))
            weights = TermWeights.counted(scope.analyzer, scope.n, scope.df)
            names = set(kind_words())
            for d in docs:
                names |= name_stems(d)
            found = _Cache(keys, weights, names)
            if len(self._cache) >= MAX_STATS:
                self._cache.pop(next(iter(self._cache)))
            self._cache[keys] = found
        return found

    def _spans(self, q: Query, results: list[SearchResult], access: Access) -> list[Span]:
        """The stored spans of the retrieved chunks, each with its similarity to the
        question (the question's vector is the one its search computed)."""
        chunk_ids = list(dict.fromkeys(r.chunk.chunk_id for r in results))
        admitted = access.admitted(r.document.key for r in results)  # read with its filter
        stored = self.kb.spans_for(chunk_ids, admitted)
        similarity = dict(
            zip(
                (s.span_id for s in stored),
                self.kb.span_similarity(q.text, stored),
                strict=True,
            )
        )
        by_chunk: dict[str, list[StoredSpan]] = {}
        for span in stored:
            by_chunk.setdefault(span.chunk_id, []).append(span)
        out: list[Span] = []
        for r in results:
            own = by_chunk.get(r.chunk.chunk_id, [])
            out += spans_of(r, own, [similarity[s.span_id] for s in own])
        return out

    def _retrieve(
        self,
        q: Query,
        filters: SearchFilters | None,
        named: list[DocumentRecord],
        access: Access,
    ) -> list[SearchResult]:
        if q.kind is Kind.COMPARISON and len(named) >= 2:
            results: list[SearchResult] = []
            for doc in named:
                only = SearchFilters(documents=(doc.doc_id,))
                results += self.kb.search(q, PER_DOCUMENT_K, only, access)
            return results
        if len(named) == 1:  # "… i Dalarna": the answer comes from that document
            filters = replace(filters or SearchFilters(), documents=(named[0].doc_id,))
        return self.kb.search(q, RESULTS_K, filters, access)

    def _compared(
        self, q: Query, named: list[DocumentRecord], access: Access
    ) -> list[DocumentRecord]:
        """`named` when it holds at most MAX_COMPARED documents; otherwise the first
        MAX_COMPARED documents of one search restricted to them, in its order (the
        remaining named ones, in their order, fill up when it finds fewer)."""
        if len(named) <= MAX_COMPARED:
            return named
        only = SearchFilters(documents=tuple(d.doc_id for d in named))
        found = self.kb.search(q, MAX_COMPARED * PER_DOCUMENT_K, only, access)
        by_id = {d.doc_id: d for d in named}
        first = [by_id[r.document.doc_id] for r in found if r.document.doc_id in by_id]
        return list(dict.fromkeys([*first, *named]))[:MAX_COMPARED]

    def _priorities(
        self,
        q: Query,
        results: list[SearchResult],
        named: list[DocumentRecord],
        wanted: Wanted,
        weights: TermWeights,
        spans: list[Span],
        access: Access,
    ) -> tuple[PriorityEntry, ...]:
        """The register's list that answers a priority question, unless a quoted sentence
        answers it clearly better ("… är prioriterade målgrupper" in running text)."""
        if not results or not (
            q.kind is Kind.PRIORITY or (q.kind is Kind.FACT and _asks_for_list(q.text))
        ):
            return ()
        candidates = named or [r.document for r in results[:TOP_CHUNKS]]
        entries = [
            e
            for d in dict.fromkeys(candidates)
            for e in self.kb.priorities(d.doc_id, access=access)
        ]
        chosen = priority_section(entries, q.years, wanted, weights)
        if not chosen or not spans:
            return tuple(chosen)
        first = chosen[0]
        lead = self.kb.document_text(first.document_id)[
            max(0, first.char_start - LEAD_CHARS) : first.char_start
        ]
        listed = weights.coverage(
            wanted, " ".join([first.section, lead, *(e.quote for e in chosen)])
        )
        return () if spans[0].coverage > listed + SENTENCE_BETTER_BY else tuple(chosen)

    def gather(
        self, q: Query, filters: SearchFilters | None = None, access: Access = PUBLIC
    ) -> Evidence:
        """The evidence on `q` in the documents `access` may read (`filters` narrows
        them); the documents named in a refusal are among them too."""
        stored = self.kb.documents(access)  # read once per question: every readable record
        docs = [d for d in stored if filters is None or filters.admits(d)]
        if not docs:
            return Evidence(q, (), (), filtered_out=bool(stored))
        stats = self._stats(stored)
        weights = stats.weights
        named = self._compared(q, named_documents(q, docs), access)
        if len(named) >= 2:
            q = replace(q, kind=Kind.COMPARISON)
        outside = [] if named else named_documents(q, stored)
        results = self._retrieve(q, filters, named, access)
        wanted = weights.wanted(q.glossed, stats.names, keep_unknown=q.lang != "en")
        top = " ".join(r.chunk.index_text for r in results[:TOP_CHUNKS])
        spans = rank_spans(
            self._spans(q, results, access),
            wanted,
            weights,
            q,
            self.scorers.relevance,
        )
        priorities = self._priorities(q, results, named, wanted, weights, spans, access)
        coverage = weights.coverage(wanted, top)
        foreign = foreign_names(q.text, wanted, weights) + tuple(
            d.region or d.title for d in outside
        )
        focus = unknown_focus(q.text, weights) if q.lang != "en" else ""
        features = answer_features(
            spans,
            coverage,
            wanted,
            weights,
            bool(foreign),
            bool(focus),
            type_missing(q, spans),
            count_unrelated([s.text for s in spans], q.text),
            top,
            english=q.lang == "en",
            typed_uncovered=typed_uncovered(q, spans),
            expects=bool(q.expects),
        )
        return Evidence(
            q,
            tuple(results),
            tuple(spans),
            coverage=coverage,
            foreign_names=foreign,
            unknown_focus=focus,
            priorities=priorities,
            documents={d.doc_id: d for d in docs},
            document_text=self.kb.document_text,
            answer_features=features,
            quote_threshold=self.scorers.relevance.threshold,
            quote_policy=self.scorers.quotes,
            wanted=wanted,
            weights=weights,
        )


def type_missing(q: Query, spans: list[Span]) -> bool:
    """The question expects a type of answer (a person, an amount, a date …) that no
    retrieved span holds (all of them, so that the feature does not depend on span
    ranking)."""
    return missing(q.expects, [s.text for s in spans], q.text)


def typed_uncovered(q: Query, spans: list[Span]) -> float:
    """How much of a question that expects a type of answer (a person, an amount …) the
    best span holding such an answer leaves uncovered (with its section): "Vem är
    ordförande i X?" is not answered by a list of names that says nothing of X. 1 when
    no span holds one; 0 when the question expects no type."""
    if not q.expects:
        return 0.0
    typed = [s for s in spans if any(holds(kind, s.text, q.text) for kind in q.expects)]
    return 1.0 - max((s.features.get("context_coverage", 0.0) for s in typed), default=0.0)


SENTENCE_BETTER_BY = 0.15
LEAD_CHARS = 200
"""How much text before a list counts as its lead-in."""


def _asks_for_list(question: str) -> bool:
    """The question opens with a word that asks for a list ("Vilka …")."""
    return bool(cue("question_cues", "list_openers", anchor=r"^\s*{}\b").match(question))


def foreign_names(question: str, wanted: Wanted, weights: TermWeights) -> tuple[str, ...]:
    """Places and organisations the question names that no document contains: unknown
    capitalised words after "i", "in", "Region" and the like (or anywhere but first in a
    Swedish question), unless they start with a known word ("Doroteabor")."""
    vocabulary = weights.analyzer.vocabulary
    out = []
    for word in wanted.unknown:
        if not word[:1].isupper():
            continue
        places = "|".join(re.escape(w) for w in vocab("place_words"))
        if not re.search(rf"\b(?:{places})\s+{re.escape(word)}\b", question):
            continue
        low = word.lower()
        if any(low[:i] in vocabulary for i in range(5, len(low))):
            continue
        out.append(word)
    return tuple(out)


@cache
def _focus() -> re.Pattern[str]:
    """A question's opening phrase (`question_cues.focus_openers`) and the word after it."""
    return re.compile(
        rf"^\s*{alternatives('question_cues', 'focus_openers')}\s+(?P<word>[\wåäöÅÄÖ-]+)", re.I
    )


def unknown_focus(question: str, weights: TermWeights) -> str:
    """The thing a question asks for ("Vilka öppettider …", "Finns det parkering …")
    when no document mentions it; empty when known or not found. Swedish questions
    only: an English word is not expected in a Swedish text."""
    m = _focus().search(question)
    if not m:
        return ""
    word = m.group("word").lower()
    if word in vocab("answer_type_nouns") or word in STOPWORDS or weights.knows_word(word):
        return ""
    return m.group("word")
