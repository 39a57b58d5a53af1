"""Access per document (issue #14): two groups, two documents of the same topic. A member
of group A never receives a quote, title, register entry, refusal hint or document-list
entry of group B's document, through the knowledge base (embedded and server Chroma),
the command line with a key, the REST API, Teams and the LLM's prompt. The chat in a
browser is in tests/test_browser_access.py (OpenID Connect and key sign-in); Teams with
tokens signed by a loopback Entra's key in tests/test_teams_signed.py.

Every test also checks that the reader of A does get A's document, and the store holds
B's text (an administrator reads it), so that none passes by finding nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from assistant.answerers import make_answerer
from assistant.model import Turn
from assistant.service import Assistant
from knowledge.access import PUBLIC, Access
from knowledge.base import KnowledgeBase
from tests.access_docs import (
    DOC_A,
    DOC_B,
    FOLLOW_UP,
    GROUP_A,
    GROUP_B,
    QUESTIONS,
    TITLE_A,
    holds_a,
    leaks,
    write_documents,
)
from tests.conftest import make_settings
from tests.fake_openai import FakeOpenAI
from tests.http_server import serve_app
from ui.app.keys import KeyStore
from ui.app.services import Services, build_services
from ui.server import create_app

READER_A = Access.of([GROUP_A])


@pytest.fixture(
    scope="module", params=["embedded", pytest.param("server", marks=pytest.mark.server)]
)
def kb(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    folder = tmp_path_factory.mktemp("access")
    extra = {"chroma_url": request.getfixturevalue("chroma_server")}
    extra = extra if request.param == "server" else {}
    settings = make_settings(folder / "store", embedder="hash", collection="access", **extra)
    base = KnowledgeBase(settings)
    assert base.ingest([write_documents(folder / "docs")]).ok
    return base


def everything_said(assistant: Assistant, access: Access) -> str:
    """Every answer (with its citations and refusal text) to the questions, and the
    follow-up, as one JSON text."""
    answers = [assistant.ask(q, access=access).to_json() for q in QUESTIONS]
    history = [Turn("user", FOLLOW_UP[1]), Turn("assistant", "")]
    answers.append(assistant.ask(FOLLOW_UP[0], history, access=access).to_json())
    return json.dumps(answers, ensure_ascii=False)


def test_the_store_gives_a_reader_of_a_nothing_of_b(kb: KnowledgeBase) -> None:
    assistant = Assistant(kb)
    said = everything_said(assistant, READER_A)
    assert not leaks(said) and holds_a(said)
    results = [r for q in QUESTIONS for r in kb.search(q, 10, access=READER_A)]
    assert results and {r.document.doc_id for r in results} == {DOC_A}
    assert [d.doc_id for d in kb.documents(READER_A)] == [DOC_A]
    rows = assistant.responsibilities(access=READER_A) + assistant.priorities(access=READER_A)
    assert rows and {r.document_id for r in rows} == {DOC_A}
    for read in (assistant.responsibilities, assistant.priorities):
        with pytest.raises(Exception, match=DOC_B):  # not found, as if it did not exist
            read(DOC_B, None, READER_A)
    # The store holds B: an administrator reads it, and a reader of no group reads neither.
    assert leaks(everything_said(assistant, Access.everything()))
    assert kb.documents(PUBLIC) == [] and kb.search(QUESTIONS[0], access=PUBLIC) == []


def test_every_store_read_carries_the_reader(kb: KnowledgeBase) -> None:
    """The chunks, spans and registers of B are not read for A even by id: the store's
    query holds the reader's filter, not a later check."""
    store = kb.store
    b = next(d for d in store.documents() if d.doc_id == DOC_B)
    chunk_ids = [c.chunk_id for c in store.chunks([b.key])]
    assert chunk_ids and store.get_chunks(chunk_ids) and store.spans(chunk_ids)
    assert store.get_chunks(chunk_ids, READER_A) == []
    assert store.spans(chunk_ids, READER_A) == []
    assert store.registers(b.key) and store.registers(b.key, READER_A) is None
    vector = kb.embedder.embed_query("läkarstöd hemsjukvård")
    assert {c.doc_id for c, _ in store.query(vector, 10, [b.key], READER_A)} == set()
    everyone = [d.key for d in store.documents()]
    assert {c.doc_id for c, _ in store.query(vector, 10, everyone, READER_A)} == {DOC_A}


