"""The fusion of the hybrid retriever (`knowledge.fusion`) and its fitting
(`evals.fit_fusion`): features as documented, the ablation kept pure, fitted weights read
from their file, and coordinate ascent that moves a weight only when it helps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evals.fit_fusion import PoolSample, ascend, cross_validate, figures
from knowledge.fusion import FEATURES, FusionConfig, fitted_fusion, pool_of, scores
from knowledge.keyword import KeywordScores
from knowledge.store import StoredChunk

COLUMN = {name: i for i, name in enumerate(FEATURES)}


def _chunk(doc: str, i: int) -> StoredChunk:
    return StoredChunk(f"{doc}@v#{i}", doc, "v", i, "text", "text", 0, 4, "", None, "text")


def _lexical(
    ids: list[str], keys: list[str], bm25: list[float], lengths: list[int]
) -> KeywordScores:
    n = len(ids)
    return KeywordScores(
        chunk_ids=ids,
        chunk_keys=keys,
        bm25=np.asarray(bm25, dtype=np.float64),
        bigrams=np.asarray([2.0] + [0.0] * (n - 1)),
        lengths=np.asarray(lengths),
        flags=np.asarray([1] + [0] * (n - 1)),
        admitted=np.ones(n, dtype=bool),
        positions={c: i for i, c in enumerate(ids)},
    )


def test_pool_features_follow_their_definitions() -> None:
    a, b, c = _chunk("a", 0), _chunk("a", 1), _chunk("b", 0)
    dense = [(a, 0.9), (b, 0.8)]  # c is found by BM25 only
    lexical = _lexical(
        [a.chunk_id, b.chunk_id, c.chunk_id], [a.key, b.key, c.key], [1.0, 0.0, 3.0], [800, 800, 40]
    )
    top = [(c.chunk_id, 3.0), (a.chunk_id, 1.0)]
    pool = pool_of(dense, lexical, top, answer_types=1, named={c.key}, length_reference=400)
    x = {cid: pool.features[i] for i, cid in enumerate(pool.ids)}
    assert set(pool.ids) == {a.chunk_id, b.chunk_id, c.chunk_id}
    assert pool.signals[c.chunk_id] == {"bm25": 1}
    assert pool.signals[a.chunk_id] == {"dense": 1, "bm25": 2}
    # c has no dense score: it takes the lowest one seen, as b has
    assert x[c.chunk_id][COLUMN["dense"]] == pytest.approx(x[b.chunk_id][COLUMN["dense"]])
    assert (
        x[c.chunk_id][COLUMN["bm25"]]
        > x[a.chunk_id][COLUMN["bm25"]]
        > x[b.chunk_id][COLUMN["bm25"]]
    )
    assert x[a.chunk_id][COLUMN["pairs"]] == 2.0 and x[b.chunk_id][COLUMN["pairs"]] == 0.0
    assert x[c.chunk_id][COLUMN["short"]] == pytest.approx(np.log(40 / 400))
    assert x[a.chunk_id][COLUMN["short"]] == 0.0  # longer than the reference
    assert x[a.chunk_id][COLUMN["answer_type"]] == 1.0
    assert x[c.chunk_id][COLUMN["named"]] == 1.0 and x[a.chunk_id][COLUMN["named"]] == 0.0


def test_an_ablation_stays_pure() -> None:
    """With one retriever weighted 0 only the other's z-score counts: the refinements
    must not sneak keyword signals into a dense-only run."""
    a, b = _chunk("a", 0), _chunk("b", 0)
    lexical = _lexical([a.chunk_id, b.chunk_id], [a.key, b.key], [0.0, 5.0], [800, 20])
    pool = pool_of([(a, 0.9), (b, 0.1)], lexical, [(b.chunk_id, 5.0)], 1, {b.key}, 400)
    dense_only = scores(pool, FusionConfig(bm25_weight=0.0, named_weight=9.0, pair_weight=9.0))
    assert dense_only[pool.ids.index(a.chunk_id)] > dense_only[pool.ids.index(b.chunk_id)]
    hybrid = scores(pool, FusionConfig(named_weight=9.0))
    assert hybrid[pool.ids.index(b.chunk_id)] > hybrid[pool.ids.index(a.chunk_id)]


def test_fitted_weights_are_read_from_their_file(tmp_path: Path) -> None:
    assert fitted_fusion(tmp_path / "none.json") == FusionConfig()
    path = tmp_path / "fusion.json"
    weights = dict(zip(FEATURES, (1.5, 1.0, 0.2, 0.3, 0.7, 2.0), strict=True))
    path.write_text(json.dumps({"version": "fusion-1:test", "weights": weights, "meta": {}}))
    fusion = fitted_fusion(path)
    assert fusion.version == "fusion-1:test"
    assert fusion.dense_weight == 1.5 and fusion.named_weight == 2.0
    assert list(fusion.weights) == list(weights.values())


def _samples(n: int, seed: int = 0) -> list[PoolSample]:
    """Pools where the relevant chunk is the one of the named document while dense and
    BM25 are noise: a fit must raise the `named` weight."""
    rng = np.random.default_rng(seed)
    out = []
    for q in range(n):
        x = rng.normal(size=(20, len(FEATURES)))
        x[:, COLUMN["named"]] = 0.0
        target = int(rng.integers(20))
        x[target, COLUMN["named"]] = 1.0
        y = np.zeros(20, dtype=int)
        y[target] = 1
        out.append(PoolSample(f"q{q}", f"doc{q % 7}", x, y))
    return out


def test_ascent_raises_the_weight_that_finds_the_evidence() -> None:
    samples = _samples(60)
    start = FusionConfig().weights
    fitted = ascend(samples, start)
    assert fitted[COLUMN["named"]] > start[COLUMN["named"]]
    assert fitted[COLUMN["bm25"]] == start[COLUMN["bm25"]]  # the fixed scale
    assert figures(samples, fitted)["mrr_at_10"] > figures(samples, start)["mrr_at_10"]
    report = cross_validate(samples, start)
    assert report["cv_mrr_at_10"] > report["start_mrr_at_10"]


def test_ascent_keeps_the_start_when_nothing_helps() -> None:
    """Labels on no chunk: every weight gives the same objective, so none moves."""
    samples = [PoolSample(s.qid, s.group, s.features, 0 * s.labels) for s in _samples(10)]
    start = FusionConfig().weights
    assert list(ascend(samples, start)) == list(start)


def test_the_keyword_top_equals_a_stable_sort_of_every_row() -> None:
    """`_top` sorts only the rows scoring at least the n-th best: the same chunks in the
    same order as a stable sort of all rows, ties at the boundary in row order."""
    from knowledge.retrieval import _top

    rng = np.random.default_rng(7)
    bm25 = rng.choice([0.0, 0.5, 1.0, 1.5, 2.0], size=5_000).astype(np.float32)
    ids = [f"c{i}" for i in range(len(bm25))]
    empty = np.zeros(len(bm25))
    scored = KeywordScores(ids, ids, bm25, empty, empty, empty, empty > 0, {})
    for n in (1, 7, 100, 2_000, 10_000):
        rows = np.flatnonzero(bm25 > 0)
        order = rows[np.argsort(-bm25[rows], kind="stable")[:n]]
        assert _top(scored, n) == [(ids[i], float(bm25[i])) for i in order]
