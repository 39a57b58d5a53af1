"""Request and response schemas of the REST API (`ui.http.api`).

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
from knowledge.store import DocumentRecord

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
class DocumentOut(BaseModel):
    """One entry of `nara documents --json`."""

    document_id: str
    title: str
    file: str
    doc_type: str
    organisations: list[str]
    region: str
    date: str | None
    valid_until: str | None
    chunks: int
    version: str
    ingested_at: str
    flags: list[FlagOut] = Field(
        default_factory=list,
        description="Instruction-like text and links outside NARA_SERVE_LINK_DOMAINS found "
        "at ingest; the document is stored, its text quoted as data.",
    )
    access: list[str] = Field(
        default_factory=list,
        description="The groups that may read the document ('alla': every signed-in user).",
    )

    @classmethod
    def of(cls, d: DocumentRecord) -> DocumentOut:
        return cls(
            document_id=d.doc_id,
            title=d.title,
            file=d.file,
            doc_type=d.doc_type,
            organisations=list(d.organisations),
            region=d.region,
            date=d.date,
            valid_until=d.valid_until,
            chunks=d.n_chunks,
            version=d.version,
            ingested_at=d.ingested_at,
            flags=[FlagOut.of(f) for f in d.flags],
            access=list(d.access),
        )


class DocumentsResponse(BaseModel):
    documents: list[DocumentOut]


class PersonalDataOut(BaseModel):
    """One masked identifier: its kind and where it was, never its value."""

    kind: str = Field(description="personnummer, samordningsnummer, telefonnummer, e-postadress")
    page: int | None
    section: str


class IngestFailure(BaseModel):
    file: str
    error: str
    hint: str


class UploadResponse(BaseModel):
    """What an upload did. `ok` is false when a file failed; the others are still stored."""

    ok: bool
    added: list[str] = Field(description="Ids of new documents.")
    updated: list[str] = Field(description="Ids of documents replaced by a changed file.")
    unchanged: list[str] = Field(description="Ids of documents already stored as uploaded.")
    failed: list[IngestFailure]
    chunks: int = Field(description="Chunks written.")
    flags: dict[str, list[FlagOut]] = Field(
        default_factory=dict,
        description="File name → instruction-like text and links outside "
        "NARA_SERVE_LINK_DOMAINS, for the files added or updated (they are stored).",
    )
    personal_data: dict[str, list[PersonalDataOut]] = Field(
        default_factory=dict,
        description="File name → personal data masked at ingest (NARA_INGEST_PERSONAL_DATA="
        "mask): kind and place, never the value.",
    )


class RemovedResponse(BaseModel):
    removed: DocumentOut


# -- registers --------------------------------------------------------------------------
class ResponsibilityOut(BaseModel):
    activity: str
    responsible: list[str]
    timeline: str
    description: str
    document_id: str
    section: str
    page: int | None
    quote: str
    char_start: int
    char_end: int


class PriorityOut(BaseModel):
    period: str
    year_from: int | None
    year_to: int | None
    target_group: str
    priority: str
    document_id: str
    section: str
    page: int | None
    quote: str
    char_start: int
    char_end: int


class ResponsibilitiesResponse(BaseModel):
    responsibilities: list[ResponsibilityOut]


class PrioritiesResponse(BaseModel):
    priorities: list[PriorityOut]


# -- feedback ---------------------------------------------------------------------------
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
