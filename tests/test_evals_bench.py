"""The benchmark and baseline helpers: nDCG, the scaled corpus, the embedding cache, and
the LangChain baseline on a tiny corpus with the deterministic hash embedder."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from evals.baseline import LangChainBaseline, evaluate_baseline
from evals.bench import CachingEmbedder, make_scaled_corpus
from evals.retrieval import Evidence, GoldQuestion, ndcg_at
from ingest import load_document
from knowledge.embedders import Embedder, HashEmbedder
from tests.conftest import CORPUS

# -- nDCG -------------------------------------------------------------------------------
QUOTE_A = [("doc", 100, 150)]
QUOTE_B = [("doc", 400, 420), ("doc", 900, 920)]  # a quote standing twice


def test_ndcg_one_quote_is_one_over_log2_of_rank_plus_one() -> None:
    ranked = [("doc", 0, 90), ("other", 100, 150), ("doc", 140, 300)]  # hit at rank 3
    assert ndcg_at(ranked, [QUOTE_A]) == pytest.approx(1 / math.log2(4))  # 0.5
    assert ndcg_at([("doc", 120, 130)], [QUOTE_A]) == pytest.approx(1.0)
    assert ndcg_at([("doc", 0, 100), ("doc", 150, 200)], [QUOTE_A]) == 0.0  # touching, no overlap


def test_ndcg_two_quotes_credits_each_quote_once() -> None:
    ranked = [
        ("doc", 90, 110),  # rank 1: quote A
        ("doc", 120, 160),  # rank 2: quote A again, no gain
        ("doc", 910, 915),  # rank 3: quote B (its second place)
        ("doc", 405, 410),  # rank 4: quote B again, no gain
    ]
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at(ranked, [QUOTE_A, QUOTE_B]) == pytest.approx((1 + 0.5) / ideal)  # 0.9197
    assert ndcg_at(ranked, [QUOTE_A, QUOTE_B]) == pytest.approx(0.91972, abs=1e-4)


def test_ndcg_respects_k_and_caps_at_one() -> None:
    late = [("doc", 0, 10)] * 10 + [("doc", 100, 150)]  # the hit at rank 11
    assert ndcg_at(late, [QUOTE_A], k=10) == 0.0
    assert ndcg_at(late, [QUOTE_A], k=11) == pytest.approx(1 / math.log2(12))
    one_chunk_both = [("doc", 0, 1000)]  # one chunk holds both quotes
    assert ndcg_at(one_chunk_both, [QUOTE_A, QUOTE_B]) == 1.0
    assert ndcg_at(one_chunk_both, []) == 0.0


# -- scaled corpus and embedding cache --------------------------------------------------
def test_scaled_corpus_has_distinct_ids_and_hashes(tmp_path: Path) -> None:
    originals = sorted(CORPUS.glob("*.txt"))
    paths = make_scaled_corpus(CORPUS, tmp_path / "x3", 3)
    assert len(paths) == 3 * len(originals)
    docs = [load_document(p) for p in paths]
    ids = {d.doc_id for d in docs}
    hashes = {d.content_hash for d in docs}
    assert len(ids) == len(docs) and len(hashes) == len(docs)
    original_docs = [load_document(p) for p in originals]
    assert not ids & {d.doc_id for d in original_docs}
    assert not hashes & {d.content_hash for d in original_docs}
    assert {d.text.split("Kopia")[0] for d in docs} == {
        d.text.rstrip("\n") + "\n\n" for d in original_docs
    }


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, bool]] = []

    def embed_batch(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        self.seen += [(t, query) for t in texts]
        return super().embed_batch(texts, query=query)


def test_caching_embedder_embeds_each_passage_once_and_never_caches_queries(
    tmp_path: Path,
) -> None:
    inner = CountingEmbedder()
    cache = CachingEmbedder(inner)
    first = cache.embed_passages(["a b", "c d", "a b"])
    second = cache.embed_passages(["c d", "e f"])
    assert [t for t, _ in inner.seen] == ["a b", "c d", "e f"]
    assert np.array_equal(first[0], first[2]) and np.array_equal(first[1], second[0])
    assert np.allclose(second, HashEmbedder().embed_passages(["c d", "e f"]))
    cache.embed_query("a b")
    cache.embed_query("a b")
    assert inner.seen[-2:] == [("a b", True), ("a b", True)]
    assert (cache.hits, cache.misses) == (2, 3)
    cache.save(tmp_path / "cache.pkl")
    reloaded = CachingEmbedder(CountingEmbedder(), CachingEmbedder.load(tmp_path / "cache.pkl"))
    reloaded.embed_passages(["a b", "e f"])
    assert reloaded.misses == 0 and isinstance(reloaded, Embedder)


# -- the LangChain baseline -------------------------------------------------------------
TOPICS = {
    "hemsjukvard": ("hemsjukvård", "Kommunen ansvarar för hemsjukvården efter utskrivning."),
    "lakemedel": ("läkemedel", "Regionen ansvarar för läkemedelsgenomgångar i särskilt boende."),
    "rehab": ("rehabilitering", "Fysioterapeuter leder rehabiliteringen i hemmet."),
}


def write_tiny_corpus(folder: Path) -> list[Path]:
    folder.mkdir()
    paths = []
    for stem, (topic, fact) in TOPICS.items():
        paragraphs = [
            f"Stycke {i} handlar om {topic} och om hur arbetet följs upp i länet under året."
            for i in range(1, 30)
        ]
        paragraphs.insert(15, fact)
        path = folder / f"{stem}.txt"
        path.write_text(f"# Plan för {topic}\n\n" + "\n\n".join(paragraphs) + "\n", "utf-8")
        paths.append(path)
    return paths


def gold_for_tiny_corpus() -> list[GoldQuestion]:
    questions = [
        ("q1", "Vem ansvarar för hemsjukvården?", "hemsjukvard"),
        ("q2", "Vem ansvarar för läkemedelsgenomgångar?", "lakemedel"),
        ("q3", "Vem leder rehabiliteringen?", "rehab"),
    ]
    return [
        GoldQuestion(
            qid, text, "responsibility", "sv", False, (), (Evidence(doc, TOPICS[doc][1]),), ()
        )
        for qid, text, doc in questions
    ]


def test_baseline_chunks_know_their_place_in_the_document(tmp_path: Path) -> None:
    paths = write_tiny_corpus(tmp_path / "corpus")
    baseline = LangChainBaseline(paths, HashEmbedder(), tmp_path / "store", chunk_size=400)
    assert len(baseline.chunks) > len(paths)  # every document was split
    assert baseline.unlocated == 0
    for chunk in baseline.chunks:
        start = chunk.metadata["start_index"]
        text = baseline.document_text(chunk.metadata["doc_id"])
        assert text[start : start + len(chunk.page_content)] == chunk.page_content
    results = baseline.search("Fysioterapeuter leder rehabiliteringen i hemmet.", 3)
    assert [r.rank for r in results] == [1, 2, 3]
    assert results[0].document.doc_id == "rehab"


def test_baseline_evaluation_on_a_tiny_corpus(tmp_path: Path) -> None:
    paths = write_tiny_corpus(tmp_path / "corpus")
    result = evaluate_baseline(paths, gold_for_tiny_corpus(), HashEmbedder(), tmp_path, repeat=1)
    assert result["questions"] == 3
    for key in ("hit_at_1", "hit_at_5", "mrr_at_10", "ndcg_at_10"):
        assert 0.0 <= result[key] <= 1.0, (key, result)
    assert result["hit_at_1"] <= result["hit_at_5"]
    assert result["hit_at_5"] > 0  # the quoted facts share words with the questions
    assert result["search_ms_p50"] >= 0 and result["chunks"] > 3


# -- ingest throughput with spans ---------------------------------------------------------
def test_ingest_once_counts_documents_chunks_and_spans(tmp_path: Path) -> None:
    from evals.bench import ingest_once, searched
    from knowledge.base import KnowledgeBase
    from tests.conftest import make_settings

    paths = write_tiny_corpus(tmp_path / "corpus")
    kb = KnowledgeBase(make_settings(tmp_path / "store", embedder="hash"))
    run = ingest_once(kb, tmp_path / "corpus")
    assert run["documents"] == len(paths)
    assert run["chunks"] == sum(d.n_chunks for d in kb.documents())
    assert run["spans"] == kb.store._spans.collection.count() > run["chunks"]
    assert run["spans_per_second"] == pytest.approx(run["spans"] / run["seconds"], rel=0.05)
    search = searched(kb)
    search("Vem leder rehabiliteringen?")
    calls = CountingEmbedder()
    kb.query_vectors.embedder = calls
    search("Vem leder rehabiliteringen?")  # the cache is emptied: embedded again
    assert calls.seen == [("Vem leder rehabiliteringen?", True)]


def test_serving_measures_a_fresh_process_and_the_keyword_update_of_one_more_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--serving` with the hash embedder at ×1 and ×3: one more document is one version
    of 5 at ×1 (the keyword index is rebuilt) and one of 13 at ×3 (it is updated)."""
    from evals.bench import markdown, run

    monkeypatch.setenv("NARA_EMBEDDER", "hash")  # the spawned processes read it
    result = run(1, (1, 3), ask_repeat=0, serving=True)
    one, three = (r["serving"] for r in result["scales"])
    assert one["keyword_load"][0] == "load" and three["keyword_load"][0] == "load"
    assert one["keyword_after_one_more"][0] == "build"
    assert three["keyword_after_one_more"][0] == "update"
    assert one["one_more_chunks"] == three["one_more_chunks"] > 0
    assert three["keyword_index_mb"] > one["keyword_index_mb"] > 0
    assert all(r["keyword_build"][0] == "build" for r in result["scales"])
    assert three["peak_rss_mb"] > 0 and three["search_ms_p50"] > 0
    assert "| ×3 |" in markdown(result).split("Serving")[1]
