"""Calibration of the statement–passage support threshold (knowledge/support.py).

    .venv/bin/python -m evals.calibration [--json] [--embedder NAME]

Criterion (precision first): the verifier drops every answer sentence that scores below
the threshold. A false "supported" lets an unsupported claim through to the user; a
false "unsupported" only drops a true sentence. So the threshold is the one with the
highest recall among those whose precision reaches `MIN_PRECISION`; if none does, the
one with the highest F0.5. Candidates are a 0.01 grid; among tied candidates the middle
one is taken (the widest margin on both sides).

The report gives the in-sample figures (threshold chosen and measured on all pairs) and
held-out figures from a deterministic, label-stratified 2-fold split: the threshold is
chosen on one fold and measured on the other, and the two test folds' confusion counts
are summed. Only the threshold is held out: the scorer's word lists and weights were
shaped with these pairs in view, so both figures are optimistic for unseen answers.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from knowledge.support import support_score

if TYPE_CHECKING:
    from knowledge.embedders import Embedder

PAIRS_PATH = Path(__file__).parent / "calibration" / "support_pairs.yaml"
MIN_PRECISION = 0.9
GRID = tuple(round(i / 100, 2) for i in range(1, 100))

Scorer = Callable[[str, Sequence[str]], float]


@dataclass(frozen=True)
class Pair:
    id: str
    kind: str
    statement: str
    passage: str
    supported: bool
    note: str


@dataclass(frozen=True)
class Confusion:
    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def f_beta(self, beta: float = 1.0) -> float:
        p, r, b2 = self.precision, self.recall, beta * beta
        return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0

    def __add__(self, other: Confusion) -> Confusion:
        return Confusion(
            self.tp + other.tp, self.fp + other.fp, self.tn + other.tn, self.fn + other.fn
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f_beta(), 4),
        }


@dataclass(frozen=True)
class Scored:
    pair: Pair
    score: float


@dataclass
class CalibrationReport:
    threshold: float
    in_sample: Confusion
    held_out: Confusion
    fold_thresholds: tuple[float, float]
    scorer: str = "lexical"
    errors: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        return self.in_sample.precision

    @property
    def recall(self) -> float:
        return self.in_sample.recall

    @property
    def f1(self) -> float:
        return self.in_sample.f_beta()

    def as_dict(self) -> dict[str, Any]:
        return {
            "scorer": self.scorer,
            "criterion": f"max recall with precision >= {MIN_PRECISION}, else max F0.5",
            "pairs": sum(self.counts.values()),
            "threshold": self.threshold,
            "in_sample": self.in_sample.as_dict(),
            "held_out_2fold": {
                **self.held_out.as_dict(),
                "fold_thresholds": list(self.fold_thresholds),
            },
            "counts": self.counts,
            "errors": self.errors,
        }


def load_pairs(path: Path | None = None) -> list[Pair]:
    data = yaml.safe_load((path or PAIRS_PATH).read_text(encoding="utf-8"))
    return [
        Pair(
            id=str(p["id"]),
            kind=str(p.get("kind", "")),
            statement=str(p["statement"]),
            passage=str(p["passage"]),
            supported=bool(p["supported"]),
            note=str(p.get("note", "")),
        )
        for p in data["pairs"]
    ]


def confusion(scored: Sequence[Scored], threshold: float) -> Confusion:
    tp = sum(1 for s in scored if s.pair.supported and s.score >= threshold)
    fp = sum(1 for s in scored if not s.pair.supported and s.score >= threshold)
    fn = sum(1 for s in scored if s.pair.supported and s.score < threshold)
    return Confusion(tp, fp, len(scored) - tp - fp - fn, fn)


def choose_threshold(scored: Sequence[Scored]) -> float:
    """The precision-first threshold on the grid (see the module doc)."""
    table = [(t, confusion(scored, t)) for t in GRID]
    precise = [(t, c) for t, c in table if c.precision >= MIN_PRECISION and c.tp]
    if precise:
        table = precise
        keys = [(c.recall, c.precision) for _, c in precise]
    else:
        keys = [(c.f_beta(0.5), 0.0) for _, c in table]
    tied = [t for (t, _), k in zip(table, keys, strict=True) if k == max(keys)]
    return tied[(len(tied) - 1) // 2]


def folds(pairs: Sequence[Pair]) -> tuple[list[Pair], list[Pair]]:
    """Deterministic label-stratified halves: pairs sorted by id, alternating per label."""
    halves: tuple[list[Pair], list[Pair]] = ([], [])
    for label in (True, False):
        same = sorted((p for p in pairs if p.supported is label), key=lambda p: p.id)
        for i, pair in enumerate(same):
            halves[i % 2].append(pair)
    return halves


def score_pairs(pairs: Sequence[Pair], scorer: Scorer) -> list[Scored]:
    return [Scored(p, scorer(p.statement, [p.passage])) for p in pairs]


def calibrate(pairs: Sequence[Pair], embedder: Embedder | None = None) -> CalibrationReport:
    scorer: Scorer = partial(support_score, embedder=embedder)
    scored = score_pairs(pairs, scorer)
    threshold = choose_threshold(scored)
    by_id = {s.pair.id: s for s in scored}
    a, b = ([by_id[p.id] for p in half] for half in folds(pairs))
    t_a, t_b = choose_threshold(a), choose_threshold(b)
    return CalibrationReport(
        threshold=threshold,
        in_sample=confusion(scored, threshold),
        held_out=confusion(b, t_a) + confusion(a, t_b),
        fold_thresholds=(t_a, t_b),
        scorer=embedder.name if embedder else "lexical",
        errors=misclassified(scored, threshold),
        counts=kind_counts(pairs),
    )


def misclassified(scored: Sequence[Scored], threshold: float) -> list[dict[str, Any]]:
    return [
        {
            "id": s.pair.id,
            "kind": s.pair.kind,
            "supported": s.pair.supported,
            "score": round(s.score, 4),
            "statement": s.pair.statement,
        }
        for s in scored
        if (s.score >= threshold) != s.pair.supported
    ]


def kind_counts(pairs: Sequence[Pair]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in pairs:
        key = f"{'supported' if p.supported else 'unsupported'}/{p.kind}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def format_report(report: CalibrationReport) -> str:
    d = report.as_dict()
    ins, out = d["in_sample"], d["held_out_2fold"]
    lines = [
        f"Par: {d['pairs']}  (poängsättning: {d['scorer']}; {d['criterion']})",
        f"Tröskel: {report.threshold:.2f}",
        _line("I urvalet      ", ins),
        _line("Utanför (2-fold)", out) + f"  trösklar {out['fold_thresholds']}",
    ]
    lines += [
        f"  fel: {e['id']} [{e['kind']}] {e['score']:.3f} {e['statement']}" for e in d["errors"]
    ]
    return "\n".join(lines)


def _line(label: str, c: dict[str, Any]) -> str:
    return (
        f"{label}: precision {c['precision']:.3f}  recall {c['recall']:.3f}  "
        f"F1 {c['f1']:.3f}  (tp {c['tp']} fp {c['fp']} tn {c['tn']} fn {c['fn']})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.calibration")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--embedder", help="mix in embedding similarity (e.g. e5-small-q4)")
    args = parser.parse_args(argv)
    embedder = None
    if args.embedder:
        from knowledge.embedders import make_embedder

        embedder = make_embedder(args.embedder)
    report = calibrate(load_pairs(), embedder)
    print(
        json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
        if args.json
        else format_report(report)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
