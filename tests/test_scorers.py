"""The fitted scorers: their arithmetic, the shipped coefficients' contract, and a fit
that recovers a known signal and never reads the test part."""

from __future__ import annotations

import math
import random

import pytest

from assistant.concise import QUOTE_FEATURES
from assistant.features import ANSWER_FEATURES, SPAN_FEATURES
from assistant.scorers import LinearScorer, default_scorers, neutral, parse
from evals.fit_scorers import ANSWERABILITY_FEATURES, Sample, dev_questions, fit
from evals.retrieval import GoldQuestion, load_gold
from evals.split import GOLD_DIR, SUITES, part_of


def test_linear_scorer_is_a_standardised_logistic_model() -> None:
    s = LinearScorer("t", ("a", "b"), (2.0, -1.0), (1.0, 0.0), (2.0, 1.0), 0.5, 0.6)
    z = 0.5 + 2.0 * (3.0 - 1.0) / 2.0 - 1.0 * (1.0 - 0.0) / 1.0
    assert s.probability({"a": 3.0, "b": 1.0}) == pytest.approx(1 / (1 + math.exp(-z)))
    assert s.accepts({"a": 3.0, "b": 1.0})  # p ≈ 0.82 ≥ 0.6
    assert not s.accepts({"a": -3.0, "b": 1.0})
    assert LinearScorer.from_dict("t", s.as_dict()) == s
    assert neutral(("a",), "n").probability({"a": 99.0}) == 0.5


def test_probabilities_of_many_rows_are_each_rows_probability_bit_for_bit() -> None:
    """The vectorised path must not move a span across the quote threshold or reorder
    ties: the very same floats as `probability`, missing features read as 0."""
    scorer = default_scorers().relevance
    rng = random.Random(7)
    rows = [
        {n: rng.uniform(-3.0, 3.0) * 10 ** rng.randint(-3, 2) for n in scorer.features}
        for _ in range(200)
    ]
    rows += [{}, {scorer.features[0]: -1e6}]  # all zero; a logit far below -60
    assert scorer.probabilities(rows) == [scorer.probability(r) for r in rows]
    assert scorer.probabilities([]) == []


def test_shipped_coefficients_name_the_features_the_code_computes() -> None:
    shipped = default_scorers()
    assert shipped.relevance.features == SPAN_FEATURES
    assert shipped.answerability.features == ANSWERABILITY_FEATURES
    assert set(ANSWERABILITY_FEATURES) <= set(ANSWER_FEATURES)
    assert 0.0 < shipped.answerability.threshold < 1.0
    assert 0.0 < shipped.relevance.threshold < 1.0
    assert shipped.version.startswith("scorers-")
    assert (
        parse(
            {
                "version": shipped.version,
                "relevance": shipped.relevance.as_dict(),
                "answerability": shipped.answerability.as_dict(),
                "quotes": shipped.quotes.as_dict() if shipped.quotes else None,
            }
        )
        == shipped
    )
    assert shipped.quotes is not None and shipped.quotes.features == QUOTE_FEATURES


def _question(i: int, in_scope: bool, doc: str) -> GoldQuestion:
    from evals.retrieval import Evidence

    return GoldQuestion(
        id=f"q{i}",
        question="?",
        kind="fact" if in_scope else "out_of_scope",
        lang="sv",
        paraphrase=False,
        history=(),
        evidence=(Evidence(doc, "x"),) if in_scope else (),
        facts=(("x",),) if in_scope else (),
    )


def test_fit_recovers_the_informative_feature_and_a_sensible_threshold() -> None:
    rng = random.Random(7)
    samples = []
    for i in range(120):
        in_scope = i % 3 != 0
        q = _question(i, in_scope, f"doc{i % 6}")
        s = Sample(q, f"doc{i % 6}" if in_scope else f"oos-{i % 5}", has_spans=True)
        for j in range(8):
            useful = in_scope and j == 0
            row = {n: rng.gauss(0, 1) for n in SPAN_FEATURES}
            row["similarity"] = (2.0 if useful else 0.0) + rng.gauss(0, 0.5)
            s.span_rows.append(row)
            s.span_labels.append(int(useful))
        s.answer_row = {n: rng.gauss(0, 1) for n in ANSWER_FEATURES}
        s.answer_row["coverage"] = (1.5 if in_scope else -1.5) + rng.gauss(0, 0.5)
        samples.append(s)
    fitted = fit(samples)
    rel, ans = fitted.scorers.relevance, fitted.scorers.answerability
    top_rel = max(SPAN_FEATURES, key=lambda n: abs(rel.weights[SPAN_FEATURES.index(n)]))
    assert top_rel == "similarity" and rel.weights[SPAN_FEATURES.index("similarity")] > 0
    assert ans.weights[ans.features.index("coverage")] > 0
    assert fitted.figures["cv_top1_useful"] > 0.9
    assert fitted.figures["cv_out_of_scope_refused"] > 0.9
    assert fitted.figures["cv_false_refusal_rate"] < 0.1


def test_fitting_reads_only_the_dev_part() -> None:
    questions = dev_questions()
    # Drawn into dev, or from a file locked wholly into dev (dev-sample.yaml, dev-extra.yaml).
    dev_locked = {
        q.id for s in SUITES.values() for f in s.dev_locked for q in load_gold(GOLD_DIR / f)
    }
    assert questions and all(q.id in dev_locked or part_of(q.id) == "dev" for q in questions)
    assert not any(q.id.startswith("fresh-") for q in questions)  # fresh.yaml is locked
    assert any(q.id.startswith("devs-") for q in questions)  # dev-sample.yaml is dev


def test_first_quote_features_follow_the_span_the_relevances_put_first() -> None:
    """The answerability model reads what the first quote holds; the fit must compute it
    from the span its out-of-fold relevances rank first, as the assistant does at run
    time, not from the order the spans were gathered in."""
    from evals.fit_scorers import _with_relevance

    s = Sample(_question(0, True, "d"), "d", has_spans=True)
    typed = {"type_missing": 0.0, "expected_type": 1.0}
    untyped = {"type_missing": 1.0, "expected_type": 0.0}
    s.span_rows = [untyped, typed]
    s.span_labels = [0, 1]
    s.answer_row = {"expects_type": 1.0}
    first_typed = _with_relevance(s, [0.2, 0.9])
    first_untyped = _with_relevance(s, [0.9, 0.2])
    assert first_typed["first_type_missing"] == 0.0
    assert first_typed["first_expected_missing"] == 0.0
    assert first_untyped["first_type_missing"] == 1.0
    assert first_untyped["first_expected_missing"] == 1.0
    # A question that expects no person, amount …: a span without one lacks nothing.
    s.answer_row = {"expects_type": 0.0}
    assert _with_relevance(s, [0.9, 0.2])["first_expected_missing"] == 0.0
    # No span at all: nothing is quoted, so the type asked for is missing.
    empty = Sample(_question(1, False, "d"), "oos-0", has_spans=False)
    empty.answer_row = {"expects_type": 1.0}
    assert _with_relevance(empty, [])["first_expected_missing"] == 1.0
