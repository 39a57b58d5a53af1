"""The REST API over real HTTP: `create_app` served by uvicorn on loopback, called with
httpx. One store per module: the sample corpus with the deterministic hash embedder
(the answers checked here name distinctive words, so retrieval quality does not matter).
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from docx import Document as DocxDocument

from ingest import SUPPORTED, document_id
from tests.conftest import CORPUS, make_settings
from tests.http_server import serve_app
from ui.app.json_shapes import document_json, search_json
from ui.app.services import Services, build_services
from ui.server import create_app

USER_KEY = "user-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"
USER = {"Authorization": f"Bearer {USER_KEY}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
DOROTEA = "000_05b96b91b6c43ee6"
PATHS = {
    "/healthz",
    "/readyz",
    "/v1/ask",
    "/v1/search",
    "/v1/documents",
    "/v1/documents/{document_id}",
    "/v1/registers/responsibilities",
    "/v1/registers/priorities",
    "/v1/feedback",
}


# -- fixtures ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    with pytest.MonkeyPatch.context() as mp:  # no developer NARA_* variables
        for key in [k for k in os.environ if k.startswith("NARA_")]:
            mp.delenv(key)
        settings = make_settings(
            tmp_path_factory.mktemp("api") / "store",
            embedder="hash",
            api_keys=[USER_KEY],
            admin_keys=[ADMIN_KEY],
        )
    built = build_services(settings)
    report = built.kb.ingest([CORPUS])
    assert report.ok and len(report.added) == 4
    return built


@pytest.fixture(scope="module")
def base_url(services: Services) -> Iterator[str]:
    with serve_app(create_app(services.settings, services)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as c:
        yield c


def variant(services: Services, **settings: Any) -> Services:
    """The same store and assistant behind other settings (keys, limits)."""
    return dataclasses.replace(services, settings=services.settings.model_copy(update=settings))


def fjall_docx() -> bytes:
    """A routine with a responsibility table, written by python-docx."""
    doc = DocxDocument()
    doc.add_heading("Rutin för fjällräddning i Storumans kommun", 0)
    doc.add_paragraph("Rutinen beskriver hur kommunen och regionen samverkar vid olyckor.")
    doc.add_heading("Ansvarsfördelning", 1)
    table = doc.add_table(rows=1, cols=4)
    header = ("Aktivitet", "Beskrivning", "Ansvar", "Tidsplan")
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    row = (
        "Snöskoterberedskap",
        "Skotrar och förare hålls redo under hela vintersäsongen.",
        "Fjällsamordnaren",
        "Vintern 2026",
    )
    for cell, text in zip(table.add_row().cells, row, strict=True):
        cell.text = text
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The error body, checked for the common shape and the request id."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] and isinstance(body["hint"], str)
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def ids(client: httpx.Client) -> set[str]:
    response = client.get("/v1/documents", headers=USER)
    assert response.status_code == 200
    return {d["document_id"] for d in response.json()["documents"]}


# -- health -----------------------------------------------------------------------------
def test_healthz_and_readyz_need_no_key(client: httpx.Client) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert health.headers["X-Request-ID"]
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "reason": None, "documents": 4, "embedder": "hash"}


def test_readyz_is_503_with_the_reason_when_the_embedder_fails(
    client: httpx.Client, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_text: str) -> Any:
        raise OSError("model file missing")

    monkeypatch.setattr(services.kb.embedder, "embed_query", broken)
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert "embedder" in ready.json()["reason"]
    assert client.get("/healthz").status_code == 200  # the process still lives


# -- auth -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/ask"),
        ("POST", "/v1/search"),
        ("GET", "/v1/documents"),
        ("GET", "/v1/registers/responsibilities"),
        ("POST", "/v1/feedback"),
        ("POST", "/v1/documents"),
        ("DELETE", f"/v1/documents/{DOROTEA}"),
    ],
)
def test_v1_needs_a_key(client: httpx.Client, method: str, path: str) -> None:
    missing = error_of(client.request(method, path), 401)
    assert "Missing API key" in missing["error"]
    response = client.request(method, path)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    basic = client.request(method, path, headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert "Malformed" in error_of(basic, 401)["error"]
    wrong = client.request(method, path, headers={"Authorization": "Bearer " + "x" * 25})
    assert "not valid" in error_of(wrong, 401)["error"]  # RFC 6750: invalid token
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]


def test_user_key_cannot_upload_or_delete(client: httpx.Client) -> None:
    upload = client.post("/v1/documents", files={"files": ("a.txt", b"text")}, headers=USER)
    assert "admin key" in error_of(upload, 403)["error"]
    delete = client.delete(f"/v1/documents/{DOROTEA}", headers=USER)
    assert "admin key" in error_of(delete, 403)["error"]
    assert DOROTEA in ids(client)


def test_admin_key_also_opens_the_user_routes(client: httpx.Client) -> None:
    assert client.get("/v1/documents", headers=ADMIN).status_code == 200


def test_without_configured_keys_v1_is_refused(services: Services) -> None:
    closed = variant(services, api_keys=[], admin_keys=[])
    with serve_app(create_app(closed.settings, closed)) as url, httpx.Client(base_url=url) as c:
        for headers in ({}, USER, {"Authorization": "Bearer anything-at-all-long"}):
            body = error_of(c.get("/v1/documents", headers=headers), 503)
            assert "NARA_API_KEYS" in body["hint"]
        assert c.get("/healthz").status_code == 200


# -- validation -------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["", "   \n "])
def test_empty_question_is_422_with_a_message(client: httpx.Client, question: str) -> None:
    body = error_of(client.post("/v1/ask", json={"question": question}, headers=USER), 422)
    assert "Frågan är tom" in body["error"] and body["hint"]


def test_oversized_question_is_422(client: httpx.Client, services: Services) -> None:
    limit = services.settings.max_question_chars
    response = client.post("/v1/ask", json={"question": "å" * (limit + 1)}, headers=USER)
    body = error_of(response, 422)
    assert str(limit) in body["error"] and "NARA_MAX_QUESTION_CHARS" in body["hint"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "question"),
        ({"question": "Vem?", "histroy": []}, "histroy"),
        ({"question": "Vem?", "history": [{"role": "bot", "content": "x"}]}, "history.0.role"),
        ({"question": "Vem?", "filters": {"year": "nästa år"}}, "filters.year"),
        ({"question": 42}, "question"),
    ],
)
def test_invalid_ask_body_names_the_field(
    client: httpx.Client, payload: dict[str, Any], field: str
) -> None:
    body = error_of(client.post("/v1/ask", json=payload, headers=USER), 422)
    assert field in body["error"]
    assert field in {e["field"] for e in body["errors"]}


def test_malformed_json_and_bad_query_parameter_are_422(client: httpx.Client) -> None:
    bad_json = client.post(
        "/v1/ask", content=b'{"question": ', headers={**USER, "Content-Type": "application/json"}
    )
    assert "invalid JSON" in error_of(bad_json, 422)["error"]
    bad_year = client.get("/v1/registers/priorities", params={"year": "snart"}, headers=USER)
    assert "year (query parameter)" in error_of(bad_year, 422)["error"]


def test_too_large_json_body_is_413(client: httpx.Client) -> None:
    history = [{"role": "user", "content": "x" * 60_000}] * 40  # about 2.4 MB
    response = client.post("/v1/ask", json={"question": "Vem?", "history": history}, headers=USER)
    assert "too large" in error_of(response, 413)["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body is cut off while read
        yield b'{"question": "Vem?", "history": ['
        for _ in range(40):
            yield json.dumps({"role": "user", "content": "x" * 60_000}).encode() + b","
        yield b'{"role": "user", "content": ""}]}'

    streamed = client.post(
        "/v1/ask", content=chunks(), headers={**USER, "Content-Type": "application/json"}
    )
    assert "Content-Length" not in streamed.request.headers
    assert "at most 2.0 MB" in error_of(streamed, 413)["error"]


# -- ask and search ---------------------------------------------------------------------
def test_ask_returns_the_answer_json_shape(client: httpx.Client, services: Services) -> None:
    question = "Vem ansvarar för kommunikationsplanen i Dorotea?"
    response = client.post("/v1/ask", json={"question": question}, headers=USER)
    assert response.status_code == 200, response.text
    body = response.json()
    # `nara ask --json`, plus the links outside NARA_SERVE_LINK_DOMAINS (none here)
    marked = [body.pop("unvetted_links"), *(c.pop("unvetted_links") for c in body["citations"])]
    assert marked == [[]] * len(marked)
    assert body == services.assistant.ask(question).to_json()
    assert body["status"] == "answered" and body["citations"]
    for c in body["citations"]:
        text = services.kb.document_text(c["source"]["document_id"])
        assert text[c["source"]["char_start"] : c["source"]["char_end"]] == c["quote"]


def test_ask_with_filters_that_admit_nothing_is_a_refusal(client: httpx.Client) -> None:
    payload = {"question": "Vem ansvarar för planen?", "filters": {"documents": ["x"]}}
    body = client.post("/v1/ask", json=payload, headers=USER).json()
    assert body["refused"] is True and body["status"] == "refused" and body["citations"] == []
    assert body["reason"] == "no_match" and "matchar filtren" in body["answer"]


def test_ask_with_an_organisation_no_document_names_says_no_document_matches(
    client: httpx.Client,
) -> None:
    payload = {
        "question": "Vem ansvarar för planen?",
        "filters": {"organisations": ["Nonexistent"]},
    }
    body = client.post("/v1/ask", json=payload, headers=USER).json()
    assert body["reason"] == "no_match", body
    assert "Läs in dokument" not in body["answer"] and "filtren" in body["answer"]


def test_search_has_the_cli_json_shape(client: httpx.Client, services: Services) -> None:
    query = "kommunikationsplan"
    response = client.post("/v1/search", json={"query": query, "k": 3}, headers=USER)
    assert response.status_code == 200, response.text
    assert response.json() == search_json(query, services.kb.search(query, 3))
    assert len(response.json()["results"]) == 3
    filtered = client.post(
        "/v1/search",
        json={"query": query, "filters": {"organisations": ["Västernorrland"]}},
        headers=USER,
    ).json()
    assert filtered["results"]
    assert {r["source"]["document_id"] for r in filtered["results"]} == {"003_99ad73717f50f379"}
    blank = client.post("/v1/search", json={"query": "  "}, headers=USER)
    assert "query" in error_of(blank, 422)["error"]


def test_documents_have_the_cli_json_shape(client: httpx.Client, services: Services) -> None:
    response = client.get("/v1/documents", headers=USER)
    assert response.json() == {"documents": [document_json(d) for d in services.kb.documents()]}


# -- upload, ask, delete ----------------------------------------------------------------
def test_upload_docx_then_ask_cites_it_then_delete(
    client: httpx.Client, services: Services
) -> None:
    name = "Fjällrutin Storuman.docx"
    doc_id = document_id(Path(name))
    files = {"files": (name, fjall_docx(), "application/octet-stream")}
    upload = client.post("/v1/documents", files=files, headers=ADMIN)
    assert upload.status_code == 200, upload.text
    assert upload.json() | {"chunks": 0} == {
        "ok": True,
        "added": [doc_id],
        "updated": [],
        "unchanged": [],
        "failed": [],
        "chunks": 0,
        "flags": {},  # no instruction-like text, no link
        "personal_data": {},  # no personnummer, no private phone or address
    }
    again = client.post("/v1/documents", files=files, headers=ADMIN)
    assert again.json()["unchanged"] == [doc_id]
    listed = client.get("/v1/documents", headers=USER).json()["documents"]
    assert {"document_id": doc_id, "file": name}.items() <= next(
        d for d in listed if d["document_id"] == doc_id
    ).items()

    question = {"question": "Vem ansvarar för snöskoterberedskapen i Storuman?"}
    answer = client.post("/v1/ask", json=question, headers=USER).json()
    assert answer["status"] == "answered"
    assert "Fjällsamordnaren" in answer["answer"]
    cited = [c for c in answer["citations"] if c["source"]["document_id"] == doc_id]
    assert cited and all(c["source"]["file"] == name for c in cited)
    text = services.kb.document_text(doc_id)
    for c in cited:
        assert text[c["source"]["char_start"] : c["source"]["char_end"]] == c["quote"]
    assert any("Fjällsamordnaren" in c["quote"] for c in cited)

    removed = client.delete(f"/v1/documents/{doc_id}", headers=ADMIN)
    assert removed.status_code == 200 and removed.json()["removed"]["document_id"] == doc_id
    assert doc_id not in ids(client)
    gone = error_of(client.delete(f"/v1/documents/{doc_id}", headers=ADMIN), 404)
    assert doc_id in gone["error"]
    after = client.post("/v1/ask", json=question, headers=USER).json()
    assert all(c["source"]["document_id"] != doc_id for c in after["citations"])


def test_upload_lists_a_file_that_cannot_be_read(client: httpx.Client) -> None:
    files = [
        ("files", ("Lokal rutin.txt", "Rutin för hemgång\n\nSjuksköterskan ringer.".encode())),
        ("files", ("tom.md", b"   \n")),
    ]
    response = client.post("/v1/documents", files=files, headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is False and body["added"] == ["lokal-rutin"]
    hint = "Check that the right file was chosen."
    assert body["failed"] == [{"file": "tom.md", "error": "tom.md is empty.", "hint": hint}]
    only_bad = client.post("/v1/documents", files={"files": ("tom.md", b"")}, headers=ADMIN)
    assert only_bad.status_code == 422 and only_bad.json()["failed"][0]["file"] == "tom.md"
    assert client.delete("/v1/documents/lokal-rutin", headers=ADMIN).status_code == 200


def test_upload_file_name_is_stripped_of_folders(client: httpx.Client) -> None:
    files = {"files": ("../../etc/Rutin X.txt", b"Rutin X\n\nText om rutinen.")}
    body = client.post("/v1/documents", files=files, headers=ADMIN).json()
    assert body["added"] == ["rutin-x"]
    record = next(
        d
        for d in client.get("/v1/documents", headers=USER).json()["documents"]
        if d["document_id"] == "rutin-x"
    )
    assert record["file"] == "Rutin X.txt"
    assert client.delete("/v1/documents/rutin-x", headers=ADMIN).status_code == 200


def test_unsupported_upload_is_415_naming_the_supported_types(client: httpx.Client) -> None:
    files = [("files", ("plan.txt", b"Plan\n\nText.")), ("files", ("kalkyl.xlsx", b"PK\x03\x04"))]
    body = error_of(client.post("/v1/documents", files=files, headers=ADMIN), 415)
    assert "kalkyl.xlsx" in body["error"]
    assert all(ext in body["hint"] for ext in SUPPORTED)
    assert "plan" not in ids(client)  # nothing stored
    not_multipart = client.post("/v1/documents", json={"files": []}, headers=ADMIN)
    assert "multipart/form-data" in error_of(not_multipart, 415)["error"]


def test_two_files_with_one_id_are_refused(client: httpx.Client) -> None:
    files = [("files", ("plan.txt", b"Plan\n\nEtt.")), ("files", ("plan.md", b"# Plan\n\nTva."))]
    body = error_of(client.post("/v1/documents", files=files, headers=ADMIN), 422)
    assert "plan.txt and plan.md" in body["error"]
    assert "plan" not in ids(client)


def test_oversized_upload_is_413(services: Services) -> None:
    small = variant(services, max_file_mb=0.001)  # 1000 bytes per file
    app = create_app(small.settings, small)
    with serve_app(app) as url, httpx.Client(base_url=url, timeout=60) as c:
        files = {"files": ("stor.txt", b"Stor rutin\n\n" + b"text " * 1000)}
        body = error_of(c.post("/v1/documents", files=files, headers=ADMIN), 413)
        assert "stor.txt (5 kB)" in body["error"] and "at most 1 kB" in body["error"]
        assert "NARA_MAX_FILE_MB" in body["hint"]
        # a body over the request limit is refused before it is read to the end
        huge = {"files": ("enorm.txt", b"x" * 1_200_000)}
        body = error_of(c.post("/v1/documents", files=huge, headers=ADMIN), 413)
        assert "too large" in body["error"]
        assert not {"stor", "enorm"} & ids(c)


# -- registers --------------------------------------------------------------------------
def test_responsibility_register_has_the_dorotea_rows(
    client: httpx.Client, services: Services
) -> None:
    response = client.get(
        "/v1/registers/responsibilities", params={"document": DOROTEA}, headers=USER
    )
    assert response.status_code == 200, response.text
    rows = response.json()["responsibilities"]
    assert rows and {r["document_id"] for r in rows} == {DOROTEA}
    plan = next(r for r in rows if r["activity"] == "Kommunikationsplan")
    assert "Kommunikatör" in " ".join(plan["responsible"])
    assert plan["timeline"] == "Mars-Aug 2024"
    text = services.kb.document_text(DOROTEA)
    for r in rows:
        assert text[r["char_start"] : r["char_end"]] == r["quote"]
    unknown = client.get("/v1/registers/responsibilities", params={"document": "nej"}, headers=USER)
    assert "nej" in error_of(unknown, 404)["error"]


def test_priority_register_filters_by_year(client: httpx.Client) -> None:
    rows = client.get("/v1/registers/priorities", params={"year": 2025}, headers=USER).json()
    assert rows["priorities"]
    for r in rows["priorities"]:
        assert r["year_from"] <= 2025 <= (r["year_to"] or r["year_from"])


# -- feedback ---------------------------------------------------------------------------
def test_feedback_is_stored(client: httpx.Client, services: Services) -> None:
    question = "Vem ansvarar för kommunikationsplanen i Dorotea?"
    answer = client.post("/v1/ask", json={"question": question}, headers=USER).json()
    payload = {
        "rating": "down",
        "comment": "Saknar regionens ansvar.",
        "question": question,
        "answer": answer["answer"],
        "citations": answer["citations"],
    }
    response = client.post("/v1/feedback", json=payload, headers=USER)
    assert response.status_code == 201, response.text
    feedback_id = response.json()["id"]
    lines = services.settings.feedback_file.read_text(encoding="utf-8").splitlines()
    record = next(r for r in map(json.loads, lines) if r["id"] == feedback_id)
    assert {k: record[k] for k in payload} == payload
    assert record["source"] == "api"
    bad = client.post("/v1/feedback", json={**payload, "rating": "meh"}, headers=USER)
    assert "rating" in error_of(bad, 422)["error"]


# -- internal errors and request ids ----------------------------------------------------
def test_internal_error_is_500_with_a_request_id_and_no_detail(
    client: httpx.Client,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(services.assistant, "ask", boom)
    caplog.set_level(logging.ERROR, logger="nara.api")
    response = client.post("/v1/ask", json={"question": "Vem ansvarar?"}, headers=USER)
    assert response.status_code == 500
    body = response.json()
    assert body["error"].startswith("Internt fel")
    request_id = response.headers["X-Request-ID"]
    assert body["request_id"] == request_id
    assert "secret" not in response.text and "RuntimeError" not in response.text
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info and "secret detail" in str(logged[0].exc_info[1])


def test_a_well_formed_client_request_id_is_kept(client: httpx.Client) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    assert kept.headers["X-Request-ID"] == "trace-42"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\twith space"})
    assert replaced.headers["X-Request-ID"] != "bad id\twith space"


# -- OpenAPI ----------------------------------------------------------------------------
def test_the_docs_answer_only_with_a_key(client: httpx.Client) -> None:
    """/docs, /redoc, /openapi.json and their assets: 401 with a Basic challenge (so a
    browser asks for the key) without a key; a key as Bearer or as the Basic password
    opens them; a wrong key does not. /healthz and /readyz stay open."""
    asset = "/docs-assets/swagger-ui.css"
    for path in ("/docs", "/redoc", "/openapi.json", asset):
        refused = client.get(path)
        assert refused.status_code == 401, path
        assert refused.headers["WWW-Authenticate"].startswith("Basic "), path
        assert client.get(path, auth=("anna", "not-a-key-0123456789")).status_code == 401
        assert client.get(path, auth=("anna", USER_KEY)).status_code == 200, path
        bearer = {"Authorization": f"Bearer {ADMIN_KEY}"}
        assert client.get(path, headers=bearer).status_code == 200, path
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_openapi_lists_the_paths(client: httpx.Client) -> None:
    client.headers["Authorization"] = f"Bearer {USER_KEY}"
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) >= PATHS
    scheme = spec["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    upload = spec["paths"]["/v1/documents"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"413", "415"} <= set(upload["responses"])
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
