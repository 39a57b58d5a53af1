"""Turning files on disk into `Document`s."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ingest.docx_limits import check_docx
from ingest.limits import IngestLimits, check_count, clip_metadata
from ingest.metadata import infer_metadata
from ingest.model import Document, ReadNotes
from ingest.personal_data import PersonalDataPolicy, mask_string, screen
from ingest.readers import READERS
from ingest.sidecar import apply_sidecar, sidecar_path
from ingest.untrusted import flags_of
from nara.errors import IngestError
from nara.settings_groups import PUBLIC_SECTOR_DOMAINS

SUPPORTED = tuple(sorted(READERS))


def document_id(path: Path) -> str:
    """Stable id from the file name, so a changed file replaces its earlier version.
    Letters with diacritics keep their base letter ("Vård" → "vard", "Vörd" → "vord")."""
    plain = unicodedata.normalize("NFKD", path.stem.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9_-]+", "-", plain).strip("-")
    return slug or "dokument"


PRECHECKS = {".docx": check_docx}
"""Checks of a format's package against the limits, before its reader opens it."""


def load_document(
    path: Path,
    max_bytes: int | None = None,
    limits: IngestLimits | None = None,
    link_domains: Sequence[str] | None = None,
    personal_data: PersonalDataPolicy | None = None,
) -> Document:
    """Read and parse one file within `limits` (default: the settings' defaults), or
    raise `IngestError` saying why not and what to do. The document's `flags` name its
    instruction-like text and its links outside `link_domains` (default: the settings'
    default NARA_SERVE_LINK_DOMAINS). Personal data is refused or masked by
    `personal_data` (default: the settings' default policy) before anything is inferred
    from the text; `personal_data` names what was masked."""
    path = Path(path)
    limits = limits or IngestLimits.defaults()
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
    if precheck := PRECHECKS.get(path.suffix.lower()):
        precheck(path, data, limits)
    parsed = reader(path, data)
    text, blocks = parsed[0], parsed[1]
    notes = parsed[2] if len(parsed) == 3 else ReadNotes()
    if not text.strip() or not blocks:
        raise IngestError(str(path), "contains no text.", "Check that the right file was chosen.")
    check_count(
        str(path), "Antalet stycken", len(blocks), limits.max_paragraphs, "ingest_max_paragraphs"
    )
    policy = personal_data or PersonalDataPolicy.defaults()
    text, blocks, masked = screen(str(path), text, blocks, policy)
    if masked:
        furniture = tuple(mask_string(line, policy.work_domains) for line in notes.furniture)
        notes = ReadNotes(furniture, notes.styled_headings)
    inferred = clip_metadata(infer_metadata(text, blocks, notes), limits.max_meta_chars)
    metadata = apply_sidecar(path, inferred, limits)
    if not metadata.title:
        metadata.title = path.stem
    digest = hashlib.sha256(data)
    sidecar = sidecar_path(path)
    if sidecar.exists():
        digest.update(sidecar.read_bytes())
    domains = PUBLIC_SECTOR_DOMAINS if link_domains is None else link_domains
    return Document(
        document_id(path),
        path.name,
        text,
        blocks,
        metadata,
        digest.hexdigest()[:16],
        flags_of(text, domains),
        masked,
    )


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
