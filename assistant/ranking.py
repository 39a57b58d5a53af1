"""Ranking the evidence: quotable spans by how well they answer the question, and the
one priority list that answers a "what is prioritised" question."""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.evidence import Span, TermWeights, Wanted, spans_of
from assistant.model import Kind
from knowledge.answer_types import chunk_flags
from knowledge.columns import row_cell
from knowledge.registers import PriorityEntry
from knowledge.retrieval import SearchResult


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

    def subtree(key: tuple[str, str]) -> list[PriorityEntry]:
        return [e for e in entries if e.document_id == key[0] and _within(e.section, key[1])]

    def score(key: tuple[str, str]) -> float:
        text = key[1] + " " + " ".join(e.quote for e in subtree(key))
        return weights.coverage(wanted, key[1]) + weights.coverage(wanted, text)

    best = max(sections, key=score)
    if score(best) < MIN_SECTION_SCORE:
        return []
    while (up := (best[0], best[1].rpartition(" > ")[0])) in sections:
        if score(up) < score(best) - NARROWER_BY:
            break
        best = up
    items = subtree(best)
    return items if len(items) <= MAX_ITEMS else sections[best][:MAX_ITEMS]


NARROWER_BY = 0.2
"""How much better a nested list (the bullets under one item) must match than the
list it is nested in to be answered alone."""


def _within(section: str, parent: str) -> bool:
    """The section is `parent` or one nested in it (an item's sub-items)."""
    return section == parent or section.startswith(parent + " > ")


MIN_SECTION_SCORE = 0.6
MAX_ITEMS = 12


def scored(span: Span, wanted: Wanted, weights: TermWeights, kind: Kind, types: int = 0) -> Span:
    """Coverage counts the span's section path as context (a sentence under "Ansvar och
    roller" is about roles); the span's own words break ties; a span that says what the
    kind of question asks for ("gäller till", "ansvarar för") gets a bonus, and so does
    one that holds the type of answer asked for (`types`: a frequency for "hur ofta")."""
    chunk = span.result.chunk
    activity = row_cell(chunk.cells, "what")
    own = weights.coverage(wanted, activity or span.text)
    in_context = weights.coverage(wanted, f"{span.text} {chunk.section}")
    score = OWN_WEIGHT * own + (1 - OWN_WEIGHT) * in_context + RANK_PRIOR / (span.result.rank + 1)
    cue = KIND_CUES.get(kind)
    if cue is not None and cue.search(span.text):
        score += CUE_BONUS
    if types and chunk_flags(span.text) & types:
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
    results: list[SearchResult], wanted: Wanted, weights: TermWeights, kind: Kind, types: int = 0
) -> list[Span]:
    spans = [
        scored(s, wanted, weights, kind, types)
        for r in results
        for s in spans_of(r)
        if not is_heading(s) and len(s.text.split()) >= MIN_WORDS
    ]
    return sorted(spans, key=lambda s: -s.score)
