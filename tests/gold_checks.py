"""Checks shared by the tests of hand-written gold files (fresh.yaml, dev-sample.yaml,
dev-extra.yaml): each returns a list of problems, empty when the file is sound.

Texts are compared as the answer suite compares facts (`evals.answers.normalise`: lower
case, whitespace collapsed, soft hyphens removed). A document id is the file name without
its extension.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from evals.answers import OUT_OF_SCOPE, normalise
from evals.retrieval import GoldQuestion, load_gold
from evals.split import GOLD_DIR

KINDS = {"responsibility", "priority", "clause", "comparison", "fact", OUT_OF_SCOPE}
"""Kinds of these files: a follow-up carries `history` and the kind of what it asks."""


@dataclass(frozen=True)
class Mix:
    """The least a file must hold; the counts come from issue #11 and each file's brief."""

    total: int
    in_scope: int
    out_of_scope: int
    english: int
    follow_ups: int


def document_texts(folder: Path, pattern: str) -> dict[str, str]:
    """Document id -> normalised text, for the files of `folder` matching `pattern`."""
    return {p.stem: normalise(p.read_text(encoding="utf-8")) for p in folder.glob(pattern)}


def other_gold_ids(own: Path) -> set[str]:
    """Ids of every other question file in evals/gold/ (files holding a `questions` list)."""
    ids: set[str] = set()
    for path in GOLD_DIR.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if path != own and "questions" in data:
            ids |= {q.id for q in load_gold(path)}
    return ids


def id_problems(questions: list[GoldQuestion], prefix: str, others: set[str]) -> list[str]:
    """Ids repeated, not starting with `prefix`, or used by another gold file."""
    ids = [q.id for q in questions]
    problems = [f"id {i!r} used {n} times" for i, n in Counter(ids).items() if n > 1]
    problems += [f"id {i!r} lacks the prefix {prefix!r}" for i in ids if not i.startswith(prefix)]
    return problems + [f"id {i!r} is also in another gold file" for i in sorted(set(ids) & others)]


def kind_problems(questions: Iterable[GoldQuestion]) -> list[str]:
    """Unknown kinds or languages; in scope without evidence and facts, or out of scope with."""
    problems = []
    for q in questions:
        in_scope = q.kind != OUT_OF_SCOPE
        if q.kind not in KINDS or q.lang not in {"sv", "en"}:
            problems.append(f"{q.id}: kind {q.kind!r} or language {q.lang!r} unknown")
        if bool(q.evidence) != in_scope or bool(q.facts) != in_scope:
            problems.append(f"{q.id}: evidence and facts do not match kind {q.kind!r}")
    return problems


def text_problems(
    questions: Iterable[GoldQuestion], texts: dict[str, str], every_alternative: bool
) -> list[str]:
    """Quotes not standing in their documents; facts with no alternative standing in one of
    the question's evidence documents (with `every_alternative`: any alternative not)."""
    problems = []
    for q in questions:
        docs = [texts[e.document] for e in q.evidence if e.document in texts]
        problems += [
            f"{q.id}: no document {e.document!r}" for e in q.evidence if e.document not in texts
        ]
        for ev in q.evidence:
            if ev.document in texts and normalise(ev.quote) not in texts[ev.document]:
                problems.append(f"{q.id}: quote not in {ev.document}: {ev.quote!r}")
        for group in q.facts:
            found = [any(normalise(alt) in d for d in docs) for alt in group]
            if not any(found) or (every_alternative and not all(found)):
                problems.append(f"{q.id}: fact not in its documents: {list(group)}")
    return problems


def mix_problems(questions: list[GoldQuestion], mix: Mix, documents: set[str]) -> list[str]:
    """Fewer questions of a sort than `mix` asks for, a document no in-scope question cites,
    or an in-scope kind that no question has."""
    inside = [q for q in questions if q.kind != OUT_OF_SCOPE]
    counts = {
        "total": len(questions),
        "in_scope": len(inside),
        "out_of_scope": len(questions) - len(inside),
        "english": sum(q.lang == "en" for q in questions),
        "follow_ups": sum(bool(q.history) for q in inside),
    }
    problems = [f"{k}: {n} < {getattr(mix, k)}" for k, n in counts.items() if n < getattr(mix, k)]
    uncited = documents - {e.document for q in inside for e in q.evidence}
    problems += [f"no in-scope question cites {d}" for d in sorted(uncited)]
    missing = KINDS - {OUT_OF_SCOPE} - {q.kind for q in inside}
    return problems + [f"no question of kind {k}" for k in sorted(missing)]
