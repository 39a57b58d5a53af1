"""Sign-in to the chat with OpenID Connect (issue #14), against a real provider: panva's
oidc-provider under node on loopback (tests/oidc_fixture.py), the real app served by
uvicorn, driven over HTTP as a browser goes (redirects, the provider's login and consent
forms, cookies), through Gradio's own client with the session cookie, and once in
Debian's Chromium (Playwright).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import ValidationError

from tests.conftest import free_port, make_settings
from tests.http_server import serve_app
from tests.oidc_fixture import (
    CLIENT_ID,
    CLIENT_SECRET,
    PAGE,
    oidc_provider,
    sign_in,
    through_forms,
)
from ui.app.oidc_user import MAX_SESSION_GROUPS, groups_of, user_from_claims
from ui.app.services import Services, build_services
from ui.chat.oidc_session import COOKIE_NAME, fernet_for
from ui.server import create_app

SESSION_KEY = "oidc-session-key-0123456789abcdef0123456789"
ADMINS = "nara-admins"
TENANT = "9f5b5b1e-0000-4000-8000-000000000001"
USERS = {  # claims as Entra puts them in an ID token: tid, oid, groups, roles
    "anna": {
        "name": "Anna Andersson",
        "tid": TENANT,
        "oid": "0a0a0a0a-0000-4000-8000-00000000000a",
        "groups": ["vardcentral-norr"],
        "roles": [],
    },
    "berit": {
        "name": "Berit Berg",
        "tid": TENANT,
        "oid": "0b0b0b0b-0000-4000-8000-00000000000b",
        "groups": ["vardcentral-norr", ADMINS],
        "roles": [],
    },
}
ROUTINE = (
    "# Rutin för läkemedelsgenomgång\n\nSjuksköterskan ansvarar för att "
    "läkemedelsgenomgången görs inom en vecka efter inskrivning.\n"
)
QUESTION = "Vem ansvarar för läkemedelsgenomgången?"
CHAT_ROUTES = (
    ("GET", "/config"),
    ("GET", "/gradio_api/info"),
    ("GET", "/gradio_api/config"),
    ("GET", "/gradio_api/queue/data?session_hash=abc"),
    ("POST", "/gradio_api/queue/join"),
    ("POST", "/gradio_api/run/respond"),
    ("POST", "/gradio_api/upload"),
    ("GET", "/gradio_api/file=/etc/passwd"),
    ("GET", "/queue/data"),
    ("GET", "/theme.css"),
    ("GET", "/no/such/page"),
)


# -- fixtures ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Provider:
    issuer: str
    ports: tuple[int, ...]
    """App ports whose callback and sign-out return URIs the provider knows."""


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    """The provider, with the app's URIs registered for two ports: the app of
    `oidc_app`, and one more for an app configured otherwise."""
    ports = (free_port(), free_port())
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    with oidc_provider(
        [f"{b}/auth/callback" for b in bases], [f"{b}/auth/signed-out" for b in bases], USERS
    ) as issuer:
        yield Provider(issuer, ports)


@contextmanager
def app_at(
    provider: Provider, port: int, folder: Path, **oidc: Any
) -> Iterator[tuple[str, Services]]:
    """The app with sign-in at `provider`, served on `port`, one routine stored; `oidc`:
    other NARA_OIDC_* settings."""
    config: dict[str, Any] = {
        "issuer": provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "session_key": SESSION_KEY,
        "admin_groups": [ADMINS],
    }
    settings = make_settings(folder / "store", embedder="hash", oidc=config | oidc)
    services = build_services(settings)
    docs = folder / "docs"
    docs.mkdir()
    (docs / "rutin.md").write_text(ROUTINE, encoding="utf-8")
    assert services.kb.ingest([docs]).ok
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("GRADIO_TEMP_DIR", raising=False)  # the chat sets it for the process
        with serve_app(create_app(settings, services), port=port) as url:
            yield url, services


@pytest.fixture(scope="module")
def oidc_app(
    provider: Provider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Services]]:
    """The app with sign-in by OpenID Connect, over HTTP, and its services."""
    with app_at(provider, provider.ports[0], tmp_path_factory.mktemp("oidc")) as app:
        yield app


def browser(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, follow_redirects=True, timeout=60)


def session_cookie(client: httpx.Client) -> str:
    """The session cookie the client holds; "" when none."""
    return client.cookies.get(COOKIE_NAME, domain="127.0.0.1", path="/") or ""


def entries_since(services: Services, before: int) -> list[dict[str, Any]]:
    return services.audit.entries()[before:]


# -- no session, no chat ------------------------------------------------------------------
def test_without_a_session_nothing_of_the_chat_answers(oidc_app: tuple[str, Services]) -> None:
    from gradio_client import Client

    url, _ = oidc_app
    with httpx.Client(base_url=url, timeout=60) as anonymous:
        page = anonymous.get("/", headers=PAGE)
        assert page.status_code == 302
        assert page.headers["location"] == "/auth/sign-in?next=/"
        deep = anonymous.get("/?view=api", headers=PAGE)
        assert deep.headers["location"] == "/auth/sign-in?next=/%3Fview%3Dapi"
        script = anonymous.get("/", headers={"Accept": "application/json"})
        assert script.status_code == 401 and script.json()["error"] == "Du är inte inloggad."
        for method, path in CHAT_ROUTES:
            response = anonymous.request(method, path, json={})
            assert response.status_code == 401, (method, path, response.status_code)
            assert "nara-question" not in response.text
        assert anonymous.get("/healthz").status_code == 200
        assert anonymous.get("/readyz").status_code not in (302, 401)
        api = anonymous.get("/v1/documents")  # its own keys; none configured here: off
        assert api.status_code == 503 and "NARA_API_KEYS" in api.text
        to_provider = anonymous.get("/auth/sign-in")
        assert to_provider.status_code == 302
        assert to_provider.headers["location"].startswith("http://127.0.0.1:")
    with pytest.raises(ValueError, match="Could not"):
        Client(url + "/", verbose=False, download_files=False)


# -- the code flow ------------------------------------------------------------------------
def test_code_flow_with_pkce_signs_in_and_out(oidc_app: tuple[str, Services]) -> None:
    url, services = oidc_app
    log = services.audit
    with browser(url) as client:
        start = client.get("/auth/sign-in", follow_redirects=False)
        asked = parse_qs(urlsplit(start.headers["location"]).query)
        assert asked["code_challenge_method"] == ["S256"] and len(asked["code_challenge"][0]) >= 43
        assert asked["response_type"] == ["code"] and asked["client_id"] == [CLIENT_ID]
        assert "openid" in asked["scope"][0].split()
        client.cookies.clear()

        before = len(log.entries())
        landed = sign_in(client, "anna")
        assert landed.status_code == 200 and str(landed.url) == f"{url}/"
        assert "nara-question" in landed.text and "Logga ut" in landed.text
        assert client.get("/config").status_code == 200
        (entry,) = entries_since(services, before)
        assert (entry["action"], entry["status"], entry["interface"]) == ("sign_in", "ok", "chat")
        assert entry["actor"] == log.actor("chat", "user:oidc:anna")

        cookie = session_cookie(client)
        assert "anna" not in cookie.lower() and "vardcentral" not in cookie
        kept = json.loads(fernet_for(SESSION_KEY).decrypt(cookie.encode()))
        assert kept["user"]["groups"] == ["vardcentral-norr"]
        assert set(kept["user"]) == {"sub", "name", "groups", "at"}  # nothing else kept

        before = len(log.entries())
        out = through_forms(client, client.get("/auth/sign-out", headers=PAGE), "anna")
        assert out.url.path == "/auth/signed-out" and "Du är utloggad" in out.text
        assert out.url.params.get("state") and session_cookie(client) == ""
        (entry,) = entries_since(services, before)
        assert (entry["action"], entry["actor"]) == (
            "sign_out",
            log.actor("chat", "user:oidc:anna"),
        )
        assert client.get("/config").status_code == 401
        assert client.get("/", headers=PAGE).url.host == "127.0.0.1"  # to sign-in again
    assert "anna" not in log.path.read_text(encoding="utf-8").lower()
    assert log.verify() == len(log.entries())


def test_sign_in_returns_to_the_page_asked_for_and_never_elsewhere(
    oidc_app: tuple[str, Services],
) -> None:
    url, _ = oidc_app
    with browser(url) as client:
        landed = sign_in(client, "anna", start="/auth/sign-in?next=/?view=api")
        assert str(landed.url) == f"{url}/?view=api"
    with browser(url) as client:
        landed = sign_in(client, "anna", start="/auth/sign-in?next=//evil.example/x")
        assert str(landed.url) == f"{url}/"


def test_a_forged_callback_is_refused_and_logged(oidc_app: tuple[str, Services]) -> None:
    url, services = oidc_app
    before = len(services.audit.entries())
    with browser(url) as client:
        forged = client.get("/auth/callback?code=stolen&state=guessed", headers=PAGE)
        assert forged.status_code == 401
        assert "Inloggningen misslyckades" in forged.text and "Logga in igen" in forged.text
        assert "Traceback" not in forged.text and "OAuthError" not in forged.text
        assert client.get("/config").status_code == 401
    (entry,) = entries_since(services, before)
    assert (entry["action"], entry["status"]) == ("sign_in", "refused")


def test_a_changed_or_expired_cookie_is_no_session(oidc_app: tuple[str, Services]) -> None:
    url, services = oidc_app
    with browser(url) as client:
        sign_in(client, "anna")
        cookie = session_cookie(client)
    changed = cookie[:40] + ("A" if cookie[40] != "A" else "B") + cookie[41:]
    session = json.loads(fernet_for(SESSION_KEY).decrypt(cookie.encode()))
    session["user"]["at"] = time.time() - services.settings.oidc.session_max_age_s - 1
    expired = fernet_for(SESSION_KEY).encrypt(json.dumps(session).encode()).decode()
    other_key = fernet_for("another-key-0123456789abcdef0123456789").encrypt(b"{}").decode()
    with httpx.Client(base_url=url, timeout=60) as client:
        for value, status in ((cookie, 200), (changed, 401), (expired, 401), (other_key, 401)):
            sent = {"Cookie": f"{COOKIE_NAME}={value}"}
            assert client.get("/config", headers=sent).status_code == status


# -- administrators by group ----------------------------------------------------------------
def test_an_admin_group_uploads_without_a_key_and_others_may_not(
    oidc_app: tuple[str, Services], tmp_path: Path
) -> None:
    from gradio_client import Client, handle_file

    url, services = oidc_app
    log = services.audit
    doc = tmp_path / "ny-rutin.md"
    doc.write_text(ROUTINE.replace("en vecka", "två veckor"), encoding="utf-8")

    def chat_as(login: str) -> Client:
        with browser(url) as client:
            sign_in(client, login)
            cookie = session_cookie(client)
        headers = {"Cookie": f"{COOKIE_NAME}={cookie}"}
        return Client(url + "/", headers=headers, verbose=False, download_files=False)

    anna = chat_as("anna")
    try:
        before = len(log.entries())
        reply = anna.predict(QUESTION, [], [], [], api_name="/respond")
        assert "Sjuksköterskan" in str(reply[0][-1]["content"])
        (entry,) = entries_since(services, before)
        assert (entry["action"], entry["actor"]) == (
            "question",
            log.actor("chat", "user:oidc:anna"),
        )
        summary, _ = anna.predict([handle_file(str(doc))], api_name="/upload")
        assert "Du är inte administratör" in summary
        assert "ny-rutin" not in {d.doc_id for d in services.kb.documents()}
    finally:
        anna.close()

    berit = chat_as("berit")
    try:
        before = len(log.entries())
        summary, _ = berit.predict([handle_file(str(doc))], api_name="/upload")
        assert "1 nytt" in summary, summary
        (entry,) = entries_since(services, before)
        assert (entry["action"], entry["actor"]) == ("upload", log.actor("chat", "user:oidc:berit"))
        assert "ny-rutin" in {d.doc_id for d in services.kb.documents()}
    finally:
        berit.close()


def test_a_wrong_client_secret_is_a_refused_sign_in(provider: Provider, tmp_path: Path) -> None:
    wrong = CLIENT_SECRET[::-1]
    with app_at(provider, provider.ports[1], tmp_path, client_secret=wrong) as (url, svc):
        with browser(url) as client:
            landed = sign_in(client, "anna")
            assert landed.status_code == 401 and landed.url.path == "/auth/callback"
            assert "Inloggningen kunde inte slutföras" in landed.text
            assert "invalid_client" not in landed.text  # the provider's words stay in the log
            assert client.get("/config").status_code == 401
        (entry,) = svc.audit.entries()
        assert (entry["action"], entry["status"]) == ("sign_in", "refused")


def test_groups_come_from_the_configured_claim(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        oidc={
            "issuer": "https://login.example.se/t/v2.0",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "session_key": SESSION_KEY,
            "group_claim": "roles",
            "admin_groups": ["Nara.Admin"],
        },
    )
    entra = {"sub": "s1", "groups": [ADMINS], "roles": ["Nara.Reader", "Nara.Admin"]}
    user = user_from_claims(entra, settings)
    assert user.groups == ("Nara.Reader", "Nara.Admin") and user.admin
    assert user.user_id == "oidc:s1"
    assert not user_from_claims({"sub": "s2", "groups": ["Nara.Admin"]}, settings).admin
    assert groups_of({"roles": "a b a"}, "roles") == ("a", "b")
    overage = {"_claim_names": {"roles": "src1"}}
    assert groups_of(overage, "roles") == ()
    many = groups_of({"roles": [f"g{i}" for i in range(MAX_SESSION_GROUPS + 5)]}, "roles")
    assert many[0] == "g0" and len(many) == MAX_SESSION_GROUPS


# -- settings ---------------------------------------------------------------------------
def test_an_issuer_needs_a_client_and_a_session_key(tmp_path: Path) -> None:
    base: dict[str, Any] = {"issuer": "https://login.example.se/tenant/v2.0"}
    with pytest.raises(ValidationError, match="NARA_OIDC_CLIENT_ID and NARA_OIDC_CLIENT_SECRET"):
        make_settings(tmp_path, oidc=base)
    base |= {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    with pytest.raises(ValidationError, match="NARA_OIDC_SESSION_KEY"):
        make_settings(tmp_path, oidc=base | {"session_key": "too-short"})
    with pytest.raises(ValidationError, match="openid"):
        make_settings(tmp_path, oidc=base | {"session_key": SESSION_KEY, "scopes": "profile"})
    assert make_settings(tmp_path, oidc=base | {"session_key": SESSION_KEY}).oidc.enabled


def test_without_an_issuer_the_chat_signs_in_as_before_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        tmp_path / "store", embedder="hash", api_keys=["user-key-0123456789abcdef"]
    )
    with pytest.MonkeyPatch.context() as mp, caplog.at_level(logging.INFO):
        mp.delenv("GRADIO_TEMP_DIR", raising=False)
        app = create_app(settings)
    assert "OpenID Connect is off" in caplog.text
    assert not any(getattr(r, "path", "").startswith("/auth/") for r in app.routes)


# -- a real browser -----------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_TIMEOUT_MS = 60_000


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH (Debian: chromium)")
def test_a_browser_signs_in_at_the_provider_and_out_again(
    oidc_app: tuple[str, Services],
) -> None:
    playwright_sync = pytest.importorskip("playwright.sync_api")
    expect = playwright_sync.expect
    url, services = oidc_app
    before = len(services.audit.entries())
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = chromium.new_context(locale="sv-SE")
            context.set_default_timeout(BROWSER_TIMEOUT_MS)
            page = context.new_page()
            page.goto(url + "/")
            assert urlsplit(page.url).port != urlsplit(url).port  # the provider's login
            page.fill("input[name=login]", "berit")
            page.fill("input[name=password]", "any-password")
            page.click("button[type=submit]")
            page.click("button[type=submit]")  # the provider's consent
            expect(page.locator("#nara-question textarea")).to_be_visible()
            assert page.url == f"{url}/"
            expect(page.locator("#nara-admin-key")).to_have_count(0)  # an admin: no key box
            page.fill("#nara-question textarea", QUESTION)
            page.click("#nara-send")
            expect(page.locator("#nara-chatbot")).to_contain_text("Sjuksköterskan")
            page.click("#nara-sign-out a")
            page.click("button[type=submit]")  # the provider's "sign out?" question
            expect(page.get_by_text("Du är utloggad")).to_be_visible()
            page.goto(url + "/")
            expect(page.locator("input[name=login]")).to_be_visible()  # at the provider
        finally:
            chromium.close()
    actions = [e["action"] for e in services.audit.entries()[before:]]
    # The question's entry is written when its answer's stream ends, which may come after
    # the page has shown the answer and the sign-out was logged: one of each, in any order
    # after the sign-in.
    assert actions[0] == "sign_in" and sorted(actions[1:]) == ["question", "sign_out"]
