"""/docs and /redoc in real Chromium with every request outside loopback blocked, as where
the assistant runs without internet: the pages must render the API's operations from
files the app serves itself (ui/http/docs.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import make_settings
from tests.http_server import serve_app
from ui.app.services import build_services
from ui.server import create_app

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TIMEOUT_MS = 60_000
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


KEY = "docs-reader-key-0123456789abcdef"
"""The key the browser gives as the password when /docs asks (ui/http/docs_access.py)."""


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app over an empty hash-embedded store (the docs need no documents)."""
    settings = make_settings(
        tmp_path_factory.mktemp("docs") / "store", embedder="hash", api_keys=[KEY]
    )
    with serve_app(create_app(settings, build_services(settings))) as base:
        yield base


@pytest.fixture
def offline_page(url: str) -> Iterator[tuple[object, list[str]]]:
    """A page whose requests outside loopback are aborted; yields it and those URLs."""
    blocked: list[str] = []

    def route(r) -> None:  # type: ignore[no-untyped-def]
        host = urlsplit(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(http_credentials={"username": "anna", "password": KEY})
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", route)
        yield context.new_page(), blocked
        browser.close()


def _operations(url: str) -> list[tuple[str, str]]:
    spec = httpx.get(f"{url}/openapi.json", auth=("anna", KEY), timeout=30).json()
    return [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    ]


def test_swagger_ui_renders_every_operation_offline(url: str, offline_page) -> None:  # type: ignore[no-untyped-def]
    page, blocked = offline_page
    operations = _operations(url)
    assert len(operations) >= 5
    page.goto(f"{url}/docs")
    page.wait_for_selector(".opblock")
    shown = {
        (
            b.locator(".opblock-summary-method").inner_text().strip(),
            b.get_attribute("data-path") or b.locator(".opblock-summary-path").inner_text().strip(),
        )
        for b in page.locator(".opblock").all()
    }
    assert {p for _, p in operations} <= {p.replace("\u200b", "") for _, p in shown}
    assert page.locator(".opblock").count() == len(operations)
    assert blocked == [], blocked


def test_redoc_renders_the_operations_offline(url: str, offline_page) -> None:  # type: ignore[no-untyped-def]
    page, blocked = offline_page
    operations = _operations(url)
    page.goto(f"{url}/redoc")
    page.wait_for_selector("[data-section-id^='operation/'], [id^='operation/']")
    text = page.inner_text("body")
    for _, path in operations:
        assert path in text, path
    assert blocked == [], blocked


def test_docs_pages_name_only_local_assets(url: str) -> None:
    for page in ("/docs", "/redoc"):
        html = httpx.get(f"{url}{page}", auth=("anna", KEY), timeout=30).text
        assert "cdn." not in html and "https://" not in html, html


def test_a_browser_without_the_key_sees_no_docs(url: str) -> None:
    """Without credentials the browser is asked for them (401 with a Basic challenge),
    and shows nothing of the API."""
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_context().new_page()
            # Headless Chromium has no dialog to ask in: the challenge ends the load
            # (ERR_INVALID_AUTH_CREDENTIALS), or the 401 itself is the page.
            try:
                response = page.goto(f"{url}/docs")
            except playwright_sync.Error as error:
                assert "AUTH" in str(error), error  # nothing loaded
            else:
                assert response is not None and response.status == 401
                assert response.headers["www-authenticate"].startswith("Basic ")
                assert "swagger" not in response.text().lower()
        finally:
            browser.close()
