"""Statement–passage support: is one answer sentence backed by the passages it cites?

Contract
--------
`support_score(statement, passages)` is a number in [0, 1]: the weighted share of the
statement's content words that the union of the passages covers, after Swedish
stemming and compound splitting (knowledge.analysis). `is_supported` compares it with
`SUPPORT_THRESHOLD`, calibrated on evals/calibration/support_pairs.yaml
(`python -m evals.calibration`). Used by the answer verifier to drop unsupported
sentences and by the eval suite's faithfulness metrics.

- Ignored: citation markers ([1], [2, 3]), quote marks, stop words and framing words
  of an answer ("enligt", "framgår", "anges" ...); a document noun right after
  "enligt" ("Enligt färdplanen ...") weighs little.
- Covered: the same stem; a compound whose parts are in the passages
  ("kommunikationsplanen" ~ "plan för kommunikation") and the reverse; a stem that
  is a whole part of a passage compound.
- Numbers are content: "2 400" = "2400", "fem" = "5", "januari" = "1" (so "24 januari
  2024" meets "2024-01-24"). A number weighs `NUMBER_WEIGHT`, and every statement
  number absent from the passages multiplies the score by `MISSING_NUMBER_FACTOR`: a
  wrong year or count is unsupported however many words match.
- Capitalised names and acronyms inside the statement weigh `NAME_WEIGHT`.
- Polarity: when the statement and the passage sentence that best matches it disagree
  on negation ("inte", "ingen", "saknas" ...), the score is multiplied by
  `NEGATION_FACTOR`.
- A statement with no content words scores 1.0 (nothing to contradict); no passages
  score 0.0.
- Optional `embedder`: the coverage is mixed with the best cosine similarity between
  statement and passages (weight `EMBEDDING_WEIGHT`) before the penalties. The
  calibrated `SUPPORT_THRESHOLD` holds for the default, lexical score only; a mixed
  score needs its own threshold (`python -m evals.calibration --embedder NAME`).

Lexical scoring needs no model and takes well under a millisecond for a sentence
against a chunk-sized passage. Bag-of-words support cannot see roles: a statement that
swaps two actors named in the same passage still scores high.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from knowledge.analysis import MIN_PART, STOPWORDS, TOKEN, Analyzer, stem

if TYPE_CHECKING:
    from knowledge.embedders import Embedder

# Calibrated by `python -m evals.calibration` on evals/calibration/support_pairs.yaml
# (THRESHOLD_FIGURES_PLACEHOLDER).
SUPPORT_THRESHOLD: float = 0.7

NUMBER_WEIGHT = 2.0
NAME_WEIGHT = 1.5
SOURCE_WEIGHT = 0.25
MISSING_NUMBER_FACTOR = 0.5
NEGATION_FACTOR = 0.5
EMBEDDING_WEIGHT = 0.3
PART_CREDIT = 0.5

MARKER = re.compile(r"\[\s*\d+(?:\s*[,;–-]\s*\d+)*\s*\]")
QUOTES = re.compile(r"[\"“”„«»‘’'`´*_]")
THOUSANDS = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}\b)")
SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")

FRAMING = frozenset(
    """enligt anger anges angav framgår står stod nämns nämner nämnde skriver skrivs
    beskriver beskrivs beskrev konstaterar konstateras framhåller betonar påpekar
    dokumentet dokumenten texten källan källorna passagen citatet""".split()
)
SOURCE_NOUNS = frozenset(
    """färdplan färdplanen handlingsplan handlingsplanen förstudie förstudien strategi
    strategin rapport rapporten slutrapport slutrapporten dokument dokumentet plan
    planen överenskommelse överenskommelsen underlaget""".split()
)
NEGATORS = frozenset("inte ej icke ingen inget inga aldrig varken saknas saknar".split())
_NUMBER_WORDS = """två 2 tre 3 fyra 4 fem 5 sex 6 sju 7 åtta 8 nio 9 tio 10 elva 11 tolv 12
    tretton 13 fjorton 14 femton 15 sexton 16 sjutton 17 arton 18 nitton 19 tjugo 20
    trettio 30 fyrtio 40 femtio 50 hundra 100 januari 1 jan 1 februari 2 feb 2 mars 3
    mar 3 april 4 apr 4 maj 5 juni 6 jun 6 juli 7 jul 7 augusti 8 aug 8 september 9
    sep 9 sept 9 oktober 10 okt 10 november 11 nov 11 december 12 dec 12"""
NUMBER_WORDS = dict(zip(_NUMBER_WORDS.split()[::2], _NUMBER_WORDS.split()[1::2], strict=True))


@dataclass(frozen=True)
class Term:
    """One content word of a statement: its lower-cased form and its weight."""

    word: str
    weight: float
    number: bool


@dataclass(frozen=True)
class PassageIndex:
    """The stems and numbers of the passages, sentence by sentence."""

    stems: frozenset[str]
    words: frozenset[str]
    numbers: frozenset[str]
    sentences: tuple[tuple[frozenset[str], bool], ...]  # (stems, negated)


def clean(text: str) -> str:
    """Citation markers and quote marks out; thousands separators and % normalised."""
    text = QUOTES.sub(" ", MARKER.sub(" ", text))
    return THOUSANDS.sub("", text).replace("%", " procent ")


def number_of(token: str) -> str | None:
    """The canonical number a token stands for ("01" → "1", "fem" → "5"), else None."""
    if token.isdigit():
        return str(int(token))
    return NUMBER_WORDS.get(token)


def statement_terms(statement: str) -> list[Term]:
    """Content words of a statement with their weights (framing words dropped)."""
    text = clean(statement)
    out: list[Term] = []
    previous = ""
    for match in TOKEN.finditer(text):
        raw = match.group()
        word = raw.lower()
        if word in STOPWORDS or word in FRAMING or (len(word) < 2 and not word.isdigit()):
            previous = word
            continue
        out.append(_term(word, raw, _sentence_start(text, match.start()), previous))
        previous = word
    return out


def _term(word: str, raw: str, at_start: bool, previous: str) -> Term:
    number = number_of(word)
    if number is not None:
        return Term(number, NUMBER_WEIGHT, True)
    if previous == "enligt" and word in SOURCE_NOUNS:
        return Term(word, SOURCE_WEIGHT, False)
    name = raw[0].isupper() and (not at_start or sum(c.isupper() for c in raw) > 1)
    return Term(word, NAME_WEIGHT if name else 1.0, False)


def _sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip(" \t(–-")
    return not before or before[-1] in ".!?:\n"


def index_passages(passages: Sequence[str], analyzer: Analyzer) -> PassageIndex:
    stems: set[str] = set()
    words: set[str] = set()
    numbers: set[str] = set()
    sentences = []
    for passage in passages:
        for sentence in SENTENCE.split(clean(passage)):
            tokens = [t.lower() for t in TOKEN.findall(sentence)]
            found = {n for n in map(number_of, tokens) if n is not None}
            terms = frozenset(analyzer.terms(sentence)) | found
            stems |= terms
            words.update(tokens)
            numbers |= found
            sentences.append((terms, any(t in NEGATORS for t in tokens)))
    return PassageIndex(
        frozenset(stems), frozenset(words), frozenset(numbers), tuple(sentences)
    )


def word_credit(word: str, analyzer: Analyzer, index: PassageIndex) -> float:
    """How far the passages cover one (non-number) statement word, 0..1."""
    own = analyzer.terms_of_word(word)
    stems = index.stems
    if own[0] in stems or _same_word(word, index.words):
        return 1.0
    if _split_covered(word, analyzer, stems) or _inside_compound(own[0], stems):
        return 1.0
    return PART_CREDIT if any(t in stems for t in own[1:]) else 0.0


def _same_word(word: str, words: frozenset[str]) -> bool:
    """An inflection the stemmer misses ("internt" ~ "intern", "gemensamma" ~
    "gemensamt"): a shared beginning of 5+ letters lacking at most 2 of the shorter."""
    if len(word) < 5:
        return False
    for other in words:
        shorter = min(len(word), len(other))
        need = max(5, shorter - 2)
        if shorter >= need and word[:need] == other[:need] and _prefix(word, other) >= need:
            return True
    return False


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


def _inside_compound(word_stem: str, stems: frozenset[str]) -> bool:
    """The stem is a whole first or last part of a passage compound."""
    if len(word_stem) < MIN_PART:
        return False
    for s in stems:
        if len(s) - len(word_stem) < MIN_PART:
            continue
        if s.endswith(word_stem) or (
            s.startswith(word_stem) and (s[len(word_stem)] == "s" or s[len(word_stem) :] in stems)
        ):
            return True
    return False


def coverage(terms: Sequence[Term], index: PassageIndex, analyzer: Analyzer) -> float:
    total = sum(t.weight for t in terms)
    covered = sum(
        t.weight * (float(t.word in index.numbers) if t.number else word_credit(
            t.word, analyzer, index))
        for t in terms
    )
    return covered / total if total else 1.0


def penalty(statement: str, terms: Sequence[Term], index: PassageIndex, analyzer: Analyzer
            ) -> float:
    """Missing numbers and a negation that the best-matching sentence does not share."""
    missing = {t.word for t in terms if t.number and t.word not in index.numbers}
    factor = MISSING_NUMBER_FACTOR ** len(missing)
    own = {s for t in terms if not t.number for s in analyzer.terms_of_word(t.word)}
    if own and index.sentences:
        _, negated = max(index.sentences, key=lambda s: len(own & s[0]))
        tokens = {t.lower() for t in TOKEN.findall(statement)}
        if negated != bool(tokens & NEGATORS):
            factor *= NEGATION_FACTOR
    return factor


def analyzer_for(statement: str, passages: Sequence[str]) -> Analyzer:
    """An analyzer whose vocabulary holds every word of the passages and the statement."""
    return Analyzer(Analyzer.vocabulary_of([statement, *passages]))


def embedding_similarity(statement: str, passages: Sequence[str], embedder: Embedder) -> float:
    query = embedder.embed_query(clean(statement))
    vectors = embedder.embed_passages([clean(p) for p in passages])
    return max(0.0, float(np.max(vectors @ query)))


def support_score(
    statement: str,
    passages: Sequence[str],
    analyzer: Analyzer | None = None,
    *,
    embedder: Embedder | None = None,
) -> float:
    """Support of `statement` by the union of `passages`, in [0, 1] (see the module doc).

    `analyzer` defaults to one built from the statement's and the passages' words; pass
    one to reuse its cache, but its vocabulary must hold those words for compounds to
    split."""
    passages = [p for p in passages if p.strip()]
    if not passages:
        return 0.0
    terms = statement_terms(statement)
    if not terms:
        return 1.0
    analyzer = analyzer or analyzer_for(statement, passages)
    index = index_passages(passages, analyzer)
    score = coverage(terms, index, analyzer)
    if embedder is not None:
        sim = embedding_similarity(statement, passages, embedder)
        score = (1 - EMBEDDING_WEIGHT) * score + EMBEDDING_WEIGHT * sim
    return min(1.0, max(0.0, score * penalty(statement, terms, index, analyzer)))


def is_supported(
    statement: str,
    passages: Sequence[str],
    analyzer: Analyzer | None = None,
    *,
    threshold: float = SUPPORT_THRESHOLD,
) -> bool:
    """True when the lexical support score reaches the calibrated threshold."""
    return support_score(statement, passages, analyzer) >= threshold
