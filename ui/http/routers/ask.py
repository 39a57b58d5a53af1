"""`POST /v1/ask`: a cited answer, or a refusal with its reason."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.model import Turn
from ui.app.audit_actions import answered
from ui.app.schemas import AskRequest, AskResponse
from ui.http.deps import ApiKey, ServicesDep, key_name, reader
from ui.http.responses import documented


def ask(body: AskRequest, services: ServicesDep, key: ApiKey) -> AskResponse:
    """A cited answer, or a refusal with its reason: the shape of `nara ask --json`.
    An empty or too long question is a 422."""
    history = [Turn(turn.role, turn.content) for turn in body.history]
    filters = body.filters.to_filters() if body.filters else None
    with services.audit.action("api", key_name(services, key), "question", body.question) as entry:
        answer = services.assistant.ask(body.question, history, filters, reader(services, key))
        answered(entry, answer)
    return AskResponse.of(answer, services.settings.serve.link_domains)


def router() -> APIRouter:
    routes = APIRouter(tags=["assistant"])
    routes.add_api_route("/ask", ask, methods=["POST"], responses=documented())
    return routes
