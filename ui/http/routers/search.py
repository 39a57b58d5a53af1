"""`POST /v1/search`: hybrid search, in the shape of `nara search --json`."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.questions import check_query
from ui.app.audit_actions import searched
from ui.app.json_shapes import search_json
from ui.app.schemas import SearchRequest, SearchResponse
from ui.http.deps import ApiKey, ServicesDep, key_name, reader
from ui.http.responses import documented


def search(body: SearchRequest, services: ServicesDep, key: ApiKey) -> SearchResponse:
    """Hybrid search: the shape of `nara search --json`."""
    with services.audit.action("api", key_name(services, key), "search", body.query) as entry:
        check_query(body.query, services.settings.max_question_chars)
        filters = body.filters.to_filters() if body.filters else None
        results = services.kb.search(body.query, body.k, filters, reader(services, key))
        searched(entry, results)
    return SearchResponse.model_validate(search_json(body.query, results))


def router() -> APIRouter:
    routes = APIRouter(tags=["assistant"])
    routes.add_api_route("/search", search, methods=["POST"], responses=documented())
    return routes
