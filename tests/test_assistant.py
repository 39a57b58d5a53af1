"""The assistant on the sample corpus: cited answers, registers, refusals, follow-ups."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.conversation import resolve
from assistant.model import Answer, Delta, Reason, Status, Turn
from assistant.service import Assistant, QuestionError
from evals.answers import evaluate_answers
from ingest import load_document
from knowledge.base import KnowledgeBase
from knowledge.registers import extract_registers
from knowledge.retrieval import SearchFilters
from tests.conftest import CORPUS, make_settings

DOROTEA = "000_05b96b91b6c43ee6"
VNO = "003_99ad73717f50f379"
DALARNA = "002_bf374b0e7b1df5d7"
VARMLAND = "004_0278aa6b462f4ccb"


@pytest.fixture(scope="module")
def assistant(sample_kb: KnowledgeBase) -> Assistant:
    return Assistant(sample_kb)


def assert_verbatim(kb: KnowledgeBase, answer: Answer) -> None:
    for c in answer.citations:
        text = kb.document_text(c.source.document_id)
        assert text[c.source.char_start : c.source.char_end] == c.quote
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.id for c in answer.citations}


# -- registers --------------------------------------------------------------------------
def test_responsibility_register_holds_every_dorotea_action_plan_row(
    assistant: Assistant,
) -> None:
    document = load_document(CORPUS / f"{DOROTEA}.txt", max_bytes=10**8)
    rows = [b for b in document.blocks if b.kind == "table_row"]
    entries = assistant.responsibilities(document=DOROTEA)
    row_entries = [e for e in entries if e.timeline]
    assert len(rows) == 17
    assert {(e.char_start, e.char_end) for e in row_entries} == {(b.start, b.end) for b in rows}
    kommunikation = next(e for e in entries if e.activity == "Kommunikationsplan")
    assert kommunikation.responsible[0] == "Processledare" and "Kommunikatör" in (
        kommunikation.responsible
    )
    assert kommunikation.timeline == "Mars-Aug 2024"


def _listed(text: str, start: str, end: str) -> list[str]:
    at = text.rindex(start)  # the heading in the body, not in the table of contents
    body = text[at : text.index(end, at)]
    return [line.strip()[2:] for line in body.splitlines() if line.strip().startswith("- ")]


@pytest.mark.parametrize(
    ("year", "start", "end"),
    [(2025, "\n6.2 Prioriterade områden 2025", "\n6.3"), (2026, "\n6.3 Prioriterade", "\n7 ")],
)
def test_priority_register_holds_every_vasternorrland_priority_of_the_year(
    assistant: Assistant, sample_kb: KnowledgeBase, year: int, start: str, end: str
) -> None:
    text = sample_kb.document_text(VNO)
    expected = _listed(text, start, end)
    entries = assistant.priorities(document=VNO, year=year)
    quotes = [e.quote for e in entries]
    assert len(expected) >= 4
    for item in expected:
        assert item in quotes
    assert all(text[e.char_start : e.char_end] == e.quote for e in entries)


def test_registers_follow_the_document_version(tmp_path: Path) -> None:
    kb = KnowledgeBase(make_settings(tmp_path / "store", embedder="hash"))
    doc = tmp_path / "plan.txt"
    doc.write_text(
        "Handlingsplan\n\nPrioriterade områden 2025:\n\n- Första prioriteringen.\n", "utf-8"
    )
    kb.ingest([doc])
    assert [e.priority for e in kb.priorities()] == ["Första prioriteringen"]
    doc.write_text(
        "Handlingsplan\n\nPrioriterade områden 2025:\n\n- Andra prioriteringen.\n", "utf-8"
    )
    kb.ingest([doc])
    assert [e.priority for e in kb.priorities()] == ["Andra prioriteringen"]
    kb.remove("plan")
    assert kb.priorities() == []


def test_items_nested_under_an_item_are_filed_under_it(tmp_path: Path) -> None:
    path = tmp_path / "bilaga.txt"
    path.write_text(
        "Bilaga\n\nUtvecklingsområden med exempel\n1. Hälsa\n- Stärk egenvården\n"
        "2. Digitala verktyg\n- Hemmonitorering\n",
        "utf-8",
    )
    entries = extract_registers(load_document(path)).priorities
    assert [(e.priority, e.section.split(" > ")[1:]) for e in entries] == [
        ("Hälsa", []),
        ("Stärk egenvården", ["Hälsa"]),
        ("Digitala verktyg", []),
        ("Hemmonitorering", ["Digitala verktyg"]),
    ]


def test_registers_extracted_from_parsed_structure() -> None:
    document = load_document(CORPUS / f"{VNO}.txt", max_bytes=10**8)
    registers = extract_registers(document)
    who = {e.responsible[0] for e in registers.responsibilities}
    assert "Länsledning HälSam" in who and "Högsta tjänsteledningen" in who
    assert not any("vem som" in w for w in who)


# -- answers ----------------------------------------------------------------------------
def test_who_is_responsible_reads_the_table_row(
    assistant: Assistant, sample_kb: KnowledgeBase
) -> None:
    answer = assistant.ask("Vem ansvarar för kommunikationsplanen i Dorotea?")
    assert answer.status is Status.ANSWERED and answer.kind == "responsibility"
    first = answer.answer.splitlines()[1]
    assert "Kommunikationsplan" in first and "Processledare" in first and "[1]" in first
    assert answer.citations[0].source.document_id == DOROTEA
    assert answer.citations[0].source.section.endswith("Kommunikation")
    assert_verbatim(sample_kb, answer)


def test_priorities_of_a_year_then_a_follow_up(
    assistant: Assistant, sample_kb: KnowledgeBase
) -> None:
    first = assistant.ask("Vad är prioriterat 2025 i Västernorrland?")
    assert "tidiga samordnade insatser (TSI)" in first.answer
    assert "Digitalt väntrum" not in first.answer
    history = [Turn("user", first.question), Turn("assistant", first.answer)]
    follow = assistant.ask("Och 2026?", history)
    assert "2026" in follow.resolved_question
    assert "Digitalt väntrum" in follow.answer and "TSI" not in follow.answer
    assert_verbatim(sample_kb, follow)


def test_examples_of_one_area_come_from_its_nested_list(assistant: Assistant) -> None:
    answer = assistant.ask("Vilka exempel inom digitala verktyg och välfärdsteknik finns?")
    assert "Hemmonitorering" in answer.answer and "gemensam kravställan" in answer.answer
    assert "levnadsvanor" not in answer.answer  # another area's examples
    areas = assistant.ask("Vilka gemensamma utvecklingsområden ska Värmland arbeta med?")
    assert "Personcentrerat förhållningssätt" in areas.answer
    assert "Digitala" in areas.answer and "Hemmonitorering" not in areas.answer


def test_a_named_region_keeps_the_answer_in_its_document(
    assistant: Assistant, sample_kb: KnowledgeBase
) -> None:
    # "processledare" is wanted although "leder" (a part of it) is a question word
    answer = assistant.ask("Vem var processledare för styrgruppen i Dalarna?")
    assert "Ewa Welén" in answer.answer
    assert {c.source.document_id for c in answer.citations} == {DALARNA}
    assert_verbatim(sample_kb, answer)


def test_a_lead_in_lists_every_item_by_its_first_sentence(
    assistant: Assistant, sample_kb: KnowledgeBase
) -> None:
    answer = assistant.ask("Vad behöver Värmland utveckla för att omställningen blir verklighet?")
    quotes = [c.quote for c in answer.citations]
    for label in ["Ledarskapet.", "Gemensam systemledning.", "Gemensam stödstruktur."]:
        assert any(q.startswith(label + " ") for q in quotes), label  # label with its sentence
    assert len(quotes) == len(set(quotes))  # a sentence the document repeats is quoted once
    assert_verbatim(sample_kb, answer)


def test_sub_items_follow_their_item_across_a_chunk_boundary(assistant: Assistant) -> None:
    answer = assistant.ask("Vad ingår i digitaliseringsomställningen 2025 i Västernorrland?")
    for sub_item in ["SIP på distans", "Utveckla distansvård", "omsorgsdokumentation"]:
        assert sub_item in answer.answer


def test_a_sentence_that_names_the_priorities_beats_an_unrelated_list(
    assistant: Assistant,
) -> None:
    answer = assistant.ask(
        "Vilka målgrupper är prioriterade i omställningsarbetet i Västernorrland?"
    )
    assert "mest sjuka äldre" in answer.answer and "barn och unga" in answer.answer


def test_an_action_plans_strategies_are_no_priorities(assistant: Assistant) -> None:
    """Issue #11: the plan's six strategies are headings with no priority cue and no
    period; the priority register does not claim them."""
    assert assistant.priorities(document=DOROTEA) == []
    assert assistant.priorities(document=VNO, year=2025)


def test_a_sentence_announcing_an_enumeration_brings_it(
    assistant: Assistant, sample_kb: KnowledgeBase
) -> None:
    answer = assistant.ask("Vilka värdeord samlade styrgruppen från inspirationsdagarna i Dalarna?")
    assert any(c.quote.startswith("Samarbete - Samverkan – Tillsammans") for c in answer.citations)
    assert_verbatim(sample_kb, answer)


def test_a_comparison_quotes_each_document_by_its_own_best_evidence(
    assistant: Assistant,
) -> None:
    answer = assistant.ask(
        "How do Västernorrland and Värmland address SIP (coordinated individual plans)?"
    )
    assert answer.kind == "comparison"
    assert {c.source.document_id for c in answer.citations} == {VNO, VARMLAND}
    assert "SIP på distans" in answer.answer


def test_clause_question_quotes_the_clause(assistant: Assistant, sample_kb: KnowledgeBase) -> None:
    answer = assistant.ask("Hur länge gäller överenskommelsen i Västernorrland?")
    assert "gäller till och med 2027" in answer.answer
    assert_verbatim(sample_kb, answer)


def test_english_question_gets_english_framing_and_swedish_quotes(
    assistant: Assistant,
) -> None:
    answer = assistant.ask("Until when is the Västernorrland agreement valid?")
    assert answer.lang == "en" and answer.answer.startswith("According to")
    assert "2027" in answer.answer


def test_answer_text_uses_the_quotation_marks_of_its_language(assistant: Assistant) -> None:
    swedish = assistant.ask("Hur länge gäller överenskommelsen i Västernorrland?")
    english = assistant.ask("Until when is the Västernorrland agreement valid?")
    refused = assistant.ask("Vilka öppettider har vårdcentralen i Sollefteå?")
    for answer in (swedish, english, refused):
        assert not re.search("[«»„]", answer.answer), answer.answer
    assert re.match(r"Enligt ”[^”\n]+”", swedish.answer)
    assert re.search(r"”[^”\n]+” \[1\]", swedish.answer)
    assert re.match(r"According to “[^”\n]+”", english.answer)
    assert re.search(r"“[^”\n]+” \[1\]", english.answer)
    assert f"”{refused.closest_documents[0]}”" in refused.answer


def test_out_of_scope_is_refused_plainly(assistant: Assistant) -> None:
    answer = assistant.ask("Vilka öppettider har vårdcentralen i Sollefteå?")
    assert answer.refused and answer.citations == ()
    assert answer.answer.startswith("Det framgår inte av dokumenten")
    assert answer.closest_documents and answer.closest_documents[0] in answer.answer


def test_stream_yields_the_text_before_the_answer(assistant: Assistant) -> None:
    events = list(assistant.stream("Vem leder piloten i Dorotea?"))
    deltas = [e for e in events if isinstance(e, Delta)]
    assert isinstance(events[-1], Answer) and len(deltas) >= 2
    assert "".join(d.text for d in deltas) == events[-1].answer


def test_bad_questions_raise_a_clear_error(assistant: Assistant) -> None:
    with pytest.raises(QuestionError, match="tom"):
        assistant.ask("   ")
    with pytest.raises(QuestionError, match="för lång") as err:
        assistant.ask("x" * 5000)
    assert "NARA_MAX_QUESTION_CHARS" in (err.value.hint or "")


def test_empty_store_refuses_with_a_hint(tmp_path: Path) -> None:
    kb = KnowledgeBase(make_settings(tmp_path / "empty", embedder="hash"))
    answer = Assistant(kb).ask("Vem ansvarar för planen?")
    assert answer.refused and "Läs in dokument" in answer.answer
    assert answer.reason is Reason.NO_DOCUMENTS


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("Vem ansvarar för planen?", "matchar filtren"),
        ("Who is responsible?", "matches the filters"),
    ],
)
def test_a_filter_that_admits_no_stored_document_says_so(
    assistant: Assistant, question: str, said: str
) -> None:
    filters = SearchFilters(organisations=("Nonexistent",))
    answer = assistant.ask(question, filters=filters)
    assert answer.refused and answer.reason is Reason.NO_MATCH
    assert said in answer.answer and "Läs in" not in answer.answer
    assert assistant.ask(question).reason is not Reason.NO_MATCH  # unfiltered: searched


# -- conversation -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "previous", "expected"),
    [
        (
            "Och 2026?",
            "Vad är prioriterat 2025 i Västernorrland?",
            "Vad är prioriterat 2026 i Västernorrland?",
        ),
        (
            "Vem ansvarar för det?",
            "Vad innebär Intressentkarta?",
            "Vem ansvarar för det? (Vad innebär Intressentkarta?)",
        ),
        (
            "Vem leder piloten i Dorotea?",
            "Vad är prioriterat 2025?",
            "Vem leder piloten i Dorotea?",
        ),
    ],
)
def test_follow_ups_are_resolved_against_the_history(
    question: str, previous: str, expected: str
) -> None:
    assert resolve(question, [Turn("user", previous), Turn("assistant", "…")]) == expected
    assert resolve(question, []) == question


# -- the gold set -----------------------------------------------------------------------
def test_gold_answers_meet_the_floor(assistant: Assistant) -> None:
    """A regression floor on questions.yaml (dev and test; the gate in evals/gate.yaml
    judges the locked test parts): most out-of-scope refused, at most one false refusal
    in twenty, every quote verbatim, fact recall at its floor."""
    report = evaluate_answers(assistant).as_dict()
    assert report["refusal_recall"] >= 0.78  # 12 of 14 in session 4
    assert report["false_refusal_rate"] <= 0.05
    assert report["verbatim_quote_rate"] == 1.0
    assert report["fact_recall"] >= 0.78
