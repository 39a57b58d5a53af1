"""English → Swedish domain glossary, so that questions asked in English find Swedish text.

Keyword search cannot match "responsible" with "ansvarar"; the glossary adds the Swedish
words to an English query before it is analysed. Multi-word keys are matched first.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nara.vocabulary import vocabulary


@lru_cache(maxsize=1)
def glossary() -> dict[str, str]:
    """English domain term → Swedish translations (`nara/vocabulary.yaml`, section en_sv)."""
    return {str(k): str(v) for k, v in vocabulary()["en_sv"].items()}


def _inflected(key: str) -> str:
    """A pattern for `key` whose last word may carry an English inflection."""
    head, _, last = key.rpartition(" ")
    if last.endswith("e"):
        tail = re.escape(last[:-1]) + "(?:e|es|ed|ing)"
    elif last.endswith("y") and len(last) > 2 and last[-2] not in "aeiou":
        tail = re.escape(last[:-1]) + "(?:y|ies|ied)"
    else:
        tail = re.escape(last) + "(?:s|es|ed|ing)?"
    if not head:
        return tail
    return r"[\s-]+".join(re.escape(w) for w in head.split()) + r"[\s-]+" + tail


@lru_cache(maxsize=1)
def _compiled() -> tuple[list[str], re.Pattern[str]]:
    keys = sorted(glossary(), key=len, reverse=True)
    pattern = re.compile(
        r"\b(?:" + "|".join(f"({_inflected(k)})" for k in keys) + r")\b", re.IGNORECASE
    )
    return keys, pattern


_ENGLISH_HINTS = re.compile(
    r"\b(the|what|who|which|how|is|are|does|do|when|for|of|and|in)\b", re.IGNORECASE
)


def looks_english(text: str) -> bool:
    return len(_ENGLISH_HINTS.findall(text)) >= 2


def expand_query(text: str) -> str:
    """The query plus Swedish equivalents of the English domain terms in it."""
    if not looks_english(text):
        return text
    keys, pattern = _compiled()
    terms = glossary()
    extra = [terms[keys[m.lastindex - 1]] for m in pattern.finditer(text) if m.lastindex]
    return f"{text} {' '.join(dict.fromkeys(extra))}" if extra else text
