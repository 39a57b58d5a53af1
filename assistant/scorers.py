"""Small fitted scorers in place of hand-set rules and thresholds.

- **span relevance**: how likely a quotable span (sentence, list item, table row) holds
  the answer, from named features (`assistant.features.SPAN_FEATURES`);
- **answerability**: how likely the evidence answers the question at all, from
  question-level features (`assistant.features.ANSWER_FEATURES`); under its threshold
  the assistant refuses;
- **quotes** (optional): how likely a list item a chosen quote introduces adds an
  expected part the quotes before it lack (`assistant.concise.QUOTE_FEATURES`).

Each is a logistic model (weights over standardised features, a bias, a decision
threshold) fitted by `python -m evals.fit_scorers` on the DEV part of the gold suites
with cross-validation by document; the coefficients live in the versioned file
`assistant/scorers.json`, with the data and figures they were fitted on. Runtime needs
only numpy: a dot product and a sigmoid.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

PATH = Path(__file__).with_name("scorers.json")


class Scorer(Protocol):
    """Contract: `probability` maps one feature row (by name) to P(positive) in [0, 1],
    `probabilities` many rows (the same values as `probability` of each); `accepts`
    says whether that probability clears the scorer's fitted threshold."""

    @property
    def threshold(self) -> float: ...

    def probability(self, features: Mapping[str, float]) -> float: ...

    def probabilities(self, rows: Sequence[Mapping[str, float]]) -> list[float]: ...

    def accepts(self, features: Mapping[str, float]) -> bool: ...


@dataclass(frozen=True)
class LinearScorer:
    """P = sigmoid(bias + Σ w_i · (x_i − mean_i) / scale_i)."""

    name: str
    features: tuple[str, ...]
    weights: tuple[float, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    bias: float
    threshold: float
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def logit(self, features: Mapping[str, float]) -> float:
        z = self.bias
        for name, w, m, s in zip(self.features, self.weights, self.means, self.scales, strict=True):
            z += w * (features.get(name, 0.0) - m) / s
        return z

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.logit(features)
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    def accepts(self, features: Mapping[str, float]) -> bool:
        return self.probability(features) >= self.threshold

    def probabilities(self, rows: Sequence[Mapping[str, float]]) -> list[float]:
        """`probability` of every row, the logits computed column by column over all rows
        at once (numpy). The same operations in the same order as `logit`, so the values
        are the same floats, bit for bit; the sigmoid is `math.exp`'s, as there."""
        if not rows:
            return []
        x = np.array([[r.get(n, 0.0) for n in self.features] for r in rows], dtype=np.float64)
        z = np.full(len(rows), self.bias, dtype=np.float64)
        for j, (w, m, s) in enumerate(zip(self.weights, self.means, self.scales, strict=True)):
            z += w * (x[:, j] - m) / s
        return [1.0 / (1.0 + math.exp(-v)) if v > -60 else 0.0 for v in z.tolist()]

    def as_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "weights": list(self.weights),
            "means": list(self.means),
            "scales": list(self.scales),
            "bias": self.bias,
            "threshold": self.threshold,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> LinearScorer:
        return cls(
            name,
            tuple(data["features"]),
            tuple(float(w) for w in data["weights"]),
            tuple(float(m) for m in data["means"]),
            tuple(float(s) or 1.0 for s in data["scales"]),
            float(data["bias"]),
            float(data["threshold"]),
            dict(data.get("meta") or {}),
        )


@dataclass(frozen=True)
class Scorers:
    relevance: LinearScorer
    answerability: LinearScorer
    version: str
    quotes: LinearScorer | None = None
    """The quote policy: whether a list item is quoted (`assistant.concise`); None (a file
    without the entry): every list item, as before it."""


def neutral(features: Sequence[str], name: str) -> LinearScorer:
    """A scorer with no weights (P = 0.5 for everything): the starting point of a fit."""
    n = len(features)
    return LinearScorer(name, tuple(features), (0.0,) * n, (0.0,) * n, (1.0,) * n, 0.0, 0.5)


def parse(data: Mapping[str, Any]) -> Scorers:
    quotes = data.get("quotes")
    return Scorers(
        LinearScorer.from_dict("relevance", data["relevance"]),
        LinearScorer.from_dict("answerability", data["answerability"]),
        str(data["version"]),
        LinearScorer.from_dict("quotes", quotes) if quotes else None,
    )


@lru_cache(maxsize=4)
def default_scorers(embedder: str | None = None) -> Scorers:
    """The shipped coefficients (`assistant/scorers.json`). For a store built with another
    embedder than the one they were fitted with, the lexical variant, fitted without the
    embedder's features (its similarities have another scale)."""
    data = json.loads(PATH.read_text(encoding="utf-8"))
    if embedder is not None and "lexical" in data and embedder != data.get("embedder"):
        return parse({"version": data["version"] + "-lexical", **data["lexical"]})
    return parse(data)


def write(scorers: Scorers, path: Path = PATH, extra: Mapping[str, Any] | None = None) -> None:
    data = {
        "version": scorers.version,
        "relevance": scorers.relevance.as_dict(),
        "answerability": scorers.answerability.as_dict(),
        **({"quotes": scorers.quotes.as_dict()} if scorers.quotes else {}),
        **(extra or {}),
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def standardise(rows: Sequence[Sequence[float]]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Column means and scales (standard deviations, 1 where a column is constant)."""
    n = max(len(rows), 1)
    cols = list(zip(*rows, strict=True)) if rows else []
    means = tuple(sum(c) / n for c in cols)
    spread = [math.sqrt(sum((v - m) ** 2 for v in c) / n) for c, m in zip(cols, means, strict=True)]
    scales = tuple(s or 1.0 for s in spread)
    return means, scales
