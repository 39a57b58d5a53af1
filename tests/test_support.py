"""The statement–passage support metric and its calibration set."""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import pytest

from evals.calibration import PAIRS_PATH, calibrate, folds, load_pairs, main
from knowledge.support import (
    SUPPORT_THRESHOLD,
    analyzer_for,
    is_supported,
    support_score,
)

ROOT = Path(__file__).resolve().parent.parent
CORPUS_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt"))]

ROADMAP = (
    "Färdplanen är antagen av länsledningen HälSam den 2024-01-24 och godkänd av högsta "
    "tjänsteledningen."
)
COMMUNICATION = "Kommunikationsplan\tPlanen ska beskriva kommunikation internt och externt."
DEMENTIA = (
    '3. Projektet "Organisationsöverskridande multidisciplinärt demensteam" med pilot i '
    "Örnsköldsvik fortsätter och utvärderas för eventuellt breddinförande därefter."
)
POPULATION = (
    "Tillsammans med Bjurholm är Dorotea en av de minsta kommuner i Sverige med sina ca "
    "2 400 medborgare."
)


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    return calibrate(load_pairs())


@pytest.mark.parametrize(
    ("statement", "passage"),
    [
        (
            "Planen för kommunikation ska beskriva kommunikationen internt och externt [1].",
            COMMUNICATION,
        ),
        (
            "Kommunikationsplanen ska beskriva kommunikation internt och externt [2].",
            "Plan för kommunikation: planen ska beskriva kommunikation internt och externt.",
        ),
        (
            "Piloten med ett multidisciplinärt team för demens i Örnsköldsvik fortsätter [1].",
            DEMENTIA,
        ),
        ("Länsledningen HälSam antog färdplanen den 24 januari 2024 [1].", ROADMAP),
        (
            "Dorotea är med sina cirka 2400 medborgare en av Sveriges minsta kommuner [1].",
            POPULATION,
        ),
        ("Enligt färdplanen ”är färdplanen antagen av länsledningen HälSam” [3].", ROADMAP),
    ],
)
def test_paraphrases_compounds_and_quotes_are_supported(statement: str, passage: str) -> None:
    assert is_supported(statement, [passage]), support_score(statement, [passage])


@pytest.mark.parametrize(
    ("statement", "passage"),
    [
        ("Länsledningen HälSam antog färdplanen den 24 januari 2023 [1].", ROADMAP),  # year
        ("Färdplanen är antagen av länsledningen HälSam den 2024-02-24 [1].", ROADMAP),  # date
        ("Färdplanen är antagen av Region Dalarna [1].", ROADMAP),  # actor (name)
        ("Färdplanen är antagen av styrgruppen [1].", ROADMAP),  # actor (role)
        (
            "Tillsammans med Vilhelmina är Dorotea en av de minsta kommunerna i Sverige [1].",
            POPULATION,
        ),  # actor
        ("Dorotea har cirka 4 200 medborgare [1].", POPULATION),  # number
        ("Piloten med ett multidisciplinärt demensteam genomförs i Sundsvall [1].", DEMENTIA),
        ("Projektet med demensteam i Örnsköldsvik fortsätter inte [1].", DEMENTIA),  # negation
    ],
)
def test_wrong_years_actors_numbers_and_negations_fail(statement: str, passage: str) -> None:
    assert not is_supported(statement, [passage]), support_score(statement, [passage])


def test_a_missing_number_weighs_more_than_a_missing_word() -> None:
    base = "Länsledningen HälSam antog färdplanen den 24 januari 2024."
    wrong_year = support_score(base.replace("2024", "2023"), [ROADMAP])
    extra_word = support_score(base.replace("antog", "antog snabbt"), [ROADMAP])
    assert wrong_year < extra_word


def test_citation_markers_and_quote_marks_are_ignored() -> None:
    plain = "Länsledningen HälSam antog färdplanen den 24 januari 2024."
    expected = support_score(plain, [ROADMAP])
    for variant in (
        "Länsledningen HälSam antog färdplanen den 24 januari 2024 [1].",
        "Länsledningen HälSam antog färdplanen den 24 januari 2024 [1][2].",
        "Länsledningen HälSam antog färdplanen den 24 januari 2024 [1, 3].",
        "”Länsledningen HälSam antog färdplanen” den 24 januari 2024.",
        '"Länsledningen HälSam antog färdplanen den 24 januari 2024" [4].',
    ):
        assert support_score(variant, [ROADMAP]) == pytest.approx(expected)
    assert support_score("[1] [2]", [ROADMAP]) == 1.0  # no content words


