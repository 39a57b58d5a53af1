"""The DOCX reader on Word files made by real writers (tests/formats/pandoc and
tests/formats/python-docx, see tests/formats/make_formats_docx.py), compared with the
same documents as text."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from ingest import Document, load_document
from tests.conftest import CORPUS, ROOT

FORMATS = ROOT / "tests" / "formats"
WRITERS = ("pandoc", "python-docx")
STEMS = sorted(p.stem for p in CORPUS.glob("*.txt"))
DOROTEA, DALARNA = STEMS[0], STEMS[1]  # the action plan with labels; the header-dated report


def load(writer: str, stem: str) -> Document:
    return load_document(FORMATS / writer / f"{stem}.docx")


def txt(stem: str) -> Document:
    return load_document(CORPUS / f"{stem}.txt")


def texts(doc: Document, kind: str) -> list[str]:
    return [doc.block_text(b) for b in doc.blocks if b.kind == kind]


@pytest.mark.parametrize("writer", WRITERS)
def test_lists_have_levels_and_markers_from_numbering(writer: str) -> None:
    doc = load(writer, DALARNA)
    items = [b for b in doc.blocks if b.kind == "list_item"]
    assert len(items) == len(texts(txt(DALARNA), "list_item"))
    # Nested bullets sit under their parent, as in the text.
    expected = [b.level for b in txt(DALARNA).blocks if b.kind == "list_item"]
    assert [b.level for b in items] == expected
    assert {b.level for b in items} == {1, 2}
    # Numbered items carry their counter, which restarts with each list; bullets carry none.
    numbered = [doc.block_text(b) for b in items if re.match(r"\d+\. ", doc.block_text(b))]
    assert [t.split(".")[0] for t in numbered[:3]] == ["1", "2", "3"]
    assert not any(doc.block_text(b)[:1] in "•o▪-" for b in items)
    dorotea = texts(load(writer, DOROTEA), "list_item")
    assert [t[:3] for t in dorotea[:3]] == ["1. ", "2. ", "3. "]


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("stem", STEMS)
def test_table_of_contents_is_not_text(writer: str, stem: str) -> None:
    doc = load(writer, stem)
    headings = texts(doc, "heading")
    # A TOC would repeat each heading, with its page number, before the heading itself.
    others = texts(doc, "paragraph") + texts(doc, "list_item")
    entries = [t for t in others for h in headings if re.fullmatch(rf"{re.escape(h)}\s+\d+", t)]
    assert entries == []
    assert not any(h.lower().startswith("innehåll") for h in headings)
    assert not any(t.lower().startswith("innehåll") for t in others)
    # The file does hold a TOC where the text had one (the test can fail).
    xml = docx.Document(str(FORMATS / writer / f"{stem}.docx")).element.xml
    had_toc = any(t.lower().startswith("innehåll") for t in texts(txt(stem), "heading"))
    assert ("TOC \\o" in xml) == had_toc


@pytest.mark.parametrize("writer", WRITERS)
def test_bold_labels_are_kept(writer: str) -> None:
    doc = load(writer, DOROTEA)
    labelled = [t for t in texts(doc, "paragraph") if t.startswith("Målgrupp:")]
    assert len(labelled) == len(re.findall(r"^\*\*Målgrupp:\*\*", txt(DOROTEA).text, re.M))
    assert len(labelled) >= 2


@pytest.mark.parametrize("writer", WRITERS)
def test_page_header_feeds_metadata_never_text(writer: str) -> None:
    doc = load(writer, DALARNA)
    header = docx.Document(str(FORMATS / writer / f"{DALARNA}.docx")).sections[0].header
    date = next(p.text for p in header.paragraphs if re.fullmatch(r"\d{4}-\d\d-\d\d", p.text))
    assert date not in doc.text  # only the page header holds it
    assert doc.metadata.date == date == txt(DALARNA).metadata.date
    assert "Sida" not in doc.text  # nor the footer


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("stem", STEMS)
def test_metadata_and_heading_levels_match_the_text(writer: str, stem: str) -> None:
    doc, plain = load(writer, stem), txt(stem)
    for key in ("title", "region", "doc_type", "date", "valid_until", "years"):
        assert getattr(doc.metadata, key) == getattr(plain.metadata, key), key
    assert set(plain.metadata.organisations) <= set(doc.metadata.organisations)
    theirs = [(plain.block_text(b), b.level) for b in plain.blocks if b.kind == "heading"]
    ours = [(doc.block_text(b), b.level) for b in doc.blocks if b.kind == "heading"]
    assert len(ours) >= len(theirs) - 3  # the TOC title and a letterhead are not headings
    rest = iter(theirs)  # ours, in order and with the same levels, among the text's
    assert all(any(h == t for t in rest) for h in ours), ours
    assert max(lvl for _, lvl in ours) == max(lvl for _, lvl in theirs)


def test_outline_level_style_is_a_heading() -> None:
    doc = load("python-docx", DOROTEA)
    deep = [b for b in doc.blocks if b.kind == "heading" and b.level >= 4]
    assert deep and all(doc.block_text(b) for b in deep)
    assert deep[0].section[-1] == doc.block_text(deep[0])


def test_simple_toc_field_numbering_by_style_and_heading_numbers(tmp_path: Path) -> None:
    """Word's other spellings: a fldSimple TOC, list numbering set on the style, letters."""
    document = docx.Document()
    document.add_heading("Plan", 1)
    toc = document.add_paragraph()
    toc._p.append(
        parse_xml(
            f'<w:fldSimple {nsdecls("w")} w:instr=" TOC \\o &quot;1-3&quot; ">'
            "<w:r><w:t>Plan\t1</w:t></w:r></w:fldSimple>"
        )
    )
    for text in ("Först", "Sedan"):
        document.add_paragraph(text, style="List Number")  # numPr only on the style
    document.add_paragraph("Ansvar: kommunen", style="List Bullet")
    path = tmp_path / "plan.docx"
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(buffer.getvalue())

    doc = load_document(path)

    assert doc.text.count("Plan") == 1
    assert texts(doc, "list_item") == ["1. Först", "2. Sedan", "Ansvar: kommunen"]
