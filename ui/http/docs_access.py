"""Who may read the API documentation (/docs, /redoc, /openapi.json and their assets,
issue #14): like every route but /healthz and /readyz, it answers only with a key or a
session.

A browser opening /docs gets 401 with `WWW-Authenticate: Basic`, so it asks for a name
and password: any name, and a key (of NARA_API_KEYS, NARA_ADMIN_KEYS or `nara keys
create`) as the password, as in the chat's sign-in; the browser then sends it with the
page's own requests. A script sends `Authorization: Bearer <key>`. With OpenID Connect
on, a user signed in to the chat reads the docs with the session alone.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ui.app.services import Services

REALM = 'Basic realm="nara", charset="UTF-8"'
MESSAGE = (
    "API-dokumentationen kräver en nyckel eller inloggning.",
    "Ange valfritt namn och en API-nyckel som lösenord (eller skicka Authorization: Bearer "
    "<nyckel>); med OpenID Connect räcker det att vara inloggad i chatten.",
)

Guard = Callable[[HTTPConnection], bool]


def key_of(authorization: str) -> str:
    """The key of an Authorization header: Bearer <key>, or Basic with the key as the
    password; empty when there is none."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return ""


def docs_guard(services: Services) -> Guard:
    """Whether a request may read the docs: a valid key, or a signed-in session."""

    def allowed(conn: HTTPConnection) -> bool:
        key = key_of(conn.headers.get("authorization", ""))
        if key and services.keys.identify(key) is not None:
            return True
        settings = services.settings
        if settings.oidc.enabled:
            from ui.app.oidc_user import session_of, signed_in  # with OpenID Connect only

            return signed_in(session_of(conn), settings) is not None
        return False

    return allowed


def refusal() -> JSONResponse:
    """401 with the Basic challenge that makes a browser ask for the key."""
    body = {"error": MESSAGE[0], "hint": MESSAGE[1]}
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": REALM})


class Guarded:
    """An ASGI app (the docs' static assets) answered only when `guard` allows."""

    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app, self.guard = app, guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.guard(HTTPConnection(scope)):
            await refusal()(scope, receive, send)
            return
        await self.app(scope, receive, send)
