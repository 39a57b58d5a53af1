"""Expected answer types: a question asking "when" is answered by a passage with a date.

A light prior for ranking. Each chunk gets a set of flags for what kinds of answer it can
hold (a date or period, a frequency, a count, the members of a body, a name given to
something); a question asks for at most a few kinds.
A chunk that holds the kind asked for gets a bonus in the fusion, never a filter.
"""

from __future__ import annotations

import re

DATE = 1
FREQUENCY = 2
COUNT = 4
MEMBERS = 8
NAME = 16

_MONTHS = (
    "januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december"
    "|jan|feb|apr|jun|jul|aug|sept|okt|nov|dec|våren|hösten|sommaren|vintern"
)
_DATE_TEXT = re.compile(
    rf"\b(?:(?:19|20)\d\d|{_MONTHS})\b|\b\d{{4}}-\d\d-\d\d\b|\b\d{{6}}\b", re.IGNORECASE
)
_FREQUENCY_TEXT = re.compile(
    r"\b(?:varje|varannan|gång|gånger|per\s+(?:år|månad|vecka|kvartal)|årligen|årlig|årliga"
    r"|månatlig|månadsvis|kvartalsvis|veckovis|löpande|regelbundet|regelbundna)\b",
    re.IGNORECASE,
)
_COUNT_TEXT = re.compile(
    r"\b\d+\b|\b(?:två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tjugo|hundra|tusen)\b",
    re.IGNORECASE,
)

_MEMBERS_TEXT = re.compile(
    r"\b(?:består\s+av|bestående\s+av|ingår|tillsammans\s+med|representanter|ledamöter"
    r"|deltagare|sammansatt|sammansättning)\b",
    re.IGNORECASE,
)
_NAME_TEXT = re.compile(
    r"\b(?:kallas|kallad|kallade|benämns|benämnd|benämning|heter|begreppet|termen)\b",
    re.IGNORECASE,
)

_WHEN = re.compile(
    r"\b(?:när|hur\s+länge|vilken\s+period|vilket\s+datum|datum|tidsplan|tidsplanen|klar"
    r"|when|how\s+long|until|what\s+date|timeline|deadline)\b",
    re.IGNORECASE,
)
_HOW_OFTEN = re.compile(
    r"\b(?:hur\s+ofta|hur\s+många\s+gånger|how\s+often|how\s+many\s+times)\b", re.IGNORECASE
)
_HOW_MANY = re.compile(r"\b(?:hur\s+många|how\s+many|antal|antalet)\b", re.IGNORECASE)
_WHO_IS_IN = re.compile(
    r"\b(?:vilka\s+(?:ingår|sitter|deltar)|sammansatt|sammansättning|members?|composed"
    r"|composition|consists?\s+of)\b",
    re.IGNORECASE,
)
_WHAT_NAME = re.compile(
    r"\b(?:vad\s+(?:kallas|heter|benämns)|called|what\s+is\s+the\s+name)\b", re.IGNORECASE
)


def chunk_flags(text: str) -> int:
    """The kinds of answer that `text` can hold, as a bit set."""
    flags = 0
    if _DATE_TEXT.search(text):
        flags |= DATE
    if _FREQUENCY_TEXT.search(text):
        flags |= FREQUENCY
    if _COUNT_TEXT.search(text):
        flags |= COUNT
    if _MEMBERS_TEXT.search(text):
        flags |= MEMBERS
    if _NAME_TEXT.search(text):
        flags |= NAME
    return flags


def wanted(question: str) -> int:
    """The kinds of answer that `question` asks for, as a bit set (0: none in particular)."""
    flags = 0
    if _WHEN.search(question):
        flags |= DATE
    if _HOW_OFTEN.search(question):
        flags |= FREQUENCY
    elif _HOW_MANY.search(question):
        flags |= COUNT
    if _WHO_IS_IN.search(question):
        flags |= MEMBERS
    if _WHAT_NAME.search(question):
        flags |= NAME
    return flags
