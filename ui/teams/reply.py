"""The bot's replies in Teams: an answer as a message with its citations (Teams' own
citation entities, cut to Teams' limits), and plain text messages."""

from __future__ import annotations

from microsoft_agents.activity import Activity, ActivityTypes
from microsoft_agents.activity.entity import (
    AIEntity,
    ClientCitation,
    ClientCitationAppearance,
)

from assistant.model import Answer, Citation

MAX_CITATIONS = 20  # Teams shows at most 20 citations per message
NAME_MAX, ABSTRACT_MAX, KEYWORD_MAX = 80, 160, 28  # Teams' limits for a citation


class MessageEntity(AIEntity):
    """The SDK's AI entity plus the `"@id": ""` of the Teams documentation."""

    at_id: str = ""


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _cut_left(text: str, limit: int) -> str:
    """Keep the end: the innermost headings of a section path are the telling ones."""
    text = " ".join(text.split())
    return text if len(text) <= limit else "…" + text[len(text) - limit + 1 :].lstrip()


def claim(citation: Citation) -> ClientCitation:
    source = citation.source
    where = source.section or ""
    if source.page is not None:
        where = f"{where}, s. {source.page}" if where else f"s. {source.page}"
    # The abstract names the place and begins the quote; the full quote is the text.
    head = _cut_left(where, 100) + ": " if where else ""
    abstract = _cut(head + citation.quote, ABSTRACT_MAX)
    # The innermost heading as a keyword, when it fits whole (Teams: at most 28 characters).
    heading = source.section.rsplit(" > ", 1)[-1].strip()
    appearance = ClientCitationAppearance(
        at_type="DigitalDocument",
        name=_cut(source.title or source.file, NAME_MAX),
        abstract=abstract,
        text=citation.quote,
    )
    if 0 < len(heading) <= KEYWORD_MAX:  # set only when present: the SDK dumps exclude_unset
        appearance.keywords = [heading]
    return ClientCitation(at_type="Claim", position=citation.id, appearance=appearance)


def build_reply(answer: Answer) -> Activity:
    """The message for an answer: its text with the [n] markers and one root schema.org
    `Message` entity carrying the AI label and the citations. A refusal is plain text."""
    if answer.refused or not answer.citations:
        return Activity(type=ActivityTypes.message, text=answer.answer, text_format="markdown")
    entity = MessageEntity(
        type="https://schema.org/Message",
        at_type="Message",
        at_context="https://schema.org",
        at_id="",
        id="",
        additional_type=["AIGeneratedContent"],
        citation=[claim(c) for c in answer.citations[:MAX_CITATIONS]],
    )
    return Activity(
        type=ActivityTypes.message,
        text=answer.answer,
        text_format="markdown",
        entities=[entity],
    )


def text_message(text: str) -> Activity:
    return Activity(type=ActivityTypes.message, text=text, text_format="markdown")


# -- the agent --------------------------------------------------------------------------
