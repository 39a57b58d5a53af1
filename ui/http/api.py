"""The REST API: `/v1` (ask, search, documents, registers, feedback), `/healthz`, `/readyz`.

Every `/v1` request needs `Authorization: Bearer <key>`, a key from NARA_API_KEYS or
NARA_ADMIN_KEYS; uploading and deleting documents need an admin key. With no key
configured, `/v1` refuses every request: the API is never open by default.

Errors become HTTP responses in one place (`install_error_handling`): a `NaraError` is a
4xx with its message and hint, request validation a 422 naming the field, anything else
a 500 that says only "Internt fel" and the request id (the traceback is logged with it).
Every response carries an `X-Request-ID` header.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import tempfile
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders, UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.model import Turn
from assistant.questions import QuestionError, check_query
from ingest import SUPPORTED, document_id
from knowledge.access import Access, normalise_groups
from knowledge.base import IngestReport
from nara.errors import (
    ConfigError,
    DiskFullError,
    IndexMismatchError,
    IngestCancelledError,
    IngestError,
    NaraError,
    NotFoundError,
    StoreBusyError,
    StoreUnavailableError,
)
from ui.app.access import of_identity
from ui.app.audit_actions import answered, searched, uploaded
from ui.app.keys import key_matches as key_matches  # re-exported: ui.http.api.key_matches
from ui.app.rate_limit import RateLimiter, key_id, retry_after, too_many
from ui.app.schemas import (
    AskRequest,
    AskResponse,
    DocumentOut,
    DocumentsResponse,
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    FlagOut,
    HealthResponse,
    IngestFailure,
    PersonalDataOut,
    PrioritiesResponse,
    PriorityOut,
    ReadyResponse,
    RemovedResponse,
    ResponsibilitiesResponse,
    ResponsibilityOut,
    SearchRequest,
    SearchResponse,
    UploadResponse,
)
from ui.app.services import Services
from ui.cli.commands import search_json

logger = logging.getLogger("nara.api")

REQUEST_ID_HEADER = "X-Request-ID"
JSON_BODY_LIMIT = 2_000_000
"""Largest JSON request body (bytes) on `/v1`; uploads have their own limit."""
MAX_UPLOAD_FILES = 20
MULTIPART_OVERHEAD = 1_000_000
CHAT_UPLOAD_PATH = "/gradio_api/upload"
"""The chat's (Gradio's) upload route; each file there is also bounded by max_file_mb."""
SIDECAR_SUFFIX = ".meta.yaml"
INTERNAL_ERROR = "Internt fel: begäran kunde inte slutföras."
INTERNAL_HINT = "Försök igen. Kvarstår felet, ange request_id till den som driver tjänsten."
STOPPED_ERROR = "Tjänsten stängs av: begäran hann inte slutföras."
STOPPED_HINT = "Skicka begäran igen när tjänsten är igång. Det som redan var lagrat finns kvar."

PATH_SHOWN = 200  # characters of an unknown path repeated in the 404 message
_LIMIT_KEY = "nara.body_limit"  # the BodyLimit limit of the request, in its scope
_SERVICES = "nara_services"
_API_LIMITER = "nara_api_limiter"


# -- errors: the one place where exceptions become HTTP --------------------------------
class ApiError(HTTPException):
    """An HTTP error with a message and a hint, raised by the API itself."""

    def __init__(
        self, status_code: int, message: str, hint: str = "", headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status_code, message, headers)
        self.message = message
        self.hint = hint


NARA_STATUS: tuple[tuple[type[NaraError], int], ...] = (
    (QuestionError, 422),
    (NotFoundError, 404),
    (IngestError, 422),
    (ConfigError, 503),  # the server is misconfigured: not the client's fault
    (IndexMismatchError, 503),
    (StoreBusyError, 503),  # another write holds the store: retry later
    (StoreUnavailableError, 503),  # rebuilt by another process, or Chroma is down
    (IngestCancelledError, 503),  # the server is shutting down
    (DiskFullError, 507),  # Insufficient Storage (RFC 4918)
)


def status_of(error: NaraError) -> int:
    for cls, status in NARA_STATUS:
        if isinstance(error, cls):
            return status
    return 400


def request_id_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def problem(
    status: int,
    message: str,
    hint: str,
    request_id: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"error": message, "hint": hint, "request_id": request_id, **extra}
    return JSONResponse(body, status_code=status, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        where, rest = (loc[0], loc[1:]) if loc else ("body", [])
        if err.get("type") == "json_invalid":
            detail = (err.get("ctx") or {}).get("error", "")
            out.append({"field": "body", "message": f"invalid JSON: {detail}".rstrip(": ")})
            continue
        name = ".".join(rest) or where
        if where in ("query", "path", "header"):
            name = f"{name} ({where} parameter)"
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        out.append({"field": name, "message": message})
    return out


def install_error_handling(app: FastAPI) -> None:
    @app.exception_handler(NaraError)
    async def _nara_error(request: Request, exc: NaraError) -> JSONResponse:
        status = status_of(exc)
        if status >= 500:
            logger.error("request_id=%s: %s", request_id_of(request), exc)
        return problem(status, exc.message, exc.hint, request_id_of(request))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem(
            422,
            f"Invalid request: {summary}.",
            "See the request schemas at /docs.",
            request_id_of(request),
            errors=errors,
        )

    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_middleware(RequestContext)


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """An `HTTPException` as the documented `{"error", "hint", "request_id"}` body; the
    router's own 404 and 405 get a message naming the path and method."""
    message, hint = str(exc.detail), getattr(exc, "hint", "")
    if not isinstance(exc, ApiError):
        if exc.status_code == 413:
            # Starlette's limit on a body sent without Content-Length (see BodyLimit)
            limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY) or request.scope.get(_LIMIT_KEY)
            message, hint = too_large(limit, request.url.path)
        elif exc.status_code == 404:
            message = f"Sökvägen finns inte: {request.url.path[:PATH_SHOWN]}."
            hint = "API:ets sökvägar står på /docs; chatten finns på /."
        elif exc.status_code == 405:
            message = f"Metoden {request.method} stöds inte för {request.url.path[:PATH_SHOWN]}."
            hint = "Se /docs för vilka metoder varje sökväg tar emot."
    return problem(exc.status_code, message, hint, request_id_of(request), exc.headers)


