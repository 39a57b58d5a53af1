"""Pure helpers of the staff chat's conversation (ui/chat/app.py): exchanges, chat messages,
the history for follow-ups, Swedish messages for questions that cannot be asked. No
Gradio, no I/O, so every piece is tested directly (tests/test_chat_render.py). Tables of
registers and documents are in ui/chat/tables.py, upload summaries in
ui/chat/ingest_messages.py.

Everything taken from a document or a question is HTML-escaped here; the chat shows the
result as Markdown with inline HTML, so nothing from a document can become markup.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from assistant.model import Answer, Citation, Turn
from nara.errors import NaraError
from ui.app.text import plain_links
from ui.chat.answer import answer_html

GENERIC_ERROR = (
    "Något gick fel när svaret skulle tas fram. Försök igen om en stund; "
    "kvarstår felet, kontakta den som förvaltar assistenten."
)
SEARCHING = "_Söker i dokumenten …_"


def citations_json(citations: Iterable[Citation]) -> list[dict[str, Any]]:
    """Citations as stored with feedback: the shape of `Answer.to_json()['citations']`."""
    return [{"id": c.id, "quote": c.quote, "source": asdict(c.source)} for c in citations]


@dataclass(frozen=True)
class Exchange:
    """One question and what the chat showed for it. Kept per browser session."""

    question: str
    answer: str
    """The answer text (with [n] markers), or the error message."""
    shown: str
    """What the chat shows: the answer with its sources, as Markdown with inline HTML."""
    status: Literal["answered", "refused", "error"]
    citations: tuple[dict[str, Any], ...] = ()

    @property
    def is_error(self) -> bool:
        return self.status == "error"


def exchange_of(
    question: str, answer: Answer, texts: Mapping[str, str | None], turn: int = 0
) -> Exchange:
    """The exchange of an answer; `turn` (its place in the conversation) keeps the ids of
    its sources apart from other answers'."""
    return Exchange(
        question=question,
        answer=answer.answer,
        shown=answer_html(answer.answer, answer.citations, texts, turn, answer.lang),
        status="refused" if answer.refused else "answered",
        citations=tuple(citations_json(answer.citations)),
    )


def error_exchange(question: str, message: str) -> Exchange:
    return Exchange(question, message, "⚠️ " + html.escape(message, quote=False), "error")


def user_markdown(question: str) -> str:
    if not question.strip():
        return "_(tom fråga)_"
    return plain_links(html.escape(question, quote=False))


def chat_messages(
    exchanges: Sequence[Exchange], pending: tuple[str, str] | None = None
) -> list[dict[str, str]]:
    """Chatbot messages: one user and one assistant message per exchange (so a message
    index // 2 is its exchange), then the pending (question, shown text) if any."""
    messages: list[dict[str, str]] = []
    for ex in exchanges:
        messages.append({"role": "user", "content": user_markdown(ex.question)})
        messages.append({"role": "assistant", "content": ex.shown})
    if pending is not None:
        messages.append({"role": "user", "content": user_markdown(pending[0])})
        messages.append({"role": "assistant", "content": pending[1]})
    return messages


def history_turns(exchanges: Sequence[Exchange]) -> list[Turn]:
    """The conversation so far, for follow-up questions; failed exchanges are left out."""
    turns: list[Turn] = []
    for ex in exchanges:
        if not ex.is_error:
            turns.append(Turn("user", ex.question))
            turns.append(Turn("assistant", ex.answer))
    return turns


def question_error_message(question: str, max_chars: int, error: NaraError | None = None) -> str:
    """Swedish wording of a `QuestionError`: an empty or too long question is worded here;
    any other problem (the history, a follow-up, the characters) with `error`'s own
    message and hint."""
    text = question.strip()
    if not text:
        return (
            "Frågan är tom. Skriv en fråga, till exempel ”Vem ansvarar för kommunikationsplanen?”."
        )
    if len(text) > max_chars:
        return (
            f"Frågan är {len(text)} tecken lång, men högst {max_chars} tecken tas emot. "
            "Korta ner frågan och försök igen."
        )
    if error is not None:
        return f"{error.message} {error.hint}".strip()
    return "Frågan kunde inte ställas. Formulera om den och försök igen."
