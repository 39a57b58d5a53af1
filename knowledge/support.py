"""Statement–passage support: is one answer sentence backed by the passages it cites?

Contract
--------
`support_score(statement, passages)` is a number in [0, 1]: the weighted share of the
statement's content words that the union of the passages covers, after Swedish
stemming and compound splitting (knowledge.analysis). `is_supported` compares it with
`SUPPORT_THRESHOLD`, calibrated on evals/calibration/support_pairs.yaml
(`python -m evals.calibration`). Used by the answer verifier to drop unsupported
sentences and by the eval suite's faithfulness metrics.

- Ignored: citation markers ([1], [2, 3]), quote marks, stop words, and the framing and
  function words of an answer ("enligt", "framgår", "bland annat", "cirka" ...).
  Light verbs ("gör", "tas", "kallas") weigh `LIGHT_WEIGHT`; names of the cited
  document itself ("Färdplanen betonar ...") weigh `SOURCE_WEIGHT`.
- Covered: the same stem; an inflection the stemmer misses ("internt" ~ "intern"); a
  compound whose parts are in the passages ("kommunikationsplanen" ~ "plan för
  kommunikation") and the reverse; a word that is a whole part of a passage compound
  ("takten" ~ "omställningstakt"). One known part of an unknown compound earns
  `PART_CREDIT`.
- Numbers are content: "2 400" = "2400", "fem" = "5", "januari" = "1" (so "24 januari
  2024" meets "2024-01-24"). A number weighs `NUMBER_WEIGHT`, and every statement
  number absent from the passages multiplies the score by `MISSING_NUMBER_FACTOR`: a
  wrong year or count is unsupported however many words match.
- Names (capitalised inside the sentence, acronyms) and actors (…gruppen, …ledningen,
  …chefen, kommunikatören ...) weigh `NAME_WEIGHT`; each one absent from the passages
  multiplies the score by `MISSING_NAME_FACTOR` (a wrong actor). Exclusive
  quantifiers ("enbart", "samtliga") weigh `EMPHASIS_WEIGHT`.
- Polarity: when the statement and the passage sentence that best matches it disagree
  on negation ("inte", "ingen", "saknas" ...), or an uncovered statement word has its
  opposite in the passages ("ökat" / "minskat"), the score is multiplied by
  `NEGATION_FACTOR`.
- A statement with no content words scores 1.0 (nothing to contradict); no passages
  score 0.0.
- Optional `embedder`: the coverage is mixed with the best cosine similarity between
  statement and passages (weight `EMBEDDING_WEIGHT`) before the penalties. The
  calibrated `SUPPORT_THRESHOLD` holds for the default, lexical score only; a mixed
  score needs its own threshold (`python -m evals.calibration --embedder NAME`).

Lexical scoring needs no model and takes well under a millisecond for a sentence
against a chunk-sized passage. Bag-of-words support cannot see roles: a statement that
swaps two actors or two figures named in the same passage ("25 chefer och 53
politiker" for "53 chefer och 25 politiker") still scores high, and a synonym the
passage does not use ("erbjuder" for "tillhandahåller") counts as missing.
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
# (132 pairs, 63 supported; precision first: max recall with precision >= 0.9).
# In-sample: precision 0.903, recall 0.889, F1 0.896 (tp 56, fp 6, tn 63, fn 7).
# Held-out, 2-fold: precision 0.894, recall 0.937, F1 0.915 (fold thresholds 0.76, 0.77).
# Recalibrate and update this value whenever the scoring or the pairs change.
SUPPORT_THRESHOLD: float = 0.85

NUMBER_WEIGHT = 2.0
NAME_WEIGHT = 2.0
EMPHASIS_WEIGHT = 2.0
LIGHT_WEIGHT = 0.5
SOURCE_WEIGHT = 0.25
MISSING_NUMBER_FACTOR = 0.5
MISSING_NAME_FACTOR = 0.75
NEGATION_FACTOR = 0.5
EMBEDDING_WEIGHT = 0.3
PART_CREDIT = 0.5

MARKER = re.compile(r"\[\s*\d+(?:\s*[,;–-]\s*\d+)*\s*\]")
QUOTES = re.compile(r"[\"“”„«»‘’'`´*_]")
THOUSANDS = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}\b)")
ACRONYM_GENITIVE = re.compile(r"\b([A-ZÅÄÖ]{2,}):?s\b")
I_DAG = re.compile(r"\bi dag\b", re.IGNORECASE)
SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words of an answer's framing or function that carry no claim of their own.
IGNORED = _words(
    """enligt anger anges angav framgår nämns nämner nämnde skriver skrivs beskriver
    beskrivs beskrev konstaterar konstateras framhåller betonar påpekar dokumentet
    dokumenten texten källan källorna passagen citatet bland annat sitt genom ungefär
    cirka ca drygt knappt omkring varav både dock därför därmed liksom år året"""
)
# Light verbs: paraphrases swap them freely ("tas fram", "sitter i", "kallas").
LIGHT = _words(
    """gör gjorde görs gjort går gått gick ta tas togs tagit får fick fått sitter satt
    ligger låg kallas kallad kallade heter lyder utgör står stod"""
)
# Names of the cited document itself ("Färdplanen betonar ..."), rarely in its text.
SOURCE_NOUNS = _words(
    """färdplan färdplanen handlingsplan handlingsplanen förstudie förstudien strategi
    strategin rapport rapporten slutrapport slutrapporten dokument underlaget"""
)
# Actors (groups, boards, roles): a wrong actor is a common error in answers about who
# is responsible, so an actor weighs and counts as a name.
ACTOR = re.compile(
    r"(grupp|ledning|beredning|nämnd|råd|styrelse|chef|ledare|direktör|kommunikatör|"
    r"samordnare|handläggare|landsting|fullmäktige|myndighet|nätverk|presidium)"
    r"(en|et|er|erna|arna|na|n|s)?$"
)
# Exclusive quantifiers: a claim of "only" or "all" must be backed.
EMPHASIS = _words("enbart endast bara uteslutande samtliga alltid")
NEGATORS = _words("inte ej icke ingen inget inga aldrig varken saknas saknar")
# Word beginnings of opposite directions ("ökat" against "minskat").
OPPOSITES = dict(
    pair
    for a, b in [
        ("ök", "minsk"),
        ("höj", "sänk"),
        ("fler", "färre"),
        ("förbättr", "försämr"),
        ("högre", "lägre"),
        ("större", "mindre"),
        ("stärk", "försvag"),
    ]
    for pair in ((a, b), (b, a))
)
_NUMBER_WORDS = """två 2 tre 3 fyra 4 fem 5 sex 6 sju 7 åtta 8 nio 9 tio 10 elva 11 tolv 12
    tretton 13 fjorton 14 femton 15 sexton 16 sjutton 17 arton 18 nitton 19 tjugo 20
    trettio 30 fyrtio 40 femtio 50 hundra 100 januari 1 jan 1 februari 2 feb 2 mars 3
    mar 3 april 4 apr 4 maj 5 juni 6 jun 6 juli 7 jul 7 augusti 8 aug 8 september 9
    sep 9 sept 9 oktober 10 okt 10 november 11 nov 11 december 12 dec 12"""
NUMBER_WORDS = dict(zip(_NUMBER_WORDS.split()[::2], _NUMBER_WORDS.split()[1::2], strict=True))


@dataclass(frozen=True)
class Term:
    """One content word of a statement: its lower-cased form (a canonical number for
    numbers), its weight and its kind: "number", "name" or "word"."""

    word: str
    weight: float
    kind: str = "word"

    @property
    def number(self) -> bool:
        return self.kind == "number"


@dataclass(frozen=True)
class PassageIndex:
    """The stems, words and numbers of the passages, and each sentence's stems and
    negation."""

    stems: frozenset[str]
    words: frozenset[str]
    numbers: frozenset[str]
    sentences: tuple[tuple[frozenset[str], bool], ...]
    by_prefix: dict[str, list[str]]  # words by their first three letters


def clean(text: str) -> str:
    """Citation markers and quote marks out; thousands separators, "SKR:s", "i dag" and
    % normalised."""
    text = QUOTES.sub(" ", MARKER.sub(" ", text))
    text = ACRONYM_GENITIVE.sub(r"\1", I_DAG.sub("idag", text))
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
    for match in TOKEN.finditer(text):
        raw = match.group()
        word = raw.lower()
        if word in STOPWORDS or word in IGNORED or (len(word) < 2 and not word.isdigit()):
            continue
        out.append(_term(word, raw, _sentence_start(text, match.start())))
    return out


def _term(word: str, raw: str, at_start: bool) -> Term:
    number = number_of(word)
    if number is not None:
        return Term(number, NUMBER_WEIGHT, "number")
    if raw[0].isupper() and (not at_start or sum(c.isupper() for c in raw) > 1):
        return Term(word, NAME_WEIGHT, "name")
    if ACTOR.search(word):
        return Term(word, NAME_WEIGHT, "name")
    if word in EMPHASIS:
        return Term(word, EMPHASIS_WEIGHT)
    if word in SOURCE_NOUNS:
        return Term(word, SOURCE_WEIGHT)
    return Term(word, LIGHT_WEIGHT if word in LIGHT else 1.0)


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
            found = {n for t in tokens if (n := number_of(t)) is not None}
            terms = frozenset(analyzer.terms(sentence)) | found
            stems |= terms
            words.update(tokens)
            numbers |= found
            sentences.append((terms, any(t in NEGATORS for t in tokens)))
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
    return negated != any(t in NEGATORS for t in tokens)


def _direction_flipped(missing: dict[str, str], index: PassageIndex) -> bool:
    """An uncovered statement word whose opposite the passages use ("ökat"/"minskat")."""
    for word in missing:
        for head, opposite in OPPOSITES.items():
            if word.startswith(head) and any(w.startswith(opposite) for w in index.words):
                return True
    return False


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
    covered = credits(terms, index, analyzer)
    score = coverage(terms, covered)
    if embedder is not None:
        sim = embedding_similarity(statement, passages, embedder)
        score = (1 - EMBEDDING_WEIGHT) * score + EMBEDDING_WEIGHT * sim
    return min(1.0, max(0.0, score * penalty(statement, terms, covered, index)))


def is_supported(
    statement: str,
    passages: Sequence[str],
    analyzer: Analyzer | None = None,
    *,
    threshold: float = SUPPORT_THRESHOLD,
) -> bool:
    """True when the lexical support score reaches the calibrated threshold."""
    return support_score(statement, passages, analyzer) >= threshold
