"""Swedish lexical analysis: tokens, stop words, Snowball stems and compound splitting.

Compounds matter: "kommunikationsplan" must meet "plan för kommunikation". A word is
split into two known words of the corpus vocabulary (with an optional linking "s"),
and the stems of both parts are indexed beside the stem of the whole.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import Stemmer

from knowledge.memo import Memo

TOKEN = re.compile(r"[0-9a-zåäöéüæø]+", re.IGNORECASE)
MIN_PART = 4
MIN_COMPOUND = 2 * MIN_PART + 1
ANALYZER_VERSION = "sv-snowball-decompound-3"

_STOPWORD_TEXT = """
    alla allt att av blev bli blir blivit de dem den denna deras dess dessa det detta
    dig din dina ditt du där då efter ej eller en er era ert ett från för ha hade han
    hans har henne hennes hon honom hur här i icke ingen inom inte jag ju kan kunde man
    med mellan men mig min mina mitt mot mycket ni nu när någon något några och om oss
    på samma sedan sig sin sina sitta själv skulle som så sådan sådana sådant till under
    upp ut utan vad var vara varför varit varje vars vart vem vi vid vilka vilkas vilken
    vilket vår våra vårt än är åt över ska ske sker också även samt the of and or to in
    is are what who which for how does do on at by with
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("swedish")


def words(text: str) -> list[str]:
    """Lower-cased word tokens, stop words removed."""
    return [w for w in (t.lower() for t in TOKEN.findall(text)) if w not in STOPWORDS]


def stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


class Analyzer:
    """Text → stemmed terms, splitting compounds against a vocabulary of known words."""

    def __init__(self, vocabulary: Iterable[str] = ()) -> None:
        self.vocabulary = frozenset(w for w in vocabulary if len(w) >= MIN_PART)
        self._cache: dict[str, tuple[str, ...]] = {}
        self._term_sets: Memo[str, frozenset[str]] = Memo(TERM_SETS)

    @staticmethod
    def vocabulary_of(texts: Iterable[str]) -> set[str]:
        vocab: set[str] = set()
        for text in texts:
            vocab.update(w for w in words(text) if len(w) >= MIN_PART and not w.isdigit())
        return vocab

    def split_compound(self, word: str) -> tuple[str, str] | None:
        """The split of `word` into two vocabulary words with the longest shorter part."""
        if len(word) < MIN_COMPOUND or word.isdigit():
            return None
        best: tuple[str, str] | None = None
        best_len = 0
        for i in range(MIN_PART, len(word) - MIN_PART + 1):
            left, right = word[:i], word[i:]
            if right not in self.vocabulary:
                continue
            if left in self.vocabulary or (left.endswith("s") and left[:-1] in self.vocabulary):
                shorter = min(len(left), len(right))
                if shorter > best_len:
                    best, best_len = (
                        (left.removesuffix("s") if left not in self.vocabulary else left, right),
                        shorter,
                    )
        return best

    def terms_of_word(self, word: str) -> tuple[str, ...]:
        cached = self._cache.get(word)
        if cached is None:
            terms = [stem(word)]
            if word.endswith("an") and word[:-1] in self.vocabulary:  # kartan → karta
                terms.append(stem(word[:-1]))
            parts = self.split_compound(word)
            if parts:
                terms += [stem(p) for p in parts if stem(p) != terms[0]]
            cached = tuple(terms)
            if len(self._cache) < 200_000:
                self._cache[word] = cached
        return cached

    def stems(self, text: str) -> list[str]:
        """One stem per word, in order (no compound parts): for adjacent-pair matching."""
        return [self.terms_of_word(word)[0] for word in words(text)]

    def terms(self, text: str) -> list[str]:
        out: list[str] = []
        for word in words(text):
            out.extend(self.terms_of_word(word))
        return out

    def term_set(self, text: str) -> frozenset[str]:
        """The distinct `terms` of `text`, memoised per text: the spans and sections of
        retrieved chunks are analysed again for every feature and every question."""
        return self._term_sets.get(text, lambda: frozenset(self.terms(text)))


TERM_SETS = 8192
"""Texts whose term sets an analyzer keeps (the spans and sections of a few hundred
chunks, with the joins of span and section the features measure; a few MB at most)."""


COMPOUND_HEAD = 8
"""A query term this long also matches the compounds it ends (dokumentation:
omsorgsdokumentation), which the splitter cannot split when the head never occurs alone."""
MIN_MODIFIER = 3
"""Characters a compound needs in front of the head."""


def with_compounds(terms: Sequence[str], heads: list[str]) -> list[str]:
    """`terms` and the indexed compounds that end with one of the long ones."""
    out = list(terms)
    for term in dict.fromkeys(terms):
        if len(term) < COMPOUND_HEAD:
            continue
        tail = term[::-1]
        i = bisect.bisect_left(heads, tail)
        while i < len(heads) and heads[i].startswith(tail):
            if len(heads[i]) - len(tail) >= MIN_MODIFIER:
                out.append(heads[i][::-1])
            i += 1
    return out
