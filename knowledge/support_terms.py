"""The words of the support score (knowledge.support): a statement's content words with
their weights (`statement_terms`), and the word lists that decide them.

Framing and function words of an answer are dropped; light verbs, names of the cited
document, names and actors, exclusive quantifiers and numbers get their own weights.
Negators and words of opposite directions are listed here for the polarity check
(knowledge.support_coverage).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.analysis import STOPWORDS, TOKEN

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
