"""Named features for the two fitted scorers (`assistant.scorers`).

Span features describe one quotable span against the question: how much of the
question's content (all of it, and its rare terms) the span and its section hold, how
close it is in meaning (dense similarity of question and span), where its chunk ranked,
whether it says what the kind of question asks for and holds the type of answer asked
for (a date for "när", a number for "hur många"). Relative features (gap to the best
span of the same question) make the scale of one question comparable with another's.

Answer features describe the evidence as a whole: the best span's relevance, coverage
of the top chunks, question words no stored text contains, names and things the
documents do not know, whether any retrieved span holds the type of answer the question
expects (a person's name, an amount, a phone number: `knowledge.expected`) and a count
next to what a "hur många" question counts, and the question's language (an English
question's words cover a Swedish text less). The first-quote features ask the same of
the span the answer would quote first (the most relevant): an answer whose first quote
holds no date for "när", no name for "vem är", does not answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from assistant.evidence import Span, TermWeights, Wanted
from assistant.model import Kind
from knowledge.answer_types import chunk_flags
from knowledge.expected import holds
from knowledge.query import Query
from nara.vocabulary import cue, section

SPAN_FEATURES = (
    "similarity",
    "similarity_gap",
    "own_coverage",
    "context_coverage",
    "coverage_gap",
    "rare_coverage",
    "heading_coverage",
    "rank_prior",
    "kind_cue",
    "answer_type",
    "type_missing",
    "expected_type",
    "log_length",
    "is_row",
    "is_item",
    "lead_in",
)
ANSWER_FEATURES = (
    "top_relevance",
    "mean_top3_relevance",
    "top_similarity",
    "coverage",
    "top_rare_coverage",
    "unknown_share",
    "foreign_names",
    "unknown_focus",
    "answer_type_missing",
    "count_unrelated",
    "english",
    "log_wanted",
    "focus_missing",
    "missing_weight",
    "best_own_coverage",
    "typed_uncovered",
    "expects_type",
    "first_type_missing",
    "first_expected_missing",
)


def passage_cue(kind: Kind) -> re.Pattern[str] | None:
    """Words of a passage that speak to the question's kind (`question_cues.passage_kinds`
    in the vocabulary), or None for a kind without such words."""
    if kind.value not in section("question_cues", "passage_kinds"):
        return None
    return cue("question_cues", "passage_kinds", kind.value)


def rare(wanted: Wanted) -> Wanted:
    """The question's rarer words: those weighing at least the mean weight."""
    if not wanted.groups:
        return wanted
    mean = wanted.total / len(wanted.weights)
    keep = [i for i, w in enumerate(wanted.weights) if w >= mean]
    return Wanted(tuple(wanted.groups[i] for i in keep), tuple(wanted.weights[i] for i in keep), ())


def span_features(
    span: Span, wanted: Wanted, weights: TermWeights, q: Query, body: str
) -> dict[str, float]:
    """Features of one span; `body` is the text its own coverage is measured on (a table
    row's activity cell, else the span). The gap features are filled by `relative`."""
    chunk = span.result.chunk
    kind_words = passage_cue(q.kind)
    types = q.answer_types
    typed = bool(types and chunk_flags(span.text) & types)
    return {
        "similarity": float(getattr(span, "similarity", 0.0)),
        "own_coverage": weights.coverage(wanted, body),
        "context_coverage": weights.coverage(wanted, f"{span.text} {chunk.section}"),
        "rare_coverage": weights.coverage(rare(wanted), f"{span.text} {chunk.section}"),
        "heading_coverage": weights.coverage(wanted, chunk.section),
        "rank_prior": 1.0 / span.result.rank,
        "kind_cue": float(kind_words is not None and bool(kind_words.search(span.text))),
        "answer_type": float(typed),
        "type_missing": float(bool(types) and not typed),
        "expected_type": float(any(holds(t, span.text, q.text) for t in q.expects)),
        "log_length": math.log(max(len(span.text), 1)),
        "is_row": float(span.kind == "row"),
        "is_item": float(span.kind == "item"),
        "lead_in": float(span.text.rstrip().endswith(":")),
    }


def relative(rows: Sequence[dict[str, float]]) -> None:
    """Fill the gap features: each span's distance to the question's best."""
    if not rows:
        return
    best_sim = max(r["similarity"] for r in rows)
    best_cov = max(r["context_coverage"] for r in rows)
    for r in rows:
        r["similarity_gap"] = best_sim - r["similarity"]
        r["coverage_gap"] = best_cov - r["context_coverage"]


def answer_features(
    spans: Sequence[Span],
    coverage: float,
    wanted: Wanted,
    weights: TermWeights,
    foreign: bool,
    unknown_focus: bool,
    type_missing: bool,
    count_unrelated: bool = False,
    top_text: str = "",
    english: bool = False,
    typed_uncovered: float = 0.0,
    expects: bool = False,
) -> dict[str, float]:
    """Question-level features; `top_text` is the text of the top chunks, in which the
    question's first content word (what it asks about: "budgeten", "ordförande") and
    its heaviest words are looked for."""
    top = sorted((s.relevance for s in spans), reverse=True)[:3]
    unknown_weight = sum(
        w
        for g, w in zip(wanted.groups, wanted.weights, strict=True)
        if not any(weights.known(t) for t in g)
    )
    return (
        {
            "top_relevance": top[0] if top else 0.0,
            "mean_top3_relevance": sum(top) / len(top) if top else 0.0,
            "top_similarity": _best(spans, "similarity"),
            "coverage": coverage,
            "top_rare_coverage": _best(spans, "rare_coverage"),
            "unknown_share": unknown_weight / wanted.total if wanted.total else 0.0,
            "foreign_names": float(foreign),
            "unknown_focus": float(unknown_focus),
            "answer_type_missing": float(type_missing),
            "count_unrelated": float(count_unrelated),
            "english": float(english),
            "log_wanted": math.log1p(len(wanted.groups)),
            "best_own_coverage": _best(spans, "own_coverage"),
            "typed_uncovered": typed_uncovered,
            "expects_type": float(expects),
        }
        | _missing(wanted, weights, top_text)
        | first_quote(spans[0].features if spans else None, expects)
    )


def first_quote(first: Mapping[str, float] | None, expects: bool) -> dict[str, float]:
    """Whether the span quoted first (its span features; None when there is none) lacks
    the answer type the question asks for (`answer_types`: a date, a count …) and the
    expected answer (`knowledge.expected`: a person, an amount …; `expects` says whether
    the question expects one). The fit recomputes these with out-of-fold relevances."""
    if first is None:
        return {"first_type_missing": 1.0, "first_expected_missing": float(expects)}
    return {
        "first_type_missing": first.get("type_missing", 0.0),
        "first_expected_missing": float(expects and not first.get("expected_type", 0.0)),
    }


def _missing(wanted: Wanted, weights: TermWeights, text: str) -> dict[str, float]:
    """Whether the question's first content word is missing from `text`, and the weight
    of its heaviest missing word relative to its heaviest word."""
    if not wanted.groups:
        return {"focus_missing": 0.0, "missing_weight": 0.0}
    found = [weights.coverage(Wanted((g,), (1.0,)), text) > 0 for g in wanted.groups]
    heaviest = max(wanted.weights)
    missing = [w for w, ok in zip(wanted.weights, found, strict=True) if not ok]
    return {
        "focus_missing": float(not found[0]),
        "missing_weight": max(missing, default=0.0) / heaviest if heaviest else 0.0,
    }


def _best(spans: Sequence[Span], name: str) -> float:
    return max((s.features.get(name, 0.0) for s in spans), default=0.0)
