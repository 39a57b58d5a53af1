"""The benchmark's serving measurement (`evals.bench`, issue #15): a fresh process opens
the store a scale's run built, as `nara serve` does, and measures what serving costs
without the ingest's working memory: its peak RSS (model included), loading the keyword
index, its size on disk, warm search latency, and the ingest of one more document
(embedding cached, like the copies) with the keyword index's update that follows.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from evals.retrieval import load_gold
from knowledge.base import KnowledgeBase
from knowledge.embedders import make_embedder
from nara.settings import load_settings

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
    from evals.bench import (
        CORPUS,
        CachingEmbedder,
        peak_rss_mb,
        percentile,
        searched,
        timed_calls,
    )

    work = Path(workdir)
    settings = load_settings(data_dir=work / f"store-x{scale}")
    caching = CachingEmbedder(
        make_embedder(settings.embedder), CachingEmbedder.load(Path(cache_file))
    )
    kb = KnowledgeBase(settings, embedder=caching)
    queries = [q.retrieval_query for q in load_gold()]
    started = time.perf_counter()
    kb.search(queries[0])  # opens the store and loads the saved keyword index
    first_s = time.perf_counter() - started
    loaded = kb.keyword.last_update
    latencies = timed_calls(searched(kb), queries, repeat)

    path = one_more(CORPUS, work / f"one-more-x{scale}")
    started = time.perf_counter()
    report = kb.ingest([path])
    ingest_s = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"ingest failed: {[str(e) for e in report.failed]}")
    kb.search(queries[0])
    updated = kb.keyword.last_update
    return {
        "scale": scale,
        "first_search_s": round(first_s, 2),
        "keyword_load": [loaded[0], round(loaded[1], 3)],
        "keyword_index_mb": round(folder_mb(settings.keyword_dir), 1),
        "search_ms_p50": round(statistics.median(latencies), 1),
        "search_ms_p95": round(percentile(latencies, 0.95), 1),
        "one_more_chunks": report.chunks,
        "one_more_ingest_s": round(ingest_s, 2),
        "keyword_after_one_more": [updated[0], round(updated[1], 3)],
        "peak_rss_mb": round(peak_rss_mb()),
    }
