"""Benchmark (not a test): ingest throughput and the share spent embedding, warm search
latency and peak memory as the corpus grows, and warm `ask` latency.

    .venv/bin/python -m evals.bench [--repeat 3] [--scales 1,10,100] [--ingest-runs 3]
                                    [--json] [--out FILE.md]

×1 ingests the sample corpus into a fresh temporary store with the configured embedder;
that run measures ingest throughput (documents, chunks and spans per second: every chunk
and every span is embedded) and the share of it spent in the embedder; `--ingest-runs N`
ingests it N times, each into a fresh store with nothing cached, and reports the median
run and the machine's load averages (as `uptime` shows them) around the runs. ×N
ingests N copies of every corpus file under distinct names (so distinct document ids),
each ending in a line "Kopia i" (so distinct content hashes), into another fresh store.
Copies repeat the ×1 chunk texts, so their passage vectors come from a cache filled at
×1: only texts the cache has not seen (the chunks holding the "Kopia i" line) are
embedded. Ingest time at ×N is therefore chunking, storing and indexing with the
embedding cached; ingest throughput with embedding is the ×1 figure. Queries are never
cached: the knowledge base's query-vector cache is emptied before every measured search
(and before the measured asks, where one ask embeds its question once).

Each scale runs in a fresh process, so its peak RSS is its own. After ingest, ten gold
questions are searched as a warm-up (model, index load, caches), then every gold
question `--repeat` times measured; the share of that time spent embedding the query is
reported too. ×1 also measures `Assistant(kb).ask(question)` over the gold questions
(follow-ups left out), when `assistant.service` can be imported and asked.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import pickle
import platform
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.bench_cold import markdown as cold_markdown
from evals.bench_cold import measure as measure_cold
from evals.retrieval import load_gold
from knowledge.base import KnowledgeBase
from knowledge.embedders import Embedder, make_embedder
from nara.settings import load_settings

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
CACHE_NOTE = "embedding cached for copies; ingest throughput measured at ×1"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- embedder wrappers ------------------------------------------------------------------
class TimingEmbedder(Embedder):
    """Passes through to `inner`, adding up the time spent in its `embed_batch`."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.seconds = 0.0
        self.texts = 0

    def reset(self) -> None:
        self.seconds, self.texts = 0.0, 0

    def embed_batch(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        start = time.perf_counter()
        vectors = self.inner.embed_batch(texts, query=query)
        self.seconds += time.perf_counter() - start
        self.texts += len(texts)
        return vectors


class CachingEmbedder(Embedder):
    """Embeds each distinct passage text once; queries always go to `inner`."""

    def __init__(self, inner: Embedder, cache: dict[str, np.ndarray] | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.cache: dict[str, np.ndarray] = cache if cache is not None else {}
        self.hits = 0
        self.misses = 0

    def embed_batch(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        if query:
            return self.inner.embed_batch(texts, query=True)
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            vectors = self.inner.embed_batch(missing, query=False)
            self.cache.update(zip(missing, vectors, strict=True))
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([self.cache[t] for t in texts])

    def save(self, path: Path) -> None:
        path.write_bytes(pickle.dumps(self.cache))

    @staticmethod
    def load(path: Path) -> dict[str, np.ndarray]:
        if not path.exists():
            return {}
        cache: dict[str, np.ndarray] = pickle.loads(path.read_bytes())  # our own temp file
        return cache


# -- the scaled corpus ------------------------------------------------------------------
def make_scaled_corpus(source: Path, dest: Path, copies: int) -> list[Path]:
    """`copies` copies of every .txt file in `source`, written to `dest` as
    `<stem>-kopia-<i>.txt` (document ids come from file stems), each with a last line
    "Kopia <i>" so that no two share a content hash."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(source.glob("*.txt")):
        text = path.read_text(encoding="utf-8").rstrip("\n")
        for i in range(1, copies + 1):
            target = dest / f"{path.stem}-kopia-{i:03d}.txt"
            target.write_text(f"{text}\n\nKopia {i}\n", encoding="utf-8")
            written.append(target)
    return written


# -- one scale, in its own process ------------------------------------------------------
WARMUP = 10


def timed_calls(call: Any, inputs: Sequence[Any], repeat: int, before: Any = None) -> list[float]:
    """Milliseconds per call over `repeat` passes, after a warm-up on the first `WARMUP`
    inputs (model, index load, caches); `before()` runs between warm-up and measuring."""
    for item in inputs[:WARMUP]:
        call(item)
    if before is not None:
        before()
    out = []
    for _ in range(repeat):
        for item in inputs:
            t = time.perf_counter()
            call(item)
            out.append((time.perf_counter() - t) * 1000)
    return out


def measure_ask(kb: KnowledgeBase, repeat: int, limit: int | None = None) -> dict[str, Any]:
    """Warm `Assistant(kb).ask` latency (over the first `limit` questions that are not
    follow-ups; None: all), or why it could not be measured."""
    try:
        from assistant.service import Assistant

        assistant = Assistant(kb)
        questions = [q.question for q in load_gold() if not q.history][:limit]
        latencies = timed_calls(assistant.ask, questions, repeat, before=kb.query_vectors.clear)
    except Exception as exc:  # written concurrently elsewhere: report, do not fail
        return {"available": False, "error": f"{exc.__class__.__name__}: {exc}"[:300]}
    return {
        "available": True,
        "questions": len(questions),
        "asks": len(latencies),
        "ask_ms_p50": round(statistics.median(latencies), 1),
        "ask_ms_p95": round(percentile(latencies, 0.95), 1),
    }


def load_averages() -> list[float]:
    """The 1, 5 and 15 minute load averages, as `uptime` prints them."""
    return [round(x, 2) for x in os.getloadavg()]


def ingest_once(kb: KnowledgeBase, source: Path) -> dict[str, Any]:
    start = time.perf_counter()
    report = kb.ingest([source])
    seconds = time.perf_counter() - start
    if not report.ok:
        raise RuntimeError(f"ingest failed: {[str(e) for e in report.failed]}")
    return {
        "documents": len(report.added),
        "chunks": report.chunks,
        "spans": report.spans,
        "seconds": round(seconds, 2),
        "docs_per_second": round(len(report.added) / seconds, 2),
        "chunks_per_second": round(report.chunks / seconds, 1),
        "spans_per_second": round(report.spans / seconds, 1),
    }


def extra_ingest_runs(workdir: Path, embedder: Embedder, runs: int) -> list[dict[str, Any]]:
    """`runs` more ingests of the sample corpus, each into a fresh store, nothing cached."""
    out = []
    for i in range(runs):
        settings = load_settings(data_dir=workdir / f"store-x1-run{i + 2}")
        out.append(ingest_once(KnowledgeBase(settings, embedder=embedder), CORPUS))
    return out


def searched(kb: KnowledgeBase) -> Callable[[str], Any]:
    def search(query: str) -> Any:
        kb.query_vectors.clear()  # every measured search embeds its query
        return kb.search(query)

    return search


def measure_scale(
    scale: int,
    repeat: int,
    workdir: str,
    cache_file: str,
    ask_repeat: int,
    ingest_runs: int = 1,
) -> dict[str, Any]:
    """Ingest the corpus ×`scale` into a fresh store, then time warm searches (and, when
    `ask_repeat` > 0, asks). Runs in a child process; returns plain data."""
    work = Path(workdir)
    settings = load_settings(data_dir=work / f"store-x{scale}")
    timing = TimingEmbedder(make_embedder(settings.embedder))
    timing.embed_query("uppvärmning")  # load the model outside the timed ingest
    timing.reset()
    caching = CachingEmbedder(timing, CachingEmbedder.load(Path(cache_file)))
    kb = KnowledgeBase(settings, embedder=caching)
    if scale == 1:
        source = CORPUS
    else:
        source = work / f"corpus-x{scale}"
        make_scaled_corpus(CORPUS, source, scale)
    load_before = load_averages()
    first = ingest_once(kb, source)
    ingest_s = first["seconds"]
    embed_s = timing.seconds
    caching.save(Path(cache_file))
    runs = [first, *extra_ingest_runs(work, timing, ingest_runs - 1 if scale == 1 else 0)]
    load_after = load_averages()
    queries = [q.retrieval_query for q in load_gold()]
    latencies = timed_calls(searched(kb), queries, repeat, before=timing.reset)
    query_embed_ms = timing.seconds * 1000
    median = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    result: dict[str, Any] = {
        "scale": scale,
        "documents": first["documents"],
        "chunks": first["chunks"],
        "spans": first["spans"],
        "embedded_passages": caching.misses,
        "cached_passages": caching.hits,
        "ingest_seconds": ingest_s,
        "embedding_seconds": round(embed_s, 2),
        "embedding_share": round(embed_s / ingest_s, 3) if ingest_s else 0.0,
        "ingest_chunks_per_second": first["chunks_per_second"],
        "ingest_runs": runs,
        "ingest_median": median,
        "load_average_before_ingest": load_before,
        "load_average_after_ingest": load_after,
        "searches": len(latencies),
        "search_ms_p50": round(statistics.median(latencies), 1),
        "search_ms_p95": round(percentile(latencies, 0.95), 1),
        "query_embedding_share": round(query_embed_ms / sum(latencies), 3),
        "peak_rss_mb": round(peak_rss_mb()),
        "load_average_1min": round(os.getloadavg()[0], 2),  # other work on the machine
        "keyword_build": [kb.keyword.last_update[0], round(kb.keyword.last_update[1], 3)],
    }
    if ask_repeat > 0:
        result["ask"] = measure_ask(kb, ask_repeat)
    return result


def run(
    repeat: int,
    scales: Sequence[int] = (1,),
    ask_repeat: int = 1,
    ingest_runs: int = 1,
    serving: bool = False,
    cold_runs: int = 0,
) -> dict[str, Any]:
    """×1 always runs first: it measures ingest with embedding and fills the cache.
    `serving`: after each scale, a fresh process opens its store and measures serving
    (`evals.bench_serving`). With `cold_runs`, the command line's cold start on the ×1
    store (`evals.bench_cold`)."""
    from evals.bench_serving import measure_serving

    order = [1, *sorted({s for s in scales if s > 1})]
    results = []
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        cache_file = str(Path(tmp) / "passage-vectors.pkl")
        for scale in order:
            with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
                future = pool.submit(
                    measure_scale,
                    scale,
                    repeat,
                    tmp,
                    cache_file,
                    ask_repeat if scale == 1 else 0,
                    ingest_runs,
                )
                results.append(future.result())
            if serving:
                with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
                    args = (scale, repeat, tmp, cache_file)
                    results[-1]["serving"] = pool.submit(measure_serving, *args).result()
        cold = measure_cold(Path(tmp) / "store-x1", cold_runs) if cold_runs > 0 else None
    base = results[0]
    embedder = load_settings().embedder
    return {
        "machine": machine(),
        "embedder": embedder,
        "repeat": repeat,
        # the keys of the earlier single-scale report, from the ×1 run
        **{
            k: base[k]
            for k in (
                "documents",
                "chunks",
                "spans",
                "ingest_seconds",
                "ingest_chunks_per_second",
                "searches",
                "search_ms_p50",
                "search_ms_p95",
                "peak_rss_mb",
            )
        },
        "embedding_share": base["embedding_share"],
        "ingest_runs": base["ingest_runs"],
        "ingest_median": base["ingest_median"],
        "load_average_before_ingest": base["load_average_before_ingest"],
        "load_average_after_ingest": base["load_average_after_ingest"],
        "ask": base.get("ask", {"available": False, "error": "not measured"}),
        "scales": [
            {k: v for k, v in r.items() if k not in ("ask", "ingest_runs")} for r in results
        ],
        "note": CACHE_NOTE,
    } | ({"cold": cold} if cold else {})


# -- output ---------------------------------------------------------------------------
def markdown(result: dict[str, Any]) -> str:
    one = result["scales"][0]
    lines = [
        f"Machine: {result['machine']}; embedder `{result['embedder']}`; "
        f"{result['repeat']} measured passes over the gold questions after a warm-up "
        f"of {WARMUP}.",
        "",
        "Ingest at ×1 (sample corpus, model loaded beforehand; every chunk and every span "
        "embedded):",
        "",
        "| Run | Documents | Chunks | Spans | Ingest s | Docs/s | Chunks/s | Spans/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {i} | {r['documents']} | {r['chunks']} | {r['spans']} | {r['seconds']:.1f} "
            f"| {r['docs_per_second']:.2f} | {r['chunks_per_second']:.1f} "
            f"| {r['spans_per_second']:.1f} |"
            for i, r in enumerate(result["ingest_runs"], 1)
        ),
        "",
        f"Median run: {result['ingest_median']['seconds']:.1f} s "
        f"({result['ingest_median']['docs_per_second']:.2f} docs/s, "
        f"{result['ingest_median']['chunks_per_second']:.1f} chunks/s, "
        f"{result['ingest_median']['spans_per_second']:.1f} spans/s). First run: embedding "
        f"{one['embedding_seconds']:.1f} s, {one['embedding_share']:.0%} of ingest. Load "
        f"average (1/5/15 min, as `uptime`) before: "
        f"{' '.join(str(x) for x in result['load_average_before_ingest'])}, after: "
        f"{' '.join(str(x) for x in result['load_average_after_ingest'])}.",
        "",
        f"Scaling ({CACHE_NOTE}):",
        "",
        "| Scale | Documents | Chunks | Embedded passages | Ingest s | Chunks/s "
        "| Search p50 ms | Search p95 ms | Query embedding share | Peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["scales"]:
        lines.append(
            f"| ×{r['scale']} | {r['documents']} | {r['chunks']} | {r['embedded_passages']} "
            f"| {r['ingest_seconds']:.1f} | {r['ingest_chunks_per_second']:.1f} "
            f"| {r['search_ms_p50']:.1f} | {r['search_ms_p95']:.1f} "
            f"| {r['query_embedding_share']:.0%} | {r['peak_rss_mb']} |"
        )
    ask = result["ask"]
    lines.append("")
    if ask.get("available"):
        lines += [
            "Ask at ×1 (`Assistant(kb).ask`, in-process, warm):",
            "",
            "| Questions | Asks | Ask p50 ms | Ask p95 ms |",
            "|---:|---:|---:|---:|",
            f"| {ask['questions']} | {ask['asks']} | {ask['ask_ms_p50']:.1f} "
            f"| {ask['ask_ms_p95']:.1f} |",
        ]
    else:
        lines.append(f"ask: unavailable ({ask.get('error', '')})")
    lines += serving_lines(result["scales"])
    if "cold" in result:
        lines += ["", cold_markdown(result["cold"]).rstrip("\n")]
    return "\n".join(lines) + "\n"


def serving_lines(scales: Sequence[dict[str, Any]]) -> list[str]:
    """The table of `evals.bench_serving`, when it ran."""
    rows = [r for r in scales if "serving" in r]
    if not rows:
        return []
    lines = [
        "",
        "Serving (a fresh process opens the store; `--serving`):",
        "",
        "| Scale | Keyword build s | Keyword load s | Keyword MB | Search p50 ms "
        "| Search p95 ms | One more document s | Keyword update s | Peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        s = r["serving"]
        lines.append(
            f"| ×{r['scale']} | {r['keyword_build'][1]:.2f} | {s['keyword_load'][1]:.2f} "
            f"| {s['keyword_index_mb']:.1f} | {s['search_ms_p50']:.1f} "
            f"| {s['search_ms_p95']:.1f} | {s['one_more_ingest_s']:.2f} "
            f"| {s['keyword_after_one_more'][1]:.2f} ({s['keyword_after_one_more'][0]}) "
            f"| {s['peak_rss_mb']} |"
        )
    return lines


def parse_scales(text: str) -> list[int]:
    try:
        scales = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not comma-separated integers: {text}") from None
    if not scales or min(scales) < 1:
        raise argparse.ArgumentTypeError("scales are integers >= 1, e.g. 1,10,100")
    return scales


def emit(
    result: dict[str, Any], markdown: Callable[[dict[str, Any]], str], args: argparse.Namespace
) -> None:
    """Print the result as Markdown tables (also to `--out`), or as JSON with `--json`."""
    table = markdown(result)
    if args.out:
        args.out.write_text(table, encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else table, end="")
    if args.json:
        print()


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Ingest, search and ask benchmark (see the module docstring)."
    )
    parser.add_argument("--repeat", type=int, default=3, help="measured search passes")
    parser.add_argument(
        "--scales", type=parse_scales, default=[1, 10, 100], help="corpus copies, e.g. 1,10,100"
    )
    parser.add_argument("--ask-repeat", type=int, default=1, help="measured ask passes, 0: none")
    parser.add_argument(
        "--ingest-runs", type=int, default=1, help="ingests of the sample corpus (median)"
    )
    parser.add_argument(
        "--serving", action="store_true", help="also measure a fresh serving process per scale"
    )
    parser.add_argument(
        "--cold", type=int, default=0, help="cold starts of the CLI per command (0: none)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--out", type=Path, help="also write the Markdown tables to this file")
    args = parser.parse_args()
    ingest_runs = max(1, args.ingest_runs)
    result = run(args.repeat, args.scales, args.ask_repeat, ingest_runs, args.serving, args.cold)
    emit(result, markdown, args)


if __name__ == "__main__":
    main()
