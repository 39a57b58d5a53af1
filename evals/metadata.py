"""Metadata inferred at ingest against the hand-checked list `evals/gold/metadata.yaml`.

    python -m evals.metadata            # a table: accuracy per field, and each miss

Per field, the share of documents whose inferred value equals the expected one:
title, doc_type, date and valid_until exactly; organisations as a set.
The documents are the samples (`corpus/`) and the development corpus
(`../shared/corpus-extra/`, or `NARA_EXTRA_CORPUS`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ingest import load_document

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "evals" / "gold" / "metadata.yaml"
FIELDS = ("title", "organisations", "doc_type", "date", "valid_until")


def extra_corpus() -> Path:
    """The development corpus: `NARA_EXTRA_CORPUS`, else `../shared/corpus-extra`."""
    return Path(os.environ.get("NARA_EXTRA_CORPUS", ROOT.parent / "shared" / "corpus-extra"))


def resolve(file: str) -> Path:
    """A gold entry's file: "corpus/…" in the project, "corpus-extra/…" beside it."""
    folder, _, name = file.partition("/")
    return (extra_corpus() if folder == "corpus-extra" else ROOT / folder) / name


@dataclass
class MetadataScore:
    documents: int = 0
    correct: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    misses: list[tuple[str, str, Any, Any]] = field(default_factory=list)
    """(file, field, expected, inferred) for every wrong value."""

    def accuracy(self, name: str) -> float:
        return self.correct[name] / self.documents if self.documents else 0.0


def _value(name: str, value: Any) -> Any:
    if name == "organisations":
        return frozenset(value or ())
    return None if value in (None, "") else str(value)


def score(gold_path: Path = GOLD) -> MetadataScore:
    """Load each gold document with the real loader and compare field by field."""
    gold = yaml.safe_load(gold_path.read_text(encoding="utf-8"))
    result = MetadataScore()
    for entry in gold["documents"]:
        meta = load_document(resolve(entry["file"])).metadata
        result.documents += 1
        for name in FIELDS:
            expected, inferred = _value(name, entry[name]), _value(name, getattr(meta, name))
            if expected == inferred:
                result.correct[name] += 1
            else:
                result.misses.append((entry["file"], name, entry[name], getattr(meta, name)))
    return result


def render(result: MetadataScore) -> str:
    lines = ["| field | accuracy |", "|---|---|"]
    lines += [
        f"| {name} | {result.accuracy(name):.2f} ({result.correct[name]}/{result.documents}) |"
        for name in FIELDS
    ]
    lines.append("")
    lines += [f"- {f} {name}: expected {e!r}, got {i!r}" for f, name, e, i in result.misses]
    return "\n".join(lines)


def main() -> int:
    print(render(score()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