def test_a_read_by_id_admitted_to_a_versions_reads_nothing_of_b(kb: KnowledgeBase) -> None:
    """A read by id may select by the versions a read of the reader's filter returned
    (`Access.admitted`, what a search and an ask pass) instead of the groups' clause:
    B's chunks and spans are still not read for A, whatever ids are asked for, and A's
    are."""
    store = kb.store
    a_keys = [d.key for d in store.documents(READER_A)]
    b = next(d for d in store.documents() if d.doc_id == DOC_B)
    a_ids = [c.chunk_id for c in store.chunks(a_keys)]
    b_ids = [c.chunk_id for c in store.chunks([b.key])]
    admitted = READER_A.admitted(a_keys)
    assert a_keys and b_ids and b.key not in a_keys
    assert store.get_chunks(b_ids, admitted) == [] and store.spans(b_ids, admitted) == []
    both = store.get_chunks(a_ids + b_ids, admitted)
    assert both and {c.doc_id for c in both} == {DOC_A}
    assert {s.doc_id for s in store.spans(b_ids + a_ids, admitted)} == {DOC_A}
    # An admission of B's version for a reader who did not read it through the filter is
    # the caller's error; the clause then admits exactly the versions named.
    assert {c.doc_id for c in store.get_chunks(b_ids, READER_A.admitted([b.key]))} == {DOC_B}


def test_a_filtered_dense_query_selects_the_readers_versions_by_key(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The filtered plan of a dense query (a search restricted to a few documents)
    selects the versions the reader's filtered document read returned by their keys,
    not by the groups' `$contains` (a scan of the collection at scale): B's chunks are
    still not found for A, whatever keys are asked for."""
    store = kb.store
    monkeypatch.setattr("knowledge.chroma_store.unfiltered_size", lambda *_: None)
    wheres: list[object] = []
    nearest = store._nearest

    def spied(vector: Any, n: int, where: dict[str, object] | None) -> Any:
        wheres.append(where)
        return nearest(vector, n, where)

    monkeypatch.setattr(store, "_nearest", spied)
    vector = kb.embedder.embed_query("läkarstöd hemsjukvård")
    everyone = [d.key for d in store.documents()]
    b = next(d for d in store.documents() if d.doc_id == DOC_B)
    assert {c.doc_id for c, _ in store.query(vector, 10, everyone, READER_A)} == {DOC_A}
    assert store.query(vector, 10, [b.key], READER_A) == []
    assert {c.doc_id for c, _ in store.query(vector, 10, everyone)} == {DOC_A, DOC_B}
    assert wheres and "$contains" not in json.dumps(wheres)


# -- the command line with a key -------------------------------------------------------
def test_the_command_line_with_a_key_of_a(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ui.cli.commands import run

    monkeypatch.setenv("NARA_DATA_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("NARA_EMBEDDER", "hash")
    assert run(["ingest", "-q", str(write_documents(tmp_path / "docs"))]) == 0
    key = KeyStore(tmp_path / "store" / "keys.json").create("norr-key", [GROUP_A], False)
    commands = [["ask", q, "--json"] for q in QUESTIONS] + [
        ["search", QUESTIONS[0], "-k", "10", "--json"],
        ["documents", "--json"],
        ["registers", "responsibilities", "--json"],
        ["registers", "priorities", "--json"],
    ]

    def output(with_key: bool) -> str:
        if with_key:
            monkeypatch.setenv("NARA_CLI_KEY", key)
        else:
            monkeypatch.delenv("NARA_CLI_KEY", raising=False)
        capsys.readouterr()
        for command in commands:
            assert run(command) == 0, command
        return capsys.readouterr().out

    said = output(with_key=True)
    assert not leaks(said) and holds_a(said) and TITLE_A in said
    assert leaks(output(with_key=False))  # without a key: every document (the operator)


# -- the REST API ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Services, str, str]]:
    """The app over HTTP with A's documents uploaded through the API (the form's access
    field), B's read from a folder with its sidecar; yields the URL, the services, a key
    of group A and an admin key."""
    folder = tmp_path_factory.mktemp("access-api")
    settings = make_settings(folder / "store", embedder="hash")
    services = build_services(settings)
    keys = KeyStore(settings.data_dir / "keys.json")
    key_a = keys.create("norr", [GROUP_A], False)
    admin = keys.create("admin", [], True)
    docs = write_documents(folder / "docs")
    (docs / f"{DOC_A}.md.meta.yaml").unlink()  # A's groups come from the upload form
    assert services.kb.ingest([docs / f"{DOC_B}.md"]).ok
    with serve_app(create_app(settings, services)) as url:
        upload = httpx.post(
            f"{url}/v1/documents",
            headers={"Authorization": f"Bearer {admin}"},
            files=[("files", (f"{DOC_A}.md", (docs / f"{DOC_A}.md").read_bytes()))],
            data={"access": GROUP_A},
            timeout=120,
        )
        assert upload.status_code == 200, upload.text
        yield url, services, key_a, admin


def api_output(url: str, key: str) -> tuple[str, int]:
    """Everything the API answers the key to the questions and lists, and the status of
    B's registers asked for by id."""
    auth = {"Authorization": f"Bearer {key}"}
    out = []
    with httpx.Client(base_url=url, headers=auth, timeout=120) as client:
        for q in QUESTIONS:
            out.append(client.post("/v1/ask", json={"question": q}))
        history = [{"role": "user", "content": FOLLOW_UP[1]}, {"role": "assistant", "content": ""}]
        out.append(client.post("/v1/ask", json={"question": FOLLOW_UP[0], "history": history}))
        out.append(client.post("/v1/search", json={"query": QUESTIONS[0], "k": 10}))
        out.append(client.get("/v1/documents"))
        out.append(client.get("/v1/registers/responsibilities"))
        out.append(client.get("/v1/registers/priorities"))
        out.append(client.get("/v1/registers/priorities", params={"document": DOC_B}))
    assert [r.status_code for r in out[:-1]] == [200] * (len(out) - 1)
    return "\n".join(r.text for r in out[:-1]), out[-1].status_code  # the 404 names the id asked


