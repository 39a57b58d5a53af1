"""Expected answer types: a question asking "when" is answered by a passage with a date.

A light prior for ranking. Each chunk gets a set of flags for what kinds of answer it can
hold (a date or period, a frequency, a count, the members of a body, a name given to
something, how long something is in force); a question asks for at most a few kinds.
A chunk that holds the kind asked for gets a bonus in the fusion, never a filter.
"""

from __future__ import annotations

import hashlib
import json
import re

from nara.vocabulary import cue, section

DATE = 1
FREQUENCY = 2
COUNT = 4
MEMBERS = 8
NAME = 16
VALIDITY = 32

FLAGS = {
    "date": DATE,
    "frequency": FREQUENCY,
    "count": COUNT,
    "members": MEMBERS,
    "name": NAME,
    "validity": VALIDITY,
}
"""Each kind's flag, by its name in the vocabulary (`question_cues.answer_kinds`)."""


def _words(kind: str, side: str) -> re.Pattern[str]:
    """The vocabulary's words of one kind: those a question `asks` with, or those a
    passage `holds` an answer with."""
    return cue("question_cues", "answer_kinds", kind, side, anchor=r"\b{}\b")


def flags_version() -> str:
    """A digest of the vocabulary the flags are read with: a stored index whose flags
    were read with other words is built anew (`knowledge.keyword.fingerprint`)."""
    kinds = section("question_cues", "answer_kinds")
    return hashlib.sha256(json.dumps(kinds, sort_keys=True).encode()).hexdigest()[:8]


def chunk_flags(text: str) -> int:
    """The kinds of answer that `text` can hold, as a bit set."""
    return sum(flag for kind, flag in FLAGS.items() if _words(kind, "holds").search(text))


def wanted(question: str) -> int:
    """The kinds of answer that `question` asks for, as a bit set (0: none in particular).
    A question asking how often is not also asking how many, and one asking how long
    something is in force is not asking for any date (an adoption date does not say it)."""
    flags = sum(flag for kind, flag in FLAGS.items() if _words(kind, "asks").search(question))
    if flags & FREQUENCY:
        flags &= ~COUNT
    if flags & VALIDITY:
        flags &= ~DATE
    return flags
