"""The benchmark's serving measurement (`evals.bench`, issue #15): a fresh process opens
the store a scale's run built, as `nara serve` does, and measures what serving costs
without the ingest's working memory: its peak RSS (model included), loading the keyword
index, its size on disk, warm search latency, and the ingest of one more document
(embedding cached, like the copies) with the keyword index's update that follows.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

from evals.retrieval import load_gold
from knowledge.base import KnowledgeBase
from knowledge.embedders import make_embedder
from nara.settings import Settings, load_settings

MB = 1024 * 1024


def folder_mb(folder: Path) -> float:
    """Bytes of the files under `folder`, in MB."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / MB


def one_more(corpus: Path, dest: Path) -> Path:
    """A copy of the first corpus file under a new name, with a last line of its own
    (a new document id and content hash)."""
    source = sorted(corpus.glob("*.txt"))[0]
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / f"{source.stem}-kopia-extra.txt"
    target.write_text(source.read_text(encoding="utf-8") + "\n\nKopia extra\n", "utf-8")
    return target


def measure_serving(scale: int, repeat: int, workdir: str, cache_file: str) -> dict[str, Any]:
    """Runs in a fresh child process, on the store of `scale` under `workdir`."""
    settings = load_settings(data_dir=Path(workdir) / f"store-x{scale}")
    return {"scale": scale} | measure_store(settings, repeat, cache_file, Path(workdir))


def measure_store(
    settings: Settings,
    repeat: int,
    cache_file: str,
    workdir: Path,
    ask_repeat: int = 0,
    ask_limit: int | None = None,
) -> dict[str, Any]:
    """Serving on the store of `settings` (embedded or a Chroma server): the first
    search (opening the store, loading or building the keyword index), warm searches,
    with `ask_repeat` > 0 warm asks (of the first `ask_limit` questions), then one more
    document (written under `workdir`) and the keyword index's update after it. Runs in
    a fresh process: its peak RSS is the serving's."""
    from evals.bench import (
        CORPUS,
        CachingEmbedder,
        TimingEmbedder,
        measure_ask,
        peak_rss_mb,
        percentile,
        searched,
        timed_calls,
    )

    timing = TimingEmbedder(make_embedder(settings.embedder))
    caching = CachingEmbedder(timing, CachingEmbedder.load(Path(cache_file)))
    kb = KnowledgeBase(settings, embedder=caching)
    queries = [q.retrieval_query for q in load_gold()]
    started = time.perf_counter()
    kb.search(queries[0])  # opens the store and loads the saved keyword index
    first_s = time.perf_counter() - started
    loaded = kb.keyword.last_update
    rss_loaded = peak_rss_mb()
    latencies = timed_calls(searched(kb), queries, repeat, before=timing.reset)
    query_embed_ms = timing.seconds * 1000
    asked = measure_ask(kb, ask_repeat, ask_limit) if ask_repeat > 0 else None

    path = one_more(CORPUS, workdir / f"one-more-{settings.collection}-{settings.data_dir.name}")
    started = time.perf_counter()
    report = kb.ingest([path])
    ingest_s = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"ingest failed: {[str(e) for e in report.failed]}")
    kb.search(queries[0])
    updated = kb.keyword.last_update
    return {
        "documents": len(kb.documents()) - 1,
        "first_search_s": round(first_s, 2),
        "keyword_load": [loaded[0], round(loaded[1], 3)],
        "keyword_index_mb": round(folder_mb(settings.keyword_dir), 1),
        "peak_rss_mb_after_first_search": round(rss_loaded),
        "searches": len(latencies),
        "search_ms_p50": round(statistics.median(latencies), 1),
        "search_ms_p95": round(percentile(latencies, 0.95), 1),
        "query_embedding_share": round(query_embed_ms / sum(latencies), 3),
        "one_more_chunks": report.chunks,
        "one_more_ingest_s": round(ingest_s, 2),
        "keyword_after_one_more": [updated[0], round(updated[1], 3)],
        "peak_rss_mb": round(peak_rss_mb()),
        "load_average_1min": round(os.getloadavg()[0], 2),
    } | ({"ask": asked} if asked is not None else {})
