"""One ingest run's bookkeeping: its report, the record stored per document, and the
document ids the run has claimed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ingest import Document, document_id
from knowledge.store import DocumentRecord
from nara.errors import IngestError


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[IngestError] = field(default_factory=list)
    chunks: int = 0
    spans: int = 0
    ocr_pages: dict[str, list[int]] = field(default_factory=dict)
    """File name → pages read by OCR (scanned pages), for the files added or updated."""

    @property
    def ok(self) -> bool:
        return not self.failed


def record_of(document: Document, n_chunks: int) -> DocumentRecord:
    meta = document.metadata
    years = meta.years or (None, None)
    return DocumentRecord(
        doc_id=document.doc_id,
        file=document.file,
        title=meta.title,
        version=document.content_hash,
        organisations=tuple(meta.organisations),
        region=meta.region,
        doc_type=meta.doc_type,
        date=meta.date,
        valid_until=meta.valid_until,
        year_from=years[0],
        year_to=years[1],
        n_chunks=n_chunks,
        ingested_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )


def claim(claimed: dict[str, Path], path: Path) -> None:
    """Record that this run stores `path` under its document id; refuse a second file of
    the run that would take the same id (the first one is kept)."""
    doc_id = document_id(path)
    first = claimed.setdefault(doc_id, path)
    if first != path:
        raise IngestError(
            str(path),
            f"får samma dokument-id '{doc_id}' som {first}, som redan lästs in i samma "
            "körning. Den första filen behålls; den här lagras inte.",
            "Byt namn på en av filerna (filnamnet bestämmer id:t) och kör igen.",
        )
