"""The bounded memo behind the per-text analysis caches, and the caches that use it:
memoised term sets and coverage give the values computed afresh."""

from __future__ import annotations

from assistant.evidence import TermWeights, Wanted, _matches
from knowledge.analysis import Analyzer
from knowledge.memo import Memo

TEXTS = [
    "Kommunikationsplanen tas fram av kommunikatören under 2025.",
    "Vårddokumentationen ska följas upp varje år av nämnden.",
    "Processledaren samordnar arbetet med hemsjukvård och omsorg.",
    "Planen för kommunikation revideras årligen.",
]


def test_memo_computes_once_per_key_and_starts_again_when_full() -> None:
    calls: list[int] = []
    memo: Memo[int, int] = Memo(size=3)

    def square(n: int) -> int:
        calls.append(n)
        return n * n

    assert [memo.get(n, lambda n=n: square(n)) for n in (1, 2, 1, 2)] == [1, 4, 1, 4]
    assert calls == [1, 2]
    for n in (3, 4):  # the fourth key finds the memo full: it starts again with it
        memo.get(n, lambda n=n: square(n))
    assert len(memo) == 1
    assert memo.get(1, lambda: square(1)) == 1 and calls == [1, 2, 3, 4, 1]


def test_memoised_term_sets_and_coverage_equal_fresh_ones() -> None:
    analyzer = Analyzer(Analyzer.vocabulary_of(TEXTS))
    weights = TermWeights(analyzer, TEXTS)
    fresh = TermWeights(Analyzer(Analyzer.vocabulary_of(TEXTS)), TEXTS)
    wanted = weights.wanted("Vem tar fram planen för kommunikation och dokumentation?", set())
    assert wanted.groups
    for _ in range(2):  # the second pass is served from the memos
        for text in [*TEXTS, "Inget av det.", TEXTS[0] + " " + TEXTS[1]]:
            assert analyzer.term_set(text) == frozenset(fresh.analyzer.terms(text))
            expected = sum(
                w
                for g, w in zip(wanted.groups, wanted.weights, strict=True)
                if _matches(g, set(fresh.analyzer.terms(text)))
            ) / sum(wanted.weights)
            assert weights.coverage(wanted, text) == expected
    plan = Wanted((analyzer.terms_of_word("planen"),), (1.0,))
    assert weights.coverage(plan, "Inget av det.") == 0.0
    assert weights.coverage(plan, TEXTS[3]) == 1.0  # "Planen …"
    assert weights.coverage(plan, TEXTS[0]) == 1.0  # a compound ending in it
