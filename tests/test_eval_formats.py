"""`nara eval --corpus DIR` and `nara eval-formats`: a fresh store per folder of the
format corpus, with the real readers and a real Chroma (hash embedder, for speed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.model import Citation, Source
from evals.formats import (
    FORMATS_DIR,
    corpus_settings,
    corpus_store,
    format_folders,
    format_row,
    table,
)
from evals.quote_checks import (
    QuoteChecks,
    cut_at_line_break,
    holds_furniture,
    on_page,
    page_texts,
    running_lines,
)
from evals.split import load_suite
from ingest import load_document
from knowledge.base import KnowledgeBase
from nara.errors import NaraError
from nara.settings import Settings
from tests.conftest import CORPUS


def test_corpus_store_is_fresh_and_temporary(hash_settings: Settings) -> None:
    with corpus_store(hash_settings, FORMATS_DIR / "pandoc") as (fresh, failed):
        assert fresh.data_dir != hash_settings.data_dir
        docs = KnowledgeBase(fresh).documents()
        assert failed == []
        assert sorted(d.doc_id for d in docs) == sorted(p.stem for p in CORPUS.glob("*.txt"))
        assert {d.file.rsplit(".", 1)[1] for d in docs} == {"docx"}
        built = fresh.data_dir
    assert not built.exists()
    assert not (hash_settings.data_dir / "chroma").exists()  # the configured store untouched


def test_corpus_settings_without_corpus_are_unchanged(hash_settings: Settings) -> None:
    with corpus_settings(hash_settings, None) as same:
        assert same is hash_settings


def test_missing_corpus_folder_is_an_error_with_a_hint(
    hash_settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(NaraError) as err, corpus_store(hash_settings, tmp_path / "saknas"):
        pass
    assert "--corpus" in err.value.hint


def test_format_folders_are_txt_and_every_writer_with_files() -> None:
    folders = format_folders()
    assert next(iter(folders)) == "txt"
    assert {"pandoc", "python-docx", "chromium", "two-column"} <= set(folders)
    for name, path in folders.items():
        assert path.is_dir(), name


def test_format_row_holds_the_table_figures(hash_settings: Settings) -> None:
    gold = [q for q in load_suite("sample", "test") if q.facts][:3]
    with corpus_store(hash_settings, FORMATS_DIR / "python-docx") as (fresh, _):
        row = format_row(fresh, gold, "sample") | {"failed": 0}
    assert row["documents"] == len(list(CORPUS.glob("*.txt")))
    assert row["chunks"] > row["documents"]
    assert row["responsibilities"] > 0 and row["priorities"] > 0
    assert row["in_scope"] == 3 and 0 <= row["all_facts"] <= 3
    assert 0.0 <= row["hit_at_5"] <= 1.0
    assert row["on_page_rate"] is None  # DOCX has no pages
    assert row["quotes"] > 0 and row["furniture_quotes"] == 0
    rendered = table({"python-docx": row})
    assert f"| chunks | {row['chunks']} |" in rendered


def test_gold_quotes_are_found_without_their_markdown_emphasis() -> None:
    """Gold quotes were taken from the text, with `**bold**`; a DOCX holds bold runs and
    a PDF line breaks instead. Verbatim places win; otherwise emphasis and whitespace give."""
    from evals.retrieval import _places

    text = "Alla insatser ska skapas tillsammans, ge trygghet\noch tillit. Slut."
    quote = "skapas **tillsammans**, ge **trygghet** och tillit"
    (start, end), *_ = _places(text, quote)
    assert text[start:end] == "skapas tillsammans, ge trygghet\noch tillit"
    assert _places("a **b** c **b**", "**b**") == [(2, 7), (10, 15)]
    assert _places(text, "otrygghet") == []
    # a Markdown table row's quote in a store that holds the row's cells apart by a tab
    row = "Krav\tGäller från\nEn fast kontakt ska erbjudas\t1 juli 2022\n"
    (start, end), *_ = _places(row, "En fast kontakt ska erbjudas | 1 juli 2022")
    assert row[start:end] == "En fast kontakt ska erbjudas\t1 juli 2022"
    assert _places(row, "Krav | 1 juli 2022") == []


def test_a_quote_lost_by_a_reader_is_a_miss_in_a_format_store(hash_settings: Settings) -> None:
    """A gold quote a reader lost (here: one the PDF never held) makes the question a
    retrieval miss, listed, inside `lost_quotes_counted`; outside it is an error, as a
    quote missing from the txt is a mistake in the gold file."""
    import dataclasses

    from evals.retrieval import Evidence, evaluate_retrieval, lost_quotes_counted

    real = next(q for q in load_suite("sample", "test") if q.evidence)
    doc = real.evidence[0].document
    lost = dataclasses.replace(
        real, id="lost-1", evidence=(Evidence(doc, "Denna mening står inte i dokumentet."),)
    )
    with corpus_store(hash_settings, FORMATS_DIR / "chromium") as (fresh, _):
        kb = KnowledgeBase(fresh)
        with pytest.raises(ValueError, match="lost-1"):
            evaluate_retrieval(kb, [lost])
        with lost_quotes_counted() as missing:
            report = evaluate_retrieval(kb, [real, lost])
    assert missing == {"lost-1: Denna mening står inte i dokumentet."}
    by_id = {r.id: r for r in report.results}
    assert by_id["lost-1"].first_hit is None
    assert set(by_id) == {real.id, "lost-1"}


def _citation(quote: str, page: int | None, start: int = 0) -> Citation:
    source = Source("d", "T", "f.pdf", "", page, start, start + len(quote))
    return Citation(1, quote, source)


def test_quote_checks_find_the_wrong_page_furniture_and_a_cut_line() -> None:
    """Each check can fail: a block's text cited on its own page passes and on another
    fails; a running header line in a quote is found; a quote that stops at a single
    line break before its sentence goes on is a cut, one that ends its sentence is not."""
    pdf = FORMATS_DIR / "libreoffice" / f"{sorted(CORPUS.glob('*.txt'))[0].stem}.pdf"
    doc = load_document(pdf)
    block = next(b for b in doc.blocks if b.kind == "paragraph" and b.page and b.page > 1)
    text, page = doc.block_text(block), block.page
    assert page is not None
    assert on_page(_citation(text, page), pdf)
    assert not on_page(_citation(text, page - 1), pdf)
    assert not on_page(_citation(text, None), pdf)
    header = sorted(running_lines(page_texts(pdf)))[0].replace("#", "7")
    assert holds_furniture(_citation(f"{header} {text[:40]}", page), pdf)
    assert not holds_furniture(_citation(text, page), pdf)
    body = "Arbetet leds av en grupp som\nträffas varje månad. Nästa mening."
    cut = _citation(body[: body.index("\n")], None)
    whole = _citation(body[: body.index(".") + 1], None)
    assert cut_at_line_break(cut, body) and not cut_at_line_break(whole, body)
    checks = QuoteChecks()
    for citation in (_citation(text, page), _citation(text, page - 1)):
        checks.add(citation, doc.text, pdf)
    assert checks.as_dict()["on_page_rate"] == 0.5


def test_running_lines_recur_on_two_pages_at_least() -> None:
    """On a two-page document each first and last line stands on "half the pages"; only
    a line on both is furniture."""
    pages = ["Rutin för något\nFörsta sidans text.\nSida 1 av 2", "Andra sidans text\nSida 2 av 2"]
    assert running_lines(pages) == {"Sida # av #"}
    assert running_lines(["En enda sida\nmed text"]) == set()
