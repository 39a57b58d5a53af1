"""The expected answer type: what a question asks for, and whether a text holds it."""

from __future__ import annotations

import pytest

from knowledge.expected import (
    DAY,
    DURATION,
    HOURS,
    MONEY,
    NUMBER,
    PERSON,
    PHONE,
    count_unrelated,
    counted,
    expects,
    holds,
    missing,
    people,
)
from knowledge.query import analyse


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Vem är kommunalråd i Exempelby kommun?", PERSON),
        ("Who is the chief executive of the agency?", PERSON),
        ("Vad kostar ett hembesök i Exempelby?", MONEY),
        ("Hur mycket pengar avsattes till projektet?", MONEY),
        ("Vilket telefonnummer har mottagningen?", PHONE),
        ("Vilka öppettider har mottagningen?", HOURS),
        ("Vilket datum börjar avtalet gälla?", DAY),
        ("Inom hur många dagar ska ärendet vara klart?", DURATION),
        ("Hur många platser finns det?", NUMBER),
    ],
)
def test_a_question_expects_its_answer_type(question: str, kind: str) -> None:
    assert kind in expects(question)


@pytest.mark.parametrize(
    "question",
    [
        "Vem ansvarar för läkemedelsgenomgången?",
        "Vem är ytterst ansvarig för omställningen?",
        "Vem är skyldig att rapportera avvikelser?",
        "Vem bestämmer vad patienten ska betala?",
        "Vad innebär nära vård?",
    ],
)
def test_responsibility_and_open_questions_expect_no_type(question: str) -> None:
    assert PERSON not in expects(question)
    assert MONEY not in expects(question)


def test_people_are_capitalised_pairs_that_are_no_organisation() -> None:
    text = (
        "Enligt Socialstyrelsen ska Region Exempel samverka. "
        "Arbetet leds av Anna Andersson. Kari Berg, samordnare."
    )
    assert people(text) == ["Anna Andersson", "Kari Berg"]


def test_a_pair_after_a_preposition_of_place_is_a_place() -> None:
    assert people("Styrningen granskades i Norra Exempelland.") == []
    assert people("Samverkan från Östra Exempelby och regionen.") == []
    assert people("Mötet leddes av Anna Andersson i Exempelby.") == ["Anna Andersson"]


def test_a_name_the_question_gives_is_no_answer() -> None:
    question = "Vem är chef för Anna Andersson?"
    assert holds(PERSON, "Arbetet leds av Anna Andersson.", question) is False
    assert holds(PERSON, "Chef är Per Olsson.", question) is True


def test_an_amount_needs_a_unit_or_a_word_of_no_cost() -> None:
    assert holds(MONEY, "Besöket kostar 300 kronor.")
    assert holds(MONEY, "Insatsen är avgiftsfri för den enskilde.")
    assert not holds(MONEY, "Budgeten beslutas av nämnden 2025.")


def test_a_count_stands_next_to_what_it_counts() -> None:
    question = "Hur många korttidsplatser har kommunen?"
    assert counted(question) == "korttidsplats"
    assert not count_unrelated(["Kommunen har 45 korttidsplatser."], question)
    assert count_unrelated(["Inom 14 dagar erbjuds en plats på korttidsboende."], question)
    # the head of the question's compound: "styrgrupps|möten"
    assert not count_unrelated(["Gruppen hade 14 möten."], "Hur många styrgruppsmöten hölls?")
    # a measure counts nothing named; English nouns are not the text's words
    assert counted("Hur många gånger träffas gruppen?") == ""
    assert counted("How many places are there?") == ""


def test_missing_when_no_text_holds_an_expected_type() -> None:
    question = "Vilket telefonnummer har mottagningen?"
    assert missing(expects(question), ["Mottagningen nås via 1177."], question) is False
    assert missing(expects(question), ["Mottagningen har öppet på vardagar."], question)


def test_the_query_carries_its_expected_types() -> None:
    assert analyse("Vem är regiondirektör i Region Exempel?").expects == (PERSON,)
