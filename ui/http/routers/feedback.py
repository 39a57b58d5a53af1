"""`POST /v1/feedback`: thumbs up or down on an answer."""

from __future__ import annotations

from fastapi import APIRouter

from ui.app.schemas import FeedbackRequest, FeedbackResponse
from ui.http.deps import ServicesDep
from ui.http.responses import documented


def feedback(body: FeedbackRequest, services: ServicesDep) -> FeedbackResponse:
    """Thumbs up or down on an answer, with an optional comment; stored durably."""
    feedback_id = services.feedback.add(
        rating=body.rating,
        question=body.question,
        answer=body.answer,
        citations=[c.model_dump() for c in body.citations],
        comment=body.comment,
        source="api",
    )
    return FeedbackResponse(id=feedback_id)


def router() -> APIRouter:
    routes = APIRouter(tags=["feedback"])
    routes.add_api_route(
        "/feedback", feedback, methods=["POST"], status_code=201, responses=documented()
    )
    return routes
