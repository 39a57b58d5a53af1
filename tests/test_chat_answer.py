"""The chat's answer view (ui/chat/answer.py): lead line, statements grouped once per
document, citation markers that name their source, sources with title, section, page and
file, and document Markdown rendered (headings, bold, table rows), never shown raw."""

from __future__ import annotations

import html
import re

from assistant.model import Citation, Source
from tests.test_chat_render import QUOTE, TEXT, citation, marked
from ui.chat import answer as a

TABLE_DOC = (
    "# Handlingsplan\n\n### Kommunikation\n\n"
    "Aktivitet\tBeskrivning\tAnsvar\tTidsplan\n"
    "Kommunikationsplan\tPlanen ska beskriva **kommunikation**.\tKommunikatör\tMars-Aug 2024\n"
    "Budskap\tDel av planen\tProcessledare\tHöst 2024\n"
)
ROW = "Kommunikationsplan\tPlanen ska beskriva **kommunikation**.\tKommunikatör\tMars-Aug 2024"


def cite(cid: int, doc: str, title: str, text: str, quote: str) -> Citation:
    start = text.index(quote)
    return Citation(
        cid,
        quote,
        Source(doc, title, f"{doc}.txt", "Kommunikation", None, start, start + len(quote)),
    )


def visible(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_highlight_is_exactly_the_quote_in_its_context() -> None:
    start = TEXT.index(QUOTE)
    out = a.passage_html(TEXT, start, start + len(QUOTE))
    assert marked(out) == [QUOTE]
    assert out.startswith("…") and out.endswith("…")
    assert "Kommunikationsplan" in out[: out.index("<mark>")]


def test_quote_at_start_or_end_has_no_ellipsis() -> None:
    assert a.passage_html("Alfa beta gamma.", 0, 4) == "<mark>Alfa</mark> beta gamma."
    assert a.passage_html("Alfa beta gamma.", 10, 16) == "Alfa beta <mark>gamma.</mark>"


def test_html_in_document_text_is_escaped() -> None:
    text = "<script>alert('x')</script> Ansvarig är <b>Kommunen</b> & Regionen. <img src=x>"
    quote = "Ansvarig är <b>Kommunen</b> & Regionen"
    start = text.index(quote)
    out = a.passage_html(text, start, start + len(quote))
    assert "<script>" not in out and "<b>" not in out and "<img" not in out
    assert marked(out) == [html.escape(quote)]


def test_markdown_is_rendered_and_a_table_row_is_a_two_column_table() -> None:
    start = TABLE_DOC.index(ROW)
    out = a.passage_html(TABLE_DOC, start, start + len(ROW))
    assert "###" not in out and "**" not in out and "\t" not in out
    assert '<strong class="nara-h">Kommunikation</strong>' in out
    table = re.search(r'<table class="nara-row">(.*?)</table>', out).group(1)  # type: ignore[union-attr]
    rows = re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", table)
    assert [name for name, _ in rows] == ["Aktivitet", "Beskrivning", "Ansvar", "Tidsplan"]
    assert visible(rows[1][1]).strip() == "Planen ska beskriva kommunikation."
    assert "<strong>kommunikation</strong>" in rows[1][1]
    assert [visible(v) for v in marked(out)] == [
        "Kommunikationsplan",
        "Planen ska beskriva kommunikation.",
        "Kommunikatör",
        "Mars-Aug 2024",
    ]


def test_a_row_without_a_header_keeps_its_cells_on_one_line() -> None:
    quote = "Kommunikationsplan\tPlanen ska beskriva kommunikation internt och externt."
    start = TEXT.index(quote)
    out = a.passage_html(TEXT, start, start + len(quote))
    assert "<table" not in out and marked(out) == [html.escape(quote.replace("\t", " · "))]


def test_answer_leads_groups_once_per_document_and_links_markers() -> None:
    other = "Styrgruppen följer upp arbetet varje kvartal"
    cites = [
        cite(1, "doro", "Förstudie Dorotea", TEXT, QUOTE),
        cite(2, "doro", "Förstudie Dorotea", TEXT, other),
        cite(3, "plan", "Handlingsplan", TABLE_DOC, ROW),
    ]
    text = (
        "Enligt «Förstudie Dorotea» (avsnitt 2 Kommunikation):\n"
        f"- „{QUOTE}” [1]\n\nEnligt «Förstudie Dorotea» (avsnitt 3 Uppföljning):\n"
        f"- „{other}” [2]\n\nEnligt «Handlingsplan» (avsnitt Kommunikation):\n- „Budskap” [3]"
    )
    out = a.answer_html(text, cites, {"doro": TEXT, "plan": TABLE_DOC}, turn=4)
    lead = re.search(r'<p class="nara-lead">(.*?)</p>', out).group(1)  # type: ignore[union-attr]
    assert visible(lead).split() == f"”{QUOTE}” [1]".split()
    titles = re.findall(r'<div class="nara-group-title">(.*?)</div>', out)
    assert titles == ["Förstudie Dorotea", "Handlingsplan"]  # each document once
    assert "Enligt" not in out and not re.search("[«»„]", out)
    assert re.findall(r'id="nara-c4-(\d)-\d"', out) == ["1", "2", "3"]
    assert re.findall(r'class="nara-source" id="nara-s4-(\d)"', out) == ["1", "2", "3"]
    assert "<a " not in out and "\n" not in out


def test_sources_carry_title_section_page_and_the_file_on_a_detail_line() -> None:
    c = citation()
    out = a.sources_html([c], {"doro": TEXT}, turn=0)
    assert "Förstudie Dorotea – 2 Kommunikation, sida 3" in visible(out)
    assert re.search(r'<div class="nara-source-file">Fil: doro\.pdf</div>', out)
    assert "Källa<" in out and marked(out) == [QUOTE]
    en = a.sources_html([c, citation(cid=2)], {"doro": TEXT}, turn=0, lang="en")
    assert "Sources (2)" in en and "page 3" in en and "File: doro.pdf" in en


def test_sources_fall_back_to_the_bare_quote_when_the_text_changed() -> None:
    for stored in (None, "Ett helt annat dokument nu."):
        out = a.sources_html([citation()], {"doro": stored}, turn=0)
        assert marked(out) == [QUOTE] and "Processledare" not in out


def test_refusal_is_its_text_and_metadata_is_escaped() -> None:
    out = a.answer_html("Det framgår inte av dokumenten. Närmast: «<b>Plan</b>».", [], {}, turn=1)
    assert "&lt;b&gt;Plan&lt;/b&gt;" in out and "”" in out and "nara-sources" not in out
    start = TEXT.index(QUOTE)
    evil = Citation(
        2, QUOTE, Source("d", "<i>T</i>", "a<b>.pdf", "Del <1>", 1, start, start + len(QUOTE))
    )
    shown = a.sources_html([evil], {"d": TEXT}, turn=1)
    assert "<i>" not in shown and "&lt;i&gt;T&lt;/i&gt;" in shown and "a&lt;b&gt;.pdf" in shown
