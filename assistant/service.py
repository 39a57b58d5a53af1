"""The assistant: a question and its conversation in, a cited answer or a refusal out.

The question checks (`assistant.questions`) are re-exported here for the interfaces."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from assistant.answerers import Answerer, Evidence, make_answerer
from assistant.conversation import resolve
from assistant.gather import Gatherer
from assistant.model import Answer, Delta, Turn
from assistant.questions import (
    QuestionError,
    check_history,
    check_question,
    check_resolved,
    is_text,
    question_lang,
)
from assistant.refusal import refusal
from assistant.scorers import Scorers, default_scorers
from knowledge.access import PUBLIC, Access
from knowledge.base import KnowledgeBase
from knowledge.priorities import unique
from knowledge.query import analyse
from knowledge.registers import PriorityEntry, ResponsibilityEntry
from knowledge.retrieval import SearchFilters

__all__ = [
    "Assistant",
    "QuestionError",
    "check_history",
    "check_question",
    "check_resolved",
    "is_text",
]


class Assistant:
    def __init__(
        self, kb: KnowledgeBase, answerer: Answerer | None = None, scorers: Scorers | None = None
    ) -> None:
        self.kb = kb
        self.answerer = answerer or make_answerer(kb.settings)
        self.scorers = scorers or default_scorers(kb.settings.embedder)
        self.gatherer = Gatherer(kb, self.scorers)

    def _check(self, question: str, history: Sequence[Turn] = ()) -> tuple[str, str]:
        """The question stripped and its language, after `check_question` and
        `check_history` (whose errors are in that language)."""
        limit = self.kb.settings.max_question_chars
        text = check_question(question, limit)
        lang = question_lang(text)
        check_history(history, limit, lang)
        return text, lang

    def evidence(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: SearchFilters | None = None,
        access: Access = PUBLIC,
    ) -> Evidence:
        """What the documents `access` may read hold on the question (the only documents
        any later stage, the answerer's prompt included, sees)."""
        text, lang = self._check(question, history)
        limit = self.kb.settings.max_question_chars
        resolved = check_resolved(resolve(text, history), limit, lang)
        with self.kb.reading():
            return self.gatherer.gather(analyse(resolved, asked=text), filters, access)

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: SearchFilters | None = None,
        access: Access = PUBLIC,
    ) -> Iterator[Delta | Answer]:
        """Pieces of the answer text, then the final `Answer`, from the documents `access`
        may read. Raises `QuestionError` on an empty or oversized question, before
        anything is yielded."""
        evidence = self.evidence(question, history, filters, access)
        refused = refusal(evidence, self.scorers.answerability)
        if refused is not None:
            yield Delta(refused.answer)
            yield refused
            return
        yield from self.answerer.stream(evidence)

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: SearchFilters | None = None,
        access: Access = PUBLIC,
    ) -> Answer:
        final: Answer | None = None
        with self.kb.reading():  # the stream runs to its end here, on this thread
            for event in self.stream(question, history, filters, access):
                if isinstance(event, Answer):
                    final = event
        assert final is not None
        return final

    # -- registers ----------------------------------------------------------------
    def responsibilities(
        self, document: str | None = None, year: int | None = None, access: Access = PUBLIC
    ) -> list[ResponsibilityEntry]:
        return self.kb.responsibilities(document=document, year=year, access=access)

    def priorities(
        self, document: str | None = None, year: int | None = None, access: Access = PUBLIC
    ) -> list[PriorityEntry]:
        return unique(self.kb.priorities(document=document, year=year, access=access))
