"""Evidence: the quotable spans (sentences, list items, table rows) of retrieved chunks.

The spans are cut at ingest and stored with their vectors (`knowledge.spans`); every span
keeps its offsets in the document's extracted text, so a quote taken from it stands
verbatim at `char_start:char_end`, and the page it stands on.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.model import Citation, Source
from knowledge.analysis import MIN_PART, STOPWORDS, TOKEN, Analyzer
from knowledge.memo import Memo
from knowledge.retrieval import SearchResult
from knowledge.sentences import sentences
from knowledge.spans import StoredSpan, cut_text

LEADING_MARK = re.compile(r"^\s*(?:(?:[-•*–▪◦●]|\d{1,2}[.)]|#{1,6})\s+)?")


@dataclass(frozen=True)
class Span:
    """A quotable piece of one retrieved chunk."""

    result: SearchResult
    char_start: int
    char_end: int
    text: str
    kind: str  # "sentence", "item", "row" or "heading"
    coverage: float = 0.0
    """IDF-weighted share of the question's content terms found in the span."""
    score: float = 0.0
    """Ranking score: coverage plus a prior from the chunk's retrieval rank."""
    opens_line: bool = False
    """The span starts its line (a list item's first sentence)."""
    page: int | None = None
    """The page the span stands on (None: the document has no pages)."""
    similarity: float = 0.0
    """Cosine similarity between the question's and the span's embeddings."""
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
                self.page,
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


def spans_of(
    result: SearchResult,
    stored: Sequence[StoredSpan] | None = None,
    similarities: Sequence[float] = (),
) -> list[Span]:
    """The chunk's spans: those stored at ingest (`stored`, of this chunk, with their
    similarities to the question when given), or when none are given, the chunk's text
    cut the same way now (its row, or its lines' sentences), each on the chunk's page."""
    if stored:
        sims = list(similarities) or [0.0] * len(stored)
        return [
            Span(
                result,
                s.char_start,
                s.char_end,
                s.text,
                s.kind,
                opens_line=s.opens_line,
                page=s.page,
                similarity=sim,
            )
            for s, sim in zip(stored, sims, strict=True)
        ]
    chunk = result.chunk
    pieces = cut_text(chunk.text, 0, len(chunk.text), row=bool(chunk.cells))
    base = chunk.char_start
    return [
        Span(result, base + a, base + b, chunk.text[a:b], kind, opens_line=opens, page=chunk.page)
        for a, b, kind, opens in pieces
    ]


def sentence_cuts(line: str, is_item: bool) -> list[int]:
    """Offsets in the line where its sentences start, and its end. An item that opens
    with a short label ("- Ledarskapet. Det krävs …") keeps the label with the sentence
    after it."""
    cuts = [0, *(a for a, _ in sentences(line)[1:]), len(line)]
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


def _matches(group: tuple[str, ...], have: set[str] | frozenset[str]) -> bool:
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
MODIFIER_MIN = 3
"""The shortest stem that may open a compound ("yrk" of "yrke" in "yrkesgrupp")."""
LINKS = ("", "s", "e", "es", "a", "u", "o")
"""Swedish linking elements between the parts of a compound (SAG, fogemorfem: "yrkes-",
"gatu-", "kvinno-")."""
FUZZY_MIN = 6


class TermWeights:
    """Inverse document frequencies of stemmed terms over the stored chunks."""

    def __init__(self, analyzer: Analyzer, texts: Iterable[str]) -> None:
        df: dict[str, int] = {}
        n = 0
        for text in texts:
            n += 1
            for term in set(analyzer.terms(text)):
                df[term] = df.get(term, 0) + 1
        self._set(analyzer, n, df)

    @classmethod
    def counted(cls, analyzer: Analyzer, n: int, df: Mapping[str, int]) -> TermWeights:
        """The weights of `n` texts whose terms' document frequencies are `df` (counted
        elsewhere: `knowledge.term_stats.ScopeStats`)."""
        weights = cls.__new__(cls)
        weights._set(analyzer, n, df)
        return weights

    def _set(self, analyzer: Analyzer, n: int, df: Mapping[str, int]) -> None:
        self.analyzer = analyzer
        self.n = max(n, 1)
        self._df = df
        self._known = frozenset(df)
        self._sorted: list[str] | None = None
        self._found: Memo[tuple[tuple[str, ...], frozenset[str]], bool] = Memo(MATCHES)

    def idf(self, term: str) -> float:
        return math.log(1 + (self.n + 1) / (self._df.get(term, 0) + 0.5))

    def known(self, term: str) -> bool:
        return term in self._df

    def knows_word(self, word: str) -> bool:
        """Whether any stored text holds the word, an inflection, a compound ending in it,
        or a compound that opens with it ("yrken" in "yrkesgrupper")."""
        group = self.analyzer.terms_of_word(word.lower())
        return (
            any(self.known(t) for t in group)
            or _matches(group, self._known)
            or self._opens_compound(group[0])
        )

    def _opens_compound(self, term: str) -> bool:
        """Some stored term is `term`, a linking element and a known term of at least
        MIN_PART letters: the first part of a Swedish compound (SAG: fogemorfem)."""
        if len(term) < MODIFIER_MIN:
            return False
        if self._sorted is None:
            self._sorted = sorted(self._known)
        at = bisect.bisect_left(self._sorted, term)
        while at < len(self._sorted) and self._sorted[at].startswith(term):
            rest = self._sorted[at][len(term) :]
            if any(
                len(rest) - len(link) >= MIN_PART
                and rest.startswith(link)
                and rest[len(link) :] in self._known
                for link in LINKS
            ):
                return True
            at += 1
        return False

    def terms(self, text: str) -> set[str]:
        return set(self.analyzer.term_set(text))

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
        have = self.analyzer.term_set(text)
        found = sum(
            w for g, w in zip(wanted.groups, wanted.weights, strict=True) if self._matches(g, have)
        )
        return found / wanted.total

    def _matches(self, group: tuple[str, ...], have: frozenset[str]) -> bool:
        """`_matches`, memoised: a question's words meet the same span, section and
        joined texts in several features."""
        return self._found.get((group, have), lambda: _matches(group, have))


MATCHES = 65536
"""(word, text) match results a `TermWeights` keeps (a few questions' words against the
texts of their retrieved chunks)."""


def _words_with_case(text: str) -> list[tuple[str, str]]:
    out = []
    for m in TOKEN.finditer(text):
        low = m.group().lower()
        if low not in STOPWORDS:
            out.append((low, m.group()))
    return out


def number(citations: Sequence[Span]) -> list[Citation]:
    return [span.citation(i) for i, span in enumerate(citations, 1)]
