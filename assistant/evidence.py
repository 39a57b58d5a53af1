"""Evidence: retrieved chunks cut into quotable spans (sentences, list items, table rows).

Every span keeps its offsets in the document's extracted text, so a quote taken from it
stands verbatim at `char_start:char_end`.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from assistant.model import Citation, Source
from knowledge.analysis import STOPWORDS, TOKEN, Analyzer
from knowledge.retrieval import SearchResult

SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-ZÅÄÖ0-9\"”•\-–])")
LINE = re.compile(r"[^\n]+")
LEADING_MARK = re.compile(r"^\s*(?:(?:[-•*–▪◦●]|\d{1,2}[.)]|#{1,6})\s+)?")


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
    opens_line: bool = False
    """The span starts its line (a list item's first sentence)."""
    features: dict[str, float] = field(default_factory=dict, compare=False, hash=False)
    """Named features for the relevance scorer (`assistant.features.SPAN_FEATURES`)."""
    relevance: float = 0.0
    """P(the span holds the answer), from the fitted relevance scorer."""

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


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
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
        start, end = trimmed(chunk.text, 0, len(chunk.text))
        return [Span(result, base + start, base + end, chunk.text[start:end], "row")]
    spans: list[Span] = []
    for line in LINE.finditer(chunk.text):
        is_item = bool(re.match(r"\s*(?:[-•*–▪◦●]|\d{1,2}[.)])\s", line.group()))
        cuts = sentence_cuts(line.group(), is_item)
        for a, b in itertools.pairwise(cuts):
            start, end = trimmed(chunk.text, line.start() + a, line.start() + b)
            if len(chunk.text[start:end].strip()) < 3:
                continue
            kind = "item" if is_item else "sentence"
            text = chunk.text[start:end]
            spans.append(Span(result, base + start, base + end, text, kind, opens_line=a == 0))
    return spans


def sentence_cuts(line: str, is_item: bool) -> list[int]:
    """Offsets in the line where its sentences start, and its end. An item that opens
    with a short label ("- Ledarskapet. Det krävs …") keeps the label with the sentence
    after it."""
    cuts = [0, *(m.end() for m in SENTENCE_END.finditer(line)), len(line)]
    if is_item and len(cuts) > 2:
        label = LEADING_MARK.sub("", line[: cuts[1]], count=1)
        if len(label.split()) <= LABEL_WORDS:
            del cuts[1]
    return cuts


LABEL_WORDS = 3


@dataclass(frozen=True)
class Wanted:
    """The content words of a question: each a group of stemmed terms (whole word and
    compound parts), weighted by rarity. Words unknown to the corpus weigh the most."""

    groups: tuple[tuple[str, ...], ...]
    weights: tuple[float, ...]
    unknown: tuple[str, ...] = ()
    """Words of the question that no stored text contains."""

    @property
    def total(self) -> float:
        return sum(self.weights)


def _matches(group: tuple[str, ...], have: set[str]) -> bool:
    """A word is found when one of its terms is, when a compound of the text ends in it
    ("dokumentation" in "omsorgsdokumentation"), or when only an inflection differs
    ("återrapporter" ~ "återrapport")."""
    if any(t in have for t in group):
        return True
    return any(_similar(t, h) for t in group if len(t) >= FUZZY_MIN for h in have)


def _similar(term: str, other: str) -> bool:
    if len(other) < FUZZY_MIN:
        return False
    if other.endswith(term):
        return True
    close = abs(len(other) - len(term)) <= INFLECTION
    if close and (other.startswith(term) or term.startswith(other)):
        return True
    return len(term) >= TYPO_MIN and len(other) == len(term) - 1 and _one_deletion(term, other)


def _one_deletion(longer: str, shorter: str) -> bool:
    """ "vårddokumentation" vs the misspelt "vårdokumentation"."""
    i = 0
    while i < len(shorter) and longer[i] == shorter[i]:
        i += 1
    return longer[i + 1 :] == shorter[i:]


TYPO_MIN = 10


INFLECTION = 3
FUZZY_MIN = 6


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

    def known(self, term: str) -> bool:
        return term in self._df

    def knows_word(self, word: str) -> bool:
        """Whether any stored text holds the word, an inflection or a compound ending in it."""
        group = self.analyzer.terms_of_word(word.lower())
        return any(self.known(t) for t in group) or _matches(group, set(self._df))

    def terms(self, text: str) -> set[str]:
        return set(self.analyzer.terms(text))

    def wanted(self, text: str, drop: set[str], keep_unknown: bool = True) -> Wanted:
        """Groups for the content words of `text`; words whose stem is in `drop` are left
        out (a compound with a dropped part stays: "processledare" is wanted, "leder" not);
        unknown words are kept only when `keep_unknown` (or capitalised)."""
        groups: list[tuple[str, ...]] = []
        weights: list[float] = []
        unknown: list[str] = []
        seen: set[tuple[str, ...]] = set()
        for word, original in _words_with_case(text):
            group = self.analyzer.terms_of_word(word)
            if group in seen or group[0] in drop:  # the word itself, not a part of it
                continue
            seen.add(group)
            known = [t for t in group if self.known(t)]
            if not known:
                if not (keep_unknown or original[:1].isupper()):
                    continue
                unknown.append(original)
            groups.append(group)
            weights.append(max(self.idf(t) for t in known) if known else self.idf(""))
        return Wanted(tuple(groups), tuple(weights), tuple(unknown))

    def coverage(self, wanted: Wanted, text: str) -> float:
        """Weighted share of the wanted words that `text` contains."""
        if not wanted.groups:
            return 0.0
        have = self.terms(text)
        found = sum(
            w for g, w in zip(wanted.groups, wanted.weights, strict=True) if _matches(g, have)
        )
        return found / wanted.total


def _words_with_case(text: str) -> list[tuple[str, str]]:
    out = []
    for m in TOKEN.finditer(text):
        low = m.group().lower()
        if low not in STOPWORDS:
            out.append((low, m.group()))
    return out


def number(citations: Sequence[Span]) -> list[Citation]:
    return [span.citation(i) for i, span in enumerate(citations, 1)]
