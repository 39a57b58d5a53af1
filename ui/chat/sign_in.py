"""Gradio's sign-in page in Swedish whatever the browser's language.

Before sign-in Gradio serves its page with a minimal config (`auth_required`) that
leaves out the custom translations (`mount_gradio_app(i18n=…)`), so its frontend falls
back to the browser's language: "Login", "username", "password" in an English browser.
`SignInLanguage` adds the translations (ui/chat/i18n.py) to that page's embedded config,
where the frontend looks for them; every other response passes through untouched.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONFIG_START = b"window.gradio_config = {"
"""How Gradio's index.html template opens the embedded config (frontend/index.html)."""
SIGN_IN_MARK = b'"auth_required":true'
"""The config of the page shown before sign-in (gradio/routes.py `main`)."""
MAX_PAGE_BYTES = 1_000_000
"""Larger HTML than this is passed through unread (the sign-in page is about 10 kB)."""


class SignInLanguage:
    """ASGI middleware for the chat's app: the sign-in page's config gets
    `i18n_translations`."""

    def __init__(self, app: ASGIApp, translations: dict[str, Any]) -> None:
        self.app = app
        self.insert = (
            CONFIG_START
            + json.dumps({"i18n_translations": translations}, ensure_ascii=True)[1:-1].encode(
                "ascii"
            )
            + b","
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        passing = False
        body: list[bytes] = []

        async def buffered(message: Message) -> None:
            nonlocal start, passing
            if passing:
                await send(message)
            elif message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"text/html"):
                    start = message
                else:
                    passing = True
                    await send(message)
            elif start is not None:
                body.append(message.get("body", b""))
                more = bool(message.get("more_body"))
                if more and sum(map(len, body)) <= MAX_PAGE_BYTES:
                    return
                passing = True
                await self._send_page(start, b"".join(body), more, send)

        await self.app(scope, receive, buffered)

    async def _send_page(self, start: Message, page: bytes, more: bool, send: Send) -> None:
        if not more and SIGN_IN_MARK in page.replace(b" ", b"") and CONFIG_START in page:
            page = page.replace(CONFIG_START, self.insert, 1)
        headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
        if not more:
            headers.append((b"content-length", str(len(page)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": page, "more_body": more})
