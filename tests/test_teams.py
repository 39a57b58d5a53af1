"""Teams: real Activity JSON posted over HTTP to `/api/messages` of a real app (uvicorn on
loopback), with the sample knowledge base. Tokens are signed with a local RSA key that the
app is given in place of the published JWKS."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ConnectionManager,
)

from assistant.model import Answer, Citation, Source, Status
from assistant.service import Assistant
from tests.conftest import make_settings
from tests.http_server import serve_app
from ui.app.feedback import FeedbackStore
from ui.app.services import Services
from ui.teams.auth import TenantCheck, TenantError
from ui.teams.bot import add_teams
from ui.teams.reply import ABSTRACT_MAX, NAME_MAX, build_reply

APP_ID = "00000000-0000-0000-0000-0000000000b0"
TENANT = "7f3c2a10-5b9e-4d2f-a8c1-0e6b9d4f2a31"  # with letters, for the case-insensitivity
OTHER_TENANT = "9e8d7c6b-5a49-4382-b1a0-fedcba987654"
BF_ISSUER = "https://api.botframework.com"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
WEBCHAT_URL = "https://webchat.botframework.com/"
KID = "test-key"
SECRET_DETAIL = "secret detail"


# -- helpers ----------------------------------------------------------------------------
def activity(
    text: str,
    conversation: str | None = None,
    *,
    service_url: str = SERVICE_URL,
    expect_replies: bool = True,
    tenant: str | None = TENANT,
    channel: str = "msteams",
) -> dict[str, Any]:
    """A Teams message as Bot Service posts it; `tenant=None`: no tenant anywhere."""
    body: dict[str, Any] = {
        "type": "message",
        "id": uuid.uuid4().hex,
        "timestamp": "2025-05-01T10:00:00.000Z",
        "channelId": channel,
        "serviceUrl": service_url,
        "from": {"id": "29:user-1", "name": "Anna Andersson", "aadObjectId": str(uuid.uuid4())},
        "recipient": {"id": f"28:{APP_ID}", "name": "Nära vård-assistenten"},
        "conversation": {
            "id": conversation or f"a:{uuid.uuid4().hex}",
            "conversationType": "personal",
        },
        "locale": "sv-SE",
        "textFormat": "plain",
        "text": text,
    }
    if tenant is not None:
        body["conversation"]["tenantId"] = tenant
        body["channelData"] = {"tenant": {"id": tenant}}
    if expect_replies:
        body["deliveryMode"] = "expectReplies"
    return body


def messages(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return [a for a in response.json()["activities"] if a["type"] == "message"]


def one_message(response: httpx.Response) -> dict[str, Any]:
    found = messages(response)
    assert len(found) == 1, found
    return found[0]


def message_entities(reply: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in reply.get("entities") or [] if e.get("type") == "https://schema.org/Message"]


class RecordingTokenProvider(AnonymousTokenProvider):
    """Stands in for MSAL: records every request for an outbound token."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, list[str]]] = []

    async def get_access_token(
        self, resource_url: str, scopes: list[str], force_refresh: bool = False
    ) -> str:
        self.requests.append((resource_url, scopes))
        return "bot-token"


class LocalKeys:
    """The JWKS of a locally generated key, in place of the published ones."""

    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.looked_up: list[tuple[str, str]] = []

    def signing_key(self, issuer: str, kid: str) -> Any:
        self.looked_up.append((issuer, kid))
        if kid != KID:
            raise jwt.PyJWKClientError("unknown key id")
        return self.private.public_key()

    def token(self, *, key: Any = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": BF_ISSUER,
            "aud": APP_ID,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "serviceurl": SERVICE_URL,
        } | claims
        return jwt.encode(payload, key or self.private, algorithm="RS256", headers={"kid": KID})


def make_services(kb: Any, tmp_path: Path, **settings: Any) -> Services:
    config = make_settings(tmp_path / "unused-store", **settings)
    return Services(config, kb, Assistant(kb), FeedbackStore(tmp_path / "feedback.jsonl"))