def too_large(limit: int | None, path: str) -> tuple[str, str]:
    """The message and hint of a 413 for a request body over `limit` bytes."""
    message = "The request body is too large" + (
        f"; at most {size_text(limit)} are accepted here." if limit else "."
    )
    if path.startswith("/v1/documents"):
        return message, (
            f"Send at most {MAX_UPLOAD_FILES} files per request, each at most NARA_MAX_FILE_MB."
        )
    return message, "Send a shorter request."


class BodyLimit:
    """Refuses, with a JSON 413 and before reading it, a body whose Content-Length is over
    the limit of its route (`limit_for(method, path)`; None: no limit here). A body sent
    without Content-Length is counted as it is read, and reading past the limit raises a
    413 `HTTPException` in the app that reads it (the mounted chat's routes too)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str, str], int | None]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            message, hint = too_large(limit, scope["path"])
            request_id = str(scope.get("state", {}).get("request_id", ""))
            await problem(413, message, hint, request_id)(scope, receive, send)
            return
        scope[_LIMIT_KEY] = limit
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413)
            return message

        await self.app(scope, counted, send)


_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestContext:
    """Gives every request an id (the client's X-Request-ID when well formed), puts it
    on every response, and turns any unexpected exception into a bare 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _VALID_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except asyncio.CancelledError:
            # uvicorn cancels what still runs when its graceful shutdown ends (an upload
            # whose embedding batch outlasts it): 503, never a bare 500
            if not started:
                body = {"error": STOPPED_ERROR, "hint": STOPPED_HINT, "request_id": request_id}
                await JSONResponse(body, status_code=503)(scope, receive, send_with_id)
            raise
        except Exception:
            logger.exception(
                "Internal error, request_id=%s: %s %s",
                request_id,
                scope.get("method"),
                scope.get("path"),
            )
            if started:
                raise
            body = {"error": INTERNAL_ERROR, "hint": INTERNAL_HINT, "request_id": request_id}
            await JSONResponse(body, status_code=500)(scope, receive, send_with_id)


# -- dependencies -----------------------------------------------------------------------
async def get_services(request: Request) -> Services:
    services: Services = getattr(request.app.state, _SERVICES)
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="A key from NARA_API_KEYS (or NARA_ADMIN_KEYS): Authorization: Bearer <key>.",
)


def reader(services: Services, key: str) -> Access:
    """The documents the holder of `key` (a key that passed `api_key`) may read."""
    return of_identity(services.keys.identify(key))


