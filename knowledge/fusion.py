"""Score fusion of the hybrid retriever: the features of each candidate chunk, and the
weights that add them up.

Each retriever proposes its best candidates; over their union (the pool) both scores
become z-scores, so that a chunk far ahead of the rest in one retriever counts for more
than one just ahead of the next, which rank fusion cannot see. Light signals from the
keyword index and the question refine the order, in hybrid mode only (a single-retriever
ablation, one weight 0, stays pure):

- `pairs`: summed IDF of the question's adjacent term pairs found in the chunk;
- `short`: log(length / reference) for chunks shorter than the reference (a heading
  with one line under it matches the question's words without holding the answer);
- `answer_type`: kinds of answer asked for (date, frequency, count, …) the chunk can
  hold (see `knowledge.answer_types`);
- `named`: the chunk belongs to a document whose region or organisation the question
  names (when it names some, not all).

The weights are fitted on the dev part of the gold suites by `python -m
evals.fit_fusion` and kept in `knowledge/fusion.json` with the figures they were fitted
on; `FusionConfig()` holds the hand-set weights they started from.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.keyword import KeywordScores
from knowledge.store import ChunkRef, StoredChunk

FEATURES = ("dense", "bm25", "pairs", "short", "answer_type", "named")
"""The pool's feature columns, in the order of `FusionConfig.weights`."""

FITTED = Path(__file__).with_name("fusion.json")


@dataclass(frozen=True)
class FusionConfig:
    """How the retrievers' candidates are fused. The defaults are the hand-set weights
    of sessions 1–3 (set on the sample gold set before the dev/test split existed);
    `fitted_fusion()` reads the ones fitted on the dev part."""

    rrf_k: int = 60
    """Only for method "rrf"."""
    dense_weight: float = 0.7
    bm25_weight: float = 1.0
    candidates: int = 100
    """Candidates taken from each retriever; their union is the pool that is scored."""
    method: str = "score"
    """"score": z-normalised score fusion with the refinements; "rrf": reciprocal ranks."""
    pair_weight: float = 0.1
    length_weight: float = 0.5
    length_reference: int = 400
    """Chunks shorter than this many characters get length_weight * log(length / ref)."""
    answer_type_weight: float = 1.0
    named_weight: float = 0.5
    version: str = "hand-set"
    """Which weights these are: "hand-set", or the fitted file's version."""

    @property
    def weights(self) -> np.ndarray:
        """The weights in `FEATURES` order."""
        return np.asarray(
            [
                self.dense_weight,
                self.bm25_weight,
                self.pair_weight,
                self.length_weight,
                self.answer_type_weight,
                self.named_weight,
            ]
        )

    def with_weights(self, weights: Sequence[float], version: str = "") -> FusionConfig:
        dense, bm25, pair, length, answer_type, named = (float(w) for w in weights)
        return replace(
            self,
            dense_weight=dense,
            bm25_weight=bm25,
            pair_weight=pair,
            length_weight=length,
            answer_type_weight=answer_type,
            named_weight=named,
            version=version or self.version,
        )


def fitted_fusion(path: Path = FITTED) -> FusionConfig:
    """The fusion with the weights of the fitted file; the hand-set defaults when there
    is none (a checkout without it still runs)."""
    if not path.exists():
        return FusionConfig()
    data = json.loads(path.read_text(encoding="utf-8"))
    weights = [data["weights"][name] for name in FEATURES]
    return FusionConfig().with_weights(weights, data["version"])


@dataclass(frozen=True)
class Pool:
    """The candidate chunks of one question with their features (rows in `ids` order,
    columns in `FEATURES` order)."""

    ids: tuple[str, ...]
    features: np.ndarray
    signals: dict[str, dict[str, int]] = field(default_factory=dict)
    """Rank of each chunk in each retriever ("dense", "bm25"), 1-based."""


def pool_of(
    dense: Sequence[tuple[ChunkRef | StoredChunk, float]],
    lexical: KeywordScores | None,
    top_lexical: Sequence[tuple[str, float]],
    answer_types: int,
    named: set[str],
    length_reference: int,
) -> Pool:
    """The union of both retrievers' candidates with their features. `named` holds the
    keys of the documents the question names (empty: none, or all of them). The
    keyword-side features (and `named`) are 0 without a keyword index."""
    signals: dict[str, dict[str, int]] = {}
    for rank, (chunk, _) in enumerate(dense, 1):
        signals.setdefault(chunk.chunk_id, {})["dense"] = rank
    for rank, (chunk_id, _) in enumerate(top_lexical, 1):
        signals.setdefault(chunk_id, {})["bm25"] = rank
    ids = list(signals)
    dense_score = {c.chunk_id: s for c, s in dense}
    floor = min(dense_score.values(), default=0.0)
    x = np.zeros((len(ids), len(FEATURES)))
    x[:, 0] = _z(np.asarray([dense_score.get(cid, floor) for cid in ids], dtype=np.float64))
    key_of = {c.chunk_id: c.key for c, _ in dense}
    if lexical is not None and ids:
        at = np.asarray([lexical.positions.get(cid, -1) for cid in ids])
        known = at >= 0
        idx = np.maximum(at, 0)
        x[:, 1] = _z(np.where(known, lexical.bm25[idx], 0.0).astype(np.float64))
        lengths = np.maximum(lexical.lengths[idx].astype(np.float64), 1.0)
        short = np.log(np.minimum(lengths, length_reference) / length_reference)
        held = lexical.flags[idx].astype(np.int64) & answer_types
        types = np.asarray([bin(h).count("1") for h in held], dtype=np.float64)
        for column, values in ((2, lexical.bigrams[idx]), (3, short), (4, types)):
            x[:, column] = np.where(known, values, 0.0)
        for cid, a in zip(ids, at, strict=True):
            if a >= 0:
                key_of.setdefault(cid, lexical.chunk_keys[a])
        x[:, 5] = [float(key_of.get(cid, "") in named) for cid in ids]
    return Pool(tuple(ids), x, signals)


def scores(pool: Pool, fusion: FusionConfig) -> np.ndarray:
    """The fused score of every pool chunk. With one retriever weighted 0 (an ablation),
    only the other's z-score counts."""
    w = fusion.weights
    if w[0] <= 0 or w[1] <= 0:
        w = np.concatenate([w[:2], np.zeros(len(FEATURES) - 2)])
    return np.asarray(pool.features @ w, dtype=np.float64)


def _z(values: np.ndarray) -> np.ndarray:
    """Standard scores over the candidate pool; all 0 when the values do not vary."""
    std = float(values.std()) if len(values) else 0.0
    if not math.isfinite(std) or std < 1e-9:
        return np.zeros_like(values)
    return (values - values.mean()) / std


def fusion_file(weights: dict[str, float], version: str, meta: dict[str, Any]) -> str:
    """The text of a fitted fusion file."""
    return json.dumps({"version": version, "weights": weights, "meta": meta}, indent=1) + "\n"
