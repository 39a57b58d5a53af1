"""Fit the retrieval fusion weights (`knowledge/fusion.py`) on the DEV part of the gold
suites.

    python -m evals.fit_fusion [--store DIR] [--samples FILE] [--out knowledge/fusion.json]

1. A store of the sample corpus plus `../shared/corpus-extra` (built in a temporary
   folder unless `--store` names one that holds them), as for the scorers.
2. For every dev question with evidence: the candidate pool with its fusion features,
   each chunk labelled relevant when it overlaps a place of a gold evidence quote.
3. Coordinate ascent over a grid of each weight (BM25's stays 1: it sets the scale),
   from the hand-set weights, maximising hit@5 + MRR@10 over the questions. A weight
   moves only when that strictly improves the objective, so ties keep the start.
4. Cross-validated by document (5 folds, as the scorers): the out-of-fold figures of
   the fitted weights next to the hand-set ones on the same questions.
5. Final weights on all dev questions, written with those figures to the file.

The test part is never read here. Measured in session 8 (store of both corpora, 333 dev
questions with evidence): out of fold, the fitted weights give hit@5 0.925 and MRR@10
0.775 against 0.919 and 0.780 for the hand-set ones; with the scorers refitted on them
the extra suite's answers lost 0.02 (dev) and 0.06 (test) fact recall, so no
`knowledge/fusion.json` is shipped and the hand-set weights stay (see evals/README.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.fit_scorers import FOLDS, build_store, dev_questions, group_of
from evals.retrieval import GoldQuestion, quote_spans
from knowledge.fusion import FEATURES, FITTED, FusionConfig, fusion_file

GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0)
"""Values each weight may take (the hand-set weights are all on it)."""
FIXED = ("bm25",)
"""Weights not fitted: BM25's z-score weight is the scale of the others."""
SWEEPS = 4
TOP = 10


@dataclass
class PoolSample:
    """One dev question's candidate pool: features (rows: chunks) and relevance labels."""

    qid: str
    group: str
    features: np.ndarray
    labels: np.ndarray


def collect(kb: object, questions: Sequence[GoldQuestion]) -> list[PoolSample]:
    from knowledge.base import KnowledgeBase

    assert isinstance(kb, KnowledgeBase)
    doc_of = {d.key: d.doc_id for d in kb.store.documents()}
    out = []
    for q in questions:
        if not q.evidence:
            continue
        pool = kb.retriever.pool(q.retrieval_query)
        if pool is None or not pool.ids:
            continue
        chunks = {c.chunk_id: c for c in kb.store.get_chunks(list(pool.ids))}
        places = [p for spans in quote_spans(kb, q) for p in spans]
        labels = []
        for cid in pool.ids:
            c = chunks.get(cid)
            doc = doc_of.get(c.key) if c else None
            hit = c is not None and any(
                doc == d and c.char_start < end and start < c.char_end for d, start, end in places
            )
            labels.append(int(hit))
        out.append(PoolSample(q.id, group_of(q), pool.features, np.asarray(labels)))
    return out


def figures(samples: Sequence[PoolSample], weights: np.ndarray) -> dict[str, float]:
    """hit@5 and MRR@10 of the pools ranked by these weights."""
    hits, ranks = [], []
    for s in samples:
        order = np.argsort(-(s.features @ weights), kind="stable")[:TOP]
        first = next((i + 1 for i, j in enumerate(order) if s.labels[j]), None)
        hits.append(first is not None and first <= 5)
        ranks.append(1.0 / first if first else 0.0)
    return {"hit_at_5": float(np.mean(hits)), "mrr_at_10": float(np.mean(ranks))}


def _objective(samples: Sequence[PoolSample], weights: np.ndarray) -> float:
    f = figures(samples, weights)
    return f["hit_at_5"] + f["mrr_at_10"]


def ascend(samples: Sequence[PoolSample], start: np.ndarray) -> np.ndarray:
    """Coordinate ascent over `GRID`, from `start` (see the module docstring)."""
    w = start.astype(np.float64).copy()
    best = _objective(samples, w)
    free = [i for i, name in enumerate(FEATURES) if name not in FIXED]
    for _ in range(SWEEPS):
        moved = False
        for i in free:
            for value in GRID:
                trial = w.copy()
                trial[i] = value
                score = _objective(samples, trial)
                if score > best + 1e-12:
                    best, w, moved = score, trial, True
        if not moved:
            break
    return w


def cross_validate(samples: Sequence[PoolSample], start: np.ndarray) -> dict[str, float]:
    """Out-of-fold figures (folds by document) of the fitted weights, and of `start`."""
    groups = sorted({s.group for s in samples})
    fold_of = {g: i % FOLDS for i, g in enumerate(groups)}
    oof: list[tuple[PoolSample, np.ndarray]] = []
    for k in range(FOLDS):
        train = [s for s in samples if fold_of[s.group] != k]
        w = ascend(train, start)
        oof += [(s, w) for s in samples if fold_of[s.group] == k]
    hits = [figures([s], w) for s, w in oof]
    fitted = {
        f"cv_{key}": float(np.mean([h[key] for h in hits])) for key in ("hit_at_5", "mrr_at_10")
    }
    hand = {f"start_{key}": value for key, value in figures(samples, start).items()}
    return {**fitted, **hand, "questions": float(len(samples))}


def save(samples: Sequence[PoolSample], path: Path) -> None:
    rows = [
        {"qid": s.qid, "group": s.group, "x": s.features.tolist(), "y": s.labels.tolist()}
        for s in samples
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")


def load(path: Path) -> list[PoolSample]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [PoolSample(r["qid"], r["group"], np.asarray(r["x"]), np.asarray(r["y"])) for r in rows]


def fit(samples: Sequence[PoolSample], out: Path) -> dict[str, float]:
    start = FusionConfig().weights
    report = cross_validate(samples, start)
    weights = ascend(samples, start)
    report.update({f"fitted_{k}": v for k, v in figures(samples, weights).items()})
    named = {name: float(w) for name, w in zip(FEATURES, weights, strict=True)}
    version = "fusion-1:" + hashlib.sha256(json.dumps(named).encode()).hexdigest()[:10]
    meta = {
        "fitted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "fitted_on": "dev parts of suites sample and extra (evals/split.py)",
        "objective": "hit@5 + MRR@10, coordinate ascent over a grid",
        "cross_validation": f"{FOLDS} folds by document",
        "figures": report,
    }
    out.write_text(fusion_file(named, version, meta), encoding="utf-8")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, help="a store holding corpus/ and corpus-extra")
    parser.add_argument("--out", type=Path, default=FITTED)
    parser.add_argument("--samples", type=Path, help="cache of the pools (read if it exists)")
    args = parser.parse_args(argv)
    if args.samples and args.samples.exists():
        samples = load(args.samples)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            store = args.store or Path(tmp)
            os.environ["NARA_DATA_DIR"] = str(store)
            if args.store is None:
                build_store(store)
            from knowledge.base import KnowledgeBase
            from nara.settings import load_settings

            samples = collect(KnowledgeBase(load_settings()), dev_questions())
        if args.samples:
            save(samples, args.samples)
    json.dump(fit(samples, args.out), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
