"""KnowledgeBase: ingest, replace, remove, the keyword index, filters, compounds, LangChain."""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml
from langchain_core.documents import Document as LCDocument

from knowledge.analysis import Analyzer, stem
from knowledge.base import KnowledgeBase
from knowledge.bm25_segments import SegmentedBM25
from knowledge.keyword import KeywordIndex
from knowledge.langchain_retriever import NaraRetriever
from knowledge.retrieval import SearchFilters
from nara.errors import IndexMismatchError, NotFoundError
from nara.settings import Settings


def write(folder: Path, name: str, text: str, **sidecar: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    if sidecar:
        side = folder / f"{name}.meta.yaml"
        side.write_text(yaml.safe_dump(sidecar, allow_unicode=True), encoding="utf-8")
    return path


def raw_chunk_count(kb: KnowledgeBase) -> int:
    """All chunks in the collection, live or leftover."""
    return int(kb.store._chunks.count())


RUTIN = """# Rutin för hemsjukvård

## Ansvar

Sjuksköterskan ansvarar för läkemedelsgenomgången i hemsjukvården.

## Uppföljning

Uppföljningen sker varje kvartal tillsammans med kommunen.
"""

PLAN_V1 = """# Projekt Norrsken

## Mål

Målet är att servera blåbärssoppa till alla deltagare.
"""

PLAN_V2 = """# Projekt Norrsken

## Mål

Målet är att servera lingonsylt till alla deltagare.

## Genomförande

Arbetet genomförs i tre steg under våren.

## Uppföljning

Styrgruppen följer upp resultatet i juni.
"""


@pytest.fixture
def kb(hash_settings: Settings) -> KnowledgeBase:
    return KnowledgeBase(hash_settings)


def test_reingest_of_unchanged_files_is_skipped(kb: KnowledgeBase, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs, "rutin.md", RUTIN)
    write(docs, "plan.md", PLAN_V1)

    first = kb.ingest([docs])
    assert first.ok and sorted(first.added) == ["plan", "rutin"] and first.chunks > 0
    records, count = kb.documents(), raw_chunk_count(kb)
    assert count == first.chunks == sum(r.n_chunks for r in records)

    again = kb.ingest([docs])
    assert sorted(again.unchanged) == ["plan", "rutin"]
    assert again.added == again.updated == [] and again.chunks == 0
    assert kb.documents() == records  # not even rewritten: same version and ingested_at
    assert raw_chunk_count(kb) == count


def test_changed_file_replaces_its_chunks(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = write(tmp_path / "docs", "plan.md", PLAN_V1)
    kb.ingest([path])
    old = kb.store.get_document("plan")
    assert old is not None
    assert "blåbärssoppa" in kb.search("blåbärssoppa", k=1)[0].chunk.text

    path.write_text(PLAN_V2, encoding="utf-8")
    report = kb.ingest([path])
    assert report.updated == ["plan"] and report.added == []

    new = kb.store.get_document("plan")
    assert new is not None and new.version != old.version
    hits = kb.search("lingonsylt", k=3)
    assert "lingonsylt" in hits[0].chunk.text
    assert kb.search("blåbärssoppa", k=10) == [], "the old text is gone"
    same = kb.search("servera blåbärssoppa till deltagare", k=10)
    assert same, "the document is still there, under its new version"
    assert all(r.chunk.version == new.version for r in same)
    assert not any("blåbärssoppa" in r.chunk.text for r in same)

    text = kb.document_text("plan")
    assert text == PLAN_V2
    chunks = kb.store.chunks([new.key])
    assert len(chunks) == new.n_chunks == raw_chunk_count(kb) == report.chunks
    assert kb.store.chunks([old.key]) == []
    assert all(text[c.char_start : c.char_end] == c.text for c in chunks)


def test_swedish_letters_keep_ids_apart(kb: KnowledgeBase, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs, "Vård.md", RUTIN)
    write(docs, "Vörd.md", PLAN_V1)
    report = kb.ingest([docs])
    assert report.ok and sorted(report.added) == ["vard", "vord"]


def test_another_file_with_the_same_id_is_refused_and_the_stored_one_kept(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    kb.ingest([write(tmp_path / "a", "plan.md", PLAN_V1)])
    before = kb.documents()
    report = kb.ingest([write(tmp_path / "b", "plan.txt", PLAN_V2)])
    assert report.added == report.updated == [] and len(report.failed) == 1
    message = str(report.failed[0])
    assert "plan.txt" in message and "'plan.md'" in message and "nara remove plan" in message
    assert kb.documents() == before and kb.document_text("plan") == PLAN_V1


def test_a_file_stored_under_an_older_id_moves_to_its_new_id(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    from dataclasses import replace

    from ingest import load_document

    path = write(tmp_path / "docs", "Vård.md", PLAN_V1)
    document = load_document(path)
    kb.add_document(replace(document, doc_id="v-rd"))  # as the old naming scheme stored it
    report = kb.ingest([path])
    assert report.added == ["vard"] and report.failed == []
    assert [d.doc_id for d in kb.documents()] == ["vard"]
    assert all(r.chunk.doc_id == "vard" for r in kb.search("blåbärssoppa", k=5))


def test_remove(kb: KnowledgeBase, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs, "rutin.md", RUTIN)
    write(docs, "plan.md", PLAN_V1)
    kb.ingest([docs])
    assert kb.search("blåbärssoppa", k=1)[0].document.doc_id == "plan"

    removed = kb.remove("plan")
    assert removed.doc_id == "plan" and removed.title == "Projekt Norrsken"
    assert [d.doc_id for d in kb.documents()] == ["rutin"]
    assert all(r.document.doc_id == "rutin" for r in kb.search("blåbärssoppa", k=10))
    assert raw_chunk_count(kb) == kb.documents()[0].n_chunks

    with pytest.raises(NotFoundError) as info:
        kb.remove("plan")
    assert "'plan'" in info.value.message and "nara documents" in info.value.hint
    with pytest.raises(NotFoundError):
        kb.remove("finns-inte")
    with pytest.raises(NotFoundError):
        kb.document_text("finns-inte")


def test_keyword_index_is_persisted_and_rebuilt_when_deleted(
    hash_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = KnowledgeBase(hash_settings)
    kb.ingest([write(tmp_path / "docs", "rutin.md", RUTIN)])
    assert "bm25" in kb.search("läkemedelsgenomgången", k=1)[0].signals
    folder = hash_settings.keyword_dir / hash_settings.collection
    assert (folder / "meta.json").is_file()

    def no_build(*_args: object) -> None:
        raise AssertionError("the persisted index should have been loaded, not rebuilt")

    with monkeypatch.context() as patch:
        patch.setattr(KeywordIndex, "_build", no_build)
        hits = KnowledgeBase(hash_settings).search("läkemedelsgenomgången", k=1)
    assert hits[0].signals.get("bm25") == 1

    shutil.rmtree(hash_settings.keyword_dir)
    hits = KnowledgeBase(hash_settings).search("läkemedelsgenomgången", k=1)
    assert hits[0].signals.get("bm25") == 1
    assert (folder / "meta.json").is_file()


def test_failing_to_persist_the_keyword_index_does_not_fail_the_search(
    kb: KnowledgeBase, hash_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is a cache of the store: a full disk, a read-only folder or another process
    saving at the same moment must not turn into a failed search."""
    kb.ingest([write(tmp_path / "docs", "rutin.md", RUTIN)])
    kb.search("läkemedelsgenomgången", k=1)
    meta = hash_settings.keyword_dir / hash_settings.collection / "meta.json"
    saved = meta.read_text(encoding="utf-8")

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("knowledge.keyword.save_arrays", disk_full)
    kb.ingest([write(tmp_path / "docs", "plan.md", PLAN_V1)])
    hits = kb.search("blåbärssoppa", k=1)
    assert hits[0].document.doc_id == "plan" and hits[0].signals.get("bm25") == 1
    assert meta.read_text(encoding="utf-8") == saved  # the last good copy is left in place
    assert sorted(p.name for p in meta.parent.parent.iterdir()) == [meta.parent.name]


def test_stale_keyword_index_is_rebuilt(hash_settings: Settings, tmp_path: Path) -> None:
    first = KnowledgeBase(hash_settings)
    first.ingest([write(tmp_path / "docs", "rutin.md", RUTIN)])
    assert first.search("läkemedelsgenomgången", k=5)  # builds and persists the keyword index

    second = KnowledgeBase(hash_settings)  # e.g. another process on the same data dir
    second.ingest([write(tmp_path / "docs", "plan.md", "# Fika\n\nVi bjuder på hjortronsoppa.\n")])

    hits = first.search("hjortronsoppa", k=5)
    assert hits[0].document.doc_id == "plan"
    assert hits[0].signals.get("bm25") == 1
    first.remove("plan")
    assert all(r.document.doc_id == "rutin" for r in second.search("hjortronsoppa", k=5))


def test_other_embedder_is_refused(hash_settings: Settings, tmp_path: Path) -> None:
    KnowledgeBase(hash_settings).ingest([write(tmp_path / "docs", "rutin.md", RUTIN)])
    with pytest.raises(IndexMismatchError) as info:
        KnowledgeBase(hash_settings.model_copy(update={"embedder": "e5-small-q4"}))
    assert "embedder=hash" in info.value.message and "e5-small-q4" in info.value.message
    assert "re-index" in info.value.hint and "nara ingest" in info.value.hint


@pytest.fixture
def three_docs(kb: KnowledgeBase, tmp_path: Path) -> KnowledgeBase:
    docs = tmp_path / "docs"
    write(
        docs,
        "dorotea.md",
        "# Systemledning\n\nSamverkan mellan kommun och region i glesbygd.\n",
        title="Gemensam systemledning Dorotea",
        organisations=["Dorotea kommun"],
        region="Västerbotten",
        doc_type="handlingsplan",
        years=[2024, 2024],
    )
    write(
        docs,
        "dalarna.md",
        "# Färdplan\n\nSamverkan kring nära vård i hela länet.\n",
        title="Länsgemensam strategi Dalarna",
        organisations=["Region Dalarna"],
        region="Dalarna",
        doc_type="strategi",
        years=[2022, 2030],
    )
    write(
        docs,
        "rutin.md",
        "# Rutin\n\nSamverkan vid utskrivning från sjukhus.\n",
        title="Rutin för utskrivning",
        organisations=[],
        doc_type="rutin",
        years=None,
    )
    report = kb.ingest([docs])
    assert report.ok and len(report.added) == 3
    return kb


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(), {"dorotea", "dalarna", "rutin"}),
        (SearchFilters(documents=("dalarna", "rutin")), {"dalarna", "rutin"}),
        (SearchFilters(organisations=("dorotea",)), {"dorotea"}),
        (SearchFilters(organisations=("västerbotten",)), {"dorotea"}),  # the region counts
        (SearchFilters(organisations=("Region Dalarna", "Dorotea")), {"dorotea", "dalarna"}),
        (SearchFilters(doc_types=("Strategi",)), {"dalarna"}),
        (SearchFilters(doc_types=("rutin", "handlingsplan")), {"dorotea", "rutin"}),
        (SearchFilters(year=2026), {"dalarna"}),
        (SearchFilters(year=2024), {"dorotea", "dalarna"}),  # no years: not admitted
        (SearchFilters(year=2031), set()),
        (SearchFilters(doc_types=("handlingsplan",), year=2030), set()),
    ],
)
def test_filters(three_docs: KnowledgeBase, filters: SearchFilters, expected: set[str]) -> None:
    results = three_docs.search("samverkan", k=20, filters=filters)
    assert {r.document.doc_id for r in results} == expected


def test_chunks_that_share_nothing_with_the_question_are_not_candidates(
    three_docs: KnowledgeBase,
) -> None:
    """The hash embedder gives every chunk similarity 0 for an unseen word; the store
    returns an arbitrary few of those ties, so keeping them made answers differ between
    processes. Only chunks with a signal (dense above 0 or a BM25 match) are results."""
    assert three_docs.search("xylofonkvartett", k=5) == []
    results = three_docs.search("samverkan xylofonkvartett", k=20)
    assert results
    assert all("bm25" in r.signals or r.score > 0 for r in results)
    assert all("samverkan" in r.chunk.text.lower() for r in results)


def test_compound_word_is_found_through_bm25(kb: KnowledgeBase, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs, "alfa.md", "# Projekt Alfa\n\nVi tar fram en kommunikationsplan för projektet.\n")
    write(docs, "beta.md", "# Projekt Beta\n\nInvånarna vill ha bättre kommunikation.\n")
    write(docs, "gamma.md", "# Projekt Gamma\n\nStyrgruppen gör en plan för hösten.\n")
    kb.ingest([docs])
    # Without a vocabulary the compound is not split: the match below comes from splitting it.
    assert not {stem("plan"), stem("kommunikation")} & set(Analyzer().terms("kommunikationsplan"))

    results = kb.search("plan för kommunikation", k=3)
    best = next(r for r in results if r.document.doc_id == "alfa")
    assert best.signals.get("bm25") == 1
    assert "kommunikationsplan" in best.chunk.text
    lexical = kb.keyword.search("plan för kommunikation", 10)
    assert kb.store.get_chunks([lexical[0][0]])[0].doc_id == "alfa"


def test_langchain_retriever(three_docs: KnowledgeBase) -> None:
    kb = three_docs
    expected = kb.search("samverkan i glesbygd", k=2)
    for wrapped in (kb, kb.retriever):
        docs = NaraRetriever(retriever=wrapped, k=2).invoke("samverkan i glesbygd")
        assert len(docs) == 2
        for doc, result in zip(docs, expected, strict=True):
            assert isinstance(doc, LCDocument)
            meta = doc.metadata
            assert set(meta) == {
                "document_id",
                "title",
                "file",
                "section",
                "page",
                "char_start",
                "char_end",
                "score",
                "rank",
            }
            assert meta["document_id"] == result.document.doc_id
            assert meta["title"] == result.document.title
            assert meta["file"] == f"{meta['document_id']}.md"
            assert meta["section"] == result.chunk.section
            assert meta["page"] is None  # Markdown has no pages
            assert (meta["rank"], meta["score"]) == (result.rank, result.score)
            text = kb.document_text(meta["document_id"])
            assert doc.page_content == text[meta["char_start"] : meta["char_end"]]
        assert [d.metadata["rank"] for d in docs] == [1, 2]
        assert docs[0].metadata["document_id"] == "dorotea"

    only = NaraRetriever(retriever=kb, k=5, filters=SearchFilters(doc_types=("rutin",)))
    assert {d.metadata["document_id"] for d in only.invoke("samverkan")} == {"rutin"}


def test_langchain_batch_searches_in_threads_while_the_index_is_rebuilt(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LangChain runs `batch` in a thread pool: the first searches after a change all find
    the keyword index stale, and none may see another's rebuild half done."""
    docs = tmp_path / "docs"
    kb.ingest([write(docs, "rutin.md", RUTIN), write(docs, "plan.md", PLAN_V1)])
    build = SegmentedBM25.with_rows

    def slow_build(self: SegmentedBM25, docs: Sequence[Sequence[str]]) -> SegmentedBM25:
        time.sleep(0.2)  # widens the window in which a rebuild is half done
        return build(self, docs)

    monkeypatch.setattr(SegmentedBM25, "with_rows", slow_build)
    retriever = NaraRetriever(retriever=kb, k=3)
    queries = ["blåbärssoppa", "läkemedelsgenomgången", "uppföljning", "deltagare"] * 2
    out = retriever.batch(queries, config={"max_concurrency": 8}, return_exceptions=True)
    assert not [o for o in out if isinstance(o, Exception)]
    assert out[0][0].metadata["document_id"] == "plan"
    assert out[1][0].metadata["document_id"] == "rutin"


def test_e5_finds_the_responsible_for_the_communication_plan(sample_kb: KnowledgeBase) -> None:
    results = sample_kb.search("Vem ansvarar för kommunikationsplanen?", k=5)
    top = results[0]
    assert top.document.file == "000_05b96b91b6c43ee6.txt"  # Dorotea
    assert "Dorotea" in top.document.title
    assert top.chunk.kind == "table_row"
    assert top.chunk.text.startswith("Kommunikationsplan")
    text = sample_kb.document_text(top.document.doc_id)
    assert top.chunk.text == text[top.chunk.char_start : top.chunk.char_end]


def test_a_chunk_that_opens_with_a_list_item_keeps_its_marker(tmp_path: Path) -> None:
    from ingest import load_document
    from knowledge.chunking import ChunkingConfig, chunk_document

    lines = [f"- Ledamot nummer {n}, verksamhetschef i kommun {n}" for n in range(40)]
    path = tmp_path / "ledamoter.txt"
    path.write_text("Styrgruppen\n\nStyrgruppen har bestått av;\n\n" + "\n".join(lines), "utf-8")
    document = load_document(path)
    chunks = chunk_document(document, ChunkingConfig(max_chars=300))
    assert len(chunks) > 3
    for chunk in chunks[1:]:
        assert chunk.text.startswith("- Ledamot"), chunk.text[:40]
        assert document.text[chunk.char_start : chunk.char_end] == chunk.text


def test_ingest_waits_while_another_process_writes(kb: KnowledgeBase, tmp_path: Path) -> None:
    import subprocess
    import sys
    import threading

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
            "print('held', flush=True); sys.stdin.readline()",
            str(kb.write_lock.path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        path = write(tmp_path / "docs", "plan.md", PLAN_V1)
        done = threading.Event()
        writer = threading.Thread(target=lambda: (kb.ingest([path]), done.set()))
        writer.start()
        assert not done.wait(0.5), "ingest wrote while another process held the lock"
        assert kb.documents() == []
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(10)
    writer.join(30)
    assert done.is_set() and [d.doc_id for d in kb.documents()] == ["plan"]
