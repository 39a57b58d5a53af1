"""Hostile input against the serving side (issue #16): the REST API, the chat's own Gradio
routes and the Teams key lookups, over real HTTP against `create_app` served by uvicorn on
loopback. The store is the sample corpus with the deterministic hash embedder.

Every case runs within `TIME_BOUND_S` and `MEMORY_BOUND_MB` over the peak before it
(`bounded`), gets a clear error, and leaves the documents stored before it in place
(`documents_kept`).
"""

from __future__ import annotations

import json
import resource
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import jwt
import pytest
from fastapi import FastAPI
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from gradio_client.utils import QueueError
from microsoft_agents.hosting.core import AgentAuthConfiguration, ConnectionManager
from pydantic import SecretStr

from nara.settings_groups import TeamsSettings
from tests.conftest import CORPUS, make_settings
from tests.http_server import serve_app
from tests.test_teams import (
    APP_ID,
    KID,
    TENANT,
    LocalKeys,
    RecordingTokenProvider,
    activity,
)
from ui.app.schemas import MAX_COMMENT_CHARS
from ui.app.services import Services, build_services
from ui.chat import guard as chat_guard
from ui.chat.guard import GRADIO_TEMP_DIR, upload_folder
from ui.chat.handlers import Handlers
from ui.chat.render import Exchange
from ui.http.api import add_api
from ui.server import create_app
from ui.teams.bot import add_teams
from ui.teams.keys import JwksKeySource

USER_KEY = "user-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"
USER = {"Authorization": f"Bearer {USER_KEY}"}
TIME_BOUND_S = 10.0  # the bound on every hostile case
MEMORY_BOUND_MB = 500
MAX_FILE_MB = 0.05  # 50 kB: small enough to go over cheaply
QUESTION_LIMIT = 1000  # the default NARA_MAX_QUESTION_CHARS
SEARCH_UNDER_FLOOD_S = 3.0  # /v1/search during 45 forged Teams requests (issue: 57 s)
SLOW_ANSWER_S = 1.5  # a chat answer in the queue test: the burst arrives well within it
GRADIO_DEFAULT_DIR = Path(tempfile.gettempdir()) / "gradio"  # where Gradio writes by default


# -- fixtures and helpers ---------------------------------------------------------------
@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    settings = make_settings(
        tmp_path_factory.mktemp("hostile") / "store",
        embedder="hash",
        api_keys=[USER_KEY],
        admin_keys=[ADMIN_KEY],
        max_file_mb=MAX_FILE_MB,
        # the bounds of an open chat; sign-in: tests/test_untrusted.py
        chat={"queue_size": 2, "concurrency": 1, "sign_in": "open"},
    )
    built = build_services(settings)
    report = built.kb.ingest([CORPUS])
    assert report.ok and len(report.added) == 4
    yield built


@pytest.fixture(scope="module")
def base_url(services: Services) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(GRADIO_TEMP_DIR, raising=False)  # restored afterwards: the chat sets it
        with serve_app(create_app(services.settings, services)) as url:
            yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as c:
        yield c


@pytest.fixture
def chat(base_url: str) -> Iterator[Client]:
    """A Gradio client of the chat, as any anonymous caller has one."""
    client = Client(base_url + "/", verbose=False, download_files=False)
    yield client
    client.close()  # its heartbeat stream would hold the server's shutdown


@contextmanager
def bounded() -> Iterator[None]:
    """The block finishes within TIME_BOUND_S and raises the process's peak memory by
    less than MEMORY_BOUND_MB (the server runs in this process)."""
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    yield
    elapsed = time.monotonic() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_kb) / 1024
    assert elapsed < TIME_BOUND_S, f"took {elapsed:.1f} s"
    assert grown_mb < MEMORY_BOUND_MB, f"peak memory grew by {grown_mb:.0f} MB"


@contextmanager
def documents_kept(client: httpx.Client) -> Iterator[None]:
    before = document_ids(client)
    yield
    assert before <= document_ids(client)


