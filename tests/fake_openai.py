"""A real HTTP server on loopback that speaks the OpenAI chat-completions protocol.

It serves `POST /v1/chat/completions` (OpenAI-compatible servers) and
`POST /openai/deployments/{deployment}/chat/completions?api-version=…` (Azure OpenAI),
as one JSON reply or, with `"stream": true`, as server-sent events. It checks the key
(`Authorization: Bearer <key>`, or Azure's `api-key` header), records every request and
answers from a script: a queue of replies, each a string or a function of the request.

    with FakeOpenAI(key="k") as server:
        server.script("Svar [1].")
        ... ChatOpenAI(base_url=server.base_url, api_key="k", model="m") ...
        server.requests[0].system  # the system prompt sent
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

DEFAULT_KEY = "test-llm-key-0123456789"
DEFAULT_REPLY = "Det framgår inte av dokumenten."
PIECE = 5
"""Characters per streamed chunk: small, so that markers and sentence ends are split."""


@dataclass(frozen=True)
class Recorded:
    """One request the server received."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def text_of(self, role: str) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages if m["role"] == role)

    @property
    def system(self) -> str:
        return self.text_of("system")

    @property
    def user(self) -> str:
        return self.text_of("user")

    @property
    def streamed(self) -> bool:
        return bool(self.body.get("stream"))


Reply = str | Callable[[Recorded], str]


@dataclass
class Failure:
    """A scripted HTTP error instead of a reply."""

    status: int
    message: str = "scripted failure"


@dataclass
class FakeOpenAI:
    key: str = DEFAULT_KEY
    default: Reply = DEFAULT_REPLY
    delay_s: float = 0.0
    """Seconds to wait before answering (to provoke client timeouts)."""
    requests: list[Recorded] = field(default_factory=list)
    _queue: deque[Reply | Failure] = field(default_factory=deque)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    port: int = 0

    # -- script -------------------------------------------------------------------
    def script(self, *replies: Reply | Failure) -> None:
        """Queue replies; each request takes the next one, then `default`."""
        self._queue.extend(replies)

    def _next(self) -> Reply | Failure:
        return self._queue.popleft() if self._queue else self.default

    # -- addresses ----------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        """Root URL (the Azure endpoint)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Base URL of the OpenAI-compatible API."""
        return f"{self.endpoint}/v1"

    # -- lifecycle ----------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        self.port = _free_port()
        config = uvicorn.Config(
            self._app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the app ------------------------------------------------------------------
    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def openai_chat(request: Request) -> Response:
            return await self._handle(request, azure=False)

        @app.post("/openai/deployments/{deployment}/chat/completions")
        async def azure_chat(deployment: str, request: Request) -> Response:
            if "api-version" not in request.query_params:
                return _error(400, "api-version query parameter is missing")
            return await self._handle(request, azure=True)

        return app

    def _authorised(self, request: Request, azure: bool) -> bool:
        bearer = request.headers.get("authorization", "")
        if bearer == f"Bearer {self.key}":
            return True
        return azure and request.headers.get("api-key") == self.key

    async def _handle(self, request: Request, azure: bool) -> Response:
        recorded = Recorded(
            request.url.path,
            dict(request.query_params),
            {k.lower(): v for k, v in request.headers.items()},
            await request.json(),
        )
        self.requests.append(recorded)
        if not self._authorised(request, azure):
            return _error(401, "Incorrect API key provided: sk-fake-secret-leak", "invalid_api_key")
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        reply = self._next()
        if isinstance(reply, Failure):
            return _error(reply.status, reply.message)
        text = reply(recorded) if callable(reply) else reply
        model = str(recorded.body.get("model", "fake-model"))
        if recorded.streamed:
            usage = bool((recorded.body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(_events(text, model, usage), media_type="text/event-stream")
        return JSONResponse(_completion(text, model))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _error(status: int, message: str, code: str | None = None) -> JSONResponse:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
    return JSONResponse(body, status_code=status)


USAGE = {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}


def _completion(text: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": USAGE,
    }


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> str:
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _events(text: str, model: str, usage: bool) -> Iterator[str]:
    yield _chunk(model, {"role": "assistant", "content": ""})
    for i in range(0, len(text), PIECE):
        yield _chunk(model, {"content": text[i : i + PIECE]})
    yield _chunk(model, {}, "stop")
    if usage:
        body = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [],
            "usage": USAGE,
        }
        yield f"data: {json.dumps(body)}\n\n"
    yield "data: [DONE]\n\n"
