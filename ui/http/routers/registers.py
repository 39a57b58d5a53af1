"""`/v1/registers/...`: the responsibility and priority registers, of the documents the
key may read."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from ui.app.document_schemas import (
    PrioritiesResponse,
    PriorityOut,
    ResponsibilitiesResponse,
    ResponsibilityOut,
)
from ui.http.deps import ApiKey, ServicesDep, reader
from ui.http.responses import documented


def responsibilities(
    services: ServicesDep,
    key: ApiKey,
    document: Annotated[str | None, Query(max_length=200, description="A document id.")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> ResponsibilitiesResponse:
    """Rows of the responsibility register (who is responsible for what), in document
    order, each with its verbatim quote and offsets, of the documents the key may read.
    404 for an unknown document (or one the key may not read)."""
    access = reader(services, key)
    rows = services.assistant.responsibilities(document=document, year=year, access=access)
    return ResponsibilitiesResponse(
        responsibilities=[ResponsibilityOut.model_validate(asdict(e)) for e in rows]
    )


def priorities(
    services: ServicesDep,
    key: ApiKey,
    document: Annotated[str | None, Query(max_length=200, description="A document id.")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> PrioritiesResponse:
    """Rows of the priority register, in document order; `year` keeps the rows whose
    period covers it; of the documents the key may read. 404 for an unknown document
    (or one the key may not read)."""
    rows = services.assistant.priorities(document=document, year=year, access=reader(services, key))
    return PrioritiesResponse(priorities=[PriorityOut.model_validate(asdict(e)) for e in rows])


def router() -> APIRouter:
    routes = APIRouter(prefix="/registers", tags=["registers"])
    routes.add_api_route(
        "/responsibilities", responsibilities, methods=["GET"], responses=documented(404)
    )
    routes.add_api_route("/priorities", priorities, methods=["GET"], responses=documented(404))
    return routes
