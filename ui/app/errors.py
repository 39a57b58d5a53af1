"""The errors every HTTP route of the app answers with (issue #14: errors with codes and
one message catalogue): `{"error", "hint", "request_id"}` with the status of the error's
class (`NARA_STATUS`), and the Swedish texts of the errors no `NaraError` carries (an
internal error, a request cut off by shutdown, an unknown path or method, a body too
large). The REST API (ui/http/), the chat's own routes (ui/chat/) and the sign-in gate
all answer with these bodies; Teams answers its refusals as `HTTPException`s, which the
same `http_error` turns into them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

from assistant.questions import QuestionError
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
from ui.app.limits import MAX_UPLOAD_FILES

INTERNAL_ERROR = "Internt fel: begäran kunde inte slutföras."
INTERNAL_HINT = "Försök igen. Kvarstår felet, ange request_id till den som driver tjänsten."
STOPPED_ERROR = "Tjänsten stängs av: begäran hann inte slutföras."
STOPPED_HINT = "Skicka begäran igen när tjänsten är igång. Det som redan var lagrat finns kvar."

PATH_SHOWN = 200  # characters of an unknown path repeated in the 404 message
LIMIT_KEY = "nara.body_limit"  # the BodyLimit limit of the request, in its scope


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


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """An `HTTPException` as the documented `{"error", "hint", "request_id"}` body; the
    router's own 404 and 405 get a message naming the path and method."""
    message, hint = str(exc.detail), getattr(exc, "hint", "")
    if not isinstance(exc, ApiError):
        if exc.status_code == 413:
            # Starlette's limit on a body sent without Content-Length (see BodyLimit)
            limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY) or request.scope.get(LIMIT_KEY)
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


def size_text(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 100_000 else f"{n_bytes / 1e3:.0f} kB"
