"""Baseline: the plain LangChain retriever a user would build instead, on the same gold set.

    .venv/bin/python -m evals.baseline [--repeat 3] [--json] [--out FILE.md]

Baseline: each document's extracted text (`ingest.load_document`, the same text our
chunk offsets and the gold quotes refer to) split by `RecursiveCharacterTextSplitter`
(chunk_size 1000, chunk_overlap 150, add_start_index) into `langchain_chroma.Chroma`
(embedded, temporary folder, default settings), searched dense only with
`similarity_search_with_score`. It embeds with OUR embedder (bundled e5 by default:
passages for documents, query side for queries), so the comparison is about chunking
and retrieval, not the model.

Compared with our hybrid retriever (structure-aware chunks under a context header, dense
+ BM25 fused by reciprocal rank) and, as an ablation, our chunks searched dense only.
Metrics from `evals.retrieval`: hit@1, hit@5, MRR@10, nDCG@10 on the questions with
evidence; latency of warm `search(query, 10)` over `--repeat` passes after a warm-up of
ten queries.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from evals.bench import CORPUS, emit, machine, percentile, timed_calls
from evals.retrieval import (
    GoldQuestion,
    RetrievalReport,
    Searcher,
    evaluate_retrieval,
    load_gold,
)
from ingest import expand_paths, load_document
from knowledge.base import KnowledgeBase
from knowledge.embedders import Embedder, make_embedder
from knowledge.fusion import FusionConfig
from knowledge.retrieval import HybridRetriever, SearchResult
from knowledge.store import DocumentRecord, StoredChunk
from nara.settings import load_settings

K = 10
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 150


class NaraEmbeddings(Embeddings):
    """One of our embedders as a LangChain `Embeddings`."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self.embedder.embed_passages(texts)]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self.embedder.embed_query(text)]


class LangChainBaseline:
    """RecursiveCharacterTextSplitter + Chroma, dense only. Implements `Searcher`."""

    def __init__(
        self,
        paths: Iterable[Path],
        embedder: Embedder,
        directory: Path,
        chunk_size: int = CHUNK_SIZE,
        chunk_overlap: int = CHUNK_OVERLAP,
    ) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        documents = [load_document(p) for p in expand_paths(paths)]
        self.texts = {d.doc_id: d.text for d in documents}
        self.records = {
            d.doc_id: DocumentRecord(d.doc_id, d.file, d.metadata.title, d.content_hash)
            for d in documents
        }
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_size, chunk_overlap=chunk_overlap, add_start_index=True
        )
        self.chunks = splitter.create_documents(
            [d.text for d in documents], metadatas=[{"doc_id": d.doc_id} for d in documents]
        )
        for i, chunk in enumerate(self.chunks):
            chunk.metadata["chunk"] = i
        client = chromadb.PersistentClient(
            path=str(directory), settings=ChromaSettings(anonymized_telemetry=False)
        )
        self.store = Chroma(
            collection_name="baseline", embedding_function=NaraEmbeddings(embedder), client=client
        )
        ids = [f"{c.metadata['doc_id']}#{i}" for i, c in enumerate(self.chunks)]
        for i in range(0, len(self.chunks), 500):
            self.store.add_documents(self.chunks[i : i + 500], ids=ids[i : i + 500])

    @property
    def unlocated(self) -> int:
        """Chunks whose start the splitter could not find (start_index -1): never hits."""
        return sum(1 for c in self.chunks if c.metadata["start_index"] < 0)

    def search(self, query: str, k: int | None = None) -> list[SearchResult]:
        found = self.store.similarity_search_with_score(query, k=k or K)
        results = []
        for rank, (doc, distance) in enumerate(found, 1):
            doc_id = str(doc.metadata["doc_id"])
            start = int(doc.metadata["start_index"])
            end = start + len(doc.page_content) if start >= 0 else -1
            record = self.records[doc_id]
            chunk = StoredChunk(
                chunk_id=str(doc.id),
                doc_id=doc_id,
                version=record.version,
                index=int(doc.metadata["chunk"]),
                text=doc.page_content,
                index_text=doc.page_content,
                char_start=start,
                char_end=end,
                section="",
                page=None,
                kind="text",
            )
            results.append(SearchResult(rank, -float(distance), chunk, record))
        return results

    def document_text(self, doc_id: str) -> str:
        return self.texts[doc_id]


