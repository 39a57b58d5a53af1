"""Every supported format, written by its real writer, parsed by the real readers:
structure (headings, sections, lists, table rows, pages), verbatim spans and metadata."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from ingest import Block, Document, DocumentMetadata, load_document
from nara.errors import IngestError
from tests import docs_factory as f
from tests.conftest import CORPUS


def blocks_of(doc: Document, kind: str) -> list[Block]:
    return [b for b in doc.blocks if b.kind == kind]


def heading(doc: Document, text: str) -> Block:
    found = [b for b in blocks_of(doc, "heading") if doc.block_text(b) == text]
    assert len(found) == 1, f"heading {text!r} not found once in {doc.file}"
    return found[0]


def row_cells(row: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple(zip(f.TABLE_HEADER, row, strict=True))


def squash(text: str) -> str:
    return " ".join(text.split())


# -- PDF -------------------------------------------------------------------------------


PDF_VARIANTS: dict[str, dict[str, Any]] = {
    "header-repeated": {},
    "header-once": {"repeat_header": False},
    "wide-columns": {"col_widths": True},
    "tall-rows": {"table_font_size": 9},
    "tall-rows-header-once": {"table_font_size": 8, "repeat_header": False},
}


@pytest.mark.parametrize("variant", list(PDF_VARIANTS))
def test_pdf_keeps_pages_headings_and_table_cells(tmp_path: Path, variant: str) -> None:
    path = f.write_report_pdf(tmp_path / "rapport.pdf", **PDF_VARIANTS[variant])
    reader = PdfReader(path)
    pages = [p.extract_text() for p in reader.pages]
    assert len(pages) >= 2
    if variant.startswith("tall-rows"):  # the fixture does what it claims
        layout = reader.pages[0].extract_text(extraction_mode="layout")
        assert re.search(r"Regionen +2026\n\s*\n\s*Uppföljning", layout)

    doc = load_document(path)

    assert doc.metadata.title == f.PDF_TITLE
    assert doc.metadata.doc_type == "handlingsplan"
    title = heading(doc, f.PDF_TITLE)
    assert title.page == 1
    intro = heading(doc, "1 Inledning")
    assert (intro.level, intro.page) == (1, 1)
    sub = heading(doc, f.PDF_HEADING)
    assert sub.level == 2 and sub.section[-1] == f.PDF_HEADING
    closing = heading(doc, "7 Uppföljning")
    assert closing.page == 2 and closing.section == ("7 Uppföljning",)

    # A paragraph wrapped over several lines is one block, å/ä/ö intact.
    paragraphs = [squash(doc.block_text(b)) for b in blocks_of(doc, "paragraph")]
    assert squash(f.INTRO) in paragraphs
    assert squash(f.PRIORITY) in paragraphs

    # Every row of the table, each once, with its column names; none taken as a header.
    expected = [row_cells(r) for r in f.table_rows(f.FILLER_ROWS)]
    rows = blocks_of(doc, "table_row")
    assert [r.cells for r in rows] == expected
    assert all(r.section[-1] == f.PDF_HEADING for r in rows)
    assert "\t".join(f.TABLE_HEADER) not in [doc.block_text(b) for b in doc.blocks]

    # Pages: the table runs over the break and each row names the page it is printed on.
    assert {r.page for r in rows} == {1, 2}
    for r in rows:
        activity = r.cells[0][1]
        printed_on = [n for n, text in enumerate(pages, start=1) if activity in text]
        assert printed_on == [r.page], activity
    responsible = next(r for r in rows if ("Ansvar/Resurser", "HälSam länsledning") in r.cells)
    assert responsible.page == 2
    assert responsible.cells == row_cells(f.TABLE_ROWS[2])


def test_pdf_table_with_columns_two_spaces_apart(tmp_path: Path) -> None:
    path = f.write_tight_table_pdf(tmp_path / "tabell.pdf", n_rows=40)
    layout = "\n".join(p.extract_text(extraction_mode="layout") for p in PdfReader(path).pages)
    assert re.search(r"Aktivitet \d+  Gemensamma", layout), "fixture: no two-space gap"

    doc = load_document(path)

    rows = blocks_of(doc, "table_row")
    assert [r.cells for r in rows] == [
        row_cells((f"Aktivitet {i}", f"Gemensamma team {i}", "Kommunerna och regionen", "2025"))
        for i in range(40)
    ]
    assert {r.page for r in rows} == {1, 2}


def test_pdf_prose_with_double_spaces_is_not_a_table(tmp_path: Path) -> None:
    path = f.write_canvas_pdf(
        tmp_path / "brev.pdf",
        [
            "Detta är  en mening med  dubbla mellanslag som fortsätter över raden och",
            "på nästa rad, som också har  dubbla  mellanslag i sig.",
        ],
    )
    doc = load_document(path)
    assert blocks_of(doc, "table_row") == []
    assert "\t" not in doc.text
    assert [squash(doc.block_text(b)) for b in blocks_of(doc, "paragraph")] == [
        "Detta är en mening med dubbla mellanslag som fortsätter över raden och "
        "på nästa rad, som också har dubbla mellanslag i sig."
    ]


# -- DOCX, Markdown, HTML, text -----------------------------------------------------------


def test_docx_styles_become_headings_lists_and_table_rows(tmp_path: Path) -> None:
    doc = load_document(f.write_docx(tmp_path / "samverkan.docx"))

    assert doc.metadata.title == "Samverkan kring Nära vård i Jämtland"
    title = heading(doc, "Samverkan kring Nära vård i Jämtland")
    assert title.level == 1
    background = heading(doc, "Bakgrund")
    assert (background.level, background.section) == (1, ("Bakgrund",))
    groups = heading(doc, "Målgrupper")
    assert (groups.level, groups.section) == (2, ("Bakgrund", "Målgrupper"))
    priorities = heading(doc, "Prioriterade områden 2025")
    assert priorities.section == ("Aktiviteter", "Prioriterade områden 2025")

    items = blocks_of(doc, "list_item")
    assert [doc.block_text(b) for b in items] == [
        "Äldre med stora behov",
        "Barn och unga",
        "Personer med psykisk ohälsa",
    ]
    assert all(b.section == ("Bakgrund", "Målgrupper") for b in items)

    rows = blocks_of(doc, "table_row")
    assert [r.cells for r in rows] == [row_cells(r) for r in f.TABLE_ROWS]
    assert all(r.section == ("Aktiviteter", "Prioriterade områden 2025") for r in rows)
    assert ("Ansvar/Resurser", "HälSam länsledning") in rows[2].cells
    assert squash(f.INTRO) in [doc.block_text(b) for b in blocks_of(doc, "paragraph")]


def test_markdown_headings_and_lists(tmp_path: Path) -> None:
    doc = load_document(f.write_markdown(tmp_path / "norrbotten.md"))

    assert doc.metadata.title == "Nära vård i Norrbotten"
    assert doc.metadata.region == "Norrbotten"
    top = heading(doc, "Nära vård i Norrbotten")
    assert top.level == 1
    groups = heading(doc, "Målgrupper")
    assert (groups.level, groups.section) == (2, ("Nära vård i Norrbotten", "Målgrupper"))
    items = blocks_of(doc, "list_item")
    assert [doc.block_text(b) for b in items] == [
        "Äldre med stora behov",
        "Barn och unga",
        "Personer med psykisk ohälsa",
    ]
    assert all(b.section[-1] == "Målgrupper" for b in items)
    follow_up = heading(doc, "Uppföljning")
    assert follow_up.section == ("Nära vård i Norrbotten", "Uppföljning")


def test_html_elements_become_blocks_and_page_chrome_is_dropped(tmp_path: Path) -> None:
    doc = load_document(f.write_html(tmp_path / "gavleborg.html"))

    assert doc.metadata.title == "Plan för Nära vård i Gävleborg"
    assert heading(doc, "Plan för Nära vård i Gävleborg").level == 1
    groups = heading(doc, "Målgrupper")
    assert (groups.level, groups.section) == (2, ("Plan för Nära vård i Gävleborg", "Målgrupper"))
    assert [doc.block_text(b) for b in blocks_of(doc, "list_item")] == [
        "Äldre med stora behov",
        "Barn och unga",
    ]
    rows = blocks_of(doc, "table_row")
    assert [r.cells for r in rows] == [row_cells(r) for r in f.TABLE_ROWS]
    assert all(r.section[-1] == "Prioriterade områden 2025" for r in rows)
    for chrome in ("Kontakta oss", "Hem", "color: red", "Startsida"):
        assert chrome not in doc.text


def test_plain_text_numbered_headings_and_tab_table(tmp_path: Path) -> None:
    doc = load_document(f.write_plain_text(tmp_path / "testlan.txt"))

    assert doc.metadata.title == "Färdplan Nära vård i Testlän"
    assert doc.metadata.doc_type == "färdplan"
    assert heading(doc, "1 Inledning").level == 1
    lead = heading(doc, "5.2 HälSams länsledning")
    assert (lead.level, lead.section) == (2, ("5 Ansvar och roller", "5.2 HälSams länsledning"))
    rows = blocks_of(doc, "table_row")
    assert [r.cells for r in rows] == [row_cells(r) for r in f.TABLE_ROWS]
    assert all(r.section == lead.section for r in rows)
    assert [doc.block_text(r) for r in rows] == ["\t".join(r) for r in f.TABLE_ROWS]
    assert heading(doc, "6 Uppföljning").section == ("6 Uppföljning",)


def test_plain_text_bullets_under_numbered_items_are_nested(tmp_path: Path) -> None:
    path = tmp_path / "bilaga.txt"
    path.write_text(
        "Bilaga\n\nOmråden med exempel\n1. Hälsa\n- Stärk egenvården\n- Levnadsvanor\n"
        "2. Digitala verktyg\n- Hemmonitorering\nEtt stycke efter listan.\n- Ny lista\n",
        "utf-8",
    )
    doc = load_document(path)
    items = [(doc.block_text(b), b.level) for b in blocks_of(doc, "list_item")]
    assert items == [
        ("Hälsa", 1),
        ("Stärk egenvården", 2),
        ("Levnadsvanor", 2),
        ("Digitala verktyg", 1),
        ("Hemmonitorering", 2),
        ("Ny lista", 1),
    ]


def test_a_repeated_list_item_is_content_and_a_repeated_header_is_not(tmp_path: Path) -> None:
    page = "Region Testlän – Färdplan\n\nOmråden\n\n- Digitala verktyg\n- Personcentrering\n\n"
    path = tmp_path / "upprepad.txt"
    path.write_text("Färdplan\n\n" + page * 3, "utf-8")
    doc = load_document(path)
    items = [doc.block_text(b) for b in blocks_of(doc, "list_item")]
    assert items == ["Digitala verktyg", "Personcentrering"] * 3
    assert "Region Testlän – Färdplan" not in [doc.block_text(b) for b in doc.blocks]


def test_windows_1252_text_is_decoded(tmp_path: Path) -> None:
    path = f.write_cp1252_text(tmp_path / "overenskommelse.txt")
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    doc = load_document(path)

    assert f.CP1252_SENTENCE in doc.text
    assert "\ufffd" not in doc.text
    assert doc.metadata.title == "Överenskommelse om Nära vård i Västernorrland"
    assert doc.metadata.valid_until == "2027"
    assert doc.metadata.doc_type == "överenskommelse"


WRITERS: dict[str, Callable[[Path], Path]] = {
    "report.pdf": lambda p: f.write_report_pdf(p, repeat_header=False),
    "samverkan.docx": f.write_docx,
    "norrbotten.md": f.write_markdown,
    "gavleborg.html": f.write_html,
    "testlan.txt": f.write_plain_text,
    "overenskommelse.txt": f.write_cp1252_text,
}


@pytest.mark.parametrize("name", list(WRITERS))
def test_blocks_are_exact_spans_and_title_comes_from_content(tmp_path: Path, name: str) -> None:
    doc = load_document(WRITERS[name](tmp_path / name))

    assert doc.blocks
    previous_end = 0
    for b in doc.blocks:
        span = doc.text[b.start : b.end]
        assert span == doc.block_text(b)
        assert span and span == span.strip(), b
        assert b.start >= previous_end, "blocks overlap or are out of order"
        previous_end = b.end
        if b.kind == "heading":
            assert b.section and b.section[-1] == span
            assert b.level >= 1
        if b.kind == "table_row":
            assert b.cells and span == "\t".join(value for _, value in b.cells)
        if b.kind == "list_item":
            assert not span.startswith(("-", "•", "*"))
    title = doc.metadata.title
    assert title and title != Path(name).stem
    assert title in doc.text


# -- metadata on the sample corpus, and sidecars ------------------------------------------


@pytest.fixture(scope="module")
def corpus_metadata() -> dict[str, DocumentMetadata]:
    docs = [load_document(p) for p in sorted(CORPUS.glob("*.txt"))]
    assert len(docs) == 4
    by_region = {d.metadata.region: d.metadata for d in docs}
    assert len(by_region) == 4, "each sample document belongs to its own region"
    return by_region


@pytest.mark.parametrize(
    ("region", "doc_type", "title_parts"),
    [
        ("Västerbotten", "förstudie", ("Gemensam systemledning Dorotea", "Förstudie")),
        ("Dalarna", "slutrapport", ("Slutrapport", "God och Nära vård i Dalarna")),
        ("Västernorrland", "färdplan", ("Färdplan Nära vård i Västernorrland",)),
        ("Värmland", "färdplan", ("Värmlands målbild och färdplan",)),
    ],
)
def test_corpus_metadata_is_inferred_from_content(
    corpus_metadata: dict[str, DocumentMetadata],
    region: str,
    doc_type: str,
    title_parts: tuple[str, ...],
) -> None:
    meta = corpus_metadata[region]
    assert meta.doc_type == doc_type
    for part in title_parts:
        assert part in meta.title


def test_corpus_vasternorrland_title_and_dates(
    corpus_metadata: dict[str, DocumentMetadata],
) -> None:
    meta = corpus_metadata["Västernorrland"]
    assert meta.title == "Färdplan Nära vård i Västernorrland"
    assert meta.date == "2024-01-24"
    assert meta.valid_until == "2027"
    assert meta.years == (2024, 2027)
    assert "Region Västernorrland" in meta.organisations


def vasternorrland_copy(tmp_path: Path) -> Path:
    for source in sorted(CORPUS.glob("*.txt")):
        if load_document(source).metadata.region == "Västernorrland":
            return Path(shutil.copy(source, tmp_path / "fardplan.txt"))
    raise AssertionError("the Västernorrland sample is missing from corpus/")


def test_sidecar_overrides_title_and_doc_type(tmp_path: Path) -> None:
    path = vasternorrland_copy(tmp_path)
    before = load_document(path)
    sidecar = tmp_path / "fardplan.txt.meta.yaml"
    sidecar.write_text(
        "title: Länsgemensam färdplan 2024–2027\ndoc_type: överenskommelse\n", encoding="utf-8"
    )

    doc = load_document(path)

    assert doc.metadata.title == "Länsgemensam färdplan 2024–2027"
    assert doc.metadata.doc_type == "överenskommelse"
    assert doc.metadata.region == "Västernorrland"  # what the sidecar does not set is inferred
    assert doc.metadata.valid_until == "2027"
    assert doc.content_hash != before.content_hash  # a changed sidecar re-ingests the file


def test_sidecar_with_unknown_key_names_the_file(tmp_path: Path) -> None:
    path = vasternorrland_copy(tmp_path)
    sidecar = tmp_path / "fardplan.txt.meta.yaml"
    sidecar.write_text("title: Färdplan\nforfattare: HälSam\n", encoding="utf-8")

    with pytest.raises(IngestError) as caught:
        load_document(path)

    err = caught.value
    assert err.path == str(sidecar)
    assert "fardplan.txt.meta.yaml" in str(err) and "forfattare" in err.message
    assert "title" in err.hint


@pytest.mark.parametrize("bad", ["years: 2024\n", "years: [2024]\n", "organisations: 7\n"])
def test_sidecar_with_malformed_value_names_the_file(tmp_path: Path, bad: str) -> None:
    path = vasternorrland_copy(tmp_path)
    sidecar = tmp_path / "fardplan.txt.meta.yaml"
    sidecar.write_text(bad, encoding="utf-8")

    with pytest.raises(IngestError) as caught:
        load_document(path)

    assert caught.value.path == str(sidecar)
    assert "invalid value" in caught.value.message and caught.value.hint