def test_scores_are_bounded_and_edge_cases_defined() -> None:
    assert support_score("Färdplanen antogs 2024.", []) == 0.0
    assert support_score("Färdplanen antogs 2024.", ["", "  "]) == 0.0
    assert support_score("Och det är så.", [ROADMAP]) == 1.0
    for pair in load_pairs():
        assert 0.0 <= support_score(pair.statement, [pair.passage]) <= 1.0


def test_union_of_passages_supports_a_combined_statement() -> None:
    statement = "Färdplanen antogs av länsledningen HälSam, och piloten i Örnsköldsvik fortsätter."
    assert not is_supported(statement, [ROADMAP])
    assert is_supported(statement, [ROADMAP, DEMENTIA])


def test_a_given_analyzer_gives_the_same_score() -> None:
    statement = "Planen för kommunikation ska beskriva kommunikationen internt och externt."
    analyzer = analyzer_for(statement, [COMMUNICATION])
    assert support_score(statement, [COMMUNICATION], analyzer) == support_score(
        statement, [COMMUNICATION]
    )


def test_scoring_is_fast() -> None:
    pairs = load_pairs()
    start = time.process_time()
    for pair in pairs:
        support_score(pair.statement, [pair.passage])
    per_pair_ms = (time.process_time() - start) / len(pairs) * 1000
    assert per_pair_ms < 5, per_pair_ms  # typically ~0.2 ms


def test_calibration_set_is_well_formed() -> None:
    pairs = load_pairs()
    assert len(pairs) >= 80
    assert len({p.id for p in pairs}) == len(pairs)
    supported = sum(p.supported for p in pairs)
    assert 0.4 <= supported / len(pairs) <= 0.6
    assert all(p.note and p.kind and p.statement.strip() for p in pairs)
    kinds = {p.kind for p in pairs if not p.supported}
    assert {"wrong_year", "wrong_number", "wrong_actor", "negation", "added_claim"} <= kinds
    assert {"paraphrase", "compound", "quote_framing"} <= {p.kind for p in pairs if p.supported}


def test_every_passage_is_verbatim_in_the_corpus() -> None:
    missing = [p.id for p in load_pairs() if not any(p.passage in t for t in CORPUS_TEXTS)]
    assert missing == []


def test_folds_are_deterministic_stratified_halves() -> None:
    pairs = load_pairs()
    a, b = folds(pairs)
    assert {p.id for p in a}.isdisjoint({p.id for p in b})
    assert len(a) + len(b) == len(pairs)
    assert abs(sum(p.supported for p in a) - sum(p.supported for p in b)) <= 1
    assert [p.id for p in folds(list(reversed(pairs)))[0]] == [p.id for p in a]


def test_calibrated_threshold_reaches_precision_and_recall(report) -> None:  # type: ignore[no-untyped-def]
    assert report.in_sample.precision >= 0.9
    assert report.in_sample.recall >= 0.88
    assert report.held_out.precision >= 0.88
    assert report.held_out.recall >= 0.9
    c = report.in_sample
    assert c.tp + c.fp + c.tn + c.fn == len(load_pairs())


def test_support_threshold_is_the_calibrated_value(report) -> None:  # type: ignore[no-untyped-def]
    assert abs(SUPPORT_THRESHOLD - report.threshold) < 1e-9


def test_cli_prints_the_report_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["threshold"] == pytest.approx(SUPPORT_THRESHOLD)
    assert {"precision", "recall", "f1", "tp", "fp", "tn", "fn"} <= set(data["in_sample"])
    assert {"precision", "recall", "f1", "fold_thresholds"} <= set(data["held_out_2fold"])


def test_support_module_imports_only_knowledge_nara_and_stdlib() -> None:
    tree = ast.parse((ROOT / "knowledge" / "support.py").read_text(encoding="utf-8"))
    top = {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    } | {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not top & {"assistant", "ui", "evals", "ingest"}
    assert PAIRS_PATH.exists()