def document_ids(client: httpx.Client) -> set[str]:
    response = client.get("/v1/documents", headers=USER)
    assert response.status_code == 200
    return {d["document_id"] for d in response.json()["documents"]}


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The documented error body, checked for its shape and the request id."""
    assert response.status_code == status, response.text[:500]
    body: dict[str, Any] = response.json()
    assert body["error"] and body["hint"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def announce_body(client: httpx.Client, path: str, length: int) -> tuple[int, bytes]:
    """Send only the headers of a POST that announces a `length`-byte body; the status
    and body of the answer (httpx refuses to send a body shorter than announced)."""
    host, port = str(client.base_url.host), int(client.base_url.port or 80)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {length}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=TIME_BOUND_S) as sock:
        sock.sendall(head.encode("ascii"))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def raw_json(client: httpx.Client, path: str, text: str) -> httpx.Response:
    """POST `text` as it is: JSON escapes such as \\ud800 reach the server unchanged."""
    headers = {**USER, "Content-Type": "application/json"}
    return client.post(path, content=text.encode("ascii"), headers=headers)


# -- 1. bounded history -----------------------------------------------------------------
def test_history_turn_over_the_question_limit_is_422_and_not_echoed(
    client: httpx.Client,
) -> None:
    long_turn = "Vem ansvarar för hemsjukvården? " * 3125  # 100,000 characters
    with documents_kept(client), bounded():
        response = client.post(
            "/v1/ask",
            json={"question": "Och det?", "history": [{"role": "user", "content": long_turn}]},
            headers=USER,
        )
        body = error_of(response, 422)
    assert "historiken" in body["error"] and f"högst {QUESTION_LIMIT}" in body["error"]
    assert len(response.content) < 2_000  # nothing of the turn is sent back


def test_follow_up_made_standalone_over_the_limit_is_422(client: httpx.Client) -> None:
    previous = ("Vem ansvarar för kommunikationsplanen " * 40)[: QUESTION_LIMIT - 1] + "?"
    with documents_kept(client), bounded():
        over = client.post(
            "/v1/ask",
            json={"question": "Och det?", "history": [{"role": "user", "content": previous}]},
            headers=USER,
        )
        body = error_of(over, 422)
        assert "Följdfrågan" in body["error"]
        # a follow-up of an ordinary question is still made standalone and answered
        ok = client.post(
            "/v1/ask",
            json={
                "question": "Och det?",
                "history": [{"role": "user", "content": "Vem ansvarar för hemsjukvården?"}],
            },
            headers=USER,
        )
    assert ok.status_code == 200, ok.text[:300]
    assert "hemsjukvården" in ok.json()["resolved_question"]


def test_chat_question_over_the_limit_gets_a_swedish_message_cut_to_the_limit(
    chat: Client,
) -> None:
    with bounded():
        messages, _question = chat.predict("x" * 100_000, [], [], api_name="/respond")
    assert len(messages) == 2
    shown, reply = (str(m["content"]) for m in messages)
    assert len(shown) < 2 * QUESTION_LIMIT  # the question is shown cut, not echoed whole
    assert "100000 tecken" in reply and f"högst {QUESTION_LIMIT}" in reply


# -- 2. smaller API defects -------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/ask", '{"question": "Vem ansvarar \\ud800?"}', "question"),
        (
            "/v1/ask",
            '{"question": "Och det?", "history": [{"role": "user", "content": "a\\ud800"}]}',
            "history.0.content",
        ),
        ("/v1/search", '{"query": "hemsjukv\\udfffrden"}', "query"),
    ],
)
def test_lone_surrogate_is_422(client: httpx.Client, path: str, body: str, field: str) -> None:
    with documents_kept(client), bounded():
        error = error_of(raw_json(client, path, body), 422)
    assert [e["field"] for e in error["errors"]] == [field]


@pytest.mark.parametrize("path", ["/finns-inte", "/v1/finns-inte", "/gradio_api/finns-inte"])
def test_unknown_path_answers_the_documented_error_body(client: httpx.Client, path: str) -> None:
    with bounded():
        body = error_of(client.get(path, headers=USER), 404)
    assert path in body["error"] and "detail" not in body


def test_wrong_key_is_401_with_a_bearer_challenge(client: httpx.Client) -> None:
    with documents_kept(client), bounded():
        wrong = client.get("/v1/documents", headers={"Authorization": "Bearer " + "y" * 30})
        error_of(wrong, 401)
        assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
        # a valid key without the right stays 403
        delete = client.delete(f"/v1/documents/{next(iter(document_ids(client)))}", headers=USER)
        error_of(delete, 403)


# -- 3. the chat's HTTP surface ---------------------------------------------------------
def test_anonymous_chat_upload_over_the_limit_is_refused_and_leaves_nothing(
    client: httpx.Client, services: Services
) -> None:
    folders = (upload_folder(services.settings), GRADIO_DEFAULT_DIR)
    before = [files_under(f) for f in folders]
    too_big = b"a" * int(MAX_FILE_MB * 1e6 * 2)
    with documents_kept(client), bounded():
        response = client.post("/gradio_api/upload", files={"files": ("stor.txt", too_big)})
        assert response.status_code == 413, response.text[:300]
        # a body over the limit of the whole route is refused before it is read
        status, body = announce_body(client, "/gradio_api/upload", 10**10)
        assert status == 413 and "error" in json.loads(body)
    assert [files_under(f) for f in folders] == before


def test_chat_upload_lives_under_the_data_dir_and_is_removed_after_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On an app of its own with sign-in (an open chat has no administrator): an upload
    of a user who is no administrator is refused and kept in the data dir for a retry;
    the administrator's upload of the same file reads it in and removes it."""
    settings = make_settings(
        tmp_path / "store", embedder="hash", api_keys=[USER_KEY], admin_keys=[ADMIN_KEY]
    )
    services = build_services(settings)
    monkeypatch.delenv(GRADIO_TEMP_DIR, raising=False)  # restored afterwards
    gradio_before = files_under(GRADIO_DEFAULT_DIR)
    doc = tmp_path / "fjallplan.txt"
    doc.write_text(
        "\n\n".join(
            f"Punkt {n}: fjällgruppen ansvarar för beredskapen vid olyckor, "
            f"{n * 3} skotrar finns i förråd nummer {n}."
            for n in range(1, 15)
        )
    )
    with serve_app(create_app(settings, services)) as url:
        folder = upload_folder(settings)
        assert folder.is_relative_to(settings.data_dir.resolve())
        user = Client(url + "/", auth=("anna", USER_KEY), verbose=False, download_files=False)
        admin = Client(url + "/", auth=("anna", ADMIN_KEY), verbose=False, download_files=False)
        try:
            with bounded():
                refused, _ = user.predict([handle_file(str(doc))], api_name="/upload")
                assert "Du är inte administratör" in refused
                kept = files_under(folder)  # kept for a retry, in the data dir
                assert [p.name for p in kept] == [doc.name]
                summary, _ = admin.predict([handle_file(str(doc))], api_name="/upload")
                assert "1 nytt" in summary
                assert files_under(folder) == set()  # read in: removed
        finally:
            user.close()
            admin.close()
    assert files_under(GRADIO_DEFAULT_DIR) == gradio_before
    assert not Path(chat_guard.__file__).with_suffix(".pyi").exists()  # no stub written
    assert [d.file for d in services.kb.documents()] == [doc.name]


