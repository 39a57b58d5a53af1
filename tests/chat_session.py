"""A chat event's Gradio request for a user signed in with a key, through the running
app's real login (POST /login, Gradio's own route): the request carries the session
cookie Gradio set, as the browser's events do, so the handlers find the key's record
(ui/chat/identity.py)."""

from __future__ import annotations

import gradio as gr
import httpx
from starlette.requests import Request


def signed_in_request(url: str, username: str, key: str) -> gr.Request:
    """Sign in at `url` as `username` with `key`; the request of an event of that
    session."""
    response = httpx.post(f"{url}/login", data={"username": username, "password": key})
    assert response.status_code == 200, response.text
    cookie = "; ".join(f"{name}={value}" for name, value in response.cookies.items())
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/gradio_api/queue/join",
        "headers": [(b"cookie", cookie.encode("latin-1"))],
        "client": ("127.0.0.1", 0),
    }
    return gr.Request(request=Request(scope), username=username)
