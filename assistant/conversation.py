"""Follow-up questions, resolved against the conversation so far.

"Och 2026?" after a question about 2025 becomes that question with 2026; "Vem ansvarar
för det?" after a question about an activity names the activity. History is passed in
explicitly; nothing is remembered between calls.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.model import Turn
from knowledge.query import YEAR
from nara.vocabulary import cue

_SHORT = 6  # a question of at most this many words may lean on the one before


def _cue(kind: str, anchor: str) -> re.Pattern[str]:
    return cue("question_cues", "follow_up", kind, anchor=anchor)


def _opener() -> re.Pattern[str]:
    """A conjunction opening the question ("Och …", "What about …")."""
    return _cue("openers", r"^\s*{}\b")


def _points_back() -> re.Pattern[str]:
    """A pronoun or adverb pointing to what was asked before ("det", "där")."""
    return _cue("pronouns", r"\b{}\b")


def _question_head() -> re.Pattern[str]:
    """A question word opening the question: it asks something of its own."""
    return _cue("question_heads", r"^\s*{}\b")


def last_user_question(history: Sequence[Turn]) -> str | None:
    for turn in reversed(history):
        if turn.role == "user" and turn.content.strip():
            return turn.content.strip()
    return None


def resolve(question: str, history: Sequence[Turn]) -> str:
    """The question made standalone, or unchanged when it already is."""
    previous = last_user_question(history)
    text = question.strip()
    if previous is None:
        return text
    words = text.split()
    core = _opener().sub("", text).strip()
    years = YEAR.findall(text)
    if years and len(words) <= _SHORT and not _question_head().search(core):
        if YEAR.search(previous):
            return YEAR.sub(years[0], previous, count=1)
        return f"{previous.rstrip(' ?')} {years[0]}?"
    leans = _opener().search(text) or _points_back().search(text)
    if leans and len(words) <= 2 * _SHORT:
        return f"{text} ({previous})"
    return text
