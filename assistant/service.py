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
    """The question cannot be asked as it is (empty, too long)."""


class Assistant:
    def __init__(
        self, kb: KnowledgeBase, answerer: Answerer | None = None, scorers: Scorers | None = None
    ) -> None:
        self.kb = kb
        self.answerer = answerer or make_answerer(kb.settings)
        self.scorers = scorers or default_scorers(kb.settings.embedder)
        self.gatherer = Gatherer(kb, self.scorers)

    def _check(self, question: str) -> str:
        text = question.strip()
        if not text:
            raise QuestionError(
                "Frågan är tom (the question is empty).",
                "Skriv en fråga, t.ex. 'Vem ansvarar för kommunikationsplanen?'",
            )
        limit = self.kb.settings.max_question_chars
        if len(text) > limit:
            raise QuestionError(
                f"Frågan är för lång: {len(text)} tecken, högst {limit} (question too long).",
                "Korta frågan, eller höj NARA_MAX_QUESTION_CHARS.",
            )
        return text

    def evidence(
        self, question: str, history: Sequence[Turn] = (), filters: SearchFilters | None = None
    ) -> Evidence:
        text = self._check(question)
        with self.kb.reading():
            return self.gatherer.gather(analyse(resolve(text, history), asked=text), filters)

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
