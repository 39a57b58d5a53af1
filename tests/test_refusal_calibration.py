"""The refusal threshold sits inside the range the gold set calls feasible."""

from __future__ import annotations

from assistant.refusal import MIN_COVERAGE
from assistant.service import Assistant
from evals.refusal_calibration import Row, gold_evidence, sweep, table
from evals.retrieval import load_gold
from knowledge.base import KnowledgeBase


def test_row_feasibility_follows_the_two_bars() -> None:
    assert Row(0.1, 14, 14, 6, 136).feasible  # 4.4 % false refusals
    assert not Row(0.1, 14, 14, 7, 136).feasible  # 5.1 %
    assert not Row(0.1, 13, 14, 0, 136).feasible  # one out-of-scope question answered


def test_min_coverage_is_feasible_and_not_at_an_edge(sample_kb: KnowledgeBase) -> None:
    rows = sweep(gold_evidence(Assistant(sample_kb), load_gold()))
    current = next(r for r in rows if abs(r.threshold - MIN_COVERAGE) < 1e-9)
    assert current.feasible, table(rows)
    assert any(r.feasible and r.threshold < MIN_COVERAGE for r in rows), table(rows)
    assert any(r.feasible and r.threshold > MIN_COVERAGE for r in rows), table(rows)
    refused = [r.out_of_scope_refused for r in rows]
    assert refused == sorted(refused)  # a higher threshold never refuses less
