"""`/healthz` (the process lives) and `/readyz` (the store opens and the embedder
answers): no authentication."""

from __future__ import annotations

import logging

import numpy as np
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from knowledge.access import Access
from nara.errors import NaraError
from ui.app.schemas import HealthResponse, ReadyResponse
from ui.http.deps import ServicesDep

logger = logging.getLogger("nara.api")


async def healthz() -> HealthResponse:
    """The process lives. No authentication."""
    return HealthResponse(status="ok")


def readyz(services: ServicesDep) -> JSONResponse:
    """The store opens and the embedder answers (one short query is embedded). No
    authentication. 503 with the reason when not."""
    kb = services.kb
    name = getattr(kb.embedder, "name", "")

    def unavailable(reason: str) -> JSONResponse:
        body = ReadyResponse(status="unavailable", reason=reason, embedder=name)
        return JSONResponse(body.model_dump(), status_code=503)

    try:
        n_documents = len(kb.documents(Access.everything()))
    except NaraError as err:  # rebuilt meanwhile, other settings, Chroma down
        return unavailable(f"{err.message} {err.hint}".strip())
    except Exception as exc:
        logger.exception("readyz: the store cannot be opened")
        return unavailable(f"The store cannot be opened ({type(exc).__name__}).")
    try:
        vector = np.asarray(kb.embedder.embed_query("nära vård"))
        if vector.shape != (kb.embedder.dimension,) or not np.isfinite(vector).all():
            return unavailable("The embedder returned a malformed vector.")
    except Exception as exc:
        logger.exception("readyz: the embedder does not answer")
        return unavailable(f"The embedder does not answer ({type(exc).__name__}).")
    body = ReadyResponse(status="ready", documents=n_documents, embedder=name)
    return JSONResponse(body.model_dump())


def router() -> APIRouter:
    probes = APIRouter(tags=["health"])
    probes.add_api_route("/healthz", healthz, methods=["GET"], response_model=HealthResponse)
    probes.add_api_route(
        "/readyz",
        readyz,
        methods=["GET"],
        response_model=ReadyResponse,
        responses={503: {"model": ReadyResponse, "description": "Not ready, with the reason"}},
    )
    return probes
