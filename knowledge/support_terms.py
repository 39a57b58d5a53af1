"""The words of the support score (knowledge.support): a statement's content words with
their weights (`statement_terms`), and the word lists that decide them.

Framing and function words of an answer are dropped; light verbs, names of the cited
document, names and actors, exclusive quantifiers and numbers get their own weights.
Negators and words of opposite directions serve the polarity check
(knowledge.support_coverage). The word lists are in `nara/vocabulary.yaml` (`support`),
with their provenance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from knowledge.analysis import STOPWORDS, TOKEN
from nara.vocabulary import section, words

NUMBER_WEIGHT = 2.0
NAME_WEIGHT = 2.0
EMPHASIS_WEIGHT = 2.0
LIGHT_WEIGHT = 0.5
SOURCE_WEIGHT = 0.25

MARKER = re.compile(r"\[\s*\d+(?:\s*[,;–-]\s*\d+)*\s*\]")
QUOTES = re.compile(r"[\"“”„«»‘’'`´*_]")
THOUSANDS = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}\b)")
ACRONYM_GENITIVE = re.compile(r"\b([A-ZÅÄÖ]{2,}):?s\b")
I_DAG = re.compile(r"\bi dag\b", re.IGNORECASE)


@cache
def listed(key: str) -> frozenset[str]:
    """One word list of the vocabulary's `support` section: "ignored" (an answer's
    framing and function words, no claim of their own), "light_verbs" (swapped freely
    by paraphrases), "source_nouns" (names of the cited document itself), "emphasis"
    (exclusive quantifiers, which must be backed) or "negators"."""
    return frozenset(words("support", key))


@cache
def actor() -> re.Pattern[str]:
    """An actor noun (a group, board or role), inflected: it weighs as a name, since a
    wrong actor is a common error in answers about who is responsible."""
    endings = "|".join(words("support", "actor_endings"))
    inflections = "|".join(words("support", "actor_inflections"))
    return re.compile(rf"({endings})({inflections})?$")


@cache
def opposites() -> dict[str, str]:
    """Word beginnings of opposite directions ("ök" against "minsk"), both ways."""
    pairs = section("support", "opposites")
    return dict(pair for a, b in pairs for pair in ((str(a), str(b)), (str(b), str(a))))


@cache
def number_words() -> dict[str, str]:
    """Number words and month names with the number each stands for."""
    return {str(k): str(v) for k, v in section("support", "number_words").items()}


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
    return number_words().get(token)


def statement_terms(statement: str) -> list[Term]:
    """Content words of a statement with their weights (framing words dropped)."""
    text = clean(statement)
    out: list[Term] = []
    for match in TOKEN.finditer(text):
        raw = match.group()
        word = raw.lower()
        if word in STOPWORDS or word in listed("ignored") or (len(word) < 2 and not word.isdigit()):
            continue
        out.append(_term(word, raw, _sentence_start(text, match.start())))
    return out


def _term(word: str, raw: str, at_start: bool) -> Term:
    number = number_of(word)
    if number is not None:
        return Term(number, NUMBER_WEIGHT, "number")
    if raw[0].isupper() and (not at_start or sum(c.isupper() for c in raw) > 1):
        return Term(word, NAME_WEIGHT, "name")
    if actor().search(word):
        return Term(word, NAME_WEIGHT, "name")
    if word in listed("emphasis"):
        return Term(word, EMPHASIS_WEIGHT)
    if word in listed("source_nouns"):
        return Term(word, SOURCE_WEIGHT)
    return Term(word, LIGHT_WEIGHT if word in listed("light_verbs") else 1.0)


def _sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip(" \t(–-")
    return not before or before[-1] in ".!?:\n"