def record_questions(monkeypatch: pytest.MonkeyPatch, services: Services) -> list[str]:
    """The questions that reach the assistant from now on (which still answers them)."""
    asked: list[str] = []
    real = services.assistant.ask

    def ask(question: str, *args: Any, **kwargs: Any) -> Answer:
        asked.append(question)
        return real(question, *args, **kwargs)

    monkeypatch.setattr(services.assistant, "ask", ask)
    return asked


class Secured(NamedTuple):
    url: str
    keys: LocalKeys
    tokens: RecordingTokenProvider
    services: Services


# -- fixtures ---------------------------------------------------------------------------
@pytest.fixture
def anonymous(sample_kb: Any, tmp_path: Path) -> Iterator[tuple[str, Services]]:
    services = make_services(sample_kb, tmp_path, teams={"anonymous": True})
    app = FastAPI()
    add_teams(app, services)
    with serve_app(app) as url:
        yield url, services


@pytest.fixture
def secured(sample_kb: Any, tmp_path: Path) -> Iterator[Secured]:
    services = make_services(
        sample_kb,
        tmp_path,
        teams={
            "app_id": APP_ID,
            "app_password": "a-real-looking-client-secret",
            "tenant_id": TENANT,
        },
    )
    keys = LocalKeys()
    tokens = RecordingTokenProvider()
    connections = ConnectionManager(
        provider_factory=lambda _config: tokens,
        connections_configurations={
            "SERVICE_CONNECTION": AgentAuthConfiguration(client_id=APP_ID, tenant_id=TENANT)
        },
    )
    app = FastAPI()
    add_teams(app, services, key_source=keys, connections=connections)
    with serve_app(app) as url:
        yield Secured(url, keys, tokens, services)


