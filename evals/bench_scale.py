"""Benchmark (not a test) of the sample corpus ×N against a Chroma server on loopback
(issue #15: ×1 000, 180 000 chunks and 944 000 spans).

    .venv/bin/python -m evals.bench_scale --scale 1000 [--repeat 2] [--ask-repeat 1]
                                          [--chroma-url URL] [--json] [--out FILE.md]

Each step in a fresh process: ingests the sample corpus into the collection `bench-x1`
with the configured embedder (its passage vectors cached); builds the ×N store in
`bench-x<N>` by copying the ×1 store's records (`evals.bench_bulk`: the store the ingest
of N copies would build, in minutes instead of hours). Both are written embedded (a
PersistentClient at `<work>/embedded/chroma`, no record over HTTP), then `chroma run`
serves that folder on loopback; with `--chroma-url` they are written to that server
instead. `--build-only --keep DIR` stops after the build; a later run with the same
`--keep` reuses it, and settles a build that was stopped (killed) to the copies it
wrote whole (`evals.bench_bulk.settle_copies`). Then it builds the ×N keyword index
from Chroma; measures
serving at ×1 and at ×N (`evals.bench_serving.measure_store`: warm search and ask
latency, the query embedding's share, one more document and the keyword index's update,
peak RSS); and starts `nara serve` (`ui.server`) on the ×N store, sends it every gold
question as a search and as a question over HTTP, and reads its peak RSS. The Chroma
server's peak RSS is read from /proc at the end. Every figure comes with the load
average it was measured under.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from evals.bench import emit, load_averages, machine, peak_rss_mb
from evals.bench_http import free_port, proc_status_kb
from evals.bench_scale_build import (
    EMBEDDED,
    build_embedded,
    copy_xn,
    in_child,
    ingest_x1,
    settings_of,
)
from evals.bench_scale_serve import serve_over_http
from evals.bench_serving import folder_mb, measure_store

CHROMA_START_S = 60.0
"""How long `chroma run` may take to answer its heartbeat."""
KIB_PER_MB = 1024
ASK_LIMIT = 40
"""Questions asked per measurement by default: an ask against a Chroma server under
load takes about a second, and 142 of them per scale would take most of the run."""


def build_keyword(work: str, url: str, scale: int, cache_file: str) -> dict[str, Any]:
    """The keyword index of the ×`scale` store, built from Chroma by its first search
    in the data folder the serving steps then use (they load it)."""
    from evals.bench import CachingEmbedder
    from knowledge.base import KnowledgeBase
    from knowledge.embedders import make_embedder

    settings = settings_of(Path(work), url, scale, "serve")
    embedder = CachingEmbedder(
        make_embedder(settings.embedder), CachingEmbedder.load(Path(cache_file))
    )
    kb = KnowledgeBase(settings, embedder)
    before = load_averages()
    kb.search("uppföljning")
    return {
        "kind": kb.keyword.last_update[0],
        "seconds": round(kb.keyword.last_update[1], 1),
        "size_mb": round(folder_mb(settings.keyword_dir), 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "load_average_before": before,
        "load_average_after": load_averages(),
    }


def serve_in_process(
    work: str, url: str, scale: int, repeat: int, cache_file: str, ask_repeat: int, limit: int
) -> dict[str, Any]:
    settings = settings_of(Path(work), url, scale, "serve")
    before = load_averages()
    return measure_store(settings, repeat, cache_file, Path(work), ask_repeat, limit) | {
        "load_average_before": before
    }


# -- the Chroma server ------------------------------------------------------------------
def start_chroma(path: Path, data: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`chroma run` on loopback serving `data` (default `path/data`); its log in `path`."""
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if exe is None:
        raise SystemExit("the `chroma` command is missing (pip install chromadb)")
    port = free_port()
    path.mkdir(parents=True, exist_ok=True)
    with (path / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                exe,
                "run",
                "--path",
                str(data or path / "data"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + CHROMA_START_S
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit(f"Chroma did not start; see {path / 'server.log'}") from None
            time.sleep(0.3)


def chroma_rss_mb(pid: int) -> dict[str, int | None]:
    peak, now = proc_status_kb(pid, "VmHWM"), proc_status_kb(pid, "VmRSS")
    return {
        "peak_rss_mb": round(peak / KIB_PER_MB) if peak else None,
        "rss_mb": round(now / KIB_PER_MB) if now else None,
    }


def run(
    scale: int,
    repeat: int,
    ask_repeat: int,
    chroma_url: str | None,
    keep: Path | None,
    limit: int = ASK_LIMIT,
    build_only: bool = False,
) -> dict[str, Any]:
    """The steps of the module docstring; `limit`: the questions asked (in-process and
    over HTTP) and searched over HTTP (the in-process searches use every one). Without
    `chroma_url` the stores are built embedded first, then served by `chroma run`
    (`build_only`: stop after the build, for a later run with the same `keep`)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = keep or Path(tmp)
        cache = str(work / "passage-vectors.pkl")
        out: dict[str, Any] = {"machine": machine(), "scale": scale}
        chroma = None
        if chroma_url is None:  # built embedded, then served: no HTTP round trips
            out |= build_embedded(work, scale, cache)
            if build_only:
                return out
            data = settings_of(work, None, scale, EMBEDDED).chroma_path
            chroma, url = start_chroma(work / "chroma", data)
        else:
            url = chroma_url
        out["chroma_url"] = url
        try:
            if chroma is None:
                out["ingest_x1"] = in_child(ingest_x1, str(work), url, cache)
                out["copy"] = in_child(copy_xn, str(work), url, scale, cache)
            else:
                out["chroma_after_copy"] = chroma_rss_mb(chroma.pid)
            out["keyword_build"] = in_child(build_keyword, str(work), url, scale, cache)
            for key, n in (("serving_x1", 1), ("serving_xn", scale)):
                (work / "partial.json").write_text(json.dumps(out, indent=2), "utf-8")
                args = (str(work), url, n, repeat, cache, ask_repeat, limit)
                out[key] = in_child(serve_in_process, *args)
            (work / "partial.json").write_text(json.dumps(out, indent=2), "utf-8")
            out["nara_serve"] = serve_over_http(settings_of(work, url, scale, "serve"), limit)
        finally:
            if chroma is not None:
                out["chroma"] = chroma_rss_mb(chroma.pid)
                chroma.terminate()
                chroma.wait(timeout=30)
    one, many = out["serving_x1"], out["serving_xn"]
    out["search_p50_ratio"] = round(many["search_ms_p50"] / one["search_ms_p50"], 2)
    return out


def markdown(result: dict[str, Any]) -> str:
    from evals.bench_scale_serve import scale_markdown

    return scale_markdown(result)


def main() -> None:
    parser = argparse.ArgumentParser(description="The ×N benchmark on a Chroma server.")
    parser.add_argument("--scale", type=int, default=1000, help="copies of the sample corpus")
    parser.add_argument("--repeat", type=int, default=2, help="measured search passes")
    parser.add_argument("--ask-repeat", type=int, default=1, help="measured ask passes")
    parser.add_argument(
        "--questions", type=int, default=ASK_LIMIT, help="questions asked, and searched over HTTP"
    )
    parser.add_argument("--chroma-url", help="a running Chroma server (default: start one)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--build-only", action="store_true", help="build the stores into --keep and stop"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--out", type=Path, help="also write the Markdown tables to this file")
    args = parser.parse_args()
    result = run(
        args.scale,
        args.repeat,
        args.ask_repeat,
        args.chroma_url,
        args.keep,
        args.questions,
        args.build_only,
    )
    if args.build_only:
        print(json.dumps(result, indent=2))
        return
    emit(result, markdown, args)


if __name__ == "__main__":
    main()
