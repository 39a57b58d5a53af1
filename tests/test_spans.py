"""Spans cut at ingest: sentences, items and rows of real parsed documents, stored with
their vectors and pages; the knowledge base's span API."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ingest import load_document
from knowledge import base as kb_module
from knowledge.base import KnowledgeBase
from knowledge.embedders import Embedder, HashEmbedder
from knowledge.spans import ChunkRange, StoredSpan, cut_document
from nara.errors import IndexMismatchError
from nara.settings import Settings

ROUTINE = """# Rutin för hemsjukvård

## Tillgänglighet

Sjuksköterskan nås via växeln. Tillgängligt vardagar kl.
8–17 via telefon. Ärenden enligt 12 kap. 3 § hanteras av nämnden.

## Utveckla

För att lyckas behöver vi utveckla:

- Ledarskapet. Det krävs ett uthålligt ledarskap. Ledningen följer upp.
- Arbetsmiljön, som ska vara god.

## Bilagor

| Nr | Bilaga |
|---|---|
| 1 | Ramavtal om läkarmedverkan |

## Aktiviteter

Aktivitet\tAnsvar\tTidsplan
Kommunikationsplan\tKommunikatör\t2025
Utbildning\tVerksamhetschef\t2026
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def cut(path: Path) -> list[StoredSpan]:
    from knowledge.chunking import ChunkingConfig, chunk_document

    document = load_document(path, max_bytes=10**7)
    chunks = chunk_document(document, ChunkingConfig())
    ranges = [ChunkRange(f"c{c.index}", c.char_start, c.char_end, c.kind) for c in chunks]
    spans = cut_document(document, ranges)
    by_id = {r.chunk_id: r for r in ranges}
    for span in spans:  # verbatim, inside its chunk
        assert document.text[span.char_start : span.char_end] == span.text
        chunk = by_id[span.chunk_id]
        assert chunk.char_start <= span.char_start < span.char_end <= chunk.char_end
        assert span.text == span.text.strip() and not span.text.startswith("- ")
    return spans


def test_spans_are_sentences_items_and_rows(tmp_path: Path) -> None:
    spans = cut(write(tmp_path, "rutin.md", ROUTINE))
    kinds = [(s.kind, s.text) for s in spans]
    assert ("sentence", "Sjuksköterskan nås via växeln.") in kinds
    # a sentence cut at "kl." by the line parser is one span again
    assert ("sentence", "Tillgängligt vardagar kl.\n8–17 via telefon.") in kinds
    assert ("sentence", "Ärenden enligt 12 kap. 3 § hanteras av nämnden.") in kinds
    # a short label keeps its first sentence; the item's next sentence is an item span
    assert ("item", "Ledarskapet. Det krävs ett uthålligt ledarskap.") in kinds
    assert ("item", "Ledningen följer upp.") in kinds
    assert ("item", "Arbetsmiljön, som ska vara god.") in kinds
    rows = [s.text for s in spans if s.kind == "row"]
    # a Markdown table is a table too (ingest parses it): a span per row, none for its rule
    assert rows == [
        "| 1 | Ramavtal om läkarmedverkan |",
        "Kommunikationsplan\tKommunikatör\t2025",
        "Utbildning\tVerksamhetschef\t2026",
    ]
    assert ("heading", "Tillgänglighet") in kinds
    assert not [t for _, t in kinds if t.startswith("|---")]
    first_items = [s.text for s in spans if s.kind == "item" and s.opens_line]
    assert first_items == [
        "Ledarskapet. Det krävs ett uthålligt ledarskap.",
        "Arbetsmiljön, som ska vara god.",
    ]
    assert all(s.page is None for s in spans)  # Markdown has no pages
    assert next(s.index for s in spans if s.chunk_id == spans[0].chunk_id) == 0