class DenseOnly:
    """Our store and chunks, searched dense only (BM25 weight 0): an ablation."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.retriever = HybridRetriever(
            kb.store, kb.embedder, kb.keyword, FusionConfig(bm25_weight=0.0)
        )

    def search(self, query: str, k: int | None = None) -> list[SearchResult]:
        return self.retriever.search(query, k or K)

    def document_text(self, doc_id: str) -> str:
        return self.kb.document_text(doc_id)


def latencies(searcher: Searcher, gold: Sequence[GoldQuestion], repeat: int) -> list[float]:
    queries = [q.retrieval_query for q in gold]
    return timed_calls(lambda q: searcher.search(q, K), queries, repeat)


def summary(
    name: str,
    searcher: Searcher,
    gold: Sequence[GoldQuestion],
    repeat: int,
    chunk_chars: Sequence[int],
    index_seconds: float,
) -> dict[str, Any]:
    report: RetrievalReport = evaluate_retrieval(searcher, list(gold), k=K)
    d = report.as_dict()
    by_kind: dict[str, list[float]] = defaultdict(list)
    for r in report.results:
        by_kind[r.kind].append(1.0 if r.first_hit and r.first_hit <= 5 else 0.0)
    out: dict[str, Any] = {
        "retriever": name,
        "chunks": len(chunk_chars),
        "mean_chunk_chars": round(statistics.mean(chunk_chars)) if chunk_chars else 0,
        "index_seconds": round(index_seconds, 2),
        "questions": d["questions"],
        "hit_at_1": d["hit_at_1"],
        "hit_at_5": d["hit_at_5"],
        "mrr_at_10": d["mrr_at_10"],
        "ndcg_at_10": d["ndcg_at_10"],
        "hit_at_5_by_kind": {k: round(sum(v) / len(v), 3) for k, v in sorted(by_kind.items())},
    }
    if repeat > 0:
        lat = latencies(searcher, gold, repeat)
        out |= {
            "search_ms_p50": round(statistics.median(lat), 1),
            "search_ms_p95": round(percentile(lat, 0.95), 1),
        }
    return out


def evaluate_baseline(
    paths: Sequence[Path],
    gold: Sequence[GoldQuestion],
    embedder: Embedder,
    workdir: Path,
    repeat: int = 0,
) -> dict[str, Any]:
    """Build the LangChain baseline over `paths` in `workdir` and evaluate it on `gold`."""
    start = time.perf_counter()
    baseline = LangChainBaseline(paths, embedder, workdir / "baseline")
    seconds = time.perf_counter() - start
    result = summary(
        "LangChain baseline (recursive splitter + Chroma, dense)",
        baseline,
        gold,
        repeat,
        [len(c.page_content) for c in baseline.chunks],
        seconds,
    )
    result["unlocated_chunks"] = baseline.unlocated
    return result


def run(repeat: int, embedder_name: str = "e5-small-q4") -> dict[str, Any]:
    gold = load_gold()
    embedder = make_embedder(embedder_name)
    embedder.embed_query("uppvärmning")  # load the model outside the timed indexing
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        baseline = evaluate_baseline([CORPUS], gold, embedder, work, repeat)
        settings = load_settings(data_dir=work / "ours", embedder=embedder_name)
        kb = KnowledgeBase(settings, embedder=embedder)
        start = time.perf_counter()
        kb.ingest([CORPUS])
        seconds = time.perf_counter() - start
        docs = kb.documents()
        sizes = [len(c.text) for c in kb.store.chunks([d.key for d in docs])]
        ours = summary("Ours: hybrid (dense + BM25)", kb, gold, repeat, sizes, seconds)
        dense = summary("Ours, dense only (ablation)", DenseOnly(kb), gold, repeat, sizes, seconds)
    return {
        "machine": machine(),
        "embedder": embedder_name,
        "k": K,
        "repeat": repeat,
        "baseline_settings": {"chunk_size": CHUNK_SIZE, "chunk_overlap": CHUNK_OVERLAP},
        "results": [baseline, ours, dense],
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Machine: {result['machine']}; embedder `{result['embedder']}` for all rows; "
        f"{result['results'][0]['questions']} gold questions with evidence; latency of warm "
        f"`search(query, {result['k']})` over {result['repeat']} passes.",
        "",
        "| Retriever | Chunks | Mean chunk chars | hit@1 | hit@5 | MRR@10 | nDCG@10 "
        "| Search p50 ms | Search p95 ms | Index s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["results"]:
        p50 = f"{r['search_ms_p50']:.1f}" if "search_ms_p50" in r else "–"
        p95 = f"{r['search_ms_p95']:.1f}" if "search_ms_p95" in r else "–"
        lines.append(
            f"| {r['retriever']} | {r['chunks']} | {r['mean_chunk_chars']} "
            f"| {r['hit_at_1']:.3f} | {r['hit_at_5']:.3f} | {r['mrr_at_10']:.3f} "
            f"| {r['ndcg_at_10']:.3f} | {p50} | {p95} | {r['index_seconds']:.1f} |"
        )
    kinds = sorted({k for r in result["results"] for k in r["hit_at_5_by_kind"]})
    lines += [
        "",
        "hit@5 by question kind:",
        "",
        "| Retriever | " + " | ".join(kinds) + " |",
        "|---|" + "---:|" * len(kinds),
    ]
    for r in result["results"]:
        cells = [f"{r['hit_at_5_by_kind'].get(k, float('nan')):.2f}" for k in kinds]
        lines.append(f"| {r['retriever']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description="LangChain baseline vs our retriever (see the module docstring)."
    )
    parser.add_argument("--repeat", type=int, default=3, help="measured search passes")
    parser.add_argument("--embedder", default="e5-small-q4", help="embedder for all retrievers")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--out", type=Path, help="also write the Markdown tables to this file")
    args = parser.parse_args()
    emit(run(args.repeat, args.embedder), markdown, args)


if __name__ == "__main__":
    main()
