"""Retrieval metrics on the gold set: hit@1, hit@5, MRR@10.

A retrieved chunk is a hit when it overlaps, in the same document, the location of one
of the question's evidence quotes (quotes are verbatim phrases of the document text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from knowledge.retrieval import SearchResult

GOLD_PATH = Path(__file__).parent / "gold" / "questions.yaml"


@dataclass(frozen=True)
class Evidence:
    document: str
    quote: str


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    kind: str
    lang: str
    paraphrase: bool
    history: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    facts: tuple[tuple[str, ...], ...]

    @property
    def retrieval_query(self) -> str:
        """Follow-ups are searched with the previous question, as a naive resolution."""
        return " ".join([*self.history[-1:], self.question])


def load_gold(path: Path | None = None) -> list[GoldQuestion]:
    data = yaml.safe_load((path or GOLD_PATH).read_text(encoding="utf-8"))
    out = []
    for q in data["questions"]:
        out.append(
            GoldQuestion(
                id=q["id"],
                question=q["question"],
                kind=q["kind"],
                lang=q.get("lang", "sv"),
                paraphrase=bool(q.get("paraphrase", False)),
                history=tuple(q.get("history") or ()),
                evidence=tuple(
                    Evidence(e["document"], e["quote"]) for e in q.get("evidence") or ()
                ),
                facts=tuple(tuple(f) for f in q.get("facts") or ()),
            )
        )
    return out


class Searcher(Protocol):
    def search(self, query: str, k: int | None = None) -> list[SearchResult]: ...
    def document_text(self, doc_id: str) -> str: ...


@dataclass
class QuestionResult:
    id: str
    kind: str
    question: str
    first_hit: int | None  # 1-based rank of the first hit, None if none in the top k


@dataclass
class RetrievalReport:
    k: int
    results: list[QuestionResult] = field(default_factory=list)

    def hit_at(self, n: int) -> float:
        return _mean([1.0 if r.first_hit and r.first_hit <= n else 0.0 for r in self.results])

    @property
    def mrr(self) -> float:
        return _mean([1.0 / r.first_hit if r.first_hit else 0.0 for r in self.results])

    def as_dict(self) -> dict[str, Any]:
        return {
            "questions": len(self.results),
            "hit_at_1": round(self.hit_at(1), 4),
            "hit_at_5": round(self.hit_at(5), 4),
            f"mrr_at_{self.k}": round(self.mrr, 4),
            "misses": [r.__dict__ for r in self.results if not r.first_hit or r.first_hit > 5],
        }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def evidence_spans(kb: Searcher, question: GoldQuestion) -> list[tuple[str, int, int]]:
    """Every place where an evidence quote stands (a quote may recur in a document)."""
    spans = []
    for ev in question.evidence:
        text = kb.document_text(ev.document)
        start = text.find(ev.quote)
        if start < 0:
            raise ValueError(
                f"{question.id}: evidence quote not found in {ev.document}: {ev.quote!r}"
            )
        while start >= 0:
            spans.append((ev.document, start, start + len(ev.quote)))
            start = text.find(ev.quote, start + 1)
    return spans


def first_hit(results: list[SearchResult], spans: list[tuple[str, int, int]]) -> int | None:
    for r in results:
        for doc, start, end in spans:
            if r.document.doc_id == doc and r.chunk.char_start < end and start < r.chunk.char_end:
                return r.rank
    return None


def evaluate_retrieval(kb: Searcher, gold: list[GoldQuestion], k: int = 10) -> RetrievalReport:
    report = RetrievalReport(k=k)
    for q in gold:
        if not q.evidence:
            continue
        results = kb.search(q.retrieval_query, k)
        report.results.append(
            QuestionResult(q.id, q.kind, q.question, first_hit(results, evidence_spans(kb, q)))
        )
    return report


def format_report(report: RetrievalReport) -> str:
    d = report.as_dict()
    lines = [
        f"Frågor: {d['questions']}",
        f"hit@1:  {d['hit_at_1']:.3f}",
        f"hit@5:  {d['hit_at_5']:.3f}",
        f"MRR@{report.k}: {d[f'mrr_at_{report.k}']:.3f}",
    ]
    if d["misses"]:
        lines.append("Missar (ingen träff bland de fem första):")
        lines += [
            f"  {m['id']} [{m['kind']}] {m['question']} → rank {m['first_hit']}"
            for m in d["misses"]
        ]
    return "\n".join(lines)
