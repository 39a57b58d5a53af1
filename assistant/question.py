"""Understanding a question: its language, its kind, the years and places it names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.model import Kind

_EN_WORDS = frozenset(
    [
        "the",
        "what",
        "who",
        "which",
        "is",
        "are",
        "does",
        "do",
        "how",
        "when",
        "for",
        "of",
        "in",
        "and",
        "responsible",
        "prioritised",
        "prioritized",
        "agreement",
        "valid",
        "until",
        "report",
    ]
)
_SV_WORDS = frozenset(
    [
        "vad",
        "vem",
        "vilka",
        "vilken",
        "är",
        "och",
        "för",
        "hur",
        "när",
        "gäller",
        "ska",
        "som",
        "med",
        "det",
        "den",
        "inom",
        "till",
        "i",
    ]
)

_KIND_PATTERNS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    (
        Kind.COMPARISON,
        re.compile(r"skiljer|jämför|skillnad|likheter|respektive|compare|differ", re.I),
    ),
    (
        Kind.CLAUSE,
        re.compile(
            r"hur länge|gäller|giltig|återrapport|rapporter|antogs|antagen|revider|"
            r"how long|valid|report back|reporting|adopted|revised",
            re.I,
        ),
    ),
    (
        Kind.RESPONSIBILITY,
        re.compile(
            r"\bvem\b|\bvilka (?:ansvarar|leder|äger)|ansvar|\bleder\b|\broll|"
            r"\bwho\b|responsib|\bleads?\b|\brole",
            re.I,
        ),
    ),
    (
        Kind.PRIORITY,
        re.compile(
            r"priorit|målgrupp|utvecklingsområd|fokusområd|insatsområd|"
            r"target group|focus area|development area",
            re.I,
        ),
    ),
)

YEAR = re.compile(r"\b(20[0-9]{2})\b")


def detect_lang(text: str) -> str:
    words = re.findall(r"[a-zåäö]+", text.lower())
    en = sum(w in _EN_WORDS for w in words)
    sv = sum(w in _SV_WORDS for w in words) + 2 * bool(re.search(r"[åäö]", text.lower()))
    return "en" if en > sv else "sv"


def classify(text: str) -> Kind:
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(text):
            return kind
    return Kind.FACT


@dataclass(frozen=True)
class Question:
    text: str
    """The question as understood (after resolving a follow-up)."""
    asked: str
    """The question as the user wrote it."""
    lang: str
    kind: Kind
    years: tuple[int, ...] = field(default=())


def analyse(text: str, asked: str | None = None) -> Question:
    return Question(
        text=text,
        asked=asked if asked is not None else text,
        lang=detect_lang(asked or text),
        kind=classify(text),
        years=tuple(int(y) for y in YEAR.findall(text)),
    )
