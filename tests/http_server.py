"""Serve an ASGI app over real HTTP for a test: uvicorn in a background thread on a free
loopback port.

    with serve_app(app) as base_url:
        httpx.get(f"{base_url}/healthz")

The port is bound here and the socket handed to uvicorn, so no other process can take
it between choosing and listening. The app's lifespan runs (start-up and shutdown);
a failed start-up is an error here, not a hang.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp


@contextmanager
def serve_app(app: ASGIApp, *, startup_timeout: float = 60.0, port: int = 0) -> Iterator[str]:
    """Yields the base URL, e.g. "http://127.0.0.1:40123"; stops the server on exit.
    `port` 0 takes a free one; another is for a URL that must be known beforehand (an
    OpenID provider's registered redirect URI)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_config=None,  # leave the test process's logging (and pytest's capture) alone
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server did not start (see the log above)")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start within {startup_timeout:.0f} s")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
