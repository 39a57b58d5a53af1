"""What a question says beyond its words: the documents it names, its question phrase.

- A question that names a region or organisation ("… i Dalarna?", "Doroteas pilot")
  is most likely about the documents of that name: they get a soft prior in the fusion.
- "Hur ofta", "hur många", "how long" say what kind of answer is wanted (see
  `knowledge.answer_types`), not what the passage is about: the adverb is left out of
  the keyword query, where "ofta" would otherwise match any passage that says "ofta".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from knowledge.analysis import stem, words
from knowledge.store import DocumentRecord

GENERIC_NAME_WORDS = frozenset(
    [
        "region",
        "regionen",
        "kommun",
        "kommunen",
        "kommuner",
        "landsting",
        "län",
        "länet",
        "stad",
        "staden",
    ]
)
_QUESTION_PHRASE = re.compile(
    r"\b(?:hur\s+(?:ofta|många|länge|mycket|långt|lång)|how\s+(?:often|many|long|much))\b",
    re.IGNORECASE,
)


def name_stems(doc: DocumentRecord) -> set[str]:
    """Stems of the names a question may use for a document: its region, organisations."""
    names = " ".join((doc.region, *doc.organisations))
    return {stem(w) for w in words(names) if w not in GENERIC_NAME_WORDS and len(w) > 3}


def named_documents(question: str, docs: Iterable[DocumentRecord]) -> set[str]:
    """Keys of the documents whose region or organisation the question names."""
    asked = set()
    for w in words(question):
        asked.add(stem(w))
        asked.add(stem(w.removesuffix("s")))
    return {d.key for d in docs if name_stems(d) & asked}


def keyword_query(question: str) -> str:
    """The question as searched by keywords: without the adverb of its question phrase."""
    return _QUESTION_PHRASE.sub(" ", question)
