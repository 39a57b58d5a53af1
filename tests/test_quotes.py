"""The quote policy (`assistant.concise`): its features and labels on real evidence, the
shipped coefficients, and answers built with it on the sample corpus."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.concise import QUOTE_FEATURES, quote_features
from assistant.evidence import Span
from assistant.extractive import select
from assistant.scorers import default_scorers, parse
from assistant.service import Assistant
from evals.answers import evaluate_answers
from evals.fit_quotes import QuoteCase, adds, label
from evals.split import load_suite
from knowledge.base import KnowledgeBase
from knowledge.query import Kind


@pytest.fixture(scope="module")
def assistant(sample_kb: KnowledgeBase) -> Assistant:
    return Assistant(sample_kb)


def test_shipped_quote_policy_reads_the_quote_features() -> None:
    shipped = default_scorers()
    assert shipped.quotes is not None
    assert shipped.quotes.features == QUOTE_FEATURES
    assert 0.0 < shipped.quotes.threshold < 1.0
    lexical = default_scorers("another-embedder")
    assert lexical.quotes is not None and lexical.quotes.features == QUOTE_FEATURES
    data = {
        "version": shipped.version,
        "relevance": shipped.relevance.as_dict(),
        "answerability": shipped.answerability.as_dict(),
    }
    assert parse(data).quotes is None  # a file without the entry: the threshold alone
    assert parse(data | {"quotes": shipped.quotes.as_dict()}) == shipped


def test_a_quote_the_chosen_ones_already_hold_adds_nothing(assistant: Assistant) -> None:
    ev = assistant.evidence("Hur länge gäller överenskommelsen i Västernorrland?")
    first = ev.spans[0]
    again = quote_features(first, [first], ev)
    assert again["new_coverage"] == 0.0 and again["new_type"] == 0.0
    assert again["same_document"] == 1.0 and again["same_chunk"] == 1.0
    assert again["relevance_ratio"] == pytest.approx(1.0)
    assert again["list_question"] == 0.0 and again["position"] == 1.0
    moved = replace(first.result, document=replace(first.result.document, doc_id="other"))
    elsewhere = quote_features(replace(first, result=moved), [first], ev)
    assert elsewhere["same_document"] == 0.0 and elsewhere["new_compared"] == 0.0
    compared = replace(ev, question=replace(ev.question, kind=Kind.COMPARISON))
    assert quote_features(replace(first, result=moved), [first], compared)["new_compared"] == 1.0
    listing = assistant.evidence("Vilka målgrupper prioriteras i Västernorrland?")
    assert quote_features(listing.spans[1], listing.spans[:1], listing)["list_question"] == 1.0


def test_a_quote_whose_words_no_chosen_quote_holds_adds_coverage(assistant: Assistant) -> None:
    ev = assistant.evidence("Vem var processledare för styrgruppen i Dalarna?")
    best = ev.spans[0]
    assert best.coverage > 0.0
    # After a quote that holds none of the question's words, the best span adds its words.
    bare = replace(
        best,
        text="Inget här.",
        result=replace(best.result, chunk=replace(best.result.chunk, section="")),
    )
    gained = quote_features(best, [bare], ev)
    assert gained["new_coverage"] == pytest.approx(best.coverage) and gained["uncovered"] == 1.0
    # After the best span, no span adds more than the words the best one lacks.
    after = [quote_features(s, [best], ev) for s in ev.spans[1:]]
    assert all(0.0 <= f["new_coverage"] <= f["uncovered"] + 1e-9 for f in after)


def test_a_fact_or_passage_counts_once_in_the_labels(assistant: Assistant) -> None:
    ev = assistant.evidence("Hur länge gäller överenskommelsen i Västernorrland?")
    holding = next(s for s in ev.spans if "2027" in s.text)
    case = QuoteCase(ev, (("2027",),), [], "doc", False)
    assert adds(holding, [], case) and not adds(holding, [holding], case)
    place = (holding.doc_id, holding.char_start, holding.char_end)
    on_passage = QuoteCase(ev, (), [[place]], "doc", False)
    assert adds(holding, [ev.spans[-1]], on_passage) or holding == ev.spans[-1]
    assert not adds(holding, [holding], on_passage)
    label(case)  # every further candidate of the answer gets a row and a label
    assert len(case.rows) == len(case.labels) > 0
    assert all(set(r) == set(QUOTE_FEATURES) for r in case.rows)


def test_the_policy_only_leaves_out_what_the_fallback_quotes(assistant: Assistant) -> None:
    """The fallback (a scorers file with no quote policy) is the relevance threshold with
    every compared document's best and every list item; the policy picks spans by the
    same threshold and leaves out list items, so its quotes are a part of the fallback's
    (outside comparisons, where a compared document's best it leaves out frees a place
    for another span)."""
    for question in [
        "Vad behöver Värmland utveckla för att omställningen blir verklighet?",
        "Vilka målgrupper är prioriterade i omställningsarbetet i Västernorrland?",
        "Vem ansvarar för aktiviteten Attraktionsskapande i Dorotea?",
    ]:
        ev = assistant.evidence(question)
        assert ev.quote_policy is not None
        with_policy = select(ev)
        fallback = select(replace(ev, quote_policy=None))

        def key(s: Span) -> tuple[str, int, int]:
            return (s.doc_id, s.char_start, s.char_end)

        assert with_policy[0] == fallback[0]
        assert {key(s) for s in with_policy} <= {key(s) for s in fallback}


def test_answers_with_the_policy_are_more_precise_and_keep_their_facts(
    assistant: Assistant, sample_kb: KnowledgeBase
) -> None:
    """On the sample suite's dev part (what the policy was fitted on; session 12: quote
    precision 0.423 → 0.451, fact recall 0.725 → 0.719): the policy raises quote
    precision over the fallback (every compared document's best and every list item),
    quotes less, and loses at most a point of fact recall."""
    questions = [q for q in load_suite("sample", "dev") if q.kind != "out_of_scope"]
    policy = evaluate_answers(assistant, questions)
    shipped = default_scorers(sample_kb.settings.embedder)
    before = Assistant(sample_kb, scorers=replace(shipped, quotes=None))
    fallback = evaluate_answers(before, questions)
    after, was = policy.as_dict(), fallback.as_dict()
    assert after["quote_precision"] >= was["quote_precision"] + 0.015
    assert after["fact_recall"] >= was["fact_recall"] - 0.01
    assert after["quotes_per_answer_median"] <= min(was["quotes_per_answer_median"], 3)
    quotes = sum(len(r.answer.citations) for r in policy.results)
    assert quotes < sum(len(r.answer.citations) for r in fallback.results)


def test_the_threshold_is_the_highest_that_keeps_the_facts() -> None:
    """The policy's threshold gives up at most RECALL_MARGIN of the fact recall of the
    selection before it, out of fold; quotes are cut for precision only that far."""
    from evals.fit_quotes import RECALL_MARGIN, THRESHOLDS, _chosen

    curve = {t: {"fact_recall": 0.8 - t / 2} for t in THRESHOLDS}  # falls as t rises
    before = 0.6
    chosen = _chosen(curve, before)
    assert curve[chosen]["fact_recall"] >= before - RECALL_MARGIN
    higher = [t for t in THRESHOLDS if t > chosen]
    assert all(curve[t]["fact_recall"] < before - RECALL_MARGIN for t in higher)
    assert _chosen({t: {"fact_recall": 0.0} for t in THRESHOLDS}, before) == min(THRESHOLDS)
