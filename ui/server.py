"""The web server: one FastAPI app with the REST API, the Teams endpoint and the chat.

    nara serve [--host 127.0.0.1] [--port 8000]
    python -m ui.server [--host 127.0.0.1] [--port 8000]

OpenAPI documentation is generated at /docs and /redoc (and /openapi.json), served
without internet (ui/http/docs.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from types import FrameType

import uvicorn
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from nara.errors import NaraError
from nara.settings import Settings, load_settings
from ui.app.services import Services, build_services
from ui.http.api import add_api
from ui.http.docs import add_offline_docs
from ui.http.docs_access import docs_guard

logger = logging.getLogger("nara.server")

LIFESPAN_SHUTDOWN_S = 1.0
"""Part of the shutdown time left for the app's own shutdown after the requests'."""
CUT_OFF_MARGIN_S = 1.0
"""Time past `settings.serve.shutdown_s` before a process still running is ended."""

TITLE = "Nära vård-assistenten"
DESCRIPTION = (
    "Cited answers, search, documents and registers over Swedish regional strategy "
    "documents for Nära vård. Every `/v1` request needs `Authorization: Bearer <key>` "
    "(NARA_API_KEYS); uploading and deleting documents need an admin key (NARA_ADMIN_KEYS)."
)


def _warm_up(services: Services) -> None:
    """Load the embedding model before the first request. A failure is logged, not
    raised: the server still starts, and /readyz reports the reason."""
    try:
        services.kb.embedder.embed_query("nära vård")
    except Exception:
        logger.exception("Warm-up failed: the embedder does not answer; see /readyz.")


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The app. `services`, when given, is used as it is (its settings govern the keys
    and limits); otherwise it is built from `settings`. A write by the app (an upload, a
    removal) waits at most `settings.serve.write_wait_s` for another writer, then is refused as
    busy."""
    services = services or build_services(settings)
    services.kb.write_lock.wait_s = services.settings.serve.write_wait_s

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(_warm_up, services)
        yield

    app = FastAPI(
        title=TITLE,
        description=DESCRIPTION,
        version="1",
        lifespan=lifespan,
        docs_url=None,  # served offline by add_offline_docs, behind a key or session
        redoc_url=None,
        openapi_url=None,
    )
    add_offline_docs(app, docs_guard(services))
    add_api(app, services)

    try:
        from ui.teams.bot import add_teams
    except ImportError:
        logger.warning("Teams is off: ui.teams.bot cannot be imported.", exc_info=True)
    else:
        add_teams(app, services)

    try:
        from ui.chat.app import add_chat
    except ImportError:
        logger.warning("The chat is off: ui.chat.app cannot be imported.", exc_info=True)
    else:
        add_chat(app, services)  # mounts at "/": after every other route
    return app


EXIT_FORCED = 3
"""Exit status when the shutdown deadline passed with work still running."""


class StoppingServer(uvicorn.Server):
    """uvicorn's server, which on SIGTERM or SIGINT also calls `on_stop` (cancelling
    ingests) and leaves within `deadline_s` whatever still runs: the requests get
    `deadline_s` to finish, and a thread that does not return by then (an embedding
    batch under way) is cut off by `os._exit`. A store write cut off that way leaves the
    earlier version searchable (see `knowledge.store`)."""

    def __init__(
        self, config: uvicorn.Config, on_stop: Callable[[], None], deadline_s: float
    ) -> None:
        super().__init__(config)
        self._on_stop = on_stop
        self._deadline_s = deadline_s
        self._stopping = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self._stopping:
            self._stopping = True
            self._on_stop()
            threading.Thread(target=self._cut_off, name="shutdown-deadline", daemon=True).start()
        super().handle_exit(sig, frame)

    def _cut_off(self) -> None:
        time.sleep(self._deadline_s)
        logger.error("Shutdown took over %.0f s: the process is ended.", self._deadline_s)
        logging.shutdown()
        os._exit(EXIT_FORCED)


def run(settings: Settings, host: str, port: int) -> None:
    """Serve until interrupted (one process; requests run in a thread pool). SIGTERM
    cancels running ingests and ends the process within `settings.serve.shutdown_s` (+1 s for
    the cut-off to act)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    services = build_services(settings)
    app = create_app(settings, services)
    grace = settings.serve.shutdown_s
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        server_header=False,
        timeout_graceful_shutdown=max(int(grace - LIFESPAN_SHUTDOWN_S), 0),
    )
    StoppingServer(config, services.kb.cancel.set, grace + CUT_OFF_MARGIN_S).run()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.server", description=TITLE)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    try:
        run(load_settings(), args.host, args.port)
    except NaraError as err:
        print(f"fel: {err.message}", file=sys.stderr)
        if err.hint:
            print(f"åtgärd: {err.hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
