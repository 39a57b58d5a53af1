"""Answerers turn checked evidence into an answer. One abstract method: `stream`.

Every answerer is registered by name (`NARA_ANSWERER`), the deterministic default and
the LLM alike; `answer` is a helper built on `stream`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from assistant.evidence import Span, TermWeights, Wanted
from assistant.model import Answer, Delta
from assistant.scorers import LinearScorer
from knowledge.query import Query
from knowledge.registers import PriorityEntry, ResponsibilityEntry
from knowledge.retrieval import SearchResult
from knowledge.store import DocumentRecord
from nara.settings import Settings


@dataclass(frozen=True)
class Evidence:
    """What the assistant found for a question, best first. Refusal is decided before an
    answerer sees it, so an answerer only ever gets evidence judged sufficient."""

    question: Query
    results: tuple[SearchResult, ...]
    spans: tuple[Span, ...]
    """Quotable spans ranked by how well they answer the question."""
    coverage: float = 0.0
    """Weighted share of the question's content words found in the top chunks."""
    foreign_names: tuple[str, ...] = ()
    """Names in the question (places, organisations) that no stored document contains."""
    unknown_focus: str = ""
    """What the question asks for ("öppettider") when no document mentions it."""
    responsibilities: tuple[ResponsibilityEntry, ...] = field(default=())
    priorities: tuple[PriorityEntry, ...] = field(default=())
    documents: Mapping[str, DocumentRecord] = field(default_factory=dict)
    """The stored documents by id (for citing register entries)."""
    document_text: Callable[[str], str] | None = None
    """Extracted text of a stored document, by id (for quotes outside the spans)."""
    filtered_out: bool = False
    """Documents are stored, but the question's filters admit none of them."""
    quote_threshold: float = 0.5
    """Relevance a span beyond the first needs to be quoted (the relevance scorer's)."""
    answer_features: Mapping[str, float] = field(default_factory=dict)
    """Features for the answerability scorer (`assistant.features.ANSWER_FEATURES`)."""
    quote_policy: LinearScorer | None = None
    """Whether a list item is quoted (`assistant.concise`); None: every list item and
    every compared document's best, as before the policy."""
    wanted: Wanted | None = None
    """The question's content words (what a further quote may add)."""
    weights: TermWeights | None = None
    """The corpus's term weights, to match `wanted` in a span."""


class Answerer(ABC):
    name: ClassVar[str]

    @abstractmethod
    def stream(self, evidence: Evidence) -> Iterator[Delta | Answer]:
        """Yield pieces of the answer text, then exactly one final `Answer`.

        Contract: every `Citation.quote` in the final answer equals the document's
        extracted text at `source.char_start:source.char_end`; every [n] marker in the
        answer text names one of the citations; an answer that cannot be supported is
        returned with status `refused` (never raised).
        """

    def answer(self, evidence: Evidence) -> Answer:
        final: Answer | None = None
        for event in self.stream(evidence):
            if isinstance(event, Answer):
                final = event
        if final is None:  # pragma: no cover - a broken answerer
            raise RuntimeError(f"answerer {self.name} produced no answer")
        return final


AnswererFactory = Callable[[Settings], Answerer]
ANSWERERS: dict[str, AnswererFactory] = {}


def register_answerer(name: str) -> Callable[[AnswererFactory], AnswererFactory]:
    def register(factory: AnswererFactory) -> AnswererFactory:
        ANSWERERS[name] = factory
        return factory

    return register


def make_answerer(settings: Settings) -> Answerer:
    # Importing the modules registers their answerers.
    import assistant.extractive

    if settings.answerer == "llm":
        import assistant.llm  # noqa: F401
    return ANSWERERS[settings.answerer](settings)
