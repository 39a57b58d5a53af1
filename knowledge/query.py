"""A question analysed once: one `Query` that retrieval, span ranking and the refusal
gate all read.

- **lang**: Swedish or English, from its function words;
- **kind**: responsibility, priority, clause (validity, reporting), comparison or fact;
- **years** it names; **answer_types** it asks for (a date for "när", a frequency for
  "hur ofta", a count for "hur många": `knowledge.answer_types`), and the type of
  answer it **expects** (a person's name, an amount, a phone number: `knowledge.expected`);
- **keyword_text**: what keyword search reads: English domain terms glossed in Swedish
  (`knowledge.glossary`), the adverb of its question phrase left out ("hur ofta" asks
  for a frequency; "ofta" would match any passage that says "ofta");
- **name_stems**: the stems its words could name a region or organisation by; matched
  against the stored documents by `named_documents` (a question that names one is most
  likely about that document).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from knowledge.analysis import stem, words
from knowledge.answer_types import wanted
from knowledge.expected import expects
from knowledge.glossary import expand_query
from knowledge.store import DocumentRecord
from nara.vocabulary import cue
from nara.vocabulary import words as vocab


class Kind(StrEnum):
    RESPONSIBILITY = "responsibility"
    PRIORITY = "priority"
    CLAUSE = "clause"
    COMPARISON = "comparison"
    FACT = "fact"


MIN_NAME_CHARS = 4
YEAR = re.compile(r"\b(20[0-9]{2})\b")
KIND_ORDER = (Kind.COMPARISON, Kind.CLAUSE, Kind.RESPONSIBILITY, Kind.PRIORITY)
"""The order in which a question's kind is tried (`question_cues.kinds`); else FACT."""


def _measure_phrase() -> re.Pattern[str]:
    return cue("question_cues", "measure_phrases", anchor=r"\b{}\b")


@dataclass(frozen=True)
class Query:
    text: str
    """The question as understood (a follow-up resolved against the conversation)."""
    asked: str
    """The question as the user wrote it."""
    lang: str
    kind: Kind
    years: tuple[int, ...] = ()
    answer_types: int = 0
    expects: tuple[str, ...] = ()
    """The types of answer it asks for (`knowledge.expected`): a person, an amount …"""
    keyword_text: str = ""
    name_stems: frozenset[str] = field(default_factory=frozenset)

    @property
    def glossed(self) -> str:
        """The text with English domain terms glossed in Swedish (the text itself when
        the question is Swedish)."""
        return expand_query(self.text) if self.lang == "en" else self.text


def detect_lang(text: str) -> str:
    """English when it holds more English than Swedish function words (å, ä, ö count
    twice for Swedish)."""
    found = re.findall(r"[a-zåäö]+", text.lower())
    en_words, sv_words = set(vocab("function_words", "en")), set(vocab("function_words", "sv"))
    en = sum(w in en_words for w in found)
    sv = sum(w in sv_words for w in found) + 2 * bool(re.search(r"[åäö]", text.lower()))
    return "en" if en > sv else "sv"


def classify(text: str) -> Kind:
    for kind in KIND_ORDER:
        if cue("question_cues", "kinds", kind.value).search(text):
            return kind
    return Kind.FACT


def analyse(text: str, asked: str | None = None) -> Query:
    """The one analysis of a question, read by every later stage."""
    stems = {stem(w) for w in words(text)} | {stem(w.removesuffix("s")) for w in words(text)}
    return Query(
        text=text,
        asked=asked if asked is not None else text,
        lang=detect_lang(asked or text),
        kind=classify(text),
        years=tuple(int(y) for y in YEAR.findall(text)),
        answer_types=wanted(text),
        expects=expects(text),
        keyword_text=_measure_phrase().sub(" ", expand_query(text)),
        name_stems=frozenset(stems),
    )


NAMES_CACHED = 4096
"""Distinct name strings (a document's region and organisations) whose stems are kept."""


def as_query(query: str | Query) -> Query:
    return query if isinstance(query, Query) else analyse(query)


def name_stems(doc: DocumentRecord) -> frozenset[str]:
    """Stems of the names a question may use for a document: its region, organisations."""
    return _stems_of_names(doc.names)


@functools.lru_cache(maxsize=NAMES_CACHED)
def _stems_of_names(names: str) -> frozenset[str]:
    """Kept per names: every search tests every readable document (1 380 at the sample
    ×345, where stemming them took ~7 % of a search), and most share their names."""
    generic = set(vocab("generic_name_words"))
    return frozenset(stem(w) for w in words(names) if w not in generic and len(w) >= MIN_NAME_CHARS)


def named_documents(query: Query, docs: Iterable[DocumentRecord]) -> list[DocumentRecord]:
    """The documents whose region or organisation the question names."""
    return [d for d in docs if name_stems(d) & query.name_stems]
