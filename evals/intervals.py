"""How far a figure of `nara eval` can be trusted: bootstrap intervals over questions,
and paired comparisons of two reports on the same questions.

A test part holds 100–180 questions, so one question moves a rate by 0.5–1 point and
the interval of a rate near 0.6 is about ±0.08 wide: a change of two or three points
between two runs may be nothing but which questions happened to flip. Each part of
report.json therefore keeps what the metrics read of every question (`detail`: the
answer outcome and the rank of the first retrieval hit), and gets:

- **intervals**: the 2.5th and 97.5th percentiles of each headline metric over
  `DRAWS` resamplings of the part's questions, with replacement (Efron's percentile
  bootstrap);
- with `--previous`, **changes**: the same metrics of both reports on the questions
  they share, each resampling drawing the same questions for both (a paired bootstrap),
  so that what stays the same cancels out. A change whose interval holds 0 is noise.

The draws are seeded, so a report is reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from evals.answers import AnswerReport, Outcome, summarise
from evals.retrieval import QuestionResult, RetrievalReport

DRAWS = 1000
SEED = 13
LEVEL = 0.95
HEADLINE = {
    "answers": (
        "fact_recall",
        "all_facts_rate",
        "refusal_recall",
        "false_refusal_rate",
        "first_quote_precision",
        "quote_precision",
    ),
    "retrieval": ("hit_at_5", "mrr_at_10"),
}
"""The metrics given intervals: those the gate and issue #11 judge."""

Rows = Sequence[Mapping[str, Any]]
Detail = Mapping[str, Rows]
Metrics = Callable[[list[int]], dict[str, float]]


def detail(answers: AnswerReport, retrieval: RetrievalReport) -> dict[str, list[dict[str, Any]]]:
    """What the metrics read of each question, as report.json keeps it."""
    return {
        "answers": [asdict(r.outcome) for r in answers.results],
        "retrieval": [
            {"id": r.id, "first_hit": r.first_hit, "ndcg": r.ndcg} for r in retrieval.results
        ],
    }


def _outcomes(data: Rows) -> list[Outcome]:
    return [
        Outcome(
            o["id"],
            o["in_scope"],
            o["list_question"],
            o["refused"],
            tuple(o["found"]),
            tuple(o["useful"]),
            tuple(o["verbatim"]),
        )
        for o in data
    ]


def _hits(data: Rows) -> list[QuestionResult]:
    return [QuestionResult(h["id"], "", "", h["first_hit"], h["ndcg"]) for h in data]


def _metrics_of(section: str, rows: list[Any]) -> Metrics:
    """The headline metrics of `section` on the rows a resampling draws."""
    names = HEADLINE[section]
    if section == "answers":
        return lambda drawn: {n: summarise([rows[i] for i in drawn])[n] for n in names}
    return lambda drawn: {
        n: RetrievalReport(10, [rows[i] for i in drawn]).as_dict()[n] for n in names
    }


def _rows(data: Detail) -> dict[str, list[Any]]:
    return {"answers": _outcomes(data["answers"]), "retrieval": _hits(data["retrieval"])}


def _bounds(values: list[float]) -> list[float]:
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return [round(float(low), 4), round(float(high), 4)]


def intervals(data: Detail, draws: int = DRAWS, seed: int = SEED) -> dict[str, list[float]]:
    """Each headline metric's bootstrap interval over the part's questions."""
    rng = np.random.default_rng(seed)
    out: dict[str, list[float]] = {}
    for section, rows in _rows(data).items():
        if not rows:
            continue
        metrics = _metrics_of(section, rows)
        samples = [metrics(list(rng.integers(0, len(rows), len(rows)))) for _ in range(draws)]
        for name in HEADLINE[section]:
            out[name] = _bounds([s[name] for s in samples])
    return out


