"""Retrieval metrics on the gold set: hit@1, hit@5, MRR@10, nDCG@10.

A retrieved chunk is a hit when it overlaps, in the same document, the location of one
of the question's evidence quotes (quotes are verbatim phrases of the document text).

nDCG@k (binary relevance, each evidence quote credited once): the retrieved chunk at
rank i gains 1 for every evidence quote of the question that it is the first (highest
ranked) to overlap, at any place where the quote stands; chunks that overlap nothing,
or only quotes already credited higher up, gain 0. DCG = sum gain_i / log2(i + 1) over
the top k; the ideal DCG puts one new quote at each of ranks 1..min(R, k), R = the
number of evidence quotes; nDCG = min(1, DCG / ideal). For a question with one quote
(most of the gold set) it is 1 / log2(1 + rank of the first hit), 0 when there is none.
Crediting quotes rather than chunks keeps chunkers comparable: a quote cut in two by a
chunk boundary, or a quote standing twice, cannot score twice; a chunk holding several
quotes can reach the ideal sooner, hence the cap at 1.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import re
from collections.abc import Iterator, Sequence
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
    ndcg: float = 0.0  # nDCG@k, see the module docstring


@dataclass
class RetrievalReport:
    k: int
    results: list[QuestionResult] = field(default_factory=list)

    def hit_at(self, n: int) -> float:
        return _mean([1.0 if r.first_hit and r.first_hit <= n else 0.0 for r in self.results])

    @property
    def mrr(self) -> float:
        return _mean([1.0 / r.first_hit if r.first_hit else 0.0 for r in self.results])

    @property
    def ndcg(self) -> float:
        return _mean([r.ndcg for r in self.results])

    def as_dict(self) -> dict[str, Any]:
        return {
            "questions": len(self.results),
            "hit_at_1": round(self.hit_at(1), 4),
            "hit_at_5": round(self.hit_at(5), 4),
            f"mrr_at_{self.k}": round(self.mrr, 4),
            f"ndcg_at_{self.k}": round(self.ndcg, 4),
            "misses": [r.__dict__ for r in self.results if not r.first_hit or r.first_hit > 5],
        }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


Span = tuple[str, int, int]
"""(document id, char_start, char_end) in the document's extracted text."""


CELL_SEPARATOR = "|"
"""Between the cells of a Markdown table row, which a DOCX or PDF holds as a table."""
EMPHASIS = re.compile(r"\*{1,2}")
"""Markdown emphasis in a quote taken from text; a DOCX or PDF has bold runs instead."""


def _places(text: str, quote: str) -> list[tuple[int, int]]:
    """Where `quote` stands in `text`: verbatim, else with its emphasis marks and
    Markdown cell separators dropped and any run of whitespace matching any other (a
    line break in a PDF, a tab between the cells of a table row)."""
    places, start = [], text.find(quote)
    while start >= 0:
        places.append((start, start + len(quote)))
        start = text.find(quote, start + 1)
    if places:
        return places
    words = [w for w in EMPHASIS.sub("", quote).split() if w != CELL_SEPARATOR]
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    return [m.span() for m in pattern.finditer(text)] if words else []


_LOST: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("lost_quotes", default=None)
"""Set only inside `lost_quotes_counted`; unset, a quote not found is an error."""


@contextlib.contextmanager
def lost_quotes_counted() -> Iterator[set[str]]:
    """Within: an evidence quote missing from a store's text stands nowhere (the question
    is a retrieval miss) instead of raising, and its "question id: quote" is added to
    the yielded set. For stores read from PDF or DOCX, where a reader may lose or garble
    text: that is a defect to measure, not a mistake in the gold file."""
    lost: set[str] = set()
    token = _LOST.set(lost)
    try:
        yield lost
    finally:
        _LOST.reset(token)


def quote_spans(kb: Searcher, question: GoldQuestion) -> list[list[Span]]:
    """For each evidence quote, every place where it stands (a quote may recur)."""
    out = []
    lost = _LOST.get()
    for ev in question.evidence:
        places = _places(kb.document_text(ev.document), ev.quote)
        if not places and lost is not None:
            lost.add(f"{question.id}: {ev.quote}")
        elif not places:
            raise ValueError(
                f"{question.id}: evidence quote not found in {ev.document}: {ev.quote!r}"
            )
        out.append([(ev.document, s, e) for s, e in places])
    return out


def evidence_spans(kb: Searcher, question: GoldQuestion) -> list[Span]:
    """Every place where an evidence quote stands (a quote may recur in a document)."""
    return [span for spans in quote_spans(kb, question) for span in spans]


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def _span_of(result: SearchResult) -> Span:
    return (result.document.doc_id, result.chunk.char_start, result.chunk.char_end)


def first_hit(results: list[SearchResult], spans: list[Span]) -> int | None:
    for r in results:
        if any(_overlaps(_span_of(r), span) for span in spans):
            return r.rank
    return None


def ndcg_at(ranked: Sequence[Span], quotes: Sequence[Sequence[Span]], k: int = 10) -> float:
    """nDCG@k of retrieved chunk spans, best first, against the places of each evidence
    quote (see the module docstring). 0 for a question without evidence."""
    if not quotes:
        return 0.0
    credited: set[int] = set()
    dcg = 0.0
    for i, chunk in enumerate(ranked[:k], 1):
        new = {
            q
            for q, places in enumerate(quotes)
            if q not in credited and any(_overlaps(chunk, p) for p in places)
        }
        credited |= new
        dcg += len(new) / math.log2(i + 1)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(quotes), k) + 1))
    return min(1.0, dcg / ideal)


def evaluate_retrieval(kb: Searcher, gold: list[GoldQuestion], k: int = 10) -> RetrievalReport:
    report = RetrievalReport(k=k)
    for q in gold:
        if not q.evidence:
            continue
        results = kb.search(q.retrieval_query, k)
        quotes = quote_spans(kb, q)
        spans = [span for places in quotes for span in places]
        report.results.append(
            QuestionResult(
                q.id,
                q.kind,
                q.question,
                first_hit(results, spans),
                ndcg_at([_span_of(r) for r in results], quotes, k),
            )
        )
    return report


def format_report(report: RetrievalReport) -> str:
    d = report.as_dict()
    lines = [
        f"Frågor: {d['questions']}",
        f"hit@1:  {d['hit_at_1']:.3f}",
        f"hit@5:  {d['hit_at_5']:.3f}",
        f"MRR@{report.k}: {d[f'mrr_at_{report.k}']:.3f}",
        f"nDCG@{report.k}: {d[f'ndcg_at_{report.k}']:.3f}",
    ]
    if d["misses"]:
        lines.append("Missar (ingen träff bland de fem första):")
        lines += [
            f"  {m['id']} [{m['kind']}] {m['question']} → rank {m['first_hit']}"
            for m in d["misses"]
        ]
    return "\n".join(lines)
