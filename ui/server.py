"""The web server: one FastAPI app with the REST API, the Teams endpoint and the chat.

    nara serve [--host 127.0.0.1] [--port 8000]
    python -m ui.server [--host 127.0.0.1] [--port 8000]

OpenAPI documentation is generated at /docs (and /openapi.json).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from nara.errors import NaraError
from nara.settings import Settings, load_settings
from ui.api import add_api
from ui.services import Services, build_services

logger = logging.getLogger("nara.server")

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
    and limits); otherwise it is built from `settings`."""
    services = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(_warm_up, services)
        yield

    app = FastAPI(title=TITLE, description=DESCRIPTION, version="1", lifespan=lifespan)
    add_api(app, services)

    try:
        from ui.teams import add_teams
    except ImportError:
        logger.warning("Teams is off: ui.teams cannot be imported.", exc_info=True)
    else:
        add_teams(app, services)

    try:
        from ui.chat import add_chat
    except ImportError:
        logger.warning("The chat is off: ui.chat cannot be imported.", exc_info=True)
    else:
        add_chat(app, services)  # mounts at "/": after every other route
    return app


def run(settings: Settings, host: str, port: int) -> None:
    """Serve until interrupted (one process; requests run in a thread pool)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)


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