def test_the_rest_api_with_a_key_of_a(api: tuple[str, Services, str, str]) -> None:
    url, _, key_a, admin = api
    said, b_registers = api_output(url, key_a)
    assert not leaks(said) and holds_a(said)
    assert b_registers == 404  # as if B did not exist
    assert leaks(api_output(url, admin)[0])  # an admin key reads every document


def test_an_upload_records_its_groups_once(api: tuple[str, Services, str, str]) -> None:
    _, services, _, _ = api
    uploads = [e for e in services.audit.entries() if e["action"] == "upload"]
    assert len(uploads) == 1
    assert uploads[0]["groups"] == [GROUP_A] and uploads[0]["documents"] == [DOC_A]
    (record,) = [d for d in services.kb.documents(Access.everything()) if d.doc_id == DOC_A]
    assert record.access == (GROUP_A,)
    services.audit.verify()


# -- Teams -----------------------------------------------------------------------------
TENANT = "72f988bf-0000-4000-8000-000000000001"
USER_A = "0a0a0a0a-0000-4000-8000-00000000000a"


def teams_activity(text: str, object_id: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": object_id[:8] + text[:8],
        "channelId": "msteams",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "from": {"id": "29:user", "name": "Anna", "aadObjectId": object_id},
        "recipient": {"id": "28:bot", "name": "Nära vård-assistenten"},
        "conversation": {"id": f"a:{object_id}", "conversationType": "personal"},
        "channelData": {"tenant": {"id": TENANT}},
        "text": text,
        "deliveryMode": "expectReplies",
    }


