"""Benchmark (not a test): ingest throughput, warm search latency, peak memory.

    .venv/bin/python -m evals.bench [--repeat 3] [--json]

Ingests the sample corpus into a fresh temporary store with the configured embedder,
then runs every gold question as a search `--repeat` times after one warm-up pass.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from evals.retrieval import load_gold
from knowledge.base import KnowledgeBase
from nara.settings import load_settings

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def run(repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp) / "store")
        kb = KnowledgeBase(settings)
        start = time.perf_counter()
        report = kb.ingest([CORPUS])
        ingest_s = time.perf_counter() - start
        queries = [q.retrieval_query for q in load_gold()]
        for q in queries:  # warm-up: model, index load, caches
            kb.search(q, 5)
        latencies = []
        for _ in range(repeat):
            for q in queries:
                t = time.perf_counter()
                kb.search(q, 5)
                latencies.append((time.perf_counter() - t) * 1000)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "machine": machine(),
        "embedder": settings.embedder,
        "documents": len(report.added),
        "chunks": report.chunks,
        "ingest_seconds": round(ingest_s, 2),
        "ingest_chunks_per_second": round(report.chunks / ingest_s, 1),
        "searches": len(latencies),
        "search_ms_p50": round(statistics.median(latencies), 1),
        "search_ms_p95": round(percentile(latencies, 0.95), 1),
        "peak_rss_mb": round(peak_mb),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.repeat)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")


if __name__ == "__main__":
    main()
