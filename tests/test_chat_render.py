"""The chat's pure rendering helpers (ui/chat/render.py, tables.py, ingest_messages.py and
answer.py): highlighted quotes, escaping, register and document rows, Swedish messages,
the admin key check."""

from __future__ import annotations

import html
import re

from assistant.model import Answer, Citation, Source, Status, Turn
from knowledge.registers import PriorityEntry, ResponsibilityEntry
from knowledge.store import DocumentRecord
from nara.errors import IngestError
from ui.app.keys import key_matches
from ui.chat import ingest_messages, tables
from ui.chat import render as r
from ui.chat.answer import CONTEXT_CHARS, passage_html

TEXT = (
    "1 Inledning\n"
    "Detta är en handlingsplan för Dorotea kommun och Region Västerbotten. Den beskriver "
    "hur arbetet med en gemensam systemledning ska bedrivas, vilka aktiviteter som ingår "
    "och vem som ansvarar för dem under projektets gång. "
    "Planen gäller 2024 och följs upp årligen av styrgruppen.\n"
    "2 Kommunikation\n"
    "Kommunikationsplan\tPlanen ska beskriva kommunikation internt och externt.\t"
    "Processledare Kommunikatör\tMars-Aug 2024\n"
    "3 Uppföljning\n"
    "Styrgruppen följer upp arbetet varje kvartal och rapporterar till den politiska "
    "ledningen, som beslutar om eventuella förändringar i planen inför nästa år.\n"
)
QUOTE = "Planen ska beskriva kommunikation internt och externt."


def citation(text: str = TEXT, quote: str = QUOTE, page: int | None = 3, cid: int = 1) -> Citation:
    start = text.index(quote)
    return Citation(
        cid,
        quote,
        Source(
            "doro",
            "Förstudie Dorotea",
            "doro.pdf",
            "2 Kommunikation",
            page,
            start,
            start + len(quote),
        ),
    )


