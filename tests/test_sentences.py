"""The Swedish sentence splitter: where a sentence must end, where it must not, and that
every sentence is a verbatim range of the text."""

from __future__ import annotations

import itertools

import pytest

from knowledge.sentences import abbreviations, sentences
from nara.vocabulary import words


def split(text: str) -> list[str]:
    cuts = sentences(text)
    for start, end in cuts:  # offsets, trimmed, verbatim
        assert text[start:end] == text[start:end].strip() and text[start:end]
    assert all(b <= c for (_, b), (c, _) in itertools.pairwise(cuts))
    pieces = [text[a:b] for a, b in cuts]
    assert "".join("".join(p.split()) for p in pieces) == "".join(text.split())  # nothing lost
    return pieces


@pytest.mark.parametrize(
    "text",
    [
        "Mottagningen är öppen vardagar kl. 8–17 och lördagar kl. 10–14.",
        "Det framgår av 12 kap. 3 § socialtjänstlagen.",
        "Enligt 5 kap. 1 § HSL ska regionen erbjuda vård.",
        "Det gäller t.ex. Region Västerbotten och bl.a. Dorotea kommun.",
        "Planen gäller fr.o.m. 1 januari 2025 t.o.m. 31 december 2026.",
        "Avgiften är ca. 200 kronor per besök.",
        "Se ärende nr. 12 i protokollet.",
        "Den s.k. Nära vård-reformen påverkar alla.",
        "Region och kommun, resp. Socialstyrelsen, ansvarar för uppföljningen.",
        "Beslutet fattades den 1 jan. 2025 av nämnden.",
        "Rapporten skrevs av A. Svensson och J.R. Nilsson.",
        "Andelen ökade med 3.5 procent under året.",
        'Hon sa "kom hit!" och gick.',
        "Vad händer nu? frågade hon.",
        "Det finns vård, omsorg m.m. i kommunen.",
        "Ring tel. 0920-123 45 för bokning.",
        "Läs mer i bil. 2 och prop. 2019/20:164.",
        "Uppgiften görs p.g.a. nya regler, dvs. Regeringens beslut.",
        "Vi väntar … men inte länge.",
    ],
)
def test_no_split_inside_a_sentence(text: str) -> None:
    assert split(text) == [text]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vi börjar i år. Nästa år fortsätter vi.", ["Vi börjar i år.", "Nästa år fortsätter vi."]),
        ("Är det klart? Ja! Då går vi.", ["Är det klart?", "Ja!", "Då går vi."]),
        ("Öppet kl. 8–17. Ring oss.", ["Öppet kl. 8–17.", "Ring oss."]),
        ("Målet nåddes 2024. 2025 blir svårare.", ["Målet nåddes 2024.", "2025 blir svårare."]),
        (
            "Det finns vård, omsorg m.m. Nästa steg är uppföljning.",
            ["Det finns vård, omsorg m.m.", "Nästa steg är uppföljning."],
        ),
        (
            'Hon sa: "Vi börjar nu." Sedan gick hon.',
            ['Hon sa: "Vi börjar nu."', "Sedan gick hon."],
        ),
        ("Vänta … Det är inte klart.", ["Vänta …", "Det är inte klart."]),
        ("Och så vidare... Sedan slut.", ["Och så vidare...", "Sedan slut."]),
        ("Observera: Från 2025 gäller nya regler.", ["Observera:", "Från 2025 gäller nya regler."]),
        ("Boendet har 50 st. Platserna är fulla.", ["Boendet har 50 st.", "Platserna är fulla."]),
        ("Det gäller (se ovan.) Sedan mer.", ["Det gäller (se ovan.)", "Sedan mer."]),
    ],
)
def test_splits_between_sentences(text: str, expected: list[str]) -> None:
    assert split(text) == expected


