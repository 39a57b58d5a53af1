"""The keyword index is updated, not rebuilt, when a few document versions change
(issue #15): its scores equal `bm25s` on a full build and an index built anew after an
update, and an update reads only the changed versions' chunks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import bm25s
import numpy as np
import pytest

from knowledge.analysis import Analyzer
from knowledge.base import KnowledgeBase
from knowledge.bm25_segments import SegmentedBM25
from knowledge.keyword import KeywordIndex, bigrams
from knowledge.store import StoredChunk
from tests.conftest import CORPUS, make_settings

COPIES = 5
"""Copies of each sample document: 20 versions, so that one change is 5 % of them."""
QUERIES = [
    "Vem ansvarar för kommunikationsplanen?",
    "hur ofta ska uppföljning ske",
    "samverkan mellan kommun och region i hemsjukvården",
    "hjortronsoppa på fjället",
]


@pytest.fixture(scope="module")
def sample_chunks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[StoredChunk]]:
    """The sample corpus's chunks as a real ingest stores them, by version."""
    kb = KnowledgeBase(make_settings(tmp_path_factory.mktemp("kw") / "store", embedder="hash"))
    assert kb.ingest([CORPUS]).ok
    keys = [d.key for d in kb.documents()]
    return {key: kb.store.chunks([key]) for key in keys}


def copies(sample: dict[str, list[StoredChunk]]) -> dict[str, list[StoredChunk]]:
    out: dict[str, list[StoredChunk]] = {}
    for i in range(COPIES):
        for chunks in sample.values():
            moved = [replace(c, doc_id=f"{c.doc_id}-{i}") for c in chunks]
            moved = [replace(c, chunk_id=f"{c.key}#{c.index}") for c in moved]
            out[moved[0].key] = moved
    return out


def new_version(chunks: list[StoredChunk], version: str, extra: str) -> list[StoredChunk]:
    moved = [replace(c, version=version) for c in chunks]
    moved = [replace(c, chunk_id=f"{c.key}#{c.index}") for c in moved]
    last = moved[-1]
    moved[-1] = replace(last, text=f"{last.text} {extra}", index_text=f"{last.index_text} {extra}")
    return moved


class Store:
    """The index's loader over a dict of versions, recording what it was asked for."""

    def __init__(self, versions: dict[str, list[StoredChunk]]) -> None:
        self.versions = versions
        self.asked: list[list[str]] = []

    def chunks(self, keys: Sequence[str]) -> list[StoredChunk]:
        self.asked.append(list(keys))
        return [c for k in keys for c in self.versions.get(k, [])]


def test_segmented_scores_equal_bm25s(sample_chunks: dict[str, list[StoredChunk]]) -> None:
    chunks = [c for cs in sample_chunks.values() for c in cs]
    analyzer = Analyzer(Analyzer.vocabulary_of(c.index_text for c in chunks))
    for (k1, b), rows in [
        ((1.2, 0.75), [analyzer.terms(c.index_text) or ["_"] for c in chunks]),
        ((0.0, 0.0), [bigrams(analyzer.stems(c.index_text)) or ["_"] for c in chunks]),
    ]:
        reference = bm25s.BM25(k1=k1, b=b)
        reference.index(rows, show_progress=False)
        ours = SegmentedBM25.empty(k1, b).with_rows(rows)
        for query in QUERIES:
            tokens = analyzer.terms(query) if k1 else bigrams(analyzer.stems(query))
            known = list(dict.fromkeys(t for t in tokens if t in reference.vocab_dict))
            if not known:
                assert not ours.scores(tokens).any()
                continue
            expected = np.asarray(reference.get_scores(known))
            assert expected.max() > 0
            np.testing.assert_allclose(ours.scores(tokens), expected, rtol=1e-4, atol=1e-6)


def test_retired_rows_and_a_new_segment_score_as_an_index_built_anew(
    sample_chunks: dict[str, list[StoredChunk]],
) -> None:
    analyzer = Analyzer(
        Analyzer.vocabulary_of(c.index_text for cs in sample_chunks.values() for c in cs)
    )
    a, b, c, d = ([analyzer.terms(x.index_text) for x in cs] for cs in sample_chunks.values())
    updated = SegmentedBM25.empty(1.2, 0.75).with_rows(a + b + c)
    updated = updated.without(range(len(a), len(a) + len(b))).with_rows(d)
    fresh = SegmentedBM25.empty(1.2, 0.75).with_rows(a + c + d)
    live = np.flatnonzero(updated.live)
    assert len(live) == fresh.rows
    for query in QUERIES[:3]:
        tokens = analyzer.terms(query)
        got = updated.scores(tokens)
        assert not got[len(a) : len(a) + len(b)].any()  # retired rows score nothing
        np.testing.assert_allclose(got[live], fresh.scores(tokens), rtol=1e-5, atol=1e-6)
        assert fresh.scores(tokens).max() > 0


