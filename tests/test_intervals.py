"""Bootstrap intervals and paired comparisons of eval reports (`evals.intervals`)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from evals.answers import Outcome, summarise
from evals.intervals import HEADLINE, changes, flipped, intervals, verdict
from knowledge.base import KnowledgeBase
from tests.conftest import CORPUS, make_settings
from ui.cli.commands import run

GOLD = Path(__file__).parents[1] / "evals" / "gold" / "questions.yaml"


def outcome(i: int, found: bool, refused: bool = False, in_scope: bool = True) -> dict[str, Any]:
    return asdict(
        Outcome(
            f"q{i}",
            in_scope,
            False,
            refused,
            (found,) if in_scope else (),
            (found, False) if in_scope and not refused else (),
            (True, True) if not refused else (),
        )
    )


def part(found: list[bool], ranks: list[int | None] | None = None) -> dict[str, Any]:
    ranks = ranks if ranks is not None else [1] * len(found)
    return {
        "answers": [outcome(i, f) for i, f in enumerate(found)],
        "retrieval": [
            {"id": f"q{i}", "first_hit": r, "ndcg": 1.0 if r else 0.0} for i, r in enumerate(ranks)
        ],
    }


def test_an_interval_holds_the_figure_and_narrows_with_more_questions() -> None:
    few = intervals(part([True, False] * 30))
    many = intervals(part([True, False] * 300))
    for bounds in (few, many):
        low, high = bounds["fact_recall"]
        assert low < 0.5 < high
    assert many["fact_recall"][1] - many["fact_recall"][0] < (
        few["fact_recall"][1] - few["fact_recall"][0]
    )
    assert set(few) == set(HEADLINE["answers"]) | set(HEADLINE["retrieval"])


def test_a_figure_every_question_agrees_on_has_no_width() -> None:
    bounds = intervals(part([True] * 40, [1] * 40))
    assert bounds["fact_recall"] == [1.0, 1.0]
    assert bounds["mrr_at_10"] == [1.0, 1.0]


def test_many_questions_turning_right_is_a_change_and_a_few_each_way_is_noise() -> None:
    before = [True] * 50 + [False] * 50
    up = changes(part(before), part([True] * 80 + [False] * 20))
    assert up["fact_recall"]["change"] == pytest.approx(0.3)
    assert verdict(up["fact_recall"]) == "up"
    moved = flipped(part(before), part([True] * 80 + [False] * 20))
    assert len(moved) == 30
    assert moved[0] == "q50: facts 0/1 → 1/1; first quote not useful → useful"
    swapped = before[:]
    swapped[:3] = [False] * 3  # three right answers go wrong, three wrong ones go right
    swapped[50:53] = [True] * 3
    even = changes(part(before), part(swapped))
    assert even["fact_recall"]["change"] == 0
    assert verdict(even["fact_recall"]) == "noise"
    down = changes(part([True] * 100, [1] * 100), part([True] * 100, [None] * 40 + [1] * 60))
    assert verdict(down["hit_at_5"]) == "down"


def test_only_the_questions_both_reports_hold_are_compared() -> None:
    before = part([True] * 10 + [False] * 10)
    after = part([False] * 10 + [True] * 10)
    after["answers"] = after["answers"][10:]  # the questions both got wrong left out
    after["retrieval"] = after["retrieval"][10:]
    c = changes(before, after)["fact_recall"]
    assert c["questions"] == 10 and c["before"] == 0.0 and c["after"] == 1.0


def test_refusals_are_resampled_with_their_questions() -> None:
    data = part([True] * 20)
    data["answers"] += [outcome(100 + i, False, refused=i < 6, in_scope=False) for i in range(10)]
    low, high = intervals(data)["refusal_recall"]
    assert low < 0.6 < high
    assert summarise([Outcome(**{**o, "found": tuple(o["found"])}) for o in data["answers"]])[
        "refusal_recall"
    ] == pytest.approx(0.6)


@pytest.fixture(scope="module")
def small_gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus with the hash embedder, and 24 of the gold questions."""
    root = tmp_path_factory.mktemp("intervals")
    assert KnowledgeBase(make_settings(root / "store", embedder="hash")).ingest([CORPUS]).ok
    questions = yaml.safe_load(GOLD.read_text(encoding="utf-8"))["questions"][:24]
    gold = yaml.safe_dump({"version": 1, "questions": questions}, allow_unicode=True)
    (root / "gold.yaml").write_text(gold, encoding="utf-8")
    return root


def test_a_report_keeps_each_question_and_compares_itself_with_a_previous_one(
    small_gold: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NARA_DATA_DIR", str(small_gold / "store"))
    monkeypatch.setenv("NARA_EMBEDDER", "hash")
    gold = str(small_gold / "gold.yaml")
    assert run(["eval", "--gold", gold, "--out", str(tmp_path / "a")]) == 0
    first = json.loads((tmp_path / "a" / "report.json").read_text())["all"]
    rows = [
        Outcome(**{**o, **{k: tuple(o[k]) for k in ("found", "useful", "verbatim")}})
        for o in first["detail"]["answers"]
    ]
    assert len(rows) == 24
    assert summarise(rows) == first["answers"]  # the kept outcomes give the report's figures
    low, high = first["intervals"]["fact_recall"]
    assert low <= first["answers"]["fact_recall"] <= high and low < high

    previous = str(tmp_path / "a" / "report.json")
    assert run(["eval", "--gold", gold, "--previous", previous, "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    report = (tmp_path / "b" / "report.md").read_text(encoding="utf-8")
    assert "## 95 % intervals" in report
    table = report.split("## Change against the previous report")[1]
    assert "| fact_recall | " in table
    assert table.count("| noise |") == len(HEADLINE["answers"]) + len(HEADLINE["retrieval"])
    assert "Questions whose answer changed (0):" in table
