"""With sign-in by OpenID Connect on, nothing of the chat answers without a session.

`guard_chat` wraps the app mounted at "/" (Gradio: the page, /config, /gradio_api/...,
/queue/..., file routes, and any path no other route took) in `SignInGate`, so the gate
covers every route Gradio has or will add, without a list of paths. Routes added to
the FastAPI app before the mount (/healthz, /readyz, /v1/*, /api/messages, /auth/*)
are not behind it; they keep their own checks.

Without a signed-in session (ui/app/oidc_user.py) a browser's page request (GET or HEAD
accepting text/html) is sent to /auth/sign-in with the page to come back to, any other
request gets 401 with the API's error body, and a websocket is closed. Gradio is also
given `auth_dependency` (`chat_user_id`), so its own routes know the user, and refuse
with 401 should a request pass the gate without one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from nara.settings import Settings
from ui.app.errors import problem, request_id_of
from ui.app.oidc_user import SIGN_IN_PATH, SignedIn, session_of, signed_in

PAGE_METHODS = ("GET", "HEAD")
WS_POLICY_VIOLATION = 1008
"""Websocket close code for a refused connection (RFC 6455, 7.4.1)."""
NOT_SIGNED_IN = (
    "Du är inte inloggad.",
    f"Logga in på {SIGN_IN_PATH} och försök igen.",
)


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not a script's or the chat's own XHR call)."""
    accept = request.headers.get("accept", "")
    return request.method in PAGE_METHODS and "text/html" in accept


class SignInGate:
    """ASGI wrapper: lets a request through to `app` only with a signed-in session."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if signed_in(scope.get("session"), self.settings) is not None:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": WS_POLICY_VIOLATION})
            return
        request = Request(scope, receive)
        if wants_page(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response: Any = RedirectResponse(
                f"{SIGN_IN_PATH}?next={quote(target, safe='/')}", status_code=302
            )
        else:
            response = problem(401, *NOT_SIGNED_IN, request_id_of(request))
        response.headers["Cache-Control"] = "no-store"
        await response(scope, receive, send)


def guard_chat(app: FastAPI, settings: Settings) -> bool:
    """Put `SignInGate` in front of the app mounted at "/" of `app`; False when there is
    no such mount."""
    for route in app.routes:
        if isinstance(route, Mount) and route.path == "":
            route.app = SignInGate(route.app, settings)
            return True
    return False


def signed_in_user(request: Any, settings: Settings) -> SignedIn | None:
    """The signed-in user of a Starlette or Gradio request, if any."""
    return signed_in(session_of(request), settings)


def chat_user_id(settings: Settings) -> Any:
    """Gradio's `auth_dependency`: the signed-in user's id, or None (Gradio: 401)."""

    def user_id(request: Request) -> str | None:
        user = signed_in_user(request, settings)
        return user.user_id if user else None

    return user_id
