"""Response schemas of the REST API's documents and registers (`ui.http.routers`): the
shapes of `nara documents --json` (`DocumentOut`), of an upload's report, and of the
register rows. Requests and the other responses are in `ui.app.schemas`."""

from __future__ import annotations

from pydantic import BaseModel, Field

from knowledge.store import DocumentRecord
from ui.app.schemas import FlagOut


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
