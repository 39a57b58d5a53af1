"""The API's middleware and exception handlers: every request gets an id (`RequestContext`,
which also turns an unexpected exception into a bare 500, and a request cut off by
shutdown into a 503), request bodies are bounded (`BodyLimit`), and errors become the
documented bodies of `ui.app.errors` in one place (`install_error_handling`)."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nara.errors import NaraError
from ui.app.errors import (
    INTERNAL_ERROR,
    INTERNAL_HINT,
    LIMIT_KEY,
    STOPPED_ERROR,
    STOPPED_HINT,
    http_error,
    problem,
    request_id_of,
    status_of,
    too_large,
)

logger = logging.getLogger("nara.api")

REQUEST_ID_HEADER = "X-Request-ID"


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
        scope[LIMIT_KEY] = limit
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
