"""The chat's session cookie when sign-in with OpenID Connect is on: signed and encrypted.

`EncryptedSessionMiddleware` gives every request `request.session` (a dict, as
Starlette's own `SessionMiddleware`, which Authlib's client uses for the state, nonce
and PKCE verifier of a sign-in). The cookie holds the session as JSON in a Fernet token
(`cryptography`): AES-128-CBC encrypted and HMAC-SHA256 signed, with its creation time,
so a cookie that was changed, made with another key or older than `max_age_s` is
ignored (the session is then empty). The Fernet key is derived with HKDF-SHA256 from
NARA_OIDC_SESSION_KEY.

The cookie is `HttpOnly`, `SameSite=Lax` (the provider's redirect back is a top-level
GET, which Lax lets through), scoped to "/", and `Secure` when the request came over
HTTPS (behind a proxy: run uvicorn with `--proxy-headers` so the scheme is seen). It is
written only when the session changed, so it expires `max_age_s` after sign-in.
"""

from __future__ import annotations

import base64
import json
from http.cookies import SimpleCookie
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE_NAME = "nara_session"
HKDF_INFO = b"nara-oidc-session-cookie"
"""Context of the key derivation: this key serves the session cookie only."""
FERNET_KEY_BYTES = 32
"""Fernet's key: 16 bytes to sign (HMAC-SHA256) and 16 to encrypt (AES-128)."""


def fernet_for(secret: str) -> Fernet:
    """The cookie's Fernet, derived from the configured secret."""
    raw = HKDF(
        algorithm=hashes.SHA256(), length=FERNET_KEY_BYTES, salt=None, info=HKDF_INFO
    ).derive(secret.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(raw))


class TrackedSession(dict[str, Any]):
    """A session dict that knows whether it was changed."""

    changed = False

    def __setitem__(self, key: str, value: Any) -> None:
        self.changed = True
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.changed = True
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        self.changed = self.changed or key in self
        return super().pop(key, *default)

    def clear(self) -> None:
        self.changed = self.changed or bool(self)
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.changed = True
        super().update(*args, **kwargs)


class EncryptedSessionMiddleware:
    """ASGI middleware: `scope["session"]` from the encrypted cookie; the cookie written
    back (or removed, when the session was emptied) only if the session changed."""

    def __init__(self, app: ASGIApp, secret: str, max_age_s: int) -> None:
        self.app = app
        self.fernet = fernet_for(secret)
        self.max_age_s = max_age_s

    def load(self, cookie_header: str) -> TrackedSession:
        """The session in a request's Cookie header; empty when absent or invalid."""
        cookies: SimpleCookie = SimpleCookie()
        try:
            cookies.load(cookie_header)
        except Exception:  # a malformed header from the client: no session
            return TrackedSession()
        morsel = cookies.get(COOKIE_NAME)
        if morsel is None:
            return TrackedSession()
        try:
            data = json.loads(self.fernet.decrypt(morsel.value.encode(), ttl=self.max_age_s))
        except (InvalidToken, ValueError):
            return TrackedSession()
        return TrackedSession(data) if isinstance(data, dict) else TrackedSession()

    def cookie(self, session: TrackedSession, secure: bool) -> str:
        """The Set-Cookie value that stores `session` (or removes the cookie)."""
        attributes = "Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
        if not session:
            return f"{COOKIE_NAME}=; Max-Age=0; {attributes}"
        token = self.fernet.encrypt(json.dumps(session, separators=(",", ":")).encode())
        return f"{COOKIE_NAME}={token.decode()}; Max-Age={self.max_age_s}; {attributes}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])
        )
        session = self.load(headers.get("cookie", ""))
        scope["session"] = session
        secure = scope.get("scheme") in ("https", "wss")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and session.changed:
                MutableHeaders(scope=message).append("Set-Cookie", self.cookie(session, secure))
            await send(message)

        await self.app(scope, receive, send_with_cookie)
