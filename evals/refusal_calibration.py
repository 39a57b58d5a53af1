"""Calibrating the refusal gate's coverage threshold on the gold set.

    python -m evals.refusal_calibration [--json]

The gate (`assistant.refusal.sufficient`) refuses when the top passages hold less than
`MIN_COVERAGE` of the question's weighted content words, and also on its other checks
(a place the documents do not know, a thing asked for that no document mentions, a
date or number question without one). This sweeps the threshold with the other checks
as they are and counts, for each value, the out-of-scope questions refused (the bar:
all of them) and the in-scope questions refused (false refusals; the bar: at most one
in twenty). A threshold is *feasible* when it meets both bars; `MIN_COVERAGE` should
sit inside the feasible range, away from its edges.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from assistant.answerers import Evidence
from assistant.model import Turn
from assistant.refusal import MIN_COVERAGE, sufficient
from assistant.service import Assistant
from evals.answers import OUT_OF_SCOPE
from evals.retrieval import GoldQuestion, load_gold

THRESHOLDS = (0.0, 0.04, 0.08, 0.1, 0.12, 0.14, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5)
MAX_FALSE_REFUSAL_RATE = 0.05


@dataclass(frozen=True)
class Row:
    threshold: float
    out_of_scope_refused: int
    out_of_scope: int
    false_refusals: int
    in_scope: int

    @property
    def false_refusal_rate(self) -> float:
        return self.false_refusals / self.in_scope if self.in_scope else 0.0

    @property
    def feasible(self) -> bool:
        return (
            self.out_of_scope_refused == self.out_of_scope
            and self.false_refusal_rate <= MAX_FALSE_REFUSAL_RATE
        )


def gold_evidence(
    assistant: Assistant, gold: Sequence[GoldQuestion]
) -> list[tuple[bool, Evidence]]:
    """(in scope, evidence) for each gold question, with its conversation."""
    return [
        (
            q.kind != OUT_OF_SCOPE,
            assistant.evidence(q.question, [Turn("user", h) for h in q.history]),
        )
        for q in gold
    ]


def sweep(
    evidence: Sequence[tuple[bool, Evidence]], thresholds: Sequence[float] = THRESHOLDS
) -> list[Row]:
    rows = []
    for t in thresholds:
        refused = [(scoped, not sufficient(ev, t)) for scoped, ev in evidence]
        rows.append(
            Row(
                threshold=t,
                out_of_scope_refused=sum(r for scoped, r in refused if not scoped),
                out_of_scope=sum(not scoped for scoped, _ in refused),
                false_refusals=sum(r for scoped, r in refused if scoped),
                in_scope=sum(scoped for scoped, _ in refused),
            )
        )
    return rows


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| threshold | out of scope refused | false refusals | feasible |",
        "|---|---|---|---|",
    ]
    for r in rows:
        mark = " ← MIN_COVERAGE" if abs(r.threshold - MIN_COVERAGE) < 1e-9 else ""
        lines.append(
            f"| {r.threshold:.2f}{mark} | {r.out_of_scope_refused}/{r.out_of_scope} | "
            f"{r.false_refusals}/{r.in_scope} ({r.false_refusal_rate:.1%}) | "
            f"{'yes' if r.feasible else 'no'} |"
        )
    return "\n".join(lines)


def main() -> None:  # pragma: no cover - a thin command
    from knowledge.base import KnowledgeBase
    from nara.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m evals.refusal_calibration")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = sweep(gold_evidence(Assistant(KnowledgeBase(load_settings())), load_gold()))
    if args.json:
        print(json.dumps([asdict(r) | {"feasible": r.feasible} for r in rows], indent=2))
    else:
        print(table(rows))


if __name__ == "__main__":
    main()
