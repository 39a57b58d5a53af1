"""The gold set is well-formed, and retrieval on the sample corpus does not slide back."""

from __future__ import annotations

from collections import Counter

import pytest

from evals.retrieval import evaluate_retrieval, evidence_spans, load_gold
from tests.conftest import CORPUS

KINDS = {"responsibility", "priority", "clause", "fact", "comparison", "followup", "out_of_scope"}
# Regression gate: a little under what the suite reaches now (hit@5 0.963, MRR@10 0.867),
# which meets the target of the knowledge-base issue (hit@5 >= 0.95, MRR@10 >= 0.85).
MIN_HIT_AT_5 = 0.95
MIN_MRR_AT_10 = 0.85


def test_gold_set_is_well_formed() -> None:
    gold = load_gold()
    assert len(gold) >= 40
    assert len({q.id for q in gold}) == len(gold)
    assert {q.kind for q in gold} <= KINDS
    kinds = Counter(q.kind for q in gold)
    assert kinds["responsibility"] >= 10 and kinds["priority"] >= 5 and kinds["clause"] >= 5
    assert sum(q.lang == "en" for q in gold) >= 3
    for q in gold:
        assert bool(q.evidence) == (q.kind != "out_of_scope"), q.id


def test_every_evidence_quote_stands_verbatim_in_its_document() -> None:
    texts = {p.stem: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}
    for q in load_gold():
        for ev in q.evidence:
            assert ev.quote in texts[ev.document], (q.id, ev.quote)


@pytest.fixture(scope="module")
def retrieval_report(sample_kb):  # type: ignore[no-untyped-def]
    return evaluate_retrieval(sample_kb, load_gold(), k=10)


def test_evidence_spans_are_found_in_the_stored_text(sample_kb) -> None:  # type: ignore[no-untyped-def]
    q = next(q for q in load_gold() if q.evidence)
    doc, start, end = evidence_spans(sample_kb, q)[0]
    assert sample_kb.document_text(doc)[start:end] == q.evidence[0].quote


def test_retrieval_quality_holds(retrieval_report) -> None:  # type: ignore[no-untyped-def]
    d = retrieval_report.as_dict()
    assert d["questions"] >= 40
    assert d["hit_at_5"] >= MIN_HIT_AT_5, d
    assert d["mrr_at_10"] >= MIN_MRR_AT_10, d
