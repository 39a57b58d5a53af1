"""Building the stores of `evals.bench_scale`: the ×1 store ingested and the ×N store
copied from it (`evals.bench_bulk`), embedded (a PersistentClient at the folder that
`chroma run` serves afterwards, so no record goes over HTTP) or on a given server."""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evals.bench import CORPUS, load_averages, peak_rss_mb
from nara.settings import Settings, load_settings

EMBEDDED = "embedded"
"""The data folder of the build without a server: its `chroma/` is what `chroma run`
serves afterwards."""


def settings_of(work: Path, url: str | None, scale: int, role: str) -> Settings:
    """The settings of one process on the ×`scale` store: its own data folder (keyword
    index, lock file) named by `role`, the store's collection on the server; with no
    `url`, the embedded store in `work/embedded/chroma` (the build before the server)."""
    if url is None:
        return load_settings(data_dir=work / EMBEDDED, collection=f"bench-x{scale}")
    return load_settings(
        data_dir=work / f"{role}-x{scale}", chroma_url=url, collection=f"bench-x{scale}"
    )


# -- the steps, each in a fresh process ----------------------------------------------------
def ingest_x1(work: str, url: str | None, cache_file: str) -> dict[str, Any]:
    from evals.bench import CachingEmbedder, TimingEmbedder, ingest_once
    from knowledge.base import KnowledgeBase
    from knowledge.embedders import make_embedder

    settings = settings_of(Path(work), url, 1, "ingest")
    timing = TimingEmbedder(make_embedder(settings.embedder))
    timing.embed_query("uppvärmning")  # the model loaded outside the timed ingest
    timing.reset()
    caching = CachingEmbedder(timing, CachingEmbedder.load(Path(cache_file)))
    # a kept work folder (--keep) reuses its vectors; a fresh one embeds everything
    before = load_averages()
    result = ingest_once(KnowledgeBase(settings, embedder=caching), CORPUS)
    caching.save(Path(cache_file))
    return result | {
        "embedding_s": round(timing.seconds, 1),
        "load_average_before": before,
        "load_average_after": load_averages(),
    }


def copy_xn(work: str, url: str | None, scale: int, cache_file: str) -> dict[str, Any]:
    from evals.bench import CachingEmbedder
    from evals.bench_bulk import copy_store
    from knowledge.base import KnowledgeBase
    from knowledge.embedders import make_embedder

    one = settings_of(Path(work), url, 1, "ingest")
    many = settings_of(Path(work), url, scale, "copy")
    embedder = CachingEmbedder(make_embedder(one.embedder), CachingEmbedder.load(Path(cache_file)))
    source, target = KnowledgeBase(one, embedder), KnowledgeBase(many, embedder)
    before = load_averages()
    started = time.perf_counter()
    with source.store._link.use() as read, target.store._link.use() as write:
        counts = copy_store(read, write, CORPUS, range(1, scale + 1), many)
    return counts | {
        "seconds": round(time.perf_counter() - started, 1),
        "load_average_before": before,
        "load_average_after": load_averages(),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def settle_xn(work: str, scale: int) -> dict[str, Any]:
    """The copies a stopped build wrote whole (`evals.bench_bulk.settle_copies`)."""
    from evals.bench_bulk import settle_copies
    from knowledge.base import KnowledgeBase

    one = settings_of(Path(work), None, 1, "ingest")
    many = settings_of(Path(work), None, scale, "copy")
    source, target = KnowledgeBase(one), KnowledgeBase(many)
    with source.store._link.use() as read, target.store._link.use() as write:
        copies = settle_copies(read, write)
    return {"stopped": True, "copies": copies, "documents": len(target.documents())}


def in_child(call: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """`call(*args)` in a fresh process; its time and the load go to stderr (progress)."""
    spawn = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        result = pool.submit(call, *args).result()
    took = time.perf_counter() - started
    print(
        f"{time.strftime('%H:%M:%S')} {call.__name__}: {took:.0f} s, load {load_averages()}",
        file=sys.stderr,
        flush=True,
    )
    return result


def build_embedded(work: Path, scale: int, cache: str) -> dict[str, Any]:
    """The ×1 and ×`scale` stores written embedded into `work/embedded/chroma`, or the
    report of that build when a kept folder (--keep) holds it already."""
    built = work / "build.json"
    if built.exists():
        return dict(json.loads(built.read_text("utf-8")), reused=True)
    if (work / EMBEDDED).exists():  # a build stopped before its end (killed)
        out = {"copy": in_child(settle_xn, str(work), scale), "ingest_x1": {}}
        built.write_text(json.dumps(out, indent=2), "utf-8")
        return out
    out = {"ingest_x1": in_child(ingest_x1, str(work), None, cache)}
    out["copy"] = in_child(copy_xn, str(work), None, scale, cache)
    built.write_text(json.dumps(out, indent=2), "utf-8")
    return out
