"""Whether an answer quotes one more list item: a fitted policy over named features.

The first quote answers. Further spans, and the best span of each other document of a
comparison, are quoted when the relevance scorer accepts them (its fitted quote
threshold). A chosen quote that introduces a list ("… ansvaret att:") or stands in one
brings the items that follow it (`assistant.lists`); each item is quoted only when the
quote model (`assistant.scorers`, entry `quotes`) finds it likely to add an expected
part that the quotes before it lack. Its features describe the candidate against the
quotes already chosen (they are defined for any span, item or not):

- `relevance`, `relevance_ratio`: its fitted relevance, alone and against the first
  quote's;
- `new_coverage`: the weighted share of the question's content words the candidate holds
  that no chosen quote holds (with their sections);
- `new_type`: it holds the type of answer asked for (a date, a count, a person …) and no
  chosen quote does;
- `same_document`, `same_chunk`: where it stands against the chosen quotes;
- `new_compared`: in a comparison, a document no chosen quote is from;
- `list_question`, `list_item`, `item_asked`, `item_of_first`, `lead_in`: the question
  asks for a list ("Vilka …", a priority question); the candidate is an item a chosen
  quote introduces; both; an item of the list the first quote opens or stands in; the
  candidate introduces a list itself;
- `typed_question`: the question asks for a type of answer (a date, a count, a person …);
- `uncovered`: the weighted share of the question's content words no chosen quote holds;
- `position`: how many quotes are chosen already.

The policy is fitted by `python -m evals.fit_scorers` on the dev part (folds by document,
`evals.fit_quotes`): an item is labelled as adding when it holds an expected fact, or
overlaps gold evidence, that no earlier quote holds. Session 12 fitted it on every
further span too; on spans it ranked worse than the relevance alone (evals/README.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answerers import Evidence
from assistant.evidence import Span, Wanted
from knowledge.answer_types import chunk_flags
from knowledge.expected import holds
from knowledge.query import Kind
from nara.vocabulary import cue

QUOTE_FEATURES = (
    "relevance",
    "relevance_ratio",
    "new_coverage",
    "new_type",
    "same_document",
    "same_chunk",
    "new_compared",
    "list_question",
    "list_item",
    "item_asked",
    "item_of_first",
    "lead_in",
    "typed_question",
    "uncovered",
    "position",
)


def asks_for_list(evidence: Evidence) -> bool:
    """The question asks for a list: a priority question, or one that opens with a word
    asking for several ("Vilka …", `question_cues.list_openers`)."""
    q = evidence.question
    opener = cue("question_cues", "list_openers", anchor=r"^\s*{}\b")
    return q.kind is Kind.PRIORITY or bool(opener.match(q.text))


def _typed(span: Span, evidence: Evidence) -> bool:
    q = evidence.question
    return bool(q.answer_types and chunk_flags(span.text) & q.answer_types) or any(
        holds(t, span.text, q.text) for t in q.expects
    )


def _uncovered(evidence: Evidence, chosen: Sequence[Span]) -> Wanted | None:
    """The question's content words no chosen quote (with its section) holds."""
    wanted, weights = evidence.wanted, evidence.weights
    if wanted is None or weights is None or not wanted.groups:
        return None
    keep = [
        i
        for i, g in enumerate(wanted.groups)
        if not any(
            weights.coverage(Wanted((g,), (1.0,)), f"{s.text} {s.result.chunk.section}") > 0
            for s in chosen
        )
    ]
    return Wanted(tuple(wanted.groups[i] for i in keep), tuple(wanted.weights[i] for i in keep), ())


def _introduces(first: Span, item: Span) -> bool:
    """The item follows the first quote in its document, which ends in a colon or is an
    item itself (the list the first quote opens or stands in)."""
    return (
        item.doc_id == first.doc_id
        and item.char_start >= first.char_end
        and (first.text.rstrip().endswith(":") or first.kind == "item")
    )


def quote_features(
    span: Span,
    chosen: Sequence[Span],
    evidence: Evidence,
    list_item: bool = False,
    uncovered: Wanted | None = None,
) -> dict[str, float]:
    """The named features of `span` as a further quote after `chosen` (the first quote
    first); `uncovered` is `_uncovered(evidence, chosen)` when already computed."""
    first = chosen[0]
    wanted, weights = evidence.wanted, evidence.weights
    rest = uncovered if uncovered is not None else _uncovered(evidence, chosen)
    new = 0.0
    if rest is not None and rest.groups and wanted is not None and weights is not None:
        text = f"{span.text} {span.result.chunk.section}"
        new = weights.coverage(rest, text) * rest.total / wanted.total
    chunks = {s.result.chunk.chunk_id for s in chosen}
    docs = {s.doc_id for s in chosen}
    q = evidence.question
    comparison = q.kind is Kind.COMPARISON
    listing = asks_for_list(evidence)
    left = rest.total / wanted.total if rest is not None and wanted is not None else 0.0
    return {
        "relevance": span.relevance,
        "relevance_ratio": span.relevance / first.relevance if first.relevance > 0 else 0.0,
        "new_coverage": new,
        "new_type": float(_typed(span, evidence) and not any(_typed(s, evidence) for s in chosen)),
        "same_document": float(span.doc_id == first.doc_id),
        "same_chunk": float(span.result.chunk.chunk_id in chunks),
        "new_compared": float(comparison and span.doc_id not in docs),
        "list_question": float(listing),
        "list_item": float(list_item),
        "item_asked": float(list_item and listing),
        "item_of_first": float(list_item and _introduces(first, span)),
        "lead_in": float(span.text.rstrip().endswith(":")),
        "typed_question": float(bool(q.answer_types or q.expects)),
        "uncovered": left,
        "position": float(len(chosen)),
    }
