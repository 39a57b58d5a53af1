"""`nara serve` on the ×N store of `evals.bench_scale`, over HTTP: its peak RSS (the
issue's bound is 2 GiB, model included) and the latency of `/v1/search` and `/v1/ask`
for every gold question, one request at a time; and the benchmark's Markdown report."""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from evals.bench import percentile
from evals.bench_http import BENCH_RATE_PER_S, ROOT, free_port, proc_status_kb
from evals.retrieval import load_gold
from nara.settings import Settings

SERVE = (
    "import sys\n"
    "from nara.settings import load_settings\n"
    "from ui.server import run\n"
    "run(load_settings(), '127.0.0.1', int(sys.argv[1]))\n"
)
"""What `nara serve` runs (`ui.cli.assistant`), on a free port (evals never import ui)."""
START_S = 600.0
"""How long the server may take to become ready (it may build the keyword index)."""
REQUEST_S = 120.0
KIB_PER_MB = 1024


def _mb(kib: int | None) -> int | None:
    return round(kib / KIB_PER_MB) if kib else None


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> float:
    started = time.monotonic()
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() - started > START_S:
            proc.kill()
            tail = log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"nara serve did not become ready:\n{tail}")
        time.sleep(0.5)


def _timed(client: httpx.Client, path: str, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    latencies, errors = [], 0
    for body in bodies:
        started = time.perf_counter()
        response = client.post(path, json=body)
        latencies.append((time.perf_counter() - started) * 1000)
        errors += response.status_code != 200
    return {
        "requests": len(latencies),
        "errors": errors,
        "ms_p50": round(statistics.median(latencies), 1),
        "ms_p95": round(percentile(latencies, 0.95), 1),
    }


def serve_over_http(settings: Settings, limit: int | None = None) -> dict[str, Any]:
    """Start `nara serve` on the store of `settings` (its data folder holds the keyword
    index built before), search and ask the first `limit` gold questions (None: all)
    once each, read its peak RSS."""
    key = secrets.token_urlsafe(24)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")} | {
        "NARA_DATA_DIR": str(settings.data_dir),
        "NARA_CHROMA_URL": str(settings.chroma_url),
        "NARA_COLLECTION": settings.collection,
        "NARA_EMBEDDER": settings.embedder,
        "NARA_API_KEYS": key,
        "NARA_SERVE_API_RATE_PER_S": str(BENCH_RATE_PER_S),
        "NARA_SERVE_API_BURST": str(int(BENCH_RATE_PER_S)),
    }
    port = free_port()
    log = settings.data_dir / "nara-serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(port)], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        ready_s = _wait_ready(url, proc, log)
        started_kib = proc_status_kb(proc.pid, "VmRSS")
        gold = load_gold()[:limit]
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=url, headers=headers, timeout=REQUEST_S) as client:
            search = _timed(client, "/v1/search", [{"query": q.retrieval_query} for q in gold])
            ask = _timed(
                client, "/v1/ask", [{"question": q.question} for q in gold if not q.history]
            )
        return {
            "ready_s": round(ready_s, 1),
            "rss_mb_when_ready": _mb(started_kib),
            "search": search,
            "ask": ask,
            "peak_rss_mb": _mb(proc_status_kb(proc.pid, "VmHWM")),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- the report -------------------------------------------------------------------------
def _load(values: list[float] | None) -> str:
    return " ".join(str(x) for x in values) if values else "–"


def scale_markdown(r: dict[str, Any]) -> str:
    copy, kw, x1 = r["copy"], r["keyword_build"], r["ingest_x1"]
    n = copy.get("copies", r["scale"])  # a stopped build holds fewer copies
    one, many, http = r["serving_x1"], r["serving_xn"], r["nara_serve"]
    chroma = r.get("chroma", {})
    lines = [
        f"Machine: {r['machine']}; Chroma server {r['chroma_url']}.",
        "",
        *_build_lines(x1, copy, r["scale"]),
        f"Keyword index at ×{n}: {kw['kind']} in {kw['seconds']} s, {kw['size_mb']} MB on "
        f"disk, builder's peak RSS {kw['peak_rss_mb']} MB; load "
        f"{_load(kw['load_average_before'])} → {_load(kw['load_average_after'])}.",
        "",
        f"| | ×1 | ×{n} |",
        "|---|---:|---:|",
        f"| load (1 min) before / after | {one['load_average_before'][0]} / "
        f"{one['load_average_1min']} | {many['load_average_before'][0]} / "
        f"{many['load_average_1min']} |",
        f"| search p50 / p95 ms | {one['search_ms_p50']} / {one['search_ms_p95']} "
        f"| {many['search_ms_p50']} / {many['search_ms_p95']} |",
        f"| **search p50 ×{n} / ×1** (bound 2) | | **{r['search_p50_ratio']}** |",
        f"| query embedding share | {one['query_embedding_share']:.0%} "
        f"| {many['query_embedding_share']:.0%} |",
        f"| ask p50 / p95 ms | {_ask(one)} | {_ask(many)} |",
        f"| keyword index: first search s ({one['keyword_load'][0]} / "
        f"{many['keyword_load'][0]}) | {one['first_search_s']} | {many['first_search_s']} |",
        f"| one more document s ({many['one_more_chunks']} chunks) "
        f"| {one['one_more_ingest_s']} | {many['one_more_ingest_s']} |",
        f"| keyword index after it s | {_kw(one)} | {_kw(many)} |",
        f"| peak RSS of the measuring process MB | {one['peak_rss_mb']} | {many['peak_rss_mb']} |",
        "",
        f"`nara serve` on the ×{n} store (ready in {http['ready_s']} s, load "
        f"{http['load_average_1min']}): search p50 / p95 {http['search']['ms_p50']} / "
        f"{http['search']['ms_p95']} ms ({http['search']['errors']} errors), ask p50 / p95 "
        f"{http['ask']['ms_p50']} / {http['ask']['ms_p95']} ms ({http['ask']['errors']} "
        f"errors); RSS when ready {http['rss_mb_when_ready']} MB, **peak "
        f"{http['peak_rss_mb']} MB** (bound 2048). Chroma server: peak RSS "
        f"{chroma.get('peak_rss_mb')} MB, at the end {chroma.get('rss_mb')} MB.",
    ]
    return "\n".join(lines) + "\n"


def _build_lines(x1: dict[str, Any], copy: dict[str, Any], scale: int) -> list[str]:
    if copy.get("stopped"):
        return [
            f"×{scale} build stopped: {copy['copies']} whole copies kept "
            f"({copy['documents']} documents), the batch in flight deleted."
        ]
    return [
        f"×1 ingest: {x1['documents']} documents, {x1['chunks']} chunks, {x1['spans']} spans "
        f"in {x1['seconds']} s (embedding {x1['embedding_s']} s); load "
        f"{_load(x1['load_average_before'])} → {_load(x1['load_average_after'])}.",
        f"×{scale} built by copying: {copy['documents']} documents, {copy['chunks']} chunks, "
        f"{copy['spans']} spans in {copy['seconds']} s (parsing {copy['parse_s']} s, "
        f"writing {copy['write_s']} s); load {_load(copy['load_average_before'])} → "
        f"{_load(copy['load_average_after'])}.",
    ]


def _ask(serving: dict[str, Any]) -> str:
    ask = serving.get("ask") or {}
    if not ask.get("available"):
        return "–"
    return f"{ask['ask_ms_p50']} / {ask['ask_ms_p95']}"


def _kw(serving: dict[str, Any]) -> str:
    kind, seconds = serving["keyword_after_one_more"]
    return f"{seconds} ({kind})"
