"""Request and response schemas of the REST API (`ui.http.routers`), shared with the CLI.

Requests and responses are separate models. Requests forbid unknown fields, so a
misspelt field is a 422 that names it rather than a silently ignored value. Response
shapes are the ones the CLI prints: `AskResponse` is `Answer.to_json()` (`nara ask
--json`), `SearchResponse` is `nara search --json`, `DocumentOut` is one entry of
`nara documents --json`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.model import Answer
from assistant.service import is_text
from ingest.untrusted import Flag, unvetted_links
from knowledge.retrieval import SearchFilters

MAX_HISTORY_TURNS = 50
MAX_FILTER_VALUES = 50
MAX_COMMENT_CHARS = 5_000
"""Longest feedback comment, in the API and the chat alike."""
NOT_TEXT = "innehåller ogiltiga tecken (ett ensamt surrogattecken); skicka giltig UTF-8-text"


def _all_text(value: Any) -> bool:
    """Whether every string in `value` (nested lists, dicts and models too) is writable."""
    if isinstance(value, str):
        return is_text(value)
    if isinstance(value, BaseModel):
        return _all_text(list(value.__dict__.values()))
    if isinstance(value, dict):
        return _all_text(list(value.keys())) and _all_text(list(value.values()))
    if isinstance(value, (list, tuple)):
        return all(_all_text(item) for item in value)
    return True


class Request(BaseModel):
    """A request body: unknown fields and text that cannot be written as UTF-8 (a lone
    surrogate such as "\\ud800", which JSON admits) are refused with a 422."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _writable_text(cls, value: Any) -> Any:
        if not _all_text(value):
            raise ValueError(NOT_TEXT)
        return value


# -- shared pieces ----------------------------------------------------------------------
class TurnIn(Request):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=100_000)


class FiltersIn(Request):
    """Restricts the documents searched. Empty fields do not restrict."""

    documents: list[str] = Field(
        default_factory=list, max_length=MAX_FILTER_VALUES, description="Document ids."
    )
    organisations: list[str] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Organisation or region names (substring, case-insensitive).",
    )
    doc_types: list[str] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Document types, e.g. 'färdplan', 'handlingsplan'.",
    )
    year: int | None = Field(
        default=None, ge=1900, le=2200, description="Only documents whose period covers it."
    )

    def to_filters(self) -> SearchFilters:
        return SearchFilters(
            documents=tuple(self.documents),
            organisations=tuple(self.organisations),
            doc_types=tuple(self.doc_types),
            year=self.year,
        )


class SourceOut(BaseModel):
    document_id: str
    title: str
    file: str
    section: str
    page: int | None
    char_start: int
    char_end: int


class CitationOut(BaseModel):
    """`quote` is exactly the document's extracted text at `char_start:char_end`."""

    id: int
    quote: str
    source: SourceOut
    unvetted_links: list[str] = Field(
        default_factory=list,
        description="Links in the quote to domains outside NARA_SERVE_LINK_DOMAINS: the "
        "quote is the document's text, unvetted. Show quotes as plain text, never as links.",
    )


class FlagOut(BaseModel):
    """Something a document's text holds that is not plain statement."""

    kind: Literal["instruction", "link"] = Field(
        description="'instruction': instruction-like text (e.g. 'ignorera tidigare "
        "instruktioner'); 'link': a link outside NARA_SERVE_LINK_DOMAINS."
    )
    text: str

    @classmethod
    def of(cls, flag: Flag) -> FlagOut:
        return cls(kind=flag.kind, text=flag.text)


# -- ask --------------------------------------------------------------------------------
class AskRequest(Request):
    question: str = Field(description="The question; at most NARA_MAX_QUESTION_CHARS.")
    history: list[TurnIn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Earlier turns of the conversation, oldest first. Nothing is kept "
        "between requests.",
    )
    filters: FiltersIn | None = None


class AskResponse(BaseModel):
    """The shape of `nara ask --json` (`Answer.to_json()`)."""

    question: str
    answer: str
    refused: bool
    kind: str
    status: Literal["answered", "refused"]
    reason: Literal["no_documents", "no_match", "no_evidence", "unsupported"] | None
    lang: str
    resolved_question: str
    citations: list[CitationOut]
    unvetted_links: list[str] = Field(
        default_factory=list,
        description="Links in the answer text outside NARA_SERVE_LINK_DOMAINS (they come "
        "from the documents' text). Show the answer as plain text, never as links.",
    )

    @classmethod
    def of(cls, answer: Answer, link_domains: list[str]) -> AskResponse:
        """`answer.to_json()` with the links outside `link_domains` named, per citation
        and for the answer text."""
        body = answer.to_json()
        for citation in body["citations"]:
            citation["unvetted_links"] = unvetted_links(citation["quote"], link_domains)
        body["unvetted_links"] = unvetted_links(body["answer"], link_domains)
        return cls.model_validate(body)


# -- search -----------------------------------------------------------------------------
class SearchRequest(Request):
    query: str
    k: int | None = Field(
        default=None, ge=1, le=100, description="Number of results; default NARA_SEARCH_K."
    )
    filters: FiltersIn | None = None

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the query is empty; write what you are looking for")
        return value


class SearchHit(BaseModel):
    rank: int
    score: float
    text: str = Field(description="The chunk's own text: the document text at the offsets.")
    source: SourceOut


class SearchResponse(BaseModel):
    """The shape of `nara search --json`."""

    query: str
    results: list[SearchHit]


# -- documents --------------------------------------------------------------------------
class FeedbackRequest(Request):
    rating: Literal["up", "down"]
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS)
    question: str = Field(min_length=1, max_length=20_000)
    answer: str = Field(max_length=200_000)
    citations: list[CitationOut] = Field(default_factory=list, max_length=100)


class FeedbackResponse(BaseModel):
    id: str


# -- health and errors ------------------------------------------------------------------
class HealthResponse(BaseModel):
    status: Literal["ok"]


class ReadyResponse(BaseModel):
    status: Literal["ready", "unavailable"]
    reason: str | None = None
    documents: int | None = None
    embedder: str


class FieldError(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    """Every error: what went wrong, what to do about it, and the request id to quote."""

    error: str
    hint: str = ""
    request_id: str
    errors: list[FieldError] | None = Field(
        default=None, description="Request validation: one entry per invalid field."
    )
