"""Who may use the chat (issues #16 and #14): sign-in with OpenID Connect when
NARA_OIDC_ISSUER is set (ui/chat/oidc.py, ui/chat/oidc_gate.py; NARA_CHAT_SIGN_IN is then not
used), else NARA_CHAT_SIGN_IN as below.

The project's rule is that nothing answers without a key, a token or a session, except
the health checks. So by default (`required`) the chat asks for a sign-in: Gradio's own
login, whose password is one of the configured keys (NARA_API_KEYS or NARA_ADMIN_KEYS,
compared as digests in constant time by `ui.app.keys`, records included); the user name is free and
names the user in the chat's rate limit. Until signed in, Gradio refuses its routes
(upload, queue, predict, files, config) with 401 and the page shows only the login form.
With `required` and no key configured the chat is off: "/" answers 503 with what to set,
and no Gradio route exists. `open` lets anyone who reaches the server use the chat.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from nara.settings import Settings
from ui.app.audit import AuditLog
from ui.app.errors import problem, request_id_of
from ui.app.keys import KeyRing
from ui.chat.identity import key_actor, sign_in_accepted

log = logging.getLogger(__name__)

SIGN_IN_MESSAGE = (
    "Logga in för att använda Nära vård-assistenten: skriv ditt namn och, som lösenord, "
    "den API-nyckel du har fått av den som driver tjänsten."
)
CHAT_OFF = (
    "Chatten är avstängd: den kräver inloggning (NARA_CHAT_SIGN_IN=required), men ingen "
    "nyckel är konfigurerad.",
    "Sätt NARA_API_KEYS (nycklarna är lösenord i chattens inloggning), eller "
    "NARA_CHAT_SIGN_IN=open om alla som når servern får använda chatten.",
)


def chat_is_off(settings: Settings) -> bool:
    """Sign-in with a key is required and no key could sign in (never with OpenID
    Connect on)."""
    if settings.oidc.enabled:
        return False
    return settings.chat.sign_in == "required" and not KeyRing(settings).any()


def gradio_auth(settings: Settings) -> dict[str, Any]:
    """The sign-in arguments of `gr.mount_gradio_app`: with OpenID Connect on, Gradio's
    `auth_dependency` (the session's user, ui/chat/oidc_gate.py); else Gradio's own login with
    a key (`sign_in`)."""
    if settings.oidc.enabled:
        from ui.chat.oidc_gate import chat_user_id  # only with OpenID Connect configured

        return {"auth_dependency": chat_user_id(settings)}
    return {"auth": sign_in(settings), "auth_message": SIGN_IN_MESSAGE}


def announce_sign_in(settings: Settings) -> None:
    """Say in the start-up log how the chat signs users in when OpenID Connect is off
    (when on, `ui.chat.oidc.add_oidc` says so)."""
    if settings.oidc.enabled:
        return
    log.info(
        "Sign-in with OpenID Connect is off (NARA_OIDC_ISSUER is not set): the chat %s.",
        "asks for a key (NARA_CHAT_SIGN_IN=required)"
        if settings.chat.sign_in == "required"
        else "is open to anyone who reaches the server (NARA_CHAT_SIGN_IN=open)",
    )


def admin_in_chat(settings: Settings, keys: KeyRing) -> bool:
    """Whether the chat has its document administration: with OpenID Connect, when an
    administrator group is configured (NARA_OIDC_ADMIN_GROUPS); with a key as password,
    when an admin key is (NARA_ADMIN_KEYS, or a key record with the admin flag); never in
    an open chat (nobody is signed in there, so nobody is an administrator)."""
    if settings.oidc.enabled:
        return bool(settings.oidc.admin_groups)
    return settings.chat.sign_in == "required" and keys.any_admin()


def sign_in(settings: Settings) -> Callable[[str, str], bool] | None:
    """Gradio's `auth` callable for `required` (any user name, a configured key as the
    password); None for `open`. An accepted key is noted for `ui.chat.identity.KeySignIn`,
    which keeps its digest with the session Gradio opens: the chat's events then read as
    the key's record (its groups; an admin key administers)."""
    if settings.chat.sign_in == "open":
        return None
    ring = KeyRing(settings)
    audit = AuditLog.from_settings(settings)

    def check(username: str, password: str) -> bool:
        identity = ring.identify(password or "")
        ok = bool(username.strip()) and identity is not None
        if ok:
            sign_in_accepted(username, password)
        user = key_actor(identity) if identity is not None else chat_client(username, None)
        audit.record("chat", user, "sign_in", status="ok" if ok else "refused")
        return ok

    return check


def install_chat_off(app: FastAPI) -> None:
    """Answer "/" with 503 and the message of `CHAT_OFF`, in place of the chat."""
    log.warning("The chat is off: %s %s", *CHAT_OFF)

    async def chat_off(request: Request) -> JSONResponse:
        return problem(503, CHAT_OFF[0], CHAT_OFF[1], request_id_of(request))

    app.add_api_route("/", chat_off, methods=["GET", "HEAD"], include_in_schema=False)


def chat_client(username: str | None, host: str | None) -> str:
    """Whom the chat's rate limit counts: the signed-in user, else the client address."""
    return f"user:{username}" if username else f"addr:{host or '?'}"


def chat_user(request: Any) -> str:
    """Whom the audit log names (pseudonymised) for a chat action of a Gradio request:
    the signed-in user, else the client address."""
    client = getattr(request, "client", None)
    return chat_client(getattr(request, "username", None), getattr(client, "host", None))
