"""Gathering evidence: retrieve chunks, cut them into spans, rank the spans."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.answerers import Evidence
from assistant.evidence import Span, TermWeights, Wanted, spans_of
from assistant.model import Kind
from assistant.question import Question
from knowledge.analysis import STOPWORDS, Analyzer, stem, words
from knowledge.base import KnowledgeBase
from knowledge.glossary import expand_query
from knowledge.registers import PriorityEntry
from knowledge.retrieval import SearchFilters, SearchResult
from knowledge.store import DocumentRecord

RESULTS_K = 6
TOP_CHUNKS = 3
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
        stored = self.kb.documents()  # read once per question: it is every record
        docs = [d for d in stored if filters is None or filters.admits(d)]
        if not docs:
            return Evidence(q, (), ())
        stats = self._stats(stored)
        weights = stats.weights
        named = named_documents(q.text, docs)
        if len(named) >= 2:
            q = replace(q, kind=Kind.COMPARISON)
        outside = [] if named else named_documents(q.text, stored)
        results = self._retrieve(q, filters, named)
        english = q.lang == "en"
        text = expand_query(q.text) if english else q.text
        wanted = weights.wanted(text, stats.names | KIND_WORDS, keep_unknown=not english)
        top = " ".join(r.chunk.index_text for r in results[:TOP_CHUNKS])
        priorities: tuple[PriorityEntry, ...] = ()
        if results and (
            q.kind is Kind.PRIORITY or (q.kind is Kind.FACT and LIST_QUESTION.match(q.text))
        ):
            candidates = named or [r.document for r in results[:TOP_CHUNKS]]
            entries = [e for d in dict.fromkeys(candidates) for e in self.kb.priorities(d.doc_id)]
            priorities = tuple(priority_section(entries, q.years, wanted, weights))
        return Evidence(
            q,
            tuple(results),
            tuple(rank_spans(results, wanted, weights, q.kind)),
            coverage=weights.coverage(wanted, top),
            foreign_names=foreign_names(q.text, wanted, weights)
            + tuple(d.region or d.title for d in outside),
            unknown_focus=unknown_focus(q.text, weights),
            priorities=priorities,
            documents={d.doc_id: d for d in docs},
            document_text=self.kb.document_text,
        )


def priority_section(
    entries: list[PriorityEntry], years: tuple[int, ...], wanted: Wanted, weights: TermWeights
) -> list[PriorityEntry]:
    """The entries of the one list that best answers the question: of the asked year
    (exactly, else a period covering it), under the heading that matches best."""
    if years:
        exact = [e for e in entries if e.year_from == e.year_to and e.year_from in years]
        entries = exact or [e for e in entries if any(e.covers(y) for y in years)]
    sections: dict[tuple[str, str], list[PriorityEntry]] = {}
    for e in entries:
        sections.setdefault((e.document_id, e.section), []).append(e)
    if not sections:
        return []

    def score(key: tuple[str, str]) -> float:
        text = key[1] + " " + " ".join(e.quote for e in sections[key])
        return weights.coverage(wanted, key[1]) + weights.coverage(wanted, text)

    best = max(sections, key=score)
    return sections[best][:MAX_ITEMS] if score(best) >= MIN_SECTION_SCORE else []


MIN_SECTION_SCORE = 0.6
MAX_ITEMS = 12
LIST_QUESTION = re.compile(r"^\s*(?:vilka|which|what are)\b", re.I)


def foreign_names(question: str, wanted: Wanted, weights: TermWeights) -> tuple[str, ...]:
    """Places and organisations the question names that no document contains: unknown
    capitalised words after "i", "in", "Region" and the like (or anywhere but first in a
    Swedish question), unless they start with a known word ("Doroteabor")."""
    vocabulary = weights.analyzer.vocabulary
    out = []
    for word in wanted.unknown:
        if not word[:1].isupper():
            continue
        if not re.search(rf"\b(?:{PLACE_WORDS})\s+{re.escape(word)}\b", question):
            continue
        low = word.lower()
        if any(low[:i] in vocabulary for i in range(5, len(low))):
            continue
        out.append(word)
    return tuple(out)


FOCUS = re.compile(
    r"^\s*(?:vilken|vilket|vilka|hur många|vad är|vad kostar|finns det|"
    r"which|what is the|how many|how much|is there)\s+(?P<word>[\wåäöÅÄÖ-]+)",
    re.I,
)
ANSWER_TYPES = frozenset(
    [
        "datum",
        "år",
        "period",
        "tid",
        "tidsplan",
        "antal",
        "gånger",
        "roll",
        "uppdrag",
        "namn",
        "del",
        "delar",
        "typ",
        "sätt",
        "form",
        "date",
        "year",
        "period",
        "time",
        "number",
        "role",
        "kind",
        "type",
        "way",
        "the",
        "a",
        "an",
    ]
)


def unknown_focus(question: str, weights: TermWeights) -> str:
    """The thing a question asks for ("Vilka öppettider …", "Finns det parkering …")
    when no document mentions it; empty when known or not found."""
    m = FOCUS.search(question)
    if not m:
        return ""
    word = m.group("word").lower()
    if word in ANSWER_TYPES or word in STOPWORDS or weights.knows_word(word):
        return ""
    return m.group("word")


PLACE_WORDS = "i|in|på|från|from|at|Region|region|Regions|kommun|landstinget|vid"


def scored(span: Span, wanted: Wanted, weights: TermWeights, kind: Kind) -> Span:
    """Coverage counts the span's section path as context (a sentence under "Ansvar och
    roller" is about roles); the span's own words break ties; a span that says what the
    kind of question asks for ("gäller till", "ansvarar för") gets a bonus."""
    chunk = span.result.chunk
    activity = next((v for k, v in chunk.cells if "aktivitet" in k.lower()), "")
    own = weights.coverage(wanted, activity or span.text)
    in_context = weights.coverage(wanted, f"{span.text} {chunk.section}")
    score = OWN_WEIGHT * own + (1 - OWN_WEIGHT) * in_context + RANK_PRIOR / (span.result.rank + 1)
    cue = KIND_CUES.get(kind)
    if cue is not None and cue.search(span.text):
        score += CUE_BONUS
    return replace(span, coverage=in_context, score=score)


KIND_CUES = {
    Kind.CLAUSE: re.compile(
        r"gäller|giltig|återrapport|rapporter|revider|antagen|antogs|förläng|per år|varje", re.I
    ),
    Kind.RESPONSIBILITY: re.compile(r"ansvar|leder|ledning|samordnar|utgör|består av", re.I),
    Kind.PRIORITY: re.compile(r"priorit|målgrupp|fokus", re.I),
}
CUE_BONUS = 0.15


OWN_WEIGHT = 0.5
MIN_WORDS = 2
RANK_PRIOR = 0.2


def is_heading(span: Span) -> bool:
    """A span that only repeats a heading of its section path."""
    text = " ".join(span.text.split()).strip(" #*").lower()
    return any(text == " ".join(h.split()).strip(" #*").lower() for h in _headings(span))


def _headings(span: Span) -> list[str]:
    return span.result.chunk.section.split(" > ")


def rank_spans(
    results: list[SearchResult], wanted: Wanted, weights: TermWeights, kind: Kind
) -> list[Span]:
    spans = [
        scored(s, wanted, weights, kind)
        for r in results
        for s in spans_of(r)
        if not is_heading(s) and len(s.text.split()) >= MIN_WORDS
    ]
    return sorted(spans, key=lambda s: -s.score)
