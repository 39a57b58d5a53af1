"""Access per document and the admin panel in the chat, in real Chromium signed in at a
real OpenID Connect provider (panva's oidc-provider, tests/oidc_fixture.py) whose ID
tokens carry the user's groups (issue #14).

A member of group A (anna) asks the shared topic's questions and reads the lists: no
quote, title, register row, refusal hint or document-list entry of B's document; she is
no administrator, so the admin panel is not there. An administrator (berit) sees the
panel, and every document."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.access_docs import GROUP_A, QUESTIONS, TITLE_A, holds_a, leaks, write_documents
from tests.conftest import free_port, make_settings
from tests.http_server import serve_app
from tests.oidc_fixture import CLIENT_ID, CLIENT_SECRET, oidc_provider
from ui.app.keys import KeyStore
from ui.app.services import build_services
from ui.server import create_app

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH")
TIMEOUT_MS = 60_000
SESSION_KEY = "access-session-key-0123456789abcdef0123"
ADMINS = "nara-admins"
TENANT = "9f5b5b1e-0000-4000-8000-000000000002"
USERS = {  # as Entra puts them in an ID token
    "anna": {"name": "Anna A", "tid": TENANT, "oid": "a1", "groups": [GROUP_A], "roles": []},
    "berit": {"name": "Berit B", "tid": TENANT, "oid": "b1", "groups": [ADMINS], "roles": []},
}


@pytest.fixture(autouse=True)
def _patient_expect() -> None:
    """On a loaded 2-core machine the chat's loads take seconds: wait as long as pages."""
    expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with sign-in at the provider, A's and B's documents stored."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    folder = tmp_path_factory.mktemp("browser-access")
    with oidc_provider([f"{base}/auth/callback"], [f"{base}/auth/signed-out"], USERS) as issuer:
        settings = make_settings(
            folder / "store",
            embedder="hash",
            oidc={
                "issuer": issuer,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "session_key": SESSION_KEY,
                "admin_groups": [ADMINS],
            },
        )
        services = build_services(settings)
        assert services.kb.ingest([write_documents(folder / "docs")]).ok
        with pytest.MonkeyPatch.context() as mp:
            mp.delenv("GRADIO_TEMP_DIR", raising=False)  # the chat sets it for the process
            with serve_app(create_app(settings, services), port=port) as served:
                yield served


def signed_in_page(chromium: Any, url: str, user: str) -> Any:
    context = chromium.new_context(locale="sv-SE")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(url + "/")
    page.fill("input[name=login]", user)
    page.fill("input[name=password]", "any-password")
    page.click("button[type=submit]")
    page.click("button[type=submit]")  # the provider's consent
    expect(page.locator("#nara-question textarea")).to_be_visible()
    return page


def ask(page: Any, question: str) -> str:
    rows = page.locator("#nara-chatbot .bot-row")
    before = rows.count()
    page.fill("#nara-question textarea", question)
    page.click("#nara-send")
    page.wait_for_function(
        "n => document.querySelectorAll('#nara-chatbot .bot-row').length > n", arg=before
    )
    page.wait_for_function("() => !document.querySelector('#nara-send').disabled")
    return str(rows.last.inner_text())


def everything_shown(page: Any) -> str:
    """The answers to the questions (sources shown), the register tables and their
    document choices, and the document list."""
    shown = [ask(page, q) for q in QUESTIONS]
    page.get_by_role("tab", name="Ansvar och prioriteringar").click()
    table = page.locator("#nara-responsibilities")
    expect(table).to_contain_text("2025")
    shown += [table.inner_text(), page.locator("#nara-priorities").inner_text()]
    page.click("#nara-register-doc input")
    shown.append(page.get_by_role("listbox").inner_text())
    page.keyboard.press("Escape")
    page.get_by_role("tab", name="Dokument").click()
    documents = page.locator("#nara-documents")
    expect(documents).to_contain_text("Handlingsplan")
    shown.append(documents.inner_text())
    return "\n".join(shown)


def test_a_member_of_a_sees_nothing_of_b_and_no_admin_panel(url: str) -> None:
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = signed_in_page(chromium, url, "anna")
            shown = everything_shown(page)
            assert not leaks(shown), leaks(shown)
            assert holds_a(shown) and TITLE_A in shown
            expect(page.locator("#nara-admin")).to_be_hidden()
            expect(page.locator("#nara-upload-btn")).to_be_hidden()
        finally:
            chromium.close()


def test_an_administrator_sees_the_panel_and_every_document(url: str) -> None:
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = signed_in_page(chromium, url, "berit")
            page.get_by_role("tab", name="Dokument").click()
            expect(page.locator("#nara-admin")).to_be_visible()
            expect(page.locator("#nara-documents")).to_contain_text("Sydby")
        finally:
            chromium.close()


def test_the_fixture_documents_exist(tmp_path: Path) -> None:
    """The two documents are what the markers name (a guard on the test data)."""
    folder = write_documents(tmp_path)
    texts = "\n".join(p.read_text(encoding="utf-8") for p in folder.glob("*.md"))
    assert leaks(texts) and holds_a(texts)


def key_signed_in_page(chromium: Any, url: str, name: str, key: str) -> Any:
    """A page of the chat signed in with Gradio's login: a free name, a key as password."""
    page = chromium.new_context(locale="sv-SE").new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url + "/")
    page.locator("input[type=text]").first.fill(name)
    page.locator("input[type=password]").fill(key)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_selector("#nara-question textarea")
    return page


def test_without_oidc_a_key_reads_its_groups_and_an_admin_key_administers(
    tmp_path: Path,
) -> None:
    """Without OpenID Connect the chat's sign-in takes a key, and the chat reads as the
    key's record: a key of group A sees nothing of B's document and no administration;
    an admin key, signed in meanwhile under the same user name, sees the panel and every
    document. Once the admin key is revoked, its open page's upload is refused."""
    settings = make_settings(tmp_path / "store", embedder="hash")
    store = KeyStore(settings.data_dir / "keys.json")
    member_key = store.create("medlem-a", [GROUP_A], admin=False)
    admin_key = store.create("admin", [], admin=True)
    services = build_services(settings)
    assert services.kb.ingest([write_documents(tmp_path / "docs")]).ok
    with (
        pytest.MonkeyPatch.context() as mp,
        playwright_sync.sync_playwright() as p,
    ):
        mp.delenv("GRADIO_TEMP_DIR", raising=False)
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            with serve_app(create_app(settings, services)) as url:
                admin = key_signed_in_page(chromium, url, "Anna", admin_key)
                member = key_signed_in_page(chromium, url, "Anna", member_key)
                shown = everything_shown(member)
                assert not leaks(shown), leaks(shown)
                assert holds_a(shown) and TITLE_A in shown
                expect(member.locator("#nara-admin")).to_be_hidden()

                admin.get_by_role("tab", name="Dokument").click()
                expect(admin.locator("#nara-documents")).to_contain_text("Sydby")
                expect(admin.locator("#nara-admin")).to_be_visible()
                admin.get_by_text("Administrera dokument").click()
                admin.click("#nara-upload-btn")  # no file chosen: the check after the admin's
                status = admin.locator("#nara-upload-status")
                expect(status).to_contain_text("Välj en eller flera filer")
                store.revoke("admin")
                admin.click("#nara-upload-btn")  # the page still shows the panel
                expect(status).to_contain_text("Du är inte administratör")
        finally:
            chromium.close()
