"""Teams with signed tokens and access per document (issue #14): `POST /api/messages` of
a real app receives activities whose Bearer token an "Entra" on loopback signed, and
answers a user whom NARA_TEAMS_GROUPS maps to group A with nothing of group B's
document.

Only Entra is stood in for, at its protocol boundary: a loopback HTTP server publishes
the tenant's JWKS (the public half of a key generated here), and the app's own key
source (`ui.teams.keys.JwksKeySource`, with its bounds) fetches the keys over HTTP from
the address that `ui.teams.auth.jwks_uri` gives the token's issuer, with Microsoft's
host replaced by the loopback one. The token's signature, audience, issuer and tenant
are checked by `ui.teams.auth.TeamsAuth` as in production; a token signed by another
key under the same key id gets 401."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from microsoft_agents.hosting.core import AgentAuthConfiguration, ConnectionManager

from tests.access_docs import GROUP_A, QUESTIONS, holds_a, leaks, write_documents
from tests.conftest import make_settings
from tests.http_server import serve_app
from tests.test_teams import APP_ID, SERVICE_URL, TENANT, RecordingTokenProvider, activity
from ui.app.services import Services, build_services
from ui.teams.auth import jwks_uri
from ui.teams.bot import add_teams
from ui.teams.keys import JwksKeySource

ENTRA_HOST = "https://login.microsoftonline.com"
"""The host `ui.teams.auth.jwks_uri` gives an Entra issuer's keys (replaced by loopback)."""
ISSUER = f"{ENTRA_HOST}/{TENANT}/v2.0"
"""The tenant's v2 issuer, as Entra names it in a token to the bot."""
KID = "loopback-entra-key"
USER_A = "0a0a0a0a-0000-4000-8000-00000000000a"
UNMAPPED = "0c0c0c0c-0000-4000-8000-00000000000c"


class Entra(NamedTuple):
    url: str
    key: rsa.RSAPrivateKey
    requests: list[str]
    """The paths the app fetched from it."""


def entra_app(key: rsa.RSAPrivateKey, requests: list[str]) -> FastAPI:
    """The tenant's JWKS, as Entra publishes it (the bot, like the Agents SDK, knows the
    JWKS address of an issuer without reading its OpenID configuration)."""
    app = FastAPI()
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))

    @app.get("/{tenant}/discovery/v2.0/keys")
    def keys(tenant: str) -> dict[str, Any]:
        requests.append(f"/{tenant}/discovery/v2.0/keys")
        return {"keys": [public | {"kid": KID, "use": "sig", "alg": "RS256"}]}

    return app


@pytest.fixture(scope="module")
def entra() -> Iterator[Entra]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    requests: list[str] = []
    with serve_app(entra_app(key, requests)) as url:
        yield Entra(url, key, requests)


def signed(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    """A token as Entra issues it to the bot for a Teams activity."""
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": APP_ID,
        "tid": TENANT,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "serviceurl": SERVICE_URL,
    } | claims
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": KID})


@pytest.fixture(scope="module")
def bot(entra: Entra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Services]]:
    """The bot with credentials, its keys fetched from the loopback Entra; A's and B's
    documents stored; the user USER_A of our tenant mapped to group A."""
    folder = tmp_path_factory.mktemp("teams-signed")
    settings = make_settings(
        folder / "store",
        embedder="hash",
        teams={
            "app_id": APP_ID,
            "app_password": "a-real-looking-client-secret",
            "tenant_id": TENANT,
            "groups": {f"{TENANT}/{USER_A}": [GROUP_A]},
        },
    )
    services = build_services(settings)
    assert services.kb.ingest([write_documents(folder / "docs")]).ok
    connections = ConnectionManager(
        provider_factory=lambda _config: RecordingTokenProvider(),
        connections_configurations={
            "SERVICE_CONNECTION": AgentAuthConfiguration(client_id=APP_ID, tenant_id=TENANT)
        },
    )
    keys = JwksKeySource(lambda issuer: jwks_uri(issuer).replace(ENTRA_HOST, entra.url))
    app = FastAPI()
    add_teams(app, services, key_source=keys, connections=connections)
    with serve_app(app) as url:
        yield url, services


def ask(url: str, question: str, user: str, token: str) -> httpx.Response:
    body = activity(question)
    body["from"]["aadObjectId"] = user
    return httpx.post(
        f"{url}/api/messages",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )


def replies(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return json.dumps(response.json()["activities"], ensure_ascii=False)


def test_a_signed_request_of_a_user_of_a_gets_nothing_of_b(
    entra: Entra, bot: tuple[str, Services]
) -> None:
    url, _ = bot
    said = "\n".join(replies(ask(url, q, USER_A, signed(entra.key))) for q in QUESTIONS)
    assert not leaks(said), leaks(said)
    assert holds_a(said)  # the mapping gave A: the answers quote A's document
    assert f"/{TENANT}/discovery/v2.0/keys" in entra.requests  # fetched over HTTP
    unmapped = "\n".join(replies(ask(url, q, UNMAPPED, signed(entra.key))) for q in QUESTIONS)
    assert not leaks(unmapped) and not holds_a(unmapped)  # only "alla"


def test_an_invalid_signature_is_401_and_never_asks(
    entra: Entra, bot: tuple[str, Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, services = bot
    asked: list[str] = []
    monkeypatch.setattr(services.assistant, "ask", lambda q, *a, **k: asked.append(q))
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = ask(url, QUESTIONS[0], USER_A, signed(forger))  # the same key id, another key
    assert forged.status_code == 401 and forged.headers["WWW-Authenticate"] == "Bearer"
    tampered = signed(entra.key).rsplit(".", 1)
    changed = "A" if tampered[1][0] != "A" else "B"
    broken = ask(url, QUESTIONS[0], USER_A, f"{tampered[0]}.{changed}{tampered[1][1:]}")
    assert broken.status_code == 401
    wrong_audience = ask(url, QUESTIONS[0], USER_A, signed(entra.key, aud="another-bot"))
    assert wrong_audience.status_code == 401
    assert asked == []
