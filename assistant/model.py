"""What the assistant returns: an answer with verbatim citations, or a refusal.

The status is explicit (answered or refused, with the reason) so that every interface
can render it without catching exceptions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

from knowledge.query import Kind as QueryKind


class Status(StrEnum):
    ANSWERED = "answered"
    REFUSED = "refused"


class Reason(StrEnum):
    """Why an answer is refused. `None` on an answered question."""

    NO_DOCUMENTS = "no_documents"  # the store is empty
    NO_MATCH = "no_match"  # documents are stored, but the filters admit none of them
    NO_EVIDENCE = "no_evidence"  # nothing retrieved supports an answer
    UNSUPPORTED = "unsupported"  # an LLM answered, but no statement survived verification


Kind = QueryKind
"""The kind of question (`knowledge.query.Kind`), re-exported for the interfaces."""


@dataclass(frozen=True)
class Source:
    document_id: str
    title: str
    file: str
    section: str
    page: int | None
    char_start: int
    char_end: int


@dataclass(frozen=True)
class Citation:
    """`quote` is exactly `document_text[source.char_start:source.char_end]`."""

    id: int
    quote: str
    source: Source


@dataclass(frozen=True)
class Turn:
    """One turn of a conversation, passed explicitly: nothing is kept between calls."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    status: Status
    kind: str
    citations: tuple[Citation, ...] = ()
    reason: Reason | None = None
    lang: str = "sv"
    resolved_question: str = ""
    """The question as understood after resolving a follow-up against the history."""
    closest_documents: tuple[str, ...] = field(default=())
    """Titles of the closest documents; named in a refusal."""

    @property
    def refused(self) -> bool:
        return self.status is Status.REFUSED

    def to_json(self) -> dict[str, Any]:
        """The shape of `nara ask --json` and `POST /v1/ask`."""
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "kind": self.kind,
            "status": self.status.value,
            "reason": self.reason.value if self.reason else None,
            "lang": self.lang,
            "resolved_question": self.resolved_question or self.question,
            "citations": [
                {"id": c.id, "quote": c.quote, "source": asdict(c.source)} for c in self.citations
            ],
        }


@dataclass(frozen=True)
class Delta:
    """A piece of answer text, streamed before the final `Answer`."""

    text: str