def post(url: str, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{url}/api/messages", json=body, headers=headers, timeout=120)


# -- replies ----------------------------------------------------------------------------
def test_expect_replies_round_trip_carries_cited_answer(
    anonymous: tuple[str, Services], sample_kb: Any
) -> None:
    url, _ = anonymous
    reply = one_message(post(url, activity("Vad är prioriterat 2025 i Västernorrland?")))

    markers = {int(n) for n in re.findall(r"\[(\d+)\]", reply["text"])}
    assert markers, reply["text"]
    entities = message_entities(reply)
    assert len(entities) == 1
    entity = entities[0]
    assert entity["@type"] == "Message"
    assert entity["@context"] == "https://schema.org"
    assert entity["@id"] == ""
    assert entity["additionalType"] == ["AIGeneratedContent"]
    claims = entity["citation"]
    assert {c["position"] for c in claims} == markers
    documents = sample_kb.documents()
    for c in claims:
        assert c["@type"] == "Claim"
        look = c["appearance"]
        assert look["@type"] == "DigitalDocument"
        assert 0 < len(look["name"]) <= NAME_MAX
        assert 0 < len(look["abstract"]) <= ABSTRACT_MAX
        assert all(len(k) <= 28 for k in look.get("keywords", []))
        (doc,) = [d for d in documents if d.title.startswith(look["name"].rstrip("…"))]
        assert look["text"] and look["text"] in sample_kb.document_text(doc.doc_id)
    # The section is named: 2025 priorities sit under the roadmap's section 6.
    assert any("Prioriterade" in c["appearance"]["abstract"] for c in claims)


def test_refusal_is_a_plain_message(anonymous: tuple[str, Services]) -> None:
    url, _ = anonymous
    reply = one_message(post(url, activity("Vilka öppettider har vårdcentralen i Sollefteå?")))
    assert "framgår inte" in reply["text"]
    assert not message_entities(reply)
    assert not re.search(r"\[\d+\]", reply["text"])


def test_help_explains_in_swedish(anonymous: tuple[str, Services]) -> None:
    url, _ = anonymous
    for text in ("/help", "hjälp"):
        reply = one_message(post(url, activity(text)))
        assert "Vem ansvarar för" in reply["text"]
        assert "Vad är prioriterat 2025" in reply["text"]
        assert "Hur länge gäller överenskommelsen" in reply["text"]
        assert not message_entities(reply)


def test_follow_up_within_a_conversation(anonymous: tuple[str, Services]) -> None:
    url, _ = anonymous
    conversation = "a:follow-up-conversation"
    question = "Vad är prioriterat 2025 i Västernorrland?"
    first = one_message(post(url, activity(question, conversation)))
    assert "2025" in first["text"]
    second = one_message(post(url, activity("Och 2026?", conversation)))
    # Resolved to the 2026 priorities: the roadmap's section "6.3 Prioriterade områden 2026".
    assert "Prioriterade områden 2026" in second["text"]
    assert "Prioriterade områden 2025" not in second["text"]
    (entity,) = message_entities(second)
    abstracts = [c["appearance"]["abstract"] for c in entity["citation"]]
    assert any("Prioriterade områden 2026" in a for a in abstracts)
    # Another conversation does not share the history: "Och 2026?" alone is not resolved.
    other = one_message(post(url, activity("Och 2026?", "a:another-conversation")))
    assert other["text"] != second["text"]


def test_build_reply_is_pure_and_cuts_to_teams_limits() -> None:
    long_title = "Regional överenskommelse om " + "nära vård " * 20
    source = Source("doc", long_title, "doc.pdf", "Kapitel > " * 30 + "Ansvar", 4, 10, 20)
    answer = Answer(
        question="Vem?",
        answer="Regionen ansvarar [1].",
        status=Status.ANSWERED,
        kind="responsibility",
        citations=(Citation(1, "Regionen ansvarar för " + "x" * 300, source),),
    )
    body = build_reply(answer).model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert body["text"] == "Regionen ansvarar [1]."
    (entity,) = body["entities"]
    (claim,) = entity["citation"]
    assert claim["position"] == 1
    assert len(claim["appearance"]["name"]) == NAME_MAX
    assert len(claim["appearance"]["abstract"]) == ABSTRACT_MAX
    assert claim["appearance"]["abstract"].startswith("…")  # the innermost headings are kept
    assert "Ansvar, s. 4" in claim["appearance"]["abstract"]
    assert claim["appearance"]["text"] == answer.citations[0].quote
    assert claim["appearance"]["keywords"] == ["Ansvar"]
    refused = Answer("Q", "Det framgår inte av dokumenten.", Status.REFUSED, "fact")
    assert "entities" not in build_reply(refused).model_dump(by_alias=True, exclude_unset=True)


def test_oversized_body_is_refused_unread(
    anonymous: tuple[str, Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, services = anonymous
    asked: list[str] = []
    monkeypatch.setattr(services.assistant, "ask", lambda q, *a, **k: asked.append(q))
    response = post(url, activity("x" * 1_200_000))
    assert response.status_code in (400, 413)
    assert asked == []


def test_turn_error_hides_the_exception(
    anonymous: tuple[str, Services],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, services = anonymous

    def broken(*args: Any, **kwargs: Any) -> Answer:
        raise RuntimeError(SECRET_DETAIL)

    monkeypatch.setattr(services.assistant, "ask", broken)
    with caplog.at_level(logging.ERROR, logger="ui.teams.bot"):
        response = post(url, activity("Vem ansvarar för hemsjukvården?"))
    assert SECRET_DETAIL not in response.text
    reply = one_message(response)
    assert "Något gick fel" in reply["text"]
    ref = re.search(r"referens ([0-9a-f]{8})", reply["text"])
    assert ref
    logged = [
        r for r in caplog.records if r.name == "ui.teams.bot" and ref.group(1) in r.getMessage()
    ]
    assert logged and logged[0].exc_info and SECRET_DETAIL in str(logged[0].exc_info[1])


# -- modes ------------------------------------------------------------------------------
def test_not_configured_answers_503_with_the_fix(sample_kb: Any, tmp_path: Path) -> None:
    app = FastAPI()
    add_teams(app, make_services(sample_kb, tmp_path))
    with serve_app(app) as url:
        response = post(url, activity("Hej"))
    assert response.status_code == 503
    assert "NARA_TEAMS_APP_ID" in response.json()["hint"]
    assert "NARA_TEAMS_ANONYMOUS" in response.json()["hint"]


# -- authentication ---------------------------------------------------------------------
def test_no_token_is_401(secured: Secured) -> None:
    url, _, tokens, _ = secured
    assert post(url, activity("Vem ansvarar för hemsjukvården?")).status_code == 401
    assert post(url, activity("Hej"), token="not-a-jwt").status_code == 401
    assert tokens.requests == []


def test_wrong_audience_is_401(secured: Secured) -> None:
    url, keys, _, _ = secured
    token = keys.token(aud="someone-elses-bot")
    assert post(url, activity("Hej"), token).status_code == 401


def test_wrong_issuer_is_401(secured: Secured) -> None:
    url, keys, _, _ = secured
    for issuer in (
        "https://evil.example.com",
        "https://login.microsoftonline.com/99999999-9999-9999-9999-999999999999/v2.0",
    ):
        response = post(url, activity("Hej"), keys.token(iss=issuer))
        assert response.status_code == 401, issuer
    # A foreign issuer is refused before any key is looked up for it.
    assert keys.looked_up == []
    # An accepted Entra issuer whose tenant differs from the token's tid claim.
    entra = f"https://login.microsoftonline.com/{TENANT}/v2.0"
    token = keys.token(iss=entra, tid=str(uuid.uuid4()))
    assert post(url, activity("Hej"), token).status_code == 401


def test_other_key_or_expired_token_is_401(
    secured: Secured,
) -> None:
    url, keys, _, _ = secured
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert post(url, activity("Hej"), keys.token(key=stranger)).status_code == 401
    old = int(time.time()) - 7200
    expired = keys.token(iat=old, nbf=old, exp=old + 600)
    assert post(url, activity("Hej"), expired).status_code == 401


def test_valid_token_passes(secured: Secured) -> None:
    url, keys, _, _ = secured
    for issuer in (BF_ISSUER, f"https://login.microsoftonline.com/{TENANT}/v2.0"):
        token = keys.token(iss=issuer, tid=TENANT)
        reply = one_message(post(url, activity("/help"), token))
        assert "Vem ansvarar för" in reply["text"]
    assert keys.looked_up  # the injected key source was used


def test_foreign_service_url_gets_no_token(
    secured: Secured,
) -> None:
    """The SDK's OutboundHostValidator refuses the activity with 401 before a connector
    client (and so an outbound token) is created: nothing is sent to the foreign host."""
    url, keys, tokens, _ = secured
    token = keys.token()
    for service_url in (
        "https://evil.example.com/",
        "http://smba.trafficmanager.net/emea/",  # not https
        "https://127.0.0.1/",
        "https://europe.botframework.com/",  # a Microsoft host, but not the token's serviceurl
    ):
        body = activity(
            "Vem ansvarar för hemsjukvården?", service_url=service_url, expect_replies=False
        )
        response = post(url, body, token)
        assert response.status_code == 401, service_url
        assert "not allowed" in response.text or "Service URL" in response.text
    assert tokens.requests == []


# -- tenant -----------------------------------------------------------------------------
QUESTION = "Vad är prioriterat 2025 i Västernorrland?"


def test_own_tenant_is_answered_in_any_case(
    secured: Secured, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = record_questions(monkeypatch, secured.services)
    token = secured.keys.token()
    for tenant in (TENANT, TENANT.upper()):
        reply = one_message(post(secured.url, activity(QUESTION, tenant=tenant), token))
        assert message_entities(reply), reply  # a cited answer, not a refusal of the request
    assert asked == [QUESTION, QUESTION]


def test_other_tenant_is_403_and_never_reaches_the_assistant(
    secured: Secured, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url, keys, tokens, services = secured
    asked = record_questions(monkeypatch, services)
    token = keys.token()
    # Sent asynchronously, the reply would go to the connector with a token acquired for it.
    foreign = activity(QUESTION, tenant=OTHER_TENANT, expect_replies=False)
    only_conversation = activity(QUESTION)
    only_conversation["conversation"]["tenantId"] = OTHER_TENANT.upper()
    only_channel_data = activity(QUESTION)
    only_channel_data["channelData"]["tenant"]["id"] = OTHER_TENANT
    with caplog.at_level(logging.WARNING, logger="ui.teams.auth"):
        for body in (foreign, activity(QUESTION, tenant=OTHER_TENANT), only_conversation):
            response = post(url, body, token)
            assert response.status_code == 403, response.text
            assert response.json() == {"detail": "The activity's tenant is not allowed."}
        assert post(url, only_channel_data, token).status_code == 403
    assert asked == []
    assert tokens.requests == []  # no connector client was made: nothing was sent anywhere
    logged = [r.getMessage() for r in caplog.records if r.name == "ui.teams.auth"]
    assert any(OTHER_TENANT in m and TENANT in m for m in logged), logged
    # Without a valid token it stays a 401: the tenant check runs after the token check.
    assert post(url, foreign).status_code == 401


def test_missing_tenant_is_refused_on_teams_only(
    secured: Secured, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, keys, tokens, services = secured
    asked = record_questions(monkeypatch, services)
    token = keys.token()
    for channel in ("msteams", "MSTeams", "msteams:COPILOT"):
        body = activity(QUESTION, tenant=None, channel=channel, expect_replies=False)
        response = post(url, body, token)
        assert response.status_code == 403, channel
        assert response.json() == {"detail": "The activity has no tenant."}
    assert asked == []
    assert tokens.requests == []
    # Web Chat (the portal's "Test in Web Chat") sends no tenant; its token was valid.
    webchat_token = keys.token(serviceurl=WEBCHAT_URL)
    body = activity(QUESTION, tenant=None, channel="webchat", service_url=WEBCHAT_URL)
    assert message_entities(one_message(post(url, body, webchat_token)))
    assert asked == [QUESTION]
    # A tenant that Web Chat does name must still be ours.
    body = activity(QUESTION, tenant=OTHER_TENANT, channel="webchat", service_url=WEBCHAT_URL)
    assert post(url, body, webchat_token).status_code == 403
    assert asked == [QUESTION]


def test_tenant_rules() -> None:
    check = TenantCheck(TENANT.upper())  # the setting's case does not matter either

    def verdict(body: dict[str, Any]) -> str:
        try:
            check.check(Activity.model_validate(body))
        except TenantError as exc:
            return exc.detail
        return "ok"

    assert verdict(activity("Hej", tenant=TENANT.lower())) == "ok"
    assert verdict(activity("Hej", tenant=None, channel="directline")) == "ok"
    assert verdict(activity("Hej", tenant=OTHER_TENANT, channel="directline")) != "ok"
    no_channel = activity("Hej", tenant=None)
    del no_channel["channelId"]
    assert verdict(no_channel) == "The activity has no tenant."
    odd = activity("Hej")  # a tenant that is not a string is compared, not ignored
    odd["channelData"]["tenant"]["id"] = {"id": TENANT}
    assert verdict(odd) == "The activity's tenant is not allowed."


def test_invalid_activity_is_400_before_the_assistant(
    secured: Secured, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, keys, _, services = secured
    asked = record_questions(monkeypatch, services)
    headers = {"Authorization": f"Bearer {keys.token()}", "Content-Type": "application/json"}
    for content in (b"not json", b"[]", b'{"type": 5}', b"\xff\xfe"):
        response = httpx.post(f"{url}/api/messages", content=content, headers=headers)
        assert response.status_code == 400, content
        assert response.json() == {"detail": "Invalid activity."}
    # The check reads the body, within the route's size limit.
    assert post(url, activity("x" * 1_200_000), keys.token()).status_code in (400, 413)
    assert asked == []


def test_anonymous_mode_refuses_a_body_that_is_not_an_activity(
    anonymous: tuple[str, Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, services = anonymous
    asked = record_questions(monkeypatch, services)
    for content in (b"not json", b"[]", b'{"type": 5}'):
        response = httpx.post(
            f"{url}/api/messages", content=content, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, content
        assert response.json() == {"detail": "Invalid activity."}
    assert asked == []


def test_anonymous_mode_checks_no_tenant(anonymous: tuple[str, Services]) -> None:
    """The Playground's activities carry a made-up tenant, or none; no token, no check."""
    url, _ = anonymous
    for tenant in (OTHER_TENANT, None):
        reply = one_message(post(url, activity("/help", tenant=tenant)))
        assert "Vem ansvarar för" in reply["text"]


def test_manifest_template_points_at_the_bot() -> None:
    folder = Path(__file__).resolve().parent.parent / "ui" / "teams" / "manifest"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    (bot,) = manifest["bots"]
    assert bot["botId"] == "${{BOT_ID}}"
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert len(manifest["description"]["short"]) <= 80
    assert len(manifest["name"]["short"]) <= 30
    assert (folder / "README.md").exists()