def key_name(services: Services, key: str) -> str:
    """The audit log's name of a key that passed `api_key` (its record's name)."""
    identity = services.keys.identify(key)
    return identity.name if identity else "?"


async def api_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    services: ServicesDep,
) -> str:
    if not services.keys.any():
        raise ApiError(
            503,
            "The REST API is off: no API keys are configured.",
            "Set NARA_API_KEYS to one or more comma-separated keys (at least 16 characters), "
            "e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'.",
        )
    challenge = {"WWW-Authenticate": 'Bearer realm="nara"'}
    if credentials is None:
        raw = request.headers.get("Authorization")
        raise ApiError(
            401,
            "Malformed Authorization header." if raw else "Missing API key.",
            "Send the header Authorization: Bearer <key>.",
            challenge,
        )
    token = credentials.credentials.strip()
    if services.keys.identify(token) is None:
        # RFC 6750, 3.1: a token that is not valid is a 401 with error="invalid_token";
        # 403 stays for a valid key without the right (admin_key).
        raise ApiError(
            401,
            "The API key is not valid.",
            "Use a key from NARA_API_KEYS; ask whoever runs the service for one.",
            {"WWW-Authenticate": 'Bearer realm="nara", error="invalid_token"'},
        )
    return token


ApiKey = Annotated[str, Depends(api_key)]


async def admin_key(key: ApiKey, services: ServicesDep) -> str:
    identity = services.keys.identify(key)
    if identity is None or not identity.admin:
        raise ApiError(
            403,
            "Uploading and deleting documents need an admin key.",
            "Use a key from NARA_ADMIN_KEYS, or one made with nara keys create NAME --admin.",
        )
    return key


AdminKey = Annotated[str, Depends(admin_key)]


async def rate_limited(request: Request, key: ApiKey) -> None:
    """Per-key rate limit (NARA_SERVE_API_RATE_PER_S, _BURST): 429 with Retry-After."""
    limiter: RateLimiter = getattr(request.app.state, _API_LIMITER)
    wait = limiter.wait_s(key_id(key))
    if wait:
        message, hint = too_many(limiter, wait, "den här API-nyckeln", "NARA_SERVE_API_RATE_PER_S")
        raise ApiError(429, message, hint, {"Retry-After": retry_after(wait)})


# -- endpoints --------------------------------------------------------------------------
async def healthz() -> HealthResponse:
    """The process lives. No authentication."""
    return HealthResponse(status="ok")


def readyz(services: ServicesDep) -> JSONResponse:
    """The store opens and the embedder answers (one short query is embedded). No
    authentication. 503 with the reason when not."""
    kb = services.kb
    name = getattr(kb.embedder, "name", "")

    def unavailable(reason: str) -> JSONResponse:
        body = ReadyResponse(status="unavailable", reason=reason, embedder=name)
        return JSONResponse(body.model_dump(), status_code=503)

    try:
        n_documents = len(kb.documents(Access.everything()))
    except NaraError as err:  # rebuilt meanwhile, other settings, Chroma down
        return unavailable(f"{err.message} {err.hint}".strip())
    except Exception as exc:
        logger.exception("readyz: the store cannot be opened")
        return unavailable(f"The store cannot be opened ({type(exc).__name__}).")
    try:
        vector = np.asarray(kb.embedder.embed_query("nära vård"))
        if vector.shape != (kb.embedder.dimension,) or not np.isfinite(vector).all():
            return unavailable("The embedder returned a malformed vector.")
    except Exception as exc:
        logger.exception("readyz: the embedder does not answer")
        return unavailable(f"The embedder does not answer ({type(exc).__name__}).")
    body = ReadyResponse(status="ready", documents=n_documents, embedder=name)
    return JSONResponse(body.model_dump())


def ask(body: AskRequest, services: ServicesDep, key: ApiKey) -> AskResponse:
    """A cited answer, or a refusal with its reason: the shape of `nara ask --json`.
    An empty or too long question is a 422."""
    history = [Turn(turn.role, turn.content) for turn in body.history]
    filters = body.filters.to_filters() if body.filters else None
    with services.audit.action("api", key_name(services, key), "question", body.question) as entry:
        answer = services.assistant.ask(body.question, history, filters, reader(services, key))
        answered(entry, answer)
    return AskResponse.of(answer, services.settings.serve_link_domains)