def test_numbered_and_bulleted_items_are_sentences_of_their_own() -> None:
    text = "Vi ska:\n1. Första steget tas i år\n2. Andra steget\n- Ett tredje\n• Ett fjärde"
    assert split(text) == [
        "Vi ska:",
        "1. Första steget tas i år",
        "2. Andra steget",
        "- Ett tredje",
        "• Ett fjärde",
    ]


def test_a_list_number_opening_a_line_is_no_sentence_end() -> None:
    assert split("1. Första punkten är viktig.") == ["1. Första punkten är viktig."]


def test_a_wrapped_line_does_not_end_a_sentence() -> None:
    text = (
        "Med fokus på de vi är till för ställer vi gemensamt om och skapar god och nära\n"
        "vård, hälsa och omsorg i Region Västerbotten och i\n"
        "Västernorrland tillsammans med kommunerna.\n"
        "Tillgängligt vardagar kl.\n"
        "8–17 via telefon.\n"
        "Det följer av 12 kap.\n"
        "3 § socialtjänstlagen."
    )
    assert split(text) == [
        "Med fokus på de vi är till för ställer vi gemensamt om och skapar god och nära\n"
        "vård, hälsa och omsorg i Region Västerbotten och i\n"
        "Västernorrland tillsammans med kommunerna.",
        "Tillgängligt vardagar kl.\n8–17 via telefon.",
        "Det följer av 12 kap.\n3 § socialtjänstlagen.",
    ]


def test_line_breaks_that_end_a_sentence() -> None:
    text = (
        "Planen antogs i mars.\n"
        "Den gäller i två år\n"
        "\n"
        "Ansvar\n"
        "Socialchefen ansvarar för genomförandet.\n"
        "Aktivitet\tAnsvar\n"
        "## Uppföljning\n"
        "Uppföljning sker årligen:\n"
        "kvartalsvis rapport till nämnden."
    )
    assert split(text) == [
        "Planen antogs i mars.",
        "Den gäller i två år",  # a blank line
        "Ansvar",  # a short line before a capital: a label or heading
        "Socialchefen ansvarar för genomförandet.",
        "Aktivitet\tAnsvar",  # a table row
        "## Uppföljning",  # a heading
        "Uppföljning sker årligen:",  # a lead-in
        "kvartalsvis rapport till nämnden.",
    ]


def test_markdown_table_rows_are_sentences_of_their_own() -> None:
    text = "| Nr | Bilaga |\n|---|---|\n| 1 | Ramavtal om läkarmedverkan |\nEfter tabellen"
    assert split(text) == [
        "| Nr | Bilaga |",
        "|---|---|",
        "| 1 | Ramavtal om läkarmedverkan |",
        "Efter tabellen",
    ]


def test_a_long_line_without_a_stop_ends_before_a_capital() -> None:
    """A text file keeps a paragraph on one line: a line far longer than any a PDF
    reader wraps ends its sentence, though it lacks a full stop."""
    first = "Läs mer om hur vi arbetar tillsammans med kommunerna i länet " * 3
    text = f"{first.strip()}\nI Värmland har vi enats om en målbild."
    assert split(text) == [first.strip(), "I Värmland har vi enats om en målbild."]


def test_offsets_within_a_range_of_a_larger_text() -> None:
    text = "Rubrik\n\nFörsta meningen kl. 8. Andra meningen.\n\nSlut."
    start = text.index("Första")
    end = text.index("\n\nSlut")
    assert [text[a:b] for a, b in sentences(text, start, end)] == [
        "Första meningen kl. 8.",
        "Andra meningen.",
    ]
    assert sentences(text, start, start) == []
    assert sentences("   \n ") == []


def test_every_listed_abbreviation_is_known_and_lower_case() -> None:
    never, may_end, _ = abbreviations()
    listed = {w.lower() for w in words("abbreviations")}
    assert set(words("abbreviations_may_end_sentence")) <= listed
    assert never | may_end == listed and not never & may_end
    for abbreviation in sorted(never):
        text = f"Det står {abbreviation} Nästa ord."
        assert split(text) == [text], abbreviation
