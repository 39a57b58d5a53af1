"""The JSON shapes the command line and the REST API share: a stored document (`nara
documents --json`; the API's `DocumentOut` has the same fields) and search results
(`nara search --json`, `POST /v1/search`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def document_json(d: Any) -> dict[str, Any]:
    """A stored document as `nara documents --json` shows it."""
    return {
        "document_id": d.doc_id,
        "title": d.title,
        "file": d.file,
        "doc_type": d.doc_type,
        "organisations": list(d.organisations),
        "region": d.region,
        "date": d.date,
        "valid_until": d.valid_until,
        "chunks": d.n_chunks,
        "version": d.version,
        "ingested_at": d.ingested_at,
        "flags": [f.to_json() for f in d.flags],
        "access": list(d.access),
    }


def search_json(query: str, results: Sequence[Any]) -> dict[str, Any]:
    """Search results as `nara search --json` and `POST /v1/search` give them."""
    return {
        "query": query,
        "results": [
            {
                "rank": r.rank,
                "score": round(r.score, 6),
                "text": r.chunk.text,
                "source": {
                    "document_id": r.document.doc_id,
                    "title": r.document.title,
                    "file": r.document.file,
                    "section": r.chunk.section,
                    "page": r.chunk.page,
                    "char_start": r.chunk.char_start,
                    "char_end": r.chunk.char_end,
                },
            }
            for r in results
        ],
    }
