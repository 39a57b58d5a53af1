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

_SHORT = 6  # a question of at most this many words may lean on the one before
_PRONOUN = re.compile(
    r"\b(det|den|dem|dessa|detta|denna|där|dit|it|that|this|they|them|there)\b", re.I
)
_OPENER = re.compile(r"^\s*(och|men|samt|också|and|what about|how about|och vad gäller)\b", re.I)
_QUESTION_HEAD = re.compile(
    r"^\s*(vem|vilka|vilken|vilket|vad|hur|när|var|who|what|which|how|when|where)\b", re.I
)


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
    core = _OPENER.sub("", text).strip()
    years = YEAR.findall(text)
    if years and len(words) <= _SHORT and not _QUESTION_HEAD.search(core):
        if YEAR.search(previous):
            return YEAR.sub(years[0], previous, count=1)
        return f"{previous.rstrip(' ?')} {years[0]}?"
    leans = _OPENER.search(text) or _PRONOUN.search(text)
    if leans and len(words) <= 2 * _SHORT:
        return f"{text} ({previous})"
    return text
