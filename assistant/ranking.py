"""Ranking the evidence: quotable spans by how well they answer the question, and the
one priority list that answers a "what is prioritised" question."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.evidence import Span, TermWeights, Wanted
from assistant.features import relative, span_features
from assistant.scorers import Scorer, default_scorers
from knowledge.columns import row_cell
from knowledge.query import Query
from knowledge.registers import PriorityEntry


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


def _body(span: Span) -> str:
    """What a span's own coverage is measured on: a table row's activity cell, else the
    span's text."""
    activity = row_cell(span.result.chunk.cells, "what")
    return activity or span.text


MIN_WORDS = 2


def is_heading(span: Span) -> bool:
    """A span that only repeats a heading of its section path."""
    text = " ".join(span.text.split()).strip(" #*").lower()
    return any(text == " ".join(h.split()).strip(" #*").lower() for h in _headings(span))


def _headings(span: Span) -> list[str]:
    return span.result.chunk.section.split(" > ")


def rank_spans(
    spans: Sequence[Span],
    wanted: Wanted,
    weights: TermWeights,
    q: Query,
    scorer: Scorer | None = None,
) -> list[Span]:
    """The spans of the retrieved chunks (`spans_of`), headings and one-word pieces left
    out, most relevant first: each gets its named features and the fitted relevance
    scorer's probability (`score` and `relevance`)."""
    kept = [s for s in spans if not is_heading(s) and len(s.text.split()) >= MIN_WORDS]
    rows = [span_features(s, wanted, weights, q, _body(s)) for s in kept]
    relative(rows)
    model = scorer or default_scorers().relevance
    ranked = []
    for span, row, p in zip(kept, rows, model.probabilities(rows), strict=True):
        ranked.append(
            replace(span, coverage=row["context_coverage"], score=p, features=row, relevance=p)
        )
    return sorted(ranked, key=lambda s: -s.score)
