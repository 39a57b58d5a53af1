"""Uploads to `POST /v1/documents`: each file named safely, the request refused before
anything is stored when a file has an unsupported type, is too large, or two would get
the same id; then the files are read in with the upload's groups."""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile

from ingest import SUPPORTED, document_id
from knowledge.access import normalise_groups
from knowledge.base import IngestReport
from nara.errors import IngestError
from ui.app.document_schemas import IngestFailure
from ui.app.errors import ApiError, size_text
from ui.app.limits import MAX_UPLOAD_FILES, SIDECAR_SUFFIX
from ui.app.services import Services


def safe_filename(raw: str | None) -> str:
    """The client's file name without any folder, control characters or leading dots,
    at most 200 bytes (the suffix kept). The document id is derived from it as for files
    read from disk, so it is otherwise left as it is."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".").strip()
    if len(name.encode("utf-8")) > 200:
        lower = name.lower()
        suffix = SIDECAR_SUFFIX if lower.endswith(SIDECAR_SUFFIX) else Path(name).suffix
        stem = name[: len(name) - len(suffix)]
        while len((stem + suffix).encode("utf-8")) > 200:
            stem = stem[:-1]
        name = stem + suffix
    return name or "dokument"


def _size(upload: UploadFile) -> int:
    if upload.size is not None:
        return upload.size
    upload.file.seek(0, 2)
    size = upload.file.tell()
    upload.file.seek(0)
    return size


def check_uploads(uploads: Sequence[UploadFile], max_bytes: int) -> list[tuple[str, UploadFile]]:
    """Name every upload and refuse the request, before anything is stored, when a file
    has an unsupported type, is too large, or two files would get the same id."""
    if not uploads:
        raise ApiError(
            422,
            "No file in the upload.",
            "Send one or more file parts named 'files', e.g. curl -F files=@plan.pdf.",
        )
    items = [(safe_filename(u.filename), u) for u in uploads]
    names = [name for name, _ in items]
    documents = [n for n in names if not n.lower().endswith(SIDECAR_SUFFIX)]
    unsupported = [n for n in documents if Path(n).suffix.lower() not in SUPPORTED]
    if unsupported:
        raise ApiError(
            415,
            f"Unsupported file type: {', '.join(unsupported)}.",
            f"Supported: {', '.join(SUPPORTED)} (and NAME{SIDECAR_SUFFIX} metadata sidecars).",
        )
    orphans = [
        n
        for n in names
        if n.lower().endswith(SIDECAR_SUFFIX) and n[: -len(SIDECAR_SUFFIX)] not in documents
    ]
    if orphans:
        raise ApiError(
            422,
            f"Metadata sidecar without its document: {', '.join(orphans)}.",
            f"Upload NAME{SIDECAR_SUFFIX} together with the file NAME.",
        )
    too_large = [(n, size) for n, u in items if (size := _size(u)) > max_bytes]
    if too_large:
        listed = ", ".join(f"{n} ({size_text(size)})" for n, size in too_large)
        raise ApiError(
            413,
            f"File too large: {listed}; at most {size_text(max_bytes)} per file.",
            "Split the file, or raise NARA_MAX_FILE_MB.",
        )
    by_id: dict[str, list[str]] = {}
    for n in documents:
        by_id.setdefault(document_id(Path(n)), []).append(n)
    clashes = {i: ns for i, ns in by_id.items() if len(ns) > 1}
    if clashes:
        listed = "; ".join(f"{' and '.join(ns)} → '{i}'" for i, ns in clashes.items())
        raise ApiError(
            422,
            f"Two files would get the same document id: {listed}.",
            "A document's id comes from its file name: rename one, or upload them separately.",
        )
    return items


def upload_groups(values: Iterable[str]) -> tuple[str, ...]:
    """The groups of an upload's `access` fields (repeated, or separated by commas)."""
    return normalise_groups(g for v in values for g in v.split(","))


def save_and_ingest(
    items: Sequence[tuple[str, UploadFile]], services: Services, groups: Sequence[str] = ()
) -> IngestReport:
    with tempfile.TemporaryDirectory(prefix="nara-upload-") as tmp:
        paths = []
        for name, upload in items:
            path = Path(tmp) / name
            upload.file.seek(0)
            with path.open("xb") as out:
                shutil.copyfileobj(upload.file, out)
            if not name.lower().endswith(SIDECAR_SUFFIX):
                paths.append(path)
        return services.kb.ingest(paths, access=groups)  # holds the store's write lock


def failure(err: IngestError) -> IngestFailure:
    name = Path(err.path).name
    detail = err.message.removeprefix(f"{err.path}: ")
    return IngestFailure(file=name, error=f"{name} {detail}", hint=err.hint)


UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": f"Files ({', '.join(SUPPORTED)}), at most "
                            f"{MAX_UPLOAD_FILES}; optionally NAME{SIDECAR_SUFFIX} sidecars.",
                        }
                    },
                }
            }
        },
    }
}
