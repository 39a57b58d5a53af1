"""The checks of a question before it is searched, with their errors in the question's
own language: Swedish for a Swedish question, English for an English one, never mixed
(issue #13). A question with no words (empty) gets Swedish, the product's language."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.model import Turn
from knowledge.query import detect_lang
from nara.errors import NaraError

TEXT = {
    "sv": {
        "empty": (
            "Frågan är tom.",
            "Skriv en fråga, t.ex. ”Vem ansvarar för kommunikationsplanen?”",
        ),
        "long": (
            "Frågan är för lång: {n} tecken, högst {limit}.",
            "Korta frågan, eller höj NARA_MAX_QUESTION_CHARS.",
        ),
        "surrogate": (
            "Frågan innehåller ogiltiga tecken (ett ensamt surrogattecken).",
            "Skicka frågan som giltig UTF-8-text.",
        ),
        "turn_long": (
            "Tur {turn} i samtalshistoriken är för lång: {n} tecken, högst {limit} (en tidigare "
            "fråga får vara lika lång som en fråga).",
            "Korta historiken, eller börja ett nytt samtal.",
        ),
        "turn_surrogate": (
            "Tur {turn} i samtalshistoriken innehåller ogiltiga tecken.",
            "Skicka historiken som giltig UTF-8-text.",
        ),
        "query_long": (
            "Sökfrågan är för lång: {n} tecken, högst {limit}.",
            "Korta sökfrågan, eller höj NARA_MAX_QUESTION_CHARS.",
        ),
        "resolved_long": (
            "Följdfrågan blir för lång tillsammans med den förra frågan: {n} tecken, högst "
            "{limit}.",
            "Skriv följdfrågan som en fullständig fråga, eller börja ett nytt samtal.",
        ),
    },
    "en": {
        "empty": ("The question is empty.", "Write a question, e.g. “Who is responsible?”"),
        "long": (
            "The question is too long: {n} characters, at most {limit}.",
            "Shorten the question, or raise NARA_MAX_QUESTION_CHARS.",
        ),
        "surrogate": (
            "The question holds invalid characters (a lone surrogate).",
            "Send the question as valid UTF-8 text.",
        ),
        "turn_long": (
            "Turn {turn} of the conversation history is too long: {n} characters, at most "
            "{limit} (an earlier question may be as long as a question).",
            "Shorten the history, or start a new conversation.",
        ),
        "turn_surrogate": (
            "Turn {turn} of the conversation history holds invalid characters.",
            "Send the history as valid UTF-8 text.",
        ),
        "query_long": (
            "The query is too long: {n} characters, at most {limit}.",
            "Shorten the query, or raise NARA_MAX_QUESTION_CHARS.",
        ),
        "resolved_long": (
            "The follow-up question is too long together with the previous one: {n} "
            "characters, at most {limit}.",
            "Write the follow-up as a complete question, or start a new conversation.",
        ),
    },
}


class QuestionError(NaraError):
    """The question cannot be asked as it is (empty, too long, not text)."""


def _error(lang: str, key: str, **values: object) -> QuestionError:
    message, hint = TEXT.get(lang, TEXT["sv"])[key]
    return QuestionError(message.format(**values), hint)


def is_text(value: str) -> bool:
    """Whether `value` can be written as UTF-8: no lone surrogate such as "\\ud800", which
    JSON and Python strings admit but no reply, log line or store can hold."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def question_lang(text: str) -> str:
    """ "sv" or "en": the language the question's messages are written in."""
    if not is_text(text):  # the words are still there; the bad character is dropped
        text = text.encode("utf-8", "ignore").decode("utf-8")
    return detect_lang(text)


def check_question(question: str, limit: int) -> str:
    """`question` stripped; `QuestionError` (in the question's language) when it is empty,
    over `limit` characters or not writable text."""
    text = question.strip()
    if not text:
        raise _error("sv", "empty")
    lang = question_lang(text)
    if len(text) > limit:
        raise _error(lang, "long", n=len(text), limit=limit)
    if not is_text(text):
        raise _error(lang, "surrogate")
    return text


def check_query(query: str, limit: int) -> str:
    """A search query stripped; `QuestionError` (in the query's language) when it is over
    `limit` characters. (An empty query is refused by the request's schema.)"""
    text = query.strip()
    if len(text) > limit:
        raise _error(question_lang(text), "query_long", n=len(text), limit=limit)
    return text


def check_history(history: Sequence[Turn], limit: int, lang: str = "sv") -> None:
    """`QuestionError` (in `lang`, the current question's) when an earlier question (a
    user turn) is over `limit` characters, or any turn is not writable text. Answers
    (assistant turns) are never read here, so only their encoding is checked; the
    interfaces bound their size and number."""
    for number, turn in enumerate(history, start=1):
        length = len(turn.content.strip())
        if turn.role == "user" and length > limit:
            raise _error(lang, "turn_long", turn=number, n=length, limit=limit)
        if not is_text(turn.content):
            raise _error(lang, "turn_surrogate", turn=number)


def check_resolved(resolved: str, limit: int, lang: str = "sv") -> str:
    """`resolved` (a follow-up made standalone with the question before it), or
    `QuestionError` (in `lang`) when together they are over `limit` characters."""
    if len(resolved) > limit:
        raise _error(lang, "resolved_long", n=len(resolved), limit=limit)
    return resolved
