"""The REST API: `/v1` (ask, search, documents, registers, feedback), `/healthz`, `/readyz`.

Every `/v1` request needs `Authorization: Bearer <key>`, a key from NARA_API_KEYS or
NARA_ADMIN_KEYS, or a key record; uploading and deleting documents need an admin key.
With no key configured, `/v1` refuses every request: the API is never open by default.

One router per resource (ui/http/routers/), their dependencies as `Annotated` types
(ui/http/deps.py). Errors become HTTP responses in one place
(`ui.http.middleware.install_error_handling`): a `NaraError` is a 4xx with its message
and hint, request validation a 422 naming the field, anything else a 500 that says only
"Internt fel" and the request id (the traceback is logged with it). Every response
carries an `X-Request-ID` header.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from ui.app.limits import CHAT_UPLOAD_PATH, JSON_BODY_LIMIT, MAX_UPLOAD_FILES, MULTIPART_OVERHEAD
from ui.app.rate_limit import RateLimiter
from ui.app.services import Services
from ui.http.deps import API_LIMITER, SERVICES, api_key, rate_limited
from ui.http.middleware import BodyLimit, install_error_handling
from ui.http.routers import ask, documents, feedback, health, registers, search


def add_api(app: FastAPI, services: Services) -> None:
    """Add the REST API, its error handling and the request-id middleware to `app`."""
    setattr(app.state, SERVICES, services)
    settings = services.settings
    limiter = RateLimiter(settings.serve.api_rate_per_s, settings.serve.api_burst)
    setattr(app.state, API_LIMITER, limiter)
    max_bytes = int(services.settings.max_file_mb * 1e6)
    upload_limit = max_bytes * MAX_UPLOAD_FILES + MULTIPART_OVERHEAD

    def limit_for(method: str, path: str) -> int | None:
        if (method, path) in (("POST", "/v1/documents"), ("POST", CHAT_UPLOAD_PATH)):
            return upload_limit
        return JSON_BODY_LIMIT  # every other route, the chat's included, takes small JSON

    app.add_middleware(BodyLimit, limit_for=limit_for)
    install_error_handling(app)  # after BodyLimit: its request-id middleware is outside

    v1 = APIRouter(
        prefix="/v1",
        dependencies=[Depends(api_key), Depends(rate_limited)],
        max_body_size=JSON_BODY_LIMIT,
    )
    for resource in (
        ask.router(),
        search.router(),
        documents.router(upload_limit),
        registers.router(),
        feedback.router(),
    ):
        v1.include_router(resource)
    app.include_router(health.router())
    app.include_router(v1)
