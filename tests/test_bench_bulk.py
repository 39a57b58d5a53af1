"""The ×1 000 benchmark's store is built by copying the ×1 store's records
(`evals.bench_bulk`), not by ingesting: it must be the store the ingest builds. A ×3
store built both ways (hash embedder, embedded Chroma) is compared record by record and
in search results."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np
import pytest

from evals.bench import CachingEmbedder, make_scaled_corpus
from evals.bench_bulk import (
    CopyWrites,
    copy_store,
    copy_writes,
    parse_copy,
    read_source,
    settle_copies,
    write,
)
from knowledge.base import KnowledgeBase
from knowledge.embedders import HashEmbedder
from tests.conftest import CORPUS, make_settings

COPIES = 3
VECTOR_ATOL = 1e-6
"""Stored vectors of one text agree to float32's precision (about 1e-7 here)."""
QUERIES = (
    "Vem ansvarar för uppföljningen?",
    "Vilka aktiviteter planeras under 2025?",
    "hemsjukvård och rehabilitering i samverkan",
)


def contents(kb: KnowledgeBase) -> dict[str, Any]:
    """Every record of every collection of the store, but the time of ingest."""
    with kb.store._link.use() as opened:  # type: ignore[attr-defined]
        out: dict[str, Any] = {}
        for name in ("chunks", "spans", "registers", "documents"):
            include = ["documents", "metadatas"] + (
                ["embeddings"] if name in ("chunks", "spans") else []
            )
            found = getattr(opened, name).get(include=include)
            rows = {}
            for j, record_id in enumerate(found["ids"]):
                meta = dict(found["metadatas"][j] or {})
                meta.pop("ingested_at", None)
                vector = found["embeddings"][j] if "embeddings" in include else None
                rows[record_id] = (found["documents"][j], meta, vector)
            out[name] = rows
    return out


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[KnowledgeBase, KnowledgeBase]:
    """The ×3 store ingested and copied, with the benchmark's passage cache (the hash
    embedder's analyser learns compounds from what it saw, so a text's vector would
    depend on what was embedded before it)."""
    tmp = tmp_path_factory.mktemp("bulk")
    cache: dict[str, Any] = {}
    one = KnowledgeBase(
        make_settings(tmp / "x1", embedder="hash"), CachingEmbedder(HashEmbedder(), cache)
    )
    assert one.ingest([CORPUS]).ok
    ingested = KnowledgeBase(
        make_settings(tmp / "x3-ingest", embedder="hash"), CachingEmbedder(HashEmbedder(), cache)
    )
    assert ingested.ingest(make_scaled_corpus(CORPUS, tmp / "corpus-x3", COPIES)).ok
    settings = make_settings(tmp / "x3-copy", embedder="hash")
    copied = KnowledgeBase(settings)
    with one.store._link.use() as source, copied.store._link.use() as target:  # type: ignore[attr-defined]
        counts = copy_store(source, target, CORPUS, range(1, COPIES + 1), settings, size=100)
    assert counts["documents"] == 4 * COPIES
    return ingested, KnowledgeBase(settings, ingested.embedder)  # reopened: reads what was written


def test_a_store_built_by_copying_holds_the_records_the_ingest_writes(
    stores: tuple[KnowledgeBase, KnowledgeBase],
) -> None:
    ingested, copied = stores
    want, got = contents(ingested), contents(copied)
    for name in want:
        assert len(got[name]) == len(want[name]) > 0, name
        assert got[name].keys() == want[name].keys(), name
        for record_id, (text, meta, vector) in want[name].items():
            assert got[name][record_id][:2] == (text, meta), record_id
            if vector is not None:  # float32 through Chroma: equal to its precision
                assert np.allclose(got[name][record_id][2], vector, atol=VECTOR_ATOL), record_id
    assert [d.key for d in copied.documents()] == [d.key for d in ingested.documents()]


def identity(chunk_id: str) -> str:
    """A chunk's place in its sample file, whichever copy it is of: copies of one chunk
    have the same vectors and texts, so which of them a search ranks first among equals
    depends on the order of insertion into the HNSW graph, not on the store."""
    return re.sub(r"-kopia-\d+@[0-9a-f]+", "", chunk_id)


FUSED_OVERLAP = 7  # of the top 8: one pair of tied chunks may trade a place


def test_a_store_built_by_copying_searches_as_the_ingested_one(
    stores: tuple[KnowledgeBase, KnowledgeBase],
) -> None:
    ingested, copied = stores
    keys = [d.key for d in ingested.documents()]
    for query in QUERIES:
        vector = ingested.embedder.embed_query(query)
        dense = [
            sorted((round(s, 5), identity(c.chunk_id)) for c, s in kb.store.query(vector, 12, keys))
            for kb in (ingested, copied)
        ]
        assert dense[0] == dense[1] and len(dense[0]) == 12
        found = [
            [identity(r.chunk.chunk_id) for r in kb.search(query, 8)] for kb in (ingested, copied)
        ]
        # the fused top 8 as multisets (copies share a place), the best first: chunks
        # tied in the fused score may swap places between two collections (Chroma's
        # approximate search); a copy that misses or mislabels a chunk does not
        assert found[0][0] == found[1][0] and len(found[0]) == 8
        assert sum((Counter(found[0]) & Counter(found[1])).values()) >= FUSED_OVERLAP
        keyword = [  # the index the searches built
            sorted((round(s, 5), identity(c)) for c, s in kb.keyword.search(query, 12))
            for kb in (ingested, copied)
        ]
        assert keyword[0] == keyword[1] and len(keyword[0]) == 12


def test_a_stopped_copy_keeps_its_whole_copies_and_drops_the_batch_in_flight(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A build killed mid-batch (the records of copies 3 and 4 written, not their document
    records) is settled into the ×2 store the first flush wrote."""
    tmp = tmp_path_factory.mktemp("stopped")
    one = KnowledgeBase(make_settings(tmp / "x1", embedder="hash"))
    assert one.ingest([CORPUS]).ok
    settings = make_settings(tmp / "x4", embedder="hash")
    target = KnowledgeBase(settings)
    with one.store._link.use() as source, target.store._link.use() as opened:  # type: ignore[attr-defined]
        copy_store(source, opened, CORPUS, [1, 2], settings)
        writes = CopyWrites()
        for doc in read_source(source):
            for i in (3, 4):
                copy_writes(doc, parse_copy(doc, CORPUS, i, settings), writes)
        for name in ("chunks", "spans", "registers"):  # the batch in flight, no records
            write(getattr(opened, name), getattr(writes, name))
        assert len(opened.chunks.get(include=[])["ids"]) == 180 * 4
        assert settle_copies(source, opened) == 2
    settled = KnowledgeBase(settings)
    keys = {d.key for d in settled.documents()}
    assert len(keys) == 8 and all(re.search(r"-kopia-00[12]@", k) for k in keys)
    with settled.store._link.use() as opened:  # type: ignore[attr-defined]
        for name, total in (("chunks", 180 * 2), ("spans", None), ("registers", 8)):
            found = getattr(opened, name).get(include=["metadatas"])
            assert {f"{m['doc_id']}" for m in found["metadatas"]} == {k.split("@")[0] for k in keys}
            if total is not None:
                assert len(found["ids"]) == total, name
