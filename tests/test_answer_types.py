"""The expected answer types of `knowledge.answer_types`: what a question asks for and
what a passage can hold, the validity kind in particular ("Hur länge gäller …?")."""

from __future__ import annotations

import pytest

from knowledge import answer_types as at
from knowledge.keyword import fingerprint


@pytest.mark.parametrize(
    "question",
    [
        "Hur länge gäller överenskommelsen?",
        "Hur länge gäller samtycket till en SIP?",
        "Till när gäller avtalet mellan region och kommuner?",
        "Vad är avtalets giltighetstid?",
        "Until when is the agreement valid?",
        "How long is the routine valid?",
    ],
)
def test_a_validity_question_asks_for_validity_not_for_any_date(question: str) -> None:
    flags = at.wanted(question)
    assert flags & at.VALIDITY
    assert not flags & at.DATE


@pytest.mark.parametrize(
    "question", ["När antogs planen?", "Hur länge sedan infördes rutinen?", "Vem ansvarar?"]
)
def test_other_questions_do_not_ask_for_validity(question: str) -> None:
    assert not at.wanted(question) & at.VALIDITY


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ("Avtalet gäller till och med 2027 och revideras därefter årligen.", True),
        ("Rutinen gäller t.o.m. 2026-12-31.", True),
        ("Överenskommelsen gäller tills vidare.", True),
        ("Strategin avser perioden 2022–2030.", True),
        ("Uppdraget förlängdes till februari 2022.", True),
        ("Planen antogs av nämnden den 2024-01-24.", False),
        ("Rutinen följs upp två gånger per år.", False),
    ],
)
def test_a_passage_holds_a_validity_by_an_end_or_a_period(text: str, holds: bool) -> None:
    assert bool(at.chunk_flags(text) & at.VALIDITY) is holds


def test_the_keyword_fingerprint_follows_the_answer_kind_vocabulary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Flags are stored with the keyword index: other words, another index."""
    before = fingerprint(["doc@v1"])
    kinds = at.section("question_cues", "answer_kinds")
    changed = {**kinds, "validity": {**kinds["validity"], "holds": ["gäller"]}}
    monkeypatch.setattr(
        at, "section", lambda *path: changed if path[-1] == "answer_kinds" else kinds
    )
    assert fingerprint(["doc@v1"]) != before
