"""Who uses a chat event (issue #14): what they may read and whether they administer.

- With OpenID Connect: the session's user (ui/app/oidc_user.py): the token's groups, and
  administrator when a group is in NARA_OIDC_ADMIN_GROUPS.
- With a key as password (NARA_CHAT_SIGN_IN=required): the key's record, resolved again
  on every event, so a revoked key or a change of its groups holds at once. Gradio keeps
  only the user name of a sign-in, and the name is free (two people may type the same
  one), so the key is kept server-side per Gradio session: `KeySignIn` sees the login
  response set Gradio's session cookie and `KeySessions` maps that cookie's token to the
  key's digest (never the key) and the user name.
- An open chat (NARA_CHAT_SIGN_IN=open): "alla", and nobody administers.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from knowledge.access import PUBLIC, Access
from nara.settings import Settings
from ui.app.access import of_identity, of_user
from ui.app.key_sessions import GRADIO_TOKEN_COOKIE, KeySessions
from ui.app.keys import Identity, KeyRing, digest_of

_SIGN_IN: ContextVar[dict[str, str] | None] = ContextVar("nara_chat_sign_in", default=None)
"""The sign-in in progress in this request: `sign_in_accepted` fills it, `KeySignIn`
reads it when the response sets the cookie."""


@dataclass(frozen=True)
class ChatIdentity:
    """The user of one chat event."""

    access: Access
    admin: bool
    actor: str | None = None
    """Whom the audit log names, when it is not the name Gradio keeps: a key sign-in's
    record name (the name typed at sign-in is free, and two people may type the same)."""


ANONYMOUS = ChatIdentity(PUBLIC, admin=False)


def sign_in_accepted(username: str, key: str) -> None:
    """Note, for `KeySignIn`, that Gradio's login is accepting `username` with `key`."""
    pending = _SIGN_IN.get()
    if pending is not None:
        pending.update(username=username, digest=digest_of(key))


class KeySignIn:
    """ASGI middleware of the chat's app: when Gradio's login (POST .../login) succeeds,
    the token of the session cookie it sets is kept in `sessions` with the key's digest
    noted by `sign_in_accepted`."""

    def __init__(self, app: ASGIApp, sessions: KeySessions) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", "")).rstrip("/")
        if scope["type"] != "http" or scope.get("method") != "POST" or not path.endswith("/login"):
            await self.app(scope, receive, send)
            return
        pending: dict[str, str] = {}
        reset = _SIGN_IN.set(pending)

        async def noted(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 200:
                token = _session_token(message.get("headers", []))
                if token and "digest" in pending:
                    self.sessions.remember(token, pending["username"], pending["digest"])
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:
            _SIGN_IN.reset(reset)


def _session_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The token of the Gradio session cookie a response sets, if any."""
    for name, value in headers:
        if name.lower() != b"set-cookie":
            continue
        cookie = value.decode("latin-1").split(";", 1)[0]
        key, _, token = cookie.partition("=")
        if key.strip().startswith(GRADIO_TOKEN_COOKIE) and token.strip():
            return token.strip().strip('"')
    return None


def chat_identity(
    request: Any, settings: Settings, keys: KeyRing, sessions: KeySessions
) -> ChatIdentity:
    """The user of a chat event's Gradio request (None, a direct call: `ANONYMOUS`)."""
    if request is None:
        return ANONYMOUS
    if settings.oidc.enabled:
        from ui.chat.oidc_gate import signed_in_user  # with OpenID Connect only

        user = signed_in_user(request, settings)
        return (
            ANONYMOUS
            if user is None
            else ChatIdentity(of_user(user.groups, user.admin), user.admin)
        )
    if settings.chat.sign_in == "open":
        return ANONYMOUS
    cookies = dict(getattr(request, "cookies", None) or {})
    digest = sessions.digest_for(cookies, getattr(request, "username", None))
    identity: Identity | None = keys.identify_digest(digest) if digest else None
    if identity is None:  # unknown, revoked, or a session past MAX_KEY_SESSIONS
        return ANONYMOUS
    return ChatIdentity(of_identity(identity), identity.admin, key_actor(identity))


def key_actor(identity: Identity) -> str:
    """The audit log's user of a chat signed in with a key: the key's record, as the API
    names it (`key:` keeps it apart from a user name typed as "env:…")."""
    return f"key:{identity.name}"