def test_chat_queue_is_bounded(
    chat: Client, client: httpx.Client, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a queue of 2 and one event at a time, a burst of slow questions is partly
    refused ("queue full") at once, and the API answers meanwhile. The three accepted
    take 3 * SLOW_ANSWER_S, within the time bound."""
    real = services.assistant.stream

    def slow(*args: Any, **kwargs: Any) -> Iterator[Any]:
        time.sleep(SLOW_ANSWER_S)
        yield from real(*args, **kwargs)

    monkeypatch.setattr(services.assistant, "stream", slow)
    with documents_kept(client), bounded():
        jobs = [chat.submit(f"Vem ansvarar {i}?", [], [], api_name="/respond") for i in range(12)]
        search_started = time.monotonic()
        search = client.post("/v1/search", json={"query": "hemsjukvård"}, headers=USER)
        search_s = time.monotonic() - search_started
        outcomes = []
        for job in jobs:
            try:
                job.result(timeout=TIME_BOUND_S)
                outcomes.append("answered")
            except (QueueError, AppError):
                outcomes.append("refused")
    assert search.status_code == 200 and search_s < 2.0
    assert "refused" in outcomes and "answered" in outcomes, outcomes


def test_chat_feedback_comment_is_capped_like_the_api(services: Services) -> None:
    handlers = Handlers(services)
    exchange = Exchange("Vem ansvarar?", "Kommunikatören ansvarar [1].", "", "answer")
    store = services.feedback
    before = len(store.all())
    liked = gr.LikeData(None, {"index": [1, 0], "value": "svar", "liked": True})
    with bounded():
        refused, _ = handlers.feedback([exchange], "x" * (MAX_COMMENT_CHARS + 1), liked)
        assert "högst 5000 tecken" in refused and len(store.all()) == before
        thanks, _ = handlers.feedback([exchange], "Bra svar.", liked)
    assert thanks.startswith("Tack") and store.all()[-1]["comment"] == "Bra svar."


# -- 4. Teams key lookups ---------------------------------------------------------------
class SlowJwks:
    """A JWKS endpoint on loopback that answers after `delay_s`, counting its requests."""

    def __init__(self, keys: LocalKeys, delay_s: float) -> None:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(keys.private.public_key()))
        body = json.dumps({"keys": [jwk | {"kid": KID, "use": "sig", "alg": "RS256"}]}).encode()
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                time.sleep(delay_s)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/keys"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("delay_s", "answers"),
    [(0.3, True), (60.0, False)],
    ids=["slow-endpoint", "hanging-endpoint"],
)
def test_forged_teams_tokens_against_a_slow_key_endpoint_do_not_stall_the_api(
    services: Services, delay_s: float, answers: bool
) -> None:
    """45 tokens with made-up key ids at once: one fetch of the keys in all, every token
    refused, /v1/search answered meanwhile; a valid token passes once the keys came."""
    keys = LocalKeys()
    jwks = SlowJwks(keys, delay_s=delay_s)
    source = JwksKeySource(lambda _issuer: jwks.url, timeout_s=3.0, refetch_s=60.0)
    teams = TeamsSettings(
        app_id=APP_ID,
        app_password=SecretStr("a-real-looking-client-secret"),
        tenant_id=TENANT,
    )
    teams_settings = services.settings.model_copy(update={"teams": teams})
    teams_services = Services(teams_settings, services.kb, services.assistant, services.feedback)
    tokens = RecordingTokenProvider()
    connections = ConnectionManager(
        provider_factory=lambda _config: tokens,
        connections_configurations={
            "SERVICE_CONNECTION": AgentAuthConfiguration(client_id=APP_ID, tenant_id=TENANT)
        },
    )
    app = FastAPI()
    add_api(app, teams_services)
    add_teams(app, teams_services, key_source=source, connections=connections)

    def forged() -> int:
        token = jwt.encode(
            {"iss": "https://api.botframework.com", "aud": APP_ID, "exp": time.time() + 600},
            keys.private,
            algorithm="RS256",
            headers={"kid": uuid.uuid4().hex},
        )
        response = httpx.post(
            f"{url}/api/messages",
            json=activity("hej"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        return response.status_code

    try:
        with serve_app(app) as url, bounded(), ThreadPoolExecutor(45) as pool:
            statuses = [pool.submit(forged) for _ in range(45)]
            time.sleep(0.2)  # the flood is under way
            started = time.monotonic()
            search = httpx.post(
                f"{url}/v1/search", json={"query": "hemsjukvård"}, headers=USER, timeout=30
            )
            search_s = time.monotonic() - started
            assert [s.result() for s in statuses] == [401] * 45
            valid = httpx.post(
                f"{url}/api/messages",
                json=activity("Vem ansvarar för hemsjukvården?"),
                headers={"Authorization": f"Bearer {keys.token()}"},
                timeout=60,
            )
    finally:
        jwks.close()
    # SEARCH_UNDER_FLOOD_S: the flood's own 45 clients share this process and its cores
    assert search.status_code == 200 and search_s < SEARCH_UNDER_FLOOD_S, search_s
    assert jwks.requests == 1  # one fetch for 45 unknown key ids, none for the valid one
    assert valid.status_code == (200 if answers else 401), valid.text[:300]


def test_unknown_key_ids_refetch_at_most_once_per_interval() -> None:
    now = [0.0]
    fetched: list[str] = []

    def fetch(uri: str, _timeout: float) -> dict[str, Any]:
        fetched.append(uri)
        return {"known": "key"}

    source = JwksKeySource(
        lambda _i: "https://keys", refetch_s=60.0, fetch=fetch, clock=lambda: now[0]
    )
    assert source.signing_key("iss", "known") == "key"
    for _ in range(100):
        with pytest.raises(jwt.PyJWKClientError):
            source.signing_key("iss", uuid.uuid4().hex)
    assert len(fetched) == 1
    now[0] = 61.0
    with pytest.raises(jwt.PyJWKClientError):
        source.signing_key("iss", "rotated")
    assert len(fetched) == 2 and source.signing_key("iss", "known") == "key"


def test_chat_removal_on_a_busy_store_says_so_in_swedish(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A removal the store refuses (another write holds it) shows the store's own Swedish
    message and hint, not the generic failure; nothing is removed."""
    from knowledge.write_lock import busy

    def refuse(doc_id: str) -> None:
        raise busy(0.5)

    before = {d.doc_id for d in services.kb.documents()}
    monkeypatch.setattr(services.kb, "remove", refuse)
    admin = Handlers(services)
    monkeypatch.setattr(admin, "_not_admin", lambda request, outcome: None)  # an open chat
    message = admin.remove(sorted(before)[0])
    assert "upptagen" in message and "Försök igen" in message
    assert {d.doc_id for d in services.kb.documents()} == before
