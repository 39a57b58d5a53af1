"""A real OpenID Connect provider on loopback for the sign-in tests: panva's
`oidc-provider` (npm, tests/oidc_provider/) run by node, with one client and users
whose ID tokens carry `groups` and `roles` as Entra ID's do.

    with oidc_provider(redirect_uris=[...], users={...}) as issuer: ...

Node and the npm packages are installed by .ci/run (`npm ci` in tests/oidc_provider).
Without node on a developer's machine the tests are skipped; on CI (CI=true) that is a
failure, as is a missing `npm ci`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

import httpx
import pytest

from tests.conftest import free_port

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID = "nara-chat"
CLIENT_SECRET = "test-client-secret-0123456789abcdef"
START_TIMEOUT_S = 30.0


def node_or_skip() -> str:
    """The node executable; skips (locally) or fails (CI) without it or its packages."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is missing on CI: .ci/run installs nodejs and npm")
        pytest.skip("node is not installed (apt-get install nodejs npm)")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(f"oidc-provider is not installed: run `npm ci --prefix {PROVIDER_DIR}`")
    return node


@contextmanager
def oidc_provider(
    redirect_uris: list[str], post_logout_uris: list[str], users: dict[str, dict[str, Any]]
) -> Iterator[str]:
    """Run the provider until the block ends; yields its issuer URL."""
    node = node_or_skip()
    port = free_port()
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed after the provider ends
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": post_logout_uris,
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
    }
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_CLIENTS": json.dumps([client]),
        "OIDC_USERS": json.dumps(users),
    }
    proc = subprocess.Popen(
        [node, str(PROVIDER_DIR / "provider.js")],
        cwd=PROVIDER_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, issuer, log)
        yield issuer
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_ready(proc: subprocess.Popen[str], issuer: str, log: IO[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the OpenID provider did not start: {log.read()[-2000:]}")
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the OpenID provider did not answer within {START_TIMEOUT_S:.0f} s")


# -- the provider's forms, as a browser fills them -------------------------------------
PAGE = {"Accept": "text/html,application/xhtml+xml"}
"""A browser's Accept header for a page."""
MAX_FORMS = 6
"""Forms a sign-in or sign-out may pass: login, consent, end-session confirmation."""


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag in ("input", "button") and self.forms and a.get("name"):
            self.forms[-1].fields.setdefault(a["name"], a.get("value", ""))


def forms_of(page: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(page)
    return parser.forms


def through_forms(client: httpx.Client, response: httpx.Response, login: str) -> httpx.Response:
    """Fill and send the provider's forms (login name `login`, any password; consent;
    sign-out confirmation) until a page without a form is reached; it is returned."""
    for _ in range(MAX_FORMS):
        forms = (
            forms_of(response.text) if "html" in response.headers.get("content-type", "") else []
        )
        if not forms:
            return response
        form = forms[0]
        data = dict(form.fields)
        if "login" in data:
            data.update(login=login, password="any-password")
        target = urljoin(str(response.url), form.action or str(response.url))
        response = client.request(form.method.upper(), target, data=data, headers=PAGE)
    raise AssertionError(f"still a form after {MAX_FORMS}: {response.url}")


def sign_in(client: httpx.Client, login: str, start: str = "/") -> httpx.Response:
    """The authorisation code flow from a page of the app, as a browser goes through it
    (`client` follows redirects); returns the page the browser ends on."""
    return through_forms(client, client.get(start, headers=PAGE), login)