def changes(
    before: Detail, after: Detail, draws: int = DRAWS, seed: int = SEED
) -> dict[str, dict[str, float]]:
    """Each headline metric before and after on the questions both reports hold, and the
    paired bootstrap interval of the change."""
    rng = np.random.default_rng(seed)
    old, new = _rows(before), _rows(after)
    out: dict[str, dict[str, float]] = {}
    for section in HEADLINE:
        shared = sorted({r.id for r in old[section]} & {r.id for r in new[section]})
        if not shared:
            continue
        a = _aligned(old[section], shared)
        b = _aligned(new[section], shared)
        ma, mb = _metrics_of(section, a), _metrics_of(section, b)
        everything = list(range(len(shared)))
        base, now = ma(everything), mb(everything)
        drawn = [list(rng.integers(0, len(shared), len(shared))) for _ in range(draws)]
        deltas = [(ma(d), mb(d)) for d in drawn]
        for name in HEADLINE[section]:
            low, high = _bounds([y[name] - x[name] for x, y in deltas])
            out[name] = {
                "questions": len(shared),
                "before": round(base[name], 4),
                "after": round(now[name], 4),
                "change": round(now[name] - base[name], 4),
                "low": low,
                "high": high,
            }
    return out


def _aligned(rows: list[Any], ids: list[str]) -> list[Any]:
    by_id = {r.id: r for r in rows}
    return [by_id[i] for i in ids]


def verdict(change: Mapping[str, float]) -> str:
    """ "noise" when the change's interval holds 0, else "up" or "down"."""
    if change["low"] <= 0 <= change["high"]:
        return "noise"
    return "up" if change["change"] > 0 else "down"


def interval_lines(result: Mapping[str, Any], parts: Sequence[str]) -> list[str]:
    """report.md's table of each part's intervals."""
    lines = [
        "",
        "## 95 % intervals (bootstrap over the part's questions)",
        "",
        "| metric | " + " | ".join(parts) + " |",
        "|---|" + "---|" * len(parts),
    ]
    names = dict.fromkeys(n for p in parts for n in result[p].get("intervals", {}))
    for name in names:
        cells = []
        for p in parts:
            low, high = result[p].get("intervals", {}).get(name, (None, None))
            cells.append("" if low is None else f"{low:.3f}–{high:.3f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def change_lines(before: Detail, after: Detail, part: str) -> list[str]:
    """report.md's table of the changes against a previous report's part."""
    lines = [
        "",
        f"## Change against the previous report ({part}, paired bootstrap, same questions)",
        "",
        "| metric | questions | previous | now | change | 95 % interval | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, c in changes(before, after).items():
        lines.append(
            f"| {name} | {c['questions']:.0f} | {c['before']:.3f} | {c['after']:.3f} | "
            f"{c['change']:+.3f} | {c['low']:+.3f} to {c['high']:+.3f} | {verdict(c)} |"
        )
    moved = flipped(before, after)
    lines += ["", f"Questions whose answer changed ({len(moved)}):", ""]
    return lines + [f"- {m}" for m in moved]


def flipped(before: Detail, after: Detail) -> list[str]:
    """The questions both reports hold whose answer changed in what the metrics read:
    refused or answered, facts found, whether the first quote is useful."""
    old = {o.id: o for o in _outcomes(before["answers"])}
    out = []
    for new in _outcomes(after["answers"]):
        was = old.get(new.id)
        if was is None:
            continue
        what = [
            f"{label} {_state(was)[i]} → {_state(new)[i]}"
            for i, label in enumerate(("", "facts", "first quote"))
            if _state(was)[i] != _state(new)[i]
        ]
        if what:
            out.append(f"{new.id}: " + "; ".join(w.strip() for w in what))
    return out


def _state(o: Outcome) -> tuple[str, str, str]:
    facts = f"{sum(o.found)}/{len(o.found)}" if o.found else ""
    first = "none" if o.refused or not o.useful else ("useful" if o.useful[0] else "not useful")
    return ("refused" if o.refused else "answered", facts, first)