def scores_by_id(index: KeywordIndex, query: str) -> dict[str, float]:
    scored = index.scores(query)
    assert scored is not None
    return {
        cid: float(s)
        for cid, s, ok in zip(scored.chunk_ids, scored.bm25, scored.admitted, strict=True)
        if ok
    }


def test_one_added_or_replaced_document_updates_the_index_and_reads_only_its_chunks(
    sample_chunks: dict[str, list[StoredChunk]], tmp_path: Path
) -> None:
    versions = copies(sample_chunks)
    store = Store(versions)
    keys = list(versions)
    index = KeywordIndex(tmp_path / "kw")
    index.ensure(keys, store.chunks)
    assert index.last_update[0] == "build" and store.asked == [keys]

    first = next(iter(versions.values()))
    added = new_version(first, "v2", "Hjortronsoppa serveras vid fjällstugan.")
    versions[added[0].key] = added
    keys = [k for k in keys if k != first[0].key] + [added[0].key]  # a replace
    store.asked.clear()
    index.ensure(keys, store.chunks)
    assert index.last_update[0] == "update" and store.asked == [[added[0].key]]
    top = index.search("hjortronsoppa fjällstugan", 3, set(keys))
    assert top and top[0][0] == added[-1].chunk_id
    assert not set(index.search("hjortronsoppa", 50, None)) & {c.chunk_id for c in first}

    fresh = KeywordIndex(tmp_path / "fresh")
    fresh.ensure(keys, store.chunks)
    for query in QUERIES:
        want, got = scores_by_id(fresh, query), scores_by_id(index, query)
        assert set(got) == set(want)
        for cid, score in want.items():
            assert got[cid] == pytest.approx(score, rel=1e-4, abs=1e-6), (query, cid)

    other = KeywordIndex(tmp_path / "kw")  # another process: the saved build, then the change
    store.asked.clear()
    other.ensure(keys, store.chunks)
    assert other.last_update[0] == "load+update" and store.asked == [[added[0].key]]
    assert other.search("hjortronsoppa fjällstugan", 1, set(keys))[0][0] == added[-1].chunk_id


def test_scores_admit_exactly_the_live_rows_of_the_versions_asked_for(
    sample_chunks: dict[str, list[StoredChunk]], tmp_path: Path
) -> None:
    versions = copies(sample_chunks)
    index = KeywordIndex(tmp_path / "kw")
    index.ensure(list(versions), Store(versions).chunks)
    first = next(iter(versions.values()))
    added = new_version(first, "v2", "Hjortronsoppa serveras vid fjällstugan.")
    versions[added[0].key] = added
    live = [k for k in versions if k != first[0].key]
    index.ensure(live, Store(versions).chunks)  # an update: the old version's rows retired
    everything = index.scores(QUERIES[1])
    assert everything is not None
    for asked in ({live[0], added[0].key}, set(live), {first[0].key, live[2]}, set()):
        scored = index.scores(QUERIES[1], asked)
        assert scored is not None
        expected = [k in asked and k != first[0].key for k in scored.chunk_keys]
        assert scored.admitted.tolist() == expected
        np.testing.assert_array_equal(
            scored.bm25, np.where(scored.admitted, everything.bm25, np.float32(0.0))
        )
        if not asked:
            assert not scored.admitted.any()
    assert everything.admitted.sum() == sum(len(versions[k]) for k in live)


def test_many_changes_rebuild_the_index(
    sample_chunks: dict[str, list[StoredChunk]], tmp_path: Path
) -> None:
    versions = copies(sample_chunks)
    store = Store(versions)
    keys = list(versions)
    index = KeywordIndex(tmp_path / "kw")
    index.ensure(keys, store.chunks)
    kept = keys[: len(keys) // 2]  # half the versions removed: beyond the merge share
    index.ensure(kept, store.chunks)
    assert index.last_update[0] == "build" and store.asked[-1] == kept
    assert index.chunk_ids == [c.chunk_id for k in kept for c in versions[k]]


RUNTIME = ("nara", "ingest", "knowledge", "assistant", "ui")
"""The packages `nara` runs from (evals and tests are not what a server runs)."""


def imported_roots(path: Path) -> set[str]:
    """The top-level modules a source file imports (statements, `import_module("x")`
    and `__import__("x")` with a literal name)."""
    import ast

    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                roots.add(node.args[0].value.split(".")[0])
    return roots


def test_nothing_at_run_time_imports_bm25s() -> None:
    """`bm25s` is only the tests' reference (the `test` extra), so no runtime module
    imports it; this test file does, as the check sees."""
    from tests.conftest import ROOT

    files = [f for package in RUNTIME for f in sorted((ROOT / package).rglob("*.py"))]
    assert len(files) > 50
    assert [f for f in files if "bm25s" in imported_roots(f)] == []
    assert "bm25s" in imported_roots(Path(__file__))