def search(body: SearchRequest, services: ServicesDep, key: ApiKey) -> SearchResponse:
    """Hybrid search: the shape of `nara search --json`."""
    with services.audit.action("api", key_name(services, key), "search", body.query) as entry:
        check_query(body.query, services.settings.max_question_chars)
        filters = body.filters.to_filters() if body.filters else None
        results = services.kb.search(body.query, body.k, filters, reader(services, key))
        searched(entry, results)
    return SearchResponse.model_validate(search_json(body.query, results))


def list_documents(services: ServicesDep, key: ApiKey) -> DocumentsResponse:
    """The stored documents the key may read, with their metadata: the shape of `nara
    documents --json`."""
    docs = services.kb.documents(reader(services, key))
    return DocumentsResponse(documents=[DocumentOut.of(d) for d in docs])


def remove_document(document_id: str, services: ServicesDep, key: ApiKey) -> RemovedResponse:
    """Remove a document (admin key). 404 when there is no such document; 503 when
    another write holds the store longer than NARA_SERVE_WRITE_WAIT_S."""
    with services.audit.action("api", key_name(services, key), "removal") as entry:
        entry.documents = [document_id]
        record = services.kb.remove(document_id)
    return RemovedResponse(removed=DocumentOut.of(record))


async def upload_documents(request: Request, services: ServicesDep, key: ApiKey) -> JSONResponse:
    """Ingest one or more files (admin key), sent as multipart/form-data parts named
    `files`. A document's id comes from its file name, so uploading a file again replaces
    the earlier version. 415 for an unsupported type, 413 for a file over NARA_MAX_FILE_MB
    (nothing is stored then). A file that cannot be read is listed in `failed` (status 200
    when some other file was stored, 422 when none was)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        raise ApiError(
            415,
            "Upload files as multipart/form-data.",
            "Send one or more file parts named 'files', e.g. curl -F files=@plan.pdf.",
        )
    with services.audit.action("api", key_name(services, key), "upload") as entry:
        async with request.form(max_files=MAX_UPLOAD_FILES, max_fields=MAX_UPLOAD_FILES) as form:
            uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
            groups = upload_groups(str(v) for v in form.getlist("access") if isinstance(v, str))
            entry.groups = list(groups or services.settings.access_default)
            items = _check_uploads(uploads, int(services.settings.max_file_mb * 1e6))
            report = await run_in_threadpool(_save_and_ingest, items, services, groups)
        uploaded(entry, report)
    failed = [_failure(err) for err in report.failed]
    stored = report.added or report.updated or report.unchanged
    body = UploadResponse(
        ok=not failed,
        added=report.added,
        updated=report.updated,
        unchanged=report.unchanged,
        failed=failed,
        chunks=report.chunks,
        flags={name: [FlagOut.of(f) for f in found] for name, found in report.flags.items()},
        personal_data={
            name: [PersonalDataOut(kind=f.kind, page=f.page, section=f.section) for f in found]
            for name, found in report.personal_data.items()
        },
    )
    return JSONResponse(body.model_dump(), status_code=200 if stored or not failed else 422)


def responsibilities(
    services: ServicesDep,
    key: ApiKey,
    document: Annotated[str | None, Query(max_length=200, description="A document id.")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> ResponsibilitiesResponse:
    """Rows of the responsibility register (who is responsible for what), in document
    order, each with its verbatim quote and offsets, of the documents the key may read.
    404 for an unknown document (or one the key may not read)."""
    access = reader(services, key)
    rows = services.assistant.responsibilities(document=document, year=year, access=access)
    return ResponsibilitiesResponse(
        responsibilities=[ResponsibilityOut.model_validate(asdict(e)) for e in rows]
    )


def priorities(
    services: ServicesDep,
    key: ApiKey,
    document: Annotated[str | None, Query(max_length=200, description="A document id.")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> PrioritiesResponse:
    """Rows of the priority register, in document order; `year` keeps the rows whose
    period covers it; of the documents the key may read. 404 for an unknown document
    (or one the key may not read)."""
    rows = services.assistant.priorities(document=document, year=year, access=reader(services, key))
    return PrioritiesResponse(priorities=[PriorityOut.model_validate(asdict(e)) for e in rows])


def feedback(body: FeedbackRequest, services: ServicesDep) -> FeedbackResponse:
    """Thumbs up or down on an answer, with an optional comment; stored durably."""
    feedback_id = services.feedback.add(
        rating=body.rating,
        question=body.question,
        answer=body.answer,
        citations=[c.model_dump() for c in body.citations],
        comment=body.comment,
        source="api",
    )
    return FeedbackResponse(id=feedback_id)


# -- uploads ----------------------------------------------------------------------------
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


def size_text(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 100_000 else f"{n_bytes / 1e3:.0f} kB"


def _size(upload: UploadFile) -> int:
    if upload.size is not None:
        return upload.size
    upload.file.seek(0, 2)
    size = upload.file.tell()
    upload.file.seek(0)
    return size


def _check_uploads(uploads: Sequence[UploadFile], max_bytes: int) -> list[tuple[str, UploadFile]]:
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


def _save_and_ingest(
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


def _failure(err: IngestError) -> IngestFailure:
    name = Path(err.path).name
    detail = err.message.removeprefix(f"{err.path}: ")
    return IngestFailure(file=name, error=f"{name} {detail}", hint=err.hint)


# -- routes -----------------------------------------------------------------------------
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in (
        (401, "Missing, malformed or wrong API key (with WWW-Authenticate: Bearer)"),
        (403, "A valid key without the right (not an admin key)"),
        (422, "Invalid request"),
        (429, "Too many requests with this key (with Retry-After)"),
        (500, "Internal error (with the request id)"),
        (503, "No API keys configured, or the server is misconfigured"),
    )
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    out = dict(ERRORS)
    for code in codes:
        out[code] = {"model": ErrorResponse}
    return out


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


def add_api(app: FastAPI, services: Services) -> None:
    """Add the REST API, its error handling and the request-id middleware to `app`."""
    setattr(app.state, _SERVICES, services)
    settings = services.settings
    limiter = RateLimiter(settings.serve_api_rate_per_s, settings.serve_api_burst)
    setattr(app.state, _API_LIMITER, limiter)
    max_bytes = int(services.settings.max_file_mb * 1e6)
    upload_limit = max_bytes * MAX_UPLOAD_FILES + MULTIPART_OVERHEAD

    def limit_for(method: str, path: str) -> int | None:
        if (method, path) in (("POST", "/v1/documents"), ("POST", CHAT_UPLOAD_PATH)):
            return upload_limit
        return JSON_BODY_LIMIT  # every other route, the chat's included, takes small JSON

    app.add_middleware(BodyLimit, limit_for=limit_for)
    install_error_handling(app)  # after BodyLimit: its request-id middleware is outside

    probes = APIRouter(tags=["health"])
    probes.add_api_route("/healthz", healthz, methods=["GET"], response_model=HealthResponse)
    probes.add_api_route(
        "/readyz",
        readyz,
        methods=["GET"],
        response_model=ReadyResponse,
        responses={503: {"model": ReadyResponse, "description": "Not ready, with the reason"}},
    )

    v1 = APIRouter(
        prefix="/v1",
        dependencies=[Depends(api_key), Depends(rate_limited)],
        max_body_size=JSON_BODY_LIMIT,
    )
    v1.add_api_route("/ask", ask, methods=["POST"], tags=["assistant"], responses=_errors())
    v1.add_api_route("/search", search, methods=["POST"], tags=["assistant"], responses=_errors())
    v1.add_api_route(
        "/documents", list_documents, methods=["GET"], tags=["documents"], responses=_errors()
    )
    v1.add_api_route(
        "/documents",
        upload_documents,
        methods=["POST"],
        tags=["documents"],
        dependencies=[Depends(admin_key)],
        response_model=UploadResponse,
        responses=_errors(413, 415),
        openapi_extra=UPLOAD_BODY,
        max_body_size=upload_limit,
    )
    v1.add_api_route(
        "/documents/{document_id}",
        remove_document,
        methods=["DELETE"],
        tags=["documents"],
        dependencies=[Depends(admin_key)],
        responses=_errors(404),
    )
    v1.add_api_route(
        "/registers/responsibilities",
        responsibilities,
        methods=["GET"],
        tags=["registers"],
        responses=_errors(404),
    )
    v1.add_api_route(
        "/registers/priorities",
        priorities,
        methods=["GET"],
        tags=["registers"],
        responses=_errors(404),
    )
    v1.add_api_route(
        "/feedback",
        feedback,
        methods=["POST"],
        status_code=201,
        tags=["feedback"],
        responses=_errors(),
    )
    app.include_router(probes)
    app.include_router(v1)
