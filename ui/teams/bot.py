"""Microsoft Teams: `POST /api/messages` through the Microsoft 365 Agents SDK.

`add_teams(app, services)` mounts the route in one of three modes, chosen by the settings:

- credentials (NARA_TEAMS_APP_ID, _APP_PASSWORD, _TENANT_ID): every request needs a valid
  Bot Service token (`ui.teams.auth.TeamsAuth`, 401 otherwise) and an activity of our own
  tenant (`ui.teams.auth.TenantCheck`, 403 otherwise); both run before the SDK sees the
  activity. The SDK's `OutboundHostValidator` is on, so an activity whose `serviceUrl` is not
  a Microsoft channel host (or differs from the token's `serviceurl` claim) is refused with
  401 before any token is acquired for it; replies are sent with a token from MSAL.
- anonymous (NARA_TEAMS_ANONYMOUS=true, no credentials): no token is asked for and no token
  is sent, and no tenant is checked. For local development with the Agents Playground only.
- neither: the route answers 503 with what to configure.

See docs/teams.md for registering the bot.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections import OrderedDict
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ApplicationOptions,
    AuthTypes,
    ConnectionManager,
    Connections,
    MemoryStorage,
    OutboundHostValidator,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.fastapi import CloudAdapter, start_agent_process

from assistant.model import Turn
from assistant.service import QuestionError
from knowledge.access import Access
from nara.errors import ConfigError
from ui.app.access import of_teams_user
from ui.app.audit_actions import answered
from ui.app.rate_limit import RateLimiter, too_many
from ui.app.services import Services
from ui.teams.auth import (
    KeySource,
    TeamsAuth,
    TenantCheck,
    activity_tenants,
    jwks_uri,
    read_activity,
)
from ui.teams.keys import JwksKeySource
from ui.teams.reply import build_reply, text_message

log = logging.getLogger(__name__)

ROUTE = "/api/messages"
HISTORY_TURNS = 6  # the last three questions and answers of a conversation
MAX_CONVERSATIONS = 1000  # conversations remembered, least recently used dropped first
MAX_BODY_BYTES = 1_000_000  # an activity is a few kB; Teams messages are capped far lower

HELP_TEXT = (
    "Jag svarar på frågor om de strategidokument för Nära vård som finns i kunskapsbasen "
    "och visar alltid källan: varje påstående har en hänvisning [1], [2] … till ett ordagrant "
    "citat ur dokumentet.\n\n"
    "Exempel på frågor:\n"
    "- Vem ansvarar för hemsjukvården i Dorotea?\n"
    "- Vad är prioriterat 2025 i Västernorrland?\n"
    "- Hur länge gäller överenskommelsen?\n\n"
    'Du kan ställa följdfrågor, till exempel "Och 2026?" efter en fråga om 2025. '
    "Finns svaret inte i dokumenten säger jag det i stället för att gissa. "
    "Skriv /help för att se detta igen."
)
HELP_PATTERN = re.compile(r"^\s*/?(help|hjälp)\s*[.!?]?\s*$", re.IGNORECASE)
NOT_CONFIGURED = {
    "error": "Teams is not configured.",
    "hint": "Set NARA_TEAMS_APP_ID, NARA_TEAMS_APP_PASSWORD and NARA_TEAMS_TENANT_ID (see "
    "docs/teams.md), or NARA_TEAMS_ANONYMOUS=true for local testing with the Agents "
    "Playground.",
}


class ConversationMemory:
    """The last turns of each conversation, for follow-ups; bounded in both directions."""

    def __init__(self, turns: int = HISTORY_TURNS, conversations: int = MAX_CONVERSATIONS):
        self.turns = turns
        self.conversations = conversations
        self._data: OrderedDict[str, list[Turn]] = OrderedDict()

    def history(self, key: str) -> list[Turn]:
        return list(self._data.get(key, ()))

    def add(self, key: str, question: str, answer: str) -> None:
        turns = self._data.pop(key, [])
        turns += [Turn("user", question), Turn("assistant", answer)]
        self._data[key] = turns[-self.turns :]
        while len(self._data) > self.conversations:
            self._data.popitem(last=False)


class TeamsAgent:
    """Routes Teams activities to the assistant. Holds the services and the memory."""

    def __init__(self, services: Services, connections: Connections) -> None:
        self.services = services
        self.memory = ConversationMemory()
        settings = services.settings
        self.limiter = RateLimiter(settings.serve.teams_rate_per_s, settings.serve.teams_burst)
        self.app: AgentApplication[TurnState] = AgentApplication[TurnState](
            ApplicationOptions(
                storage=MemoryStorage(),
                bot_app_id=services.settings.teams.app_id or "",
                remove_recipient_mention=True,
            ),
            connection_manager=connections,
        )
        self.app.conversation_update("membersAdded")(self.on_members_added)
        self.app.message(HELP_PATTERN)(self.on_help)
        self.app.message()(self.on_message)  # everything else, ranked last by the SDK

    @staticmethod
    def conversation_key(context: TurnContext) -> str:
        activity = context.activity
        conversation = activity.conversation.id if activity.conversation else ""
        return f"{activity.channel_id}:{conversation}"

    def reader(self, context: TurnContext) -> Access:
        """What the sender may read: the groups NARA_TEAMS_GROUPS maps their tenant and
        Entra object id to (only "alla" without a mapping, or when the activity names two
        different tenants)."""
        tenants = {t.lower() for t in activity_tenants(context.activity)}
        sender = context.activity.from_property
        tenant = next(iter(tenants)) if len(tenants) == 1 else None
        return of_teams_user(
            self.services.settings, tenant, sender.aad_object_id if sender else None
        )

    async def on_members_added(self, context: TurnContext, state: TurnState) -> None:
        bot = context.activity.recipient.id if context.activity.recipient else None
        if any(m.id == bot for m in context.activity.members_added or []):
            await context.send_activity(text_message("Hej! " + HELP_TEXT))

    async def on_help(self, context: TurnContext, state: TurnState) -> None:
        await context.send_activity(text_message(HELP_TEXT))

    async def on_message(self, context: TurnContext, state: TurnState) -> None:
        question = (context.activity.text or "").strip()
        if not question:
            await context.send_activity(text_message(HELP_TEXT))
            return
        key = self.conversation_key(context)
        sender = context.activity.from_property
        wait = self.limiter.wait_s(f"{key}|{sender.id if sender else ''}")
        if wait:  # per user in a conversation; the assistant is not asked
            message, hint = too_many(self.limiter, wait, "dig", "NARA_SERVE_TEAMS_RATE_PER_S")
            await context.send_activity(text_message(f"{message} {hint}"))
            return
        user = (sender.aad_object_id or sender.id) if sender else ""
        access = self.reader(context)
        try:
            with self.services.audit.action("teams", user, "question", question) as entry:
                # The assistant is synchronous (retrieval, embeddings, an LLM): off the loop.
                answer = await asyncio.to_thread(
                    self.services.assistant.ask,
                    question,
                    self.memory.history(key),
                    None,
                    access,
                )
                answered(entry, answer)
        except QuestionError:
            limit = self.services.settings.max_question_chars
            text = f"Frågan är för lång eller tom. Skriv en fråga på högst {limit} tecken."
            await context.send_activity(text_message(text))
            return
        self.memory.add(key, answer.resolved_question or question, answer.answer)
        await context.send_activity(build_reply(answer))

    @staticmethod
    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        """No exception text reaches the user: an apology with a reference to the log."""
        ref = uuid.uuid4().hex[:8]
        log.error("Teams turn failed (ref %s)", ref, exc_info=error)
        try:
            await context.send_activity(
                text_message(
                    "Något gick fel när jag skulle svara. Försök igen om en stund. "
                    f"Om felet kvarstår, uppge referens {ref} till den som förvaltar tjänsten."
                )
            )
        except Exception:
            log.exception("Teams: could not send the apology (ref %s)", ref)


# -- wiring -----------------------------------------------------------------------------
def _anonymous_connections() -> Connections:
    return ConnectionManager(
        provider_factory=lambda _config: AnonymousTokenProvider(),
        connections_configurations={
            "SERVICE_CONNECTION": AgentAuthConfiguration(anonymous_allowed=True)
        },
    )


def _msal_connections(app_id: str, password: str, tenant_id: str) -> Connections:
    config = AgentAuthConfiguration(
        AuthTypes.client_secret, client_id=app_id, tenant_id=tenant_id, client_secret=password
    )
    return MsalConnectionManager(connections_configurations={"SERVICE_CONNECTION": config})


def add_teams(
    app: FastAPI,
    services: Services,
    *,
    key_source: KeySource | None = None,
    connections: Connections | None = None,
) -> None:
    """Mount `POST /api/messages`. `key_source` (token signing keys) and `connections`
    (outbound token acquisition) are for tests; by default the published JWKS and MSAL."""
    settings = services.settings
    app_id = settings.teams.app_id
    password = settings.teams.app_password.get_secret_value() if settings.teams.app_password else ""

    if not app_id and not settings.teams.anonymous:

        @app.post(ROUTE, include_in_schema=False)
        async def teams_not_configured() -> JSONResponse:
            return JSONResponse(NOT_CONFIGURED, status_code=503)

        return

    dependencies: list[Any] = []  # run in order, before the SDK sees the request
    if app_id:
        if not settings.teams.tenant_id:
            raise ConfigError(
                "NARA_TEAMS_APP_ID is set but NARA_TEAMS_TENANT_ID is missing.",
                "Set it to the Entra tenant (directory) id of the bot's app registration; "
                "see docs/teams.md.",
            )
        if settings.teams.anonymous:
            log.warning("NARA_TEAMS_ANONYMOUS is ignored: Teams credentials are configured.")
        # The token first (401, before the body is read), then the activity's tenant (403).
        dependencies = [
            Depends(
                TeamsAuth(
                    app_id,
                    settings.teams.tenant_id,
                    key_source=key_source
                    or JwksKeySource(
                        jwks_uri,
                        timeout_s=settings.serve.jwks_timeout_s,
                        refetch_s=settings.serve.jwks_refetch_s,
                    ),
                )
            ),
            Depends(TenantCheck(settings.teams.tenant_id)),
        ]
        connections = connections or _msal_connections(app_id, password, settings.teams.tenant_id)
        # Inbound serviceUrl must be a Microsoft channel host (https, no private addresses)
        # and match the token's serviceurl claim; otherwise 401 before any token is minted.
        validator = OutboundHostValidator(enabled=True)
    else:
        log.warning(
            "Teams runs in anonymous mode (NARA_TEAMS_ANONYMOUS=true): requests are not "
            "authenticated. Local development only."
        )
        dependencies = [Depends(read_activity)]  # 400 for a body that is not an activity
        connections = connections or _anonymous_connections()
        # The Playground's serviceUrl is http://localhost, which the validator refuses; no
        # token is ever sent in this mode.
        validator = OutboundHostValidator(enabled=False)

    adapter = CloudAdapter(connection_manager=connections, host_validator=validator)
    agent = TeamsAgent(services, connections)
    adapter.on_turn_error = agent.on_turn_error
    app.state.teams_agent = agent

    async def messages(request: Request) -> Response:
        response = await start_agent_process(request, agent.app, adapter)
        return response if response is not None else Response(status_code=202)

    app.add_api_route(
        ROUTE,
        messages,
        methods=["POST"],
        dependencies=dependencies,
        include_in_schema=False,
        max_body_size=MAX_BODY_BYTES,
    )
