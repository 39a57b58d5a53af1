"""What a question asks about, against what the documents hold: a focus word known only
as the first part of a compound, and how much of the question the span holding the
expected type of answer leaves uncovered."""

from __future__ import annotations

from typing import cast

from assistant.evidence import Span, TermWeights
from assistant.gather import typed_uncovered, unknown_focus
from knowledge.analysis import Analyzer
from knowledge.query import analyse
from knowledge.retrieval import SearchResult

TEXTS = [
    "Teamet består av flera yrkesgrupper: sjuksköterska, arbetsterapeut och läkare.",
    "Gruppen möts varje vecka och följer upp arbetet.",
    "Nämnden beslutar om budgeten för hemtjänsten.",
]


def weights() -> TermWeights:
    return TermWeights(Analyzer(Analyzer.vocabulary_of(TEXTS)), TEXTS)


def test_a_focus_word_that_opens_a_stored_compound_is_known() -> None:
    w = weights()
    assert unknown_focus("Vilka yrken finns i teamet?", w) == ""  # yrkes|grupper
    assert unknown_focus("Vilka öppettider har teamet?", w) == "öppettider"
    assert unknown_focus("Finns det parkering vid gruppen?", w) == "parkering"
    # a word that no stored term opens stays unknown, though it starts with a known one
    assert unknown_focus("Vilka grupperingar finns?", w) == "grupperingar"


def span(text: str, coverage: float) -> Span:
    return Span(
        cast(SearchResult, None),
        0,
        len(text),
        text,
        "sentence",
        features={"context_coverage": coverage},
    )


def test_typed_uncovered_reads_the_spans_that_hold_the_expected_answer() -> None:
    q = analyse("Vem är ordförande i nämnden?")
    assert q.expects == ("person",)
    about = span("Nämndens ordförande leder mötena.", 0.9)  # no name
    names = span("I gruppen ingår Anna Andersson och Per Olsson.", 0.25)
    assert typed_uncovered(q, [about, names]) == 0.75
    assert typed_uncovered(q, [about]) == 1.0
    assert typed_uncovered(q, [about, span("Ordförande är Kari Berg.", 1.0), names]) == 0.0
    # a question that expects no type of answer
    assert typed_uncovered(analyse("Vad gör nämnden?"), [about, names]) == 0.0
