"""Turning files on disk into `Document`s."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from ingest.metadata import apply_sidecar, infer_metadata
from ingest.model import Document, ReadNotes
from ingest.readers import READERS
from nara.errors import IngestError

SUPPORTED = tuple(sorted(READERS))


def document_id(path: Path) -> str:
    """Stable id from the file name, so a changed file replaces its earlier version.
    Letters with diacritics keep their base letter ("Vård" → "vard", "Vörd" → "vord")."""
    plain = unicodedata.normalize("NFKD", path.stem.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9_-]+", "-", plain).strip("-")
    return slug or "dokument"


def load_document(path: Path, max_bytes: int | None = None) -> Document:
    """Read and parse one file, or raise `IngestError` saying why not and what to do."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise IngestError(
            str(path),
            f"has an unsupported format '{path.suffix or '(none)'}'.",
            f"Supported: {', '.join(SUPPORTED)}.",
        )
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise IngestError(
                str(path),
                f"is {size / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:.1f} MB.",
                "Split the file or raise NARA_MAX_FILE_MB.",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(
            str(path), f"cannot be read ({exc.strerror}).", "Check the path and permissions."
        ) from None
    if not data.strip():
        raise IngestError(str(path), "is empty.", "Check that the right file was chosen.")
    parsed = reader(path, data)
    text, blocks = parsed[0], parsed[1]
    notes = parsed[2] if len(parsed) == 3 else ReadNotes()
    if not text.strip() or not blocks:
        raise IngestError(str(path), "contains no text.", "Check that the right file was chosen.")
    metadata = apply_sidecar(path, infer_metadata(text, blocks, notes))
    if not metadata.title:
        metadata.title = path.stem
    digest = hashlib.sha256(data)
    sidecar = path.with_name(path.name + ".meta.yaml")
    if sidecar.exists():
        digest.update(sidecar.read_bytes())
    return Document(document_id(path), path.name, text, blocks, metadata, digest.hexdigest()[:16])


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and the supported files inside folders named (recursively, sorted)."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in READERS:
                    yield child
        else:
            yield path
