"""How far passages cover a statement's terms (knowledge.support): each term's credit
(the same stem, an inflection the stemmer misses, a compound split either way, a part of
a passage compound), the weighted coverage, and the penalties for missing numbers and
names and for a polarity the passages do not share.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.analysis import MIN_PART, STOPWORDS, TOKEN, Analyzer, stem
from knowledge.support_terms import Term, clean, listed, number_of, opposites

MISSING_NUMBER_FACTOR = 0.5
MISSING_NAME_FACTOR = 0.75
NEGATION_FACTOR = 0.5
PART_CREDIT = 0.5

SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")


@dataclass(frozen=True)
class PassageIndex:
    """The stems, words and numbers of the passages, and each sentence's stems and
    negation."""

    stems: frozenset[str]
    words: frozenset[str]
    numbers: frozenset[str]
    sentences: tuple[tuple[frozenset[str], bool], ...]
    by_prefix: dict[str, list[str]]  # words by their first three letters


def index_passages(passages: Sequence[str], analyzer: Analyzer) -> PassageIndex:
    stems: set[str] = set()
    words: set[str] = set()
    numbers: set[str] = set()
    sentences = []
    for passage in passages:
        for sentence in SENTENCE.split(clean(passage)):
            tokens = [t.lower() for t in TOKEN.findall(sentence)]
            found = {n for t in tokens if (n := number_of(t)) is not None}
            terms = frozenset(analyzer.terms(sentence)) | found
            stems |= terms
            words.update(tokens)
            numbers |= found
            sentences.append((terms, any(t in listed("negators") for t in tokens)))
    by_prefix: dict[str, list[str]] = {}
    for word in words:
        by_prefix.setdefault(word[:3], []).append(word)
    return PassageIndex(
        frozenset(stems), frozenset(words), frozenset(numbers), tuple(sentences), by_prefix
    )


def word_credit(word: str, analyzer: Analyzer, index: PassageIndex) -> float:
    """How far the passages cover one (non-number) statement word, 0..1."""
    own = analyzer.terms_of_word(word)
    if own[0] in index.stems or _same_word(word, index):
        return 1.0
    if _split_covered(word, analyzer, index.stems) or _inside_compound(own[0], index):
        return 1.0
    return PART_CREDIT if any(t in index.stems for t in own[1:]) else 0.0


def _same_word(word: str, index: PassageIndex) -> bool:
    """An inflection the stemmer misses ("internt" ~ "intern", "gemensamma" ~
    "gemensamt", "öka" ~ "ökad")."""
    return any(_inflected(word, other) for other in index.by_prefix.get(word[:3], ()))


def _inflected(a: str, b: str) -> bool:
    """`a` and `b` differ only in a short ending (a shared beginning of 5+ letters, or
    one is the other plus at most two letters)."""
    shorter, longer = sorted((len(a), len(b)))
    if shorter < 3:
        return False
    common = _prefix(a, b)
    return (shorter >= 5 and common >= max(5, shorter - 2)) or (
        common == shorter and longer - shorter <= 2
    )


def _prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _split_covered(word: str, analyzer: Analyzer, stems: frozenset[str]) -> bool:
    """Both halves of a compound are in the passages (the head may be inflected)."""
    parts = analyzer.split_compound(word)
    if parts and all(stem(p) in stems for p in parts):
        return True
    for i in range(MIN_PART, len(word) - MIN_PART + 1):
        left, right = word[:i], word[i:]
        if stem(right) in stems and (
            stem(left) in stems or (left.endswith("s") and stem(left[:-1]) in stems)
        ):
            return True
    return False


def _inside_compound(word_stem: str, index: PassageIndex) -> bool:
    """The stem is a whole first or last part of a passage compound."""
    if len(word_stem) < MIN_PART:
        return False
    n = len(word_stem)
    for s in index.stems | index.words:
        if len(s) - n < MIN_PART:
            continue
        if s.endswith(word_stem) or (
            s.startswith(word_stem)
            and (s[n] == "s" or s[n:] in index.stems or s[n:] in index.words)
        ):
            return True
    return False


def credits(terms: Sequence[Term], index: PassageIndex, analyzer: Analyzer) -> list[float]:
    """Each term's coverage by the passages, 0..1 (numbers: present or not)."""
    return [
        float(t.word in index.numbers) if t.number else word_credit(t.word, analyzer, index)
        for t in terms
    ]


def coverage(terms: Sequence[Term], covered: Sequence[float]) -> float:
    total = sum(t.weight for t in terms)
    return sum(t.weight * c for t, c in zip(terms, covered, strict=True)) / total


def penalty(
    statement: str, terms: Sequence[Term], covered: Sequence[float], index: PassageIndex
) -> float:
    """Missing numbers and names, and a polarity the passages do not share."""
    missing = {t.word: t.kind for t, c in zip(terms, covered, strict=True) if c == 0}
    factor = MISSING_NUMBER_FACTOR ** sum(1 for k in missing.values() if k == "number")
    factor *= MISSING_NAME_FACTOR ** sum(1 for k in missing.values() if k == "name")
    if _negation_differs(statement, index) or _direction_flipped(missing, index):
        factor *= NEGATION_FACTOR
    return factor


def _negation_differs(statement: str, index: PassageIndex) -> bool:
    """The statement and its best-matching passage sentence disagree on negation."""
    tokens = [t.lower() for t in TOKEN.findall(clean(statement))]
    own = {stem(t) for t in tokens if t not in STOPWORDS}
    if not own or not index.sentences:
        return False
    _, negated = max(index.sentences, key=lambda s: len(own & s[0]))
    return negated != any(t in listed("negators") for t in tokens)


def _direction_flipped(missing: dict[str, str], index: PassageIndex) -> bool:
    """An uncovered statement word whose opposite the passages use ("ökat"/"minskat")."""
    for word in missing:
        for head, opposite in opposites().items():
            if word.startswith(head) and any(w.startswith(opposite) for w in index.words):
                return True
    return False
