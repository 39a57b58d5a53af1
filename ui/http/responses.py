"""The error responses each route documents in the OpenAPI schema (/docs)."""

from __future__ import annotations

from typing import Any

from ui.app.schemas import ErrorResponse

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


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    out = dict(ERRORS)
    for code in codes:
        out[code] = {"model": ErrorResponse}
    return out