def marked(fragment: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", fragment, re.S)


# -- quoted passages -------------------------------------------------------------------
def test_highlight_is_exactly_the_quote() -> None:
    start = TEXT.index(QUOTE)
    out = passage_html(TEXT, start, start + len(QUOTE))
    assert marked(out) == [QUOTE]
    assert out.startswith("…") and out.endswith("…")  # context on both sides, cut
    # the context is the text around the quote, up to CONTEXT_CHARS each side
    before = out[1 : out.index("<mark>")]
    assert 0 < len(html.unescape(before.replace("<br>", "\n"))) <= CONTEXT_CHARS
    assert "Kommunikationsplan" in before


def test_context_is_cut_at_word_boundaries() -> None:
    start = TEXT.index(QUOTE)
    out = passage_html(TEXT, start, start + len(QUOTE), context=30)
    plain = html.unescape(re.sub(r"<[^>]+>", " ", out))
    first_word = plain.lstrip("…").split()[0]
    assert first_word in TEXT.split()  # no word cut in half at the start
    last_word = plain.rstrip("…").split()[-1]
    assert last_word in TEXT.split()


def test_quote_at_start_or_end_has_no_ellipsis() -> None:
    out = passage_html("Alfa beta gamma.", 0, 4)
    assert out == "<mark>Alfa</mark> beta gamma."
    out = passage_html("Alfa beta gamma.", 10, 16)
    assert out == "Alfa beta <mark>gamma.</mark>"


def test_html_in_document_text_is_escaped() -> None:
    text = (
        "<script>alert('x')</script> Inledning. "
        'Ansvarig är <b>Kommunen</b> & Regionen "tillsammans". <img src=x onerror=alert(1)>'
    )
    quote = "Ansvarig är <b>Kommunen</b> & Regionen"
    start = text.index(quote)
    out = passage_html(text, start, start + len(quote))
    assert "<script>" not in out and "<b>" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert marked(out) == [html.escape(quote)]
    # only the tags we add remain
    assert set(re.findall(r"</?([a-z]+)", out)) == {"mark"}


def test_newlines_become_br_and_blank_runs_are_shortened() -> None:
    text = "Rubrik\n\n\n\n\nFörsta raden.\nAndra raden.\n\n\n\nSlut."
    quote = "Första raden.\nAndra raden."
    start = text.index(quote)
    out = passage_html(text, start, start + len(quote))
    assert "\n" not in out
    assert marked(out) == ["Första raden.<br>Andra raden."]
    assert "<br><br><br>" not in out


# -- conversation ----------------------------------------------------------------------
def answer(text: str = "Kommunikatören ansvarar [1].") -> Answer:
    return Answer("Vem?", text, Status.ANSWERED, "responsibility", (citation(),))


def test_exchange_of_answer_keeps_text_citations_and_sources() -> None:
    ex = r.exchange_of("Vem ansvarar?", answer(), {"doro": TEXT})
    assert ex.status == "answered" and not ex.is_error
    assert ex.answer == "Kommunikatören ansvarar [1]."
    assert ex.citations[0]["quote"] == QUOTE
    assert ex.citations[0]["source"]["page"] == 3
    assert marked(ex.shown) == [QUOTE]
    assert ex.shown.startswith('<div class="nara-answer"') and "\n" not in ex.shown


def test_chat_messages_pairs_and_pending() -> None:
    ex = r.exchange_of("Vem <ansvarar>?", answer(), {"doro": TEXT})
    messages = r.chat_messages([ex], pending=("Och sedan?", r.SEARCHING))
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[0]["content"] == "Vem &lt;ansvarar&gt;?"
    assert messages[3]["content"] == r.SEARCHING
    assert r.chat_messages([], ("  ", "x"))[0]["content"] == "_(tom fråga)_"


def test_history_leaves_out_errors() -> None:
    ok = r.exchange_of("Vem ansvarar?", answer(), {"doro": TEXT})
    failed = r.error_exchange("", "Frågan är tom.")
    assert failed.is_error and failed.shown.startswith("⚠️")
    assert r.history_turns([ok, failed]) == [
        Turn("user", "Vem ansvarar?"),
        Turn("assistant", "Kommunikatören ansvarar [1]."),
    ]


def test_question_error_messages_are_swedish() -> None:
    assert r.question_error_message("   ", 100).startswith("Frågan är tom.")
    long = r.question_error_message("x" * 150, 100)
    assert "150 tecken" in long and "högst 100" in long


# -- registers and documents -----------------------------------------------------------
def duty() -> ResponsibilityEntry:
    start = TEXT.index("Kommunikationsplan\t")
    end = TEXT.index("Mars-Aug 2024") + len("Mars-Aug 2024")
    return ResponsibilityEntry(
        "Kommunikationsplan",
        ("Processledare", "Kommunikatör"),
        "Mars-Aug 2024",
        QUOTE,
        "doro",
        "2 Kommunikation",
        4,
        TEXT[start:end],
        start,
        end,
    )


def priority() -> PriorityEntry:
    quote = "Planen gäller 2024"
    start = TEXT.index(quote)
    return PriorityEntry(
        "2024",
        2024,
        2024,
        "barn och unga",
        "Stärkt samverkan",
        "doro",
        "1 Inledning",
        None,
        quote,
        start,
        start + len(quote),
    )


def test_register_rows_link_to_their_source() -> None:
    titles = {"doro": "Förstudie Dorotea"}
    rows = tables.responsibility_rows([duty()], titles)
    assert rows == [
        [
            "1",
            "Kommunikationsplan",
            "Processledare, Kommunikatör",
            "Mars-Aug 2024",
            QUOTE,
            "Förstudie Dorotea – 2 Kommunikation, sida 4",
        ]
    ]
    assert len(rows[0]) == len(tables.RESPONSIBILITY_HEADERS)
    prows = tables.priority_rows([priority()], titles)
    assert prows == [
        ["1", "2024", "barn och unga", "Stärkt samverkan", "Förstudie Dorotea – 1 Inledning"]
    ]
    assert len(prows[0]) == len(tables.PRIORITY_HEADERS)
    # unknown document: the id stands in for the title
    assert tables.priority_rows([priority()], {})[0][-1] == "doro – 1 Inledning"


def test_register_source_highlights_the_row_quote() -> None:
    entry = duty()
    out = tables.register_source_html(entry, "Förstudie <Dorotea>", TEXT)
    assert "Förstudie &lt;Dorotea&gt; – 2 Kommunikation, sida 4" in out
    shown = html.escape(entry.quote.replace("\t", " · "))  # no header row: cells in a line
    assert marked(out) == [shown]
    assert marked(tables.register_source_html(entry, "T", None)) == [shown]


def record(**kw: object) -> DocumentRecord:
    base: dict[str, object] = dict(
        doc_id="doro",
        file="doro.pdf",
        title="Förstudie Dorotea",
        version="v1",
        organisations=("Region Västerbotten", "Dorotea kommun"),
        region="Västerbotten",
        doc_type="förstudie",
        date="2024-02-05",
        valid_until=None,
        year_from=2024,
        year_to=2025,
        n_chunks=48,
    )
    base.update(kw)
    return DocumentRecord(**base)  # type: ignore[arg-type]


def test_document_rows_and_filter_choices() -> None:
    docs = [
        record(),
        record(
            doc_id="vnl",
            title="Färdplan",
            organisations=("Region Västernorrland",),
            region="Västernorrland",
            doc_type="färdplan",
            year_from=2024,
            year_to=2027,
        ),
    ]
    rows = tables.document_rows(docs)
    assert rows[0] == [
        "Förstudie Dorotea",
        "förstudie",
        "Region Västerbotten, Dorotea kommun",
        "Västerbotten",
        "2024-02-05",
        "–",
        "doro.pdf",
        "doro",
        "48",
        "–",  # no flags
    ]
    assert len(rows[0]) == len(tables.DOCUMENT_HEADERS)
    assert tables.organisation_choices(docs) == [
        "Dorotea kommun",
        "Region Västerbotten",
        "Region Västernorrland",
        "Västerbotten",
        "Västernorrland",
    ]
    assert tables.doc_type_choices(docs) == ["färdplan", "förstudie"]
    assert tables.year_choices(docs, [priority()]) == [2024, 2025, 2026, 2027]


# -- admin -----------------------------------------------------------------------------
def test_admin_key_check() -> None:
    """The chat checks admin keys with the API's one constant-time comparison."""
    keys = ["first-admin-key-0123456789", "second-admin-key-0123456789"]
    assert key_matches("second-admin-key-0123456789", keys)
    assert not key_matches("second-admin-key-012345678", keys)
    assert not key_matches("", keys)
    assert not key_matches("anything", [])
    assert key_matches("nyckel-med-åäö-0123456789", ["nyckel-med-åäö-0123456789"])


def test_ingest_errors_in_swedish() -> None:
    tmp = "/tmp/gradio/abc/rapport.pdf"
    cases = {
        IngestError(tmp, "is an encrypted PDF.", "Save…"): "rapport.pdf är en krypterad PDF",
        IngestError(tmp, "is empty.", "Check…"): "rapport.pdf är tom.",
        IngestError(tmp, "has no text layer (a scanned PDF?).", "OCR"): "saknar textlager",
        IngestError(tmp, "has an unsupported format '.exe'.", ""): "format som inte stöds (.exe)",
        IngestError(tmp, "is 80.0 MB, over the limit of 50.0 MB.", ""): "80.0 MB, över gränsen",
        IngestError(tmp, "something new.", ""): "rapport.pdf kunde inte läsas in (something new.)",
    }
    for error, expected in cases.items():
        assert expected in ingest_messages.ingest_error_message(error, "rapport.pdf")


def test_ingest_summary_lists_failed_files() -> None:
    out = ingest_messages.ingest_summary(1, 0, 2, ["tom.txt är tom.", "<x>.pdf är skadad"])
    assert "1 nytt, 0 uppdaterade, 2 oförändrade, 2 misslyckade" in out
    assert "- tom.txt är tom." in out and "&lt;x&gt;.pdf" in out
    assert "Filer som inte kunde" not in ingest_messages.ingest_summary(1, 0, 0, [])


def test_document_counts_agree_in_number() -> None:
    from ui.app.text import document_counts

    assert document_counts(1, 1, 1, 1) == "1 nytt, 1 uppdaterat, 1 oförändrat, 1 misslyckat"
    assert document_counts(2, 0, 3, 0) == "2 nya, 0 uppdaterade, 3 oförändrade, 0 misslyckade"