def write_two_page_pdf(path: Path) -> Path:
    """One section whose text runs from page 1 onto page 2, drawn with reportlab."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.drawString(72, 720, "Uppföljning av planen")
    c.drawString(72, 690, "Styrgruppen följer upp planen varje höst och rapporterar.")
    c.showPage()
    c.drawString(72, 720, "Rapporten lämnas till nämnden senast i december varje år.")
    c.save()
    return path


@pytest.fixture
def kb(hash_settings: Settings) -> KnowledgeBase:
    return KnowledgeBase(hash_settings)


def test_each_span_has_the_page_it_stands_on(kb: KnowledgeBase, tmp_path: Path) -> None:
    report = kb.ingest([write_two_page_pdf(tmp_path / "plan.pdf")])
    assert report.ok and report.spans >= 2
    [record] = kb.documents()
    chunks = kb.store.chunks([record.key])
    spans = kb.spans_for([c.chunk_id for c in chunks])
    page = {s.text: s.page for s in spans}
    assert page["Styrgruppen följer upp planen varje höst och rapporterar."] == 1
    assert page["Rapporten lämnas till nämnden senast i december varje år."] == 2
    holder = next(c for c in chunks if "Rapporten" in c.text)
    assert holder.page == 1  # the chunk starts on page 1; its span does not


class CountingEmbedder(Embedder):
    """The hash embedder, counting the texts it embeds as queries."""

    def __init__(self) -> None:
        self.inner = HashEmbedder()
        self.name, self.dimension = self.inner.name, self.inner.dimension
        self.queries: list[str] = []

    def embed_batch(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        if query:
            self.queries += list(texts)
        return self.inner.embed_batch(texts, query=query)


def test_spans_for_and_similarity(hash_settings: Settings, tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    kb = KnowledgeBase(hash_settings, embedder=embedder)
    report = kb.ingest([write(tmp_path / "docs", "rutin.md", ROUTINE)])
    assert report.ok and report.spans > report.chunks

    question = "Kan man ringa på vardagar via telefon?"
    results = kb.search(question, k=3)
    ids = [r.chunk.chunk_id for r in results]
    spans = kb.spans_for(ids)
    assert spans and [s.chunk_id for s in spans] == sorted(
        (s.chunk_id for s in spans), key=ids.index
    )
    similarity = kb.span_similarity(question, spans)
    assert embedder.queries == [question]  # embedded once: search and similarity share it

    best = spans[int(np.argmax(similarity))]
    assert best.text == "Tillgängligt vardagar kl.\n8–17 via telefon."
    query = HashEmbedder().embed_query(question)
    expected = HashEmbedder().embed_passages([" ".join(s.text.split()) for s in spans]) @ query
    np.testing.assert_allclose(similarity, expected, atol=1e-5)
    assert kb.span_similarity(question, []) == []


def test_replacing_and_removing_a_document_removes_its_spans(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = write(tmp_path / "docs", "rutin.md", ROUTINE)
    kb.ingest([path])
    [old] = kb.documents()
    old_ids = [c.chunk_id for c in kb.store.chunks([old.key])]
    assert kb.spans_for(old_ids)

    path.write_text(ROUTINE.replace("växeln", "kundtjänst"), encoding="utf-8")
    kb.ingest([path])
    [new] = kb.documents()
    new_ids = [c.chunk_id for c in kb.store.chunks([new.key])]
    assert kb.spans_for(old_ids) == []
    assert "Sjuksköterskan nås via kundtjänst." in {s.text for s in kb.spans_for(new_ids)}

    kb.remove(new.doc_id)
    assert kb.spans_for(new_ids) == []
    assert kb.store._spans.collection.count() == 0


def test_a_store_cut_by_another_span_cutter_asks_for_a_re_index(
    hash_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    KnowledgeBase(hash_settings).ingest([write(tmp_path / "docs", "rutin.md", ROUTINE)])
    monkeypatch.setattr(kb_module, "SPANS_VERSION", "spans-v0")
    with pytest.raises(IndexMismatchError) as info:
        KnowledgeBase(hash_settings)
    assert "spans=spans-v0" in info.value.message and "--rebuild" in info.value.hint


def test_a_warm_assistant_finds_the_spans_of_a_document_ingested_after_its_questions(
    hash_settings: Settings, tmp_path: Path
) -> None:
    """Records, texts, spans and term statistics are cached between questions; a new
    ingest (a new document, then a new version of it) must reach the next question."""
    from assistant.service import Assistant

    kb = KnowledgeBase(hash_settings)
    assistant = Assistant(kb)
    kb.ingest([write(tmp_path / "docs", "rutin.md", ROUTINE)])
    question = "Var erbjuds fotvården varannan tisdag för sjuksköterskan?"
    before = assistant.evidence(question)
    assert before.spans and not any("Fotvården" in s.text for s in before.spans)
    assistant.ask(question)  # warm every cache on the old state

    care = write(
        tmp_path / "docs",
        "fotvard.md",
        "# Fotvård\n\nFotvården erbjuds varannan tisdag på hälsocentralen.\n",
    )
    kb.ingest([care])
    after = assistant.evidence(question)
    assert after.spans[0].text == "Fotvården erbjuds varannan tisdag på hälsocentralen."
    assert any("hälsocentralen" in c.quote for c in assistant.ask(question).citations)

    care.write_text("# Fotvård\n\nFotvården erbjuds varannan tisdag på vårdcentralen.\n")
    kb.ingest([care])
    texts = {s.text for s in assistant.evidence(question).spans}
    assert "Fotvården erbjuds varannan tisdag på vårdcentralen." in texts
    assert not any("hälsocentralen" in t for t in texts)


def test_spans_read_by_ids_equal_those_read_by_chunk(
    hash_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spans are read by their ids, version by version (Chroma's primary key, issue #15),
    in pages of `GUESS` a chunk: every span of every chunk, in order, as a read by chunk
    id gives them, also when a chunk holds more spans than a page."""
    from knowledge import span_store
    from knowledge.access import PUBLIC
    from tests.conftest import CORPUS

    kb = KnowledgeBase(hash_settings)
    assert kb.ingest([CORPUS]).ok
    chunk_ids = [c.chunk_id for c in kb.store.chunks([d.key for d in kb.documents()])]
    keys = [d.key for d in kb.documents()]
    with kb.store._link.use() as opened:
        whole = span_store.SpanCollection()._fetch_where(opened.spans, chunk_ids, None)
        expected = [s.span_id for c in chunk_ids for s in whole[c]]
        assert max(len(s) for s in whole.values()) > 3
        for guess in (3, span_store.GUESS):
            monkeypatch.setattr(span_store, "GUESS", guess)
            for access in (None, PUBLIC.admitted(keys)):
                got = span_store.SpanCollection().for_chunks(opened.spans, chunk_ids, "g", access)
                assert [s.span_id for s in got] == expected
        assert not span_store.SpanCollection().for_chunks(
            opened.spans, chunk_ids, "g", PUBLIC.admitted([])
        )
