"""Evidence: retrieved chunks cut into quotable spans (sentences, list items, table rows).

Every span keeps its offsets in the document's extracted text, so a quote taken from it
stands verbatim at `char_start:char_end`.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.model import Citation, Source
from knowledge.analysis import Analyzer
from knowledge.retrieval import SearchResult

SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-ZÅÄÖ0-9\"”•\-–])")
LINE = re.compile(r"[^\n]+")
LEADING_MARK = re.compile(r"^\s*(?:[-•*–▪◦●]|\d{1,2}[.)]|#{1,6})?\s*")


@dataclass(frozen=True)
class Span:
    """A quotable piece of one retrieved chunk."""

    result: SearchResult
    char_start: int
    char_end: int
    text: str
    kind: str  # "sentence", "item" or "row"
    coverage: float = 0.0
    """IDF-weighted share of the question's content terms found in the span."""
    score: float = 0.0
    """Ranking score: coverage plus a prior from the chunk's retrieval rank."""

    @property
    def doc_id(self) -> str:
        return self.result.document.doc_id

    def citation(self, cid: int) -> Citation:
        doc, chunk = self.result.document, self.result.chunk
        return Citation(
            cid,
            self.text,
            Source(
                doc.doc_id,
                doc.title,
                doc.file,
                chunk.section,
                chunk.page,
                self.char_start,
                self.char_end,
            ),
        )


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    lead = len(piece) - len(LEADING_MARK.sub("", piece, count=1))
    start += lead
    while end > start and text[end - 1] in " \t\r":
        end -= 1
    return start, end


def spans_of(result: SearchResult) -> list[Span]:
    """The chunk's table row as one span, or its lines cut into sentences."""
    chunk = result.chunk
    base = chunk.char_start
    if chunk.cells:
        start, end = _trimmed(chunk.text, 0, len(chunk.text))
        return [Span(result, base + start, base + end, chunk.text[start:end], "row")]
    spans: list[Span] = []
    for line in LINE.finditer(chunk.text):
        is_item = bool(re.match(r"\s*(?:[-•*–▪◦●]|\d{1,2}[.)])\s", line.group()))
        cuts = [line.start()]
        cuts += [line.start() + m.end() for m in SENTENCE_END.finditer(line.group())]
        cuts.append(line.end())
        for a, b in itertools.pairwise(cuts):
            start, end = _trimmed(chunk.text, a, b)
            if len(chunk.text[start:end].strip()) < 3:
                continue
            spans.append(
                Span(
                    result,
                    base + start,
                    base + end,
                    chunk.text[start:end],
                    "item" if is_item else "sentence",
                )
            )
    return spans


class TermWeights:
    """Inverse document frequencies of stemmed terms over the stored chunks."""

    def __init__(self, analyzer: Analyzer, texts: Iterable[str]) -> None:
        self.analyzer = analyzer
        df: dict[str, int] = {}
        n = 0
        for text in texts:
            n += 1
            for term in set(analyzer.terms(text)):
                df[term] = df.get(term, 0) + 1
        self.n = max(n, 1)
        self._df = df

    def idf(self, term: str) -> float:
        return math.log(1 + (self.n + 1) / (self._df.get(term, 0) + 0.5))

    def terms(self, text: str) -> set[str]:
        return set(self.analyzer.terms(text))

    def coverage(self, wanted: set[str], text: str) -> float:
        """IDF-weighted share of the `wanted` terms that `text` contains."""
        if not wanted:
            return 0.0
        have = self.terms(text)
        total = sum(self.idf(t) for t in wanted)
        return sum(self.idf(t) for t in wanted & have) / total

    def known(self, term: str) -> bool:
        return term in self._df


def number(citations: Sequence[Span]) -> list[Citation]:
    return [span.citation(i) for i, span in enumerate(citations, 1)]
