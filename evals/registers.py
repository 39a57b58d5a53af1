"""The registers extracted at ingest against the hand-checked list `evals/gold/registers.yaml`.

    python -m evals.registers            # precision and recall per register
    python -m evals.registers --misses   # and every wrong or missing entry

Every document of the samples (`corpus/`) and of the development corpus
(`../shared/corpus-extra/`) is loaded with the real loader and its registers extracted;
a document the gold list does not name should give no entries. Priorities are scored as
the register lists them (`knowledge.priorities.unique`: each item once). Entries are matched one
to one, so an entry extracted twice counts once as right and once as wrong.
- A responsibility matches when its activity starts with the expected one and it names
  every expected party (case and punctuation aside).
- A priority matches when its name starts with the expected one (or another spelling
  the list gives) and its period is the expected one.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evals.metadata import ROOT, extra_corpus, resolve
from ingest import load_document
from knowledge.priorities import unique
from knowledge.registers import PriorityEntry, ResponsibilityEntry, extract_registers

GOLD = ROOT / "evals" / "gold" / "registers.yaml"
REGISTERS = ("responsibilities", "priorities")


@dataclass
class RegisterScore:
    extracted: int = 0
    expected: int = 0
    matched: int = 0
    wrong: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.extracted if self.extracted else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0


def normal(text: str) -> str:
    return " ".join(re.findall(r"[\wåäö/]+", text.lower()))


def responsibility_matches(entry: ResponsibilityEntry, gold: dict[str, Any]) -> bool:
    parties = {normal(p) for p in entry.responsible}
    return normal(entry.activity).startswith(normal(gold["activity"])) and all(
        normal(p) in parties for p in gold["responsible"]
    )


def priority_matches(entry: PriorityEntry, gold: dict[str, Any]) -> bool:
    names = [gold["priority"], *gold.get("also", [])]
    named = any(normal(entry.priority).startswith(normal(n)) for n in names)
    return named and entry.period == gold.get("period", "")


def _match(
    name: str,
    extracted: Sequence[Any],
    expected: Sequence[dict[str, Any]],
    matches: Callable[[Any, dict[str, Any]], bool],
    score: RegisterScore,
) -> None:
    free = list(expected)
    for entry in extracted:
        hit = next((g for g in free if matches(entry, g)), None)
        if hit is None:
            score.wrong.append(f"{name}: {entry.quote[:90]!r}")
        else:
            free.remove(hit)
            score.matched += 1
    score.missing += [f"{name}: {g}" for g in free]
    score.extracted += len(extracted)
    score.expected += len(expected)


def documents() -> list[Path]:
    return sorted((ROOT / "corpus").glob("*.txt")) + sorted(extra_corpus().glob("[0-9]*.md"))


def score(gold_path: Path = GOLD) -> dict[str, RegisterScore]:
    gold = yaml.safe_load(gold_path.read_text(encoding="utf-8"))
    by_file = {resolve(d["file"]).resolve(): d for d in gold["documents"]}
    scores = {name: RegisterScore() for name in REGISTERS}
    for path in documents():
        registers = extract_registers(load_document(path))
        expected = by_file.get(path.resolve(), {})
        _match(
            path.name,
            registers.responsibilities,
            expected.get("responsibilities") or [],
            responsibility_matches,
            scores["responsibilities"],
        )
        _match(
            path.name,
            unique(list(registers.priorities)),
            expected.get("priorities") or [],
            priority_matches,
            scores["priorities"],
        )
    return scores


def render(scores: dict[str, RegisterScore], misses: bool = False) -> str:
    lines = ["| register | extracted | expected | matched | precision | recall |"]
    lines.append("|---|---|---|---|---|---|")
    for name, s in scores.items():
        lines.append(
            f"| {name} | {s.extracted} | {s.expected} | {s.matched} "
            f"| {s.precision:.2f} | {s.recall:.2f} |"
        )
    if misses:
        for name, s in scores.items():
            lines += ["", f"{name}, wrong:"] + [f"- {w}" for w in s.wrong]
            lines += [f"{name}, missing:"] + [f"- {m}" for m in s.missing]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    print(render(score(), misses="--misses" in args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