def test_teams_maps_a_user_to_group_a_and_others_to_alla(tmp_path: Path) -> None:
    from ui.app.feedback import FeedbackStore
    from ui.teams.bot import add_teams

    settings = make_settings(
        tmp_path / "store",
        embedder="hash",
        teams={"anonymous": True, "groups": {f"{TENANT}/{USER_A}": [GROUP_A]}},
    )
    kb = KnowledgeBase(settings)
    assert kb.ingest([write_documents(tmp_path / "docs")]).ok
    services = Services(settings, kb, Assistant(kb), FeedbackStore(tmp_path / "f.jsonl"))
    app = FastAPI()
    add_teams(app, services)

    def said(url: str, object_id: str) -> str:
        replies = [
            httpx.post(f"{url}/api/messages", json=teams_activity(q, object_id), timeout=120)
            for q in QUESTIONS
        ]
        assert all(r.status_code == 200 for r in replies)
        return "\n".join(r.text for r in replies)

    with serve_app(app) as url:
        mapped = said(url, USER_A)
        assert not leaks(mapped) and holds_a(mapped)
        unmapped = said(url, "0c0c0c0c-0000-4000-8000-00000000000c")  # only "alla"
        assert not leaks(unmapped) and not holds_a(unmapped)
    # The mapping is what decides: mapped to B, the same user reads B.
    services.settings.teams.groups = {f"{TENANT}/{USER_A}": [GROUP_B]}
    with serve_app(app) as url:
        assert leaks(said(url, USER_A))


# -- the LLM's prompt ------------------------------------------------------------------
def test_the_llm_prompt_holds_nothing_of_b(kb: KnowledgeBase, tmp_path: Path) -> None:
    with FakeOpenAI() as server:
        settings = make_settings(
            tmp_path / "unused",
            answerer="llm",
            llm={"base_url": server.base_url, "model": "fake-model", "api_key": server.key},
        )
        assistant = Assistant(kb, answerer=make_answerer(settings))
        everything_said(assistant, READER_A)
        prompts = "\n".join(json.dumps(r.body, ensure_ascii=False) for r in server.requests)
        assert server.requests and not leaks(prompts) and holds_a(prompts)
        server.requests.clear()
        everything_said(assistant, Access.everything())
        assert leaks("\n".join(json.dumps(r.body, ensure_ascii=False) for r in server.requests))


# -- where a document's groups come from ------------------------------------------------
def test_groups_come_from_the_sidecar_then_the_upload_then_the_default(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "store", embedder="hash", access_default=["region"])
    kb = KnowledgeBase(settings)
    docs = write_documents(tmp_path / "docs")
    (docs / f"{DOC_A}.md.meta.yaml").unlink()
    assert kb.ingest([docs]).ok

    def groups() -> dict[str, tuple[str, ...]]:
        return {d.doc_id: d.access for d in kb.documents(Access.everything())}

    assert groups() == {DOC_A: ("region",), DOC_B: (GROUP_B,)}  # the default; the sidecar
    report = kb.ingest([docs], access=[GROUP_A, "ledning"])  # given: not over a sidecar
    assert report.updated == [DOC_A] and report.unchanged == [DOC_B]
    assert groups() == {DOC_A: (GROUP_A, "ledning"), DOC_B: (GROUP_B,)}
    assert kb.ingest([docs], access=[GROUP_A, "ledning"]).unchanged == [DOC_A, DOC_B]
    assert [d.doc_id for d in kb.documents(Access.of(["ledning"]))] == [DOC_A]


def test_teams_mapping_by_tenant_and_by_user(tmp_path: Path) -> None:
    from ui.app.access import of_teams_user

    settings = make_settings(
        tmp_path / "unused",
        teams={"groups": {TENANT.upper(): ["region"], f"{TENANT}/{USER_A.upper()}": [GROUP_A]}},
    )
    assert of_teams_user(settings, TENANT, USER_A) == Access.of(["region", GROUP_A])
    assert of_teams_user(settings, TENANT, "someone-else") == Access.of(["region"])
    assert of_teams_user(settings, "other-tenant", USER_A) == PUBLIC
    assert of_teams_user(settings, None, USER_A) == PUBLIC
