"""The assistant: a question and its conversation in, a cited answer or a refusal out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from assistant.answerers import Answerer, Evidence, make_answerer
from assistant.conversation import resolve
from assistant.gather import Gatherer
from assistant.model import Answer, Delta, Turn
from assistant.refusal import refusal
from assistant.scorers import Scorers, default_scorers
from knowledge.base import KnowledgeBase
from knowledge.priorities import unique
from knowledge.query import analyse
from knowledge.registers import PriorityEntry, ResponsibilityEntry
from knowledge.retrieval import SearchFilters
from nara.errors import NaraError


class QuestionError(NaraError):
    """The question cannot be asked as it is (empty, too long, not text)."""


def is_text(value: str) -> bool:
    """Whether `value` can be written as UTF-8: no lone surrogate such as "\\ud800", which
    JSON and Python strings admit but no reply, log line or store can hold."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_question(question: str, limit: int) -> str:
    """`question` stripped; `QuestionError` when it is empty, over `limit` characters or
    not writable text."""
    text = question.strip()
    if not text:
        raise QuestionError(
            "Frågan är tom.",
            "Skriv en fråga, t.ex. ”Vem ansvarar för kommunikationsplanen?”",
        )
    if len(text) > limit:
        raise QuestionError(
            f"Frågan är för lång: {len(text)} tecken, högst {limit}.",
            "Korta frågan, eller höj NARA_MAX_QUESTION_CHARS.",
        )
    if not is_text(text):
        raise QuestionError(
            "Frågan innehåller ogiltiga tecken (ett ensamt surrogattecken).",
            "Skicka frågan som giltig UTF-8-text.",
        )
    return text


def check_history(history: Sequence[Turn], limit: int) -> None:
    """`QuestionError` when an earlier question (a user turn) is over `limit` characters, or
    any turn is not writable text. Answers (assistant turns) are never read here, so only
    their encoding is checked; the interfaces bound their size and number."""
    for number, turn in enumerate(history, start=1):
        if turn.role == "user" and len(turn.content.strip()) > limit:
            raise QuestionError(
                f"Tur {number} i samtalshistoriken är för lång: {len(turn.content.strip())} "
                f"tecken, högst {limit} (en tidigare fråga får vara lika lång som en fråga).",
                "Korta historiken, eller börja ett nytt samtal.",
            )
        if not is_text(turn.content):
            raise QuestionError(
                f"Tur {number} i samtalshistoriken innehåller ogiltiga tecken.",
                "Skicka historiken som giltig UTF-8-text.",
            )


def check_resolved(resolved: str, limit: int) -> str:
    """`resolved` (a follow-up made standalone with the question before it), or
    `QuestionError` when together they are over `limit` characters."""
    if len(resolved) > limit:
        raise QuestionError(
            f"Följdfrågan blir för lång tillsammans med den förra frågan: {len(resolved)} "
            f"tecken, högst {limit}.",
            "Skriv följdfrågan som en fullständig fråga, eller börja ett nytt samtal.",
        )
    return resolved


class Assistant:
    def __init__(
        self, kb: KnowledgeBase, answerer: Answerer | None = None, scorers: Scorers | None = None
    ) -> None:
        self.kb = kb
        self.answerer = answerer or make_answerer(kb.settings)
        self.scorers = scorers or default_scorers(kb.settings.embedder)
        self.gatherer = Gatherer(kb, self.scorers)

    def _check(self, question: str, history: Sequence[Turn] = ()) -> str:
        """The question stripped, after `check_question` and `check_history`."""
        limit = self.kb.settings.max_question_chars
        text = check_question(question, limit)
        check_history(history, limit)
        return text

    def evidence(
        self, question: str, history: Sequence[Turn] = (), filters: SearchFilters | None = None
    ) -> Evidence:
        text = self._check(question, history)
        resolved = check_resolved(resolve(text, history), self.kb.settings.max_question_chars)
        with self.kb.reading():
            return self.gatherer.gather(analyse(resolved, asked=text), filters)

    def stream(
        self, question: str, history: Sequence[Turn] = (), filters: SearchFilters | None = None
    ) -> Iterator[Delta | Answer]:
        """Pieces of the answer text, then the final `Answer`. Raises `QuestionError` on an
        empty or oversized question, before anything is yielded."""
        evidence = self.evidence(question, history, filters)
        refused = refusal(evidence, self.scorers.answerability)
        if refused is not None:
            yield Delta(refused.answer)
            yield refused
            return
        yield from self.answerer.stream(evidence)

    def ask(
        self, question: str, history: Sequence[Turn] = (), filters: SearchFilters | None = None
    ) -> Answer:
        final: Answer | None = None
        with self.kb.reading():  # the stream runs to its end here, on this thread
            for event in self.stream(question, history, filters):
                if isinstance(event, Answer):
                    final = event
        assert final is not None
        return final

    # -- registers ----------------------------------------------------------------
    def responsibilities(
        self, document: str | None = None, year: int | None = None
    ) -> list[ResponsibilityEntry]:
        return self.kb.responsibilities(document=document, year=year)

    def priorities(
        self, document: str | None = None, year: int | None = None
    ) -> list[PriorityEntry]:
        return unique(self.kb.priorities(document=document, year=year))
