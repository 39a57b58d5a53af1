"""The audit log (issue #14): every question, search, upload, removal and sign-in leaves
exactly one entry, through the real app over HTTP, the chat (Gradio's client), and the
`nara` command; `nara audit verify` catches a changed, a removed and a last line gone;
purging keeps the chain verifiable."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nara.settings import Settings
from nara.settings_groups import TeamsSettings
from tests.conftest import CORPUS, make_settings
from tests.http_server import serve_app
from tests.test_cli import Cli
from ui.app.audit import AuditLog
from ui.app.audit_chain import AuditTamperedError
from ui.app.services import Services, build_services
from ui.server import create_app

USER_KEY = "user-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"
USER = {"Authorization": f"Bearer {USER_KEY}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
QUESTION = "Vem ansvarar för läkemedelsgenomgången?"
ROUTINE = (
    "Rutin för läkemedelsgenomgång\n\n# Ansvar\n\nSjuksköterskan ansvarar för "
    "läkemedelsgenomgången i hemsjukvården. Läkaren ansvarar för ordinationen.\n"
)


# -- the log itself -------------------------------------------------------------------------
def test_entries_chain_and_pseudonymise(tmp_path: Path) -> None:
    log = AuditLog(tmp_path, b"k" * 32)
    first = log.record("api", "key:anna", "question", ["doc-a", "doc-a"], "answered", "Hej?")
    second = log.record("cli", "anna", "removal", ["doc-b"])
    assert first["prev"] == "0" * 64 and second["prev"] == first["mac"]
    assert [e["seq"] for e in log.entries()] == [1, 2]
    assert first["documents"] == ["doc-a"] and "question" not in first  # not configured
    assert "anna" not in first["actor"] and first["actor"] == log.actor("api", "key:anna")
    assert AuditLog(tmp_path / "other", b"x" * 32).actor("api", "key:anna") != first["actor"]
    assert log.verify() == 2
    kept = AuditLog(tmp_path / "kept", b"k" * 32, keep_questions=True)
    assert kept.record("chat", "u", "question", question="Hej?")["question"] == "Hej?"


def write_three(tmp_path: Path) -> AuditLog:
    log = AuditLog(tmp_path, b"k" * 32)
    for n in range(3):
        log.record("api", f"user{n}", "search", [f"doc{n}"])
    return log


def test_verify_catches_a_changed_a_removed_and_a_missing_last_line(tmp_path: Path) -> None:
    log = write_three(tmp_path)
    original = log.path.read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    cases = {
        "ändrad": lines[0] + lines[1].replace("doc1", "doc9") + lines[2],
        "saknas eller är flyttad": lines[0] + lines[2],
        r"den sista posten \(nr 3\) saknas": lines[0] + lines[1],
    }
    for expected, text in cases.items():
        log.path.write_text(text, encoding="utf-8")
        with pytest.raises(AuditTamperedError, match=expected):
            log.verify()
    log.path.write_text(original, encoding="utf-8")
    assert log.verify() == 3


def test_purging_keeps_the_chain_verifiable(tmp_path: Path) -> None:
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    clock = [now - dt.timedelta(days=40)]
    log = AuditLog(tmp_path, b"k" * 32, retention_days=30, clock=lambda: clock[0])
    old = [log.record("api", "u", "search") for _ in range(2)]
    clock[0] = now
    log._purged_at = 0.0  # a new process: the retention is checked on its first write
    new = log.record("api", "u", "question")
    assert [e["seq"] for e in log.entries()] == [3]
    assert new["prev"] == old[-1]["mac"]
    assert json.loads(log.anchor_path.read_text())["seq"] == 2
    assert log.verify() == 1
    log.path.write_text("", encoding="utf-8")  # the kept entry deleted as well
    with pytest.raises(AuditTamperedError):
        log.verify()


# -- the app over HTTP, and the chat ----------------------------------------------------
@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("audit")
    return make_settings(
        root / "store", embedder="hash", api_keys=[USER_KEY], admin_keys=[ADMIN_KEY]
    )


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[tuple[str, Services]]:
    services = build_services(settings)
    assert services.kb.ingest([CORPUS]).ok
    with serve_app(create_app(settings, services)) as url:
        yield url, services


def new_entries(services: Services, before: int) -> list[dict[str, Any]]:
    return services.audit.entries()[before:]


def one_entry(services: Services, before: int) -> dict[str, Any]:
    entries = new_entries(services, before)
    assert len(entries) == 1, entries
    return entries[0]


def test_each_api_action_leaves_exactly_one_entry(app: tuple[str, Services]) -> None:
    url, services = app
    log = services.audit
    with httpx.Client(base_url=url, timeout=120) as client:
        before = len(log.entries())
        asked = client.post("/v1/ask", json={"question": QUESTION}, headers=USER).json()
        entry = one_entry(services, before)
        cited = [c["source"]["document_id"] for c in asked["citations"]]
        assert entry["action"] == "question" and entry["interface"] == "api"
        assert entry["status"] == asked["status"] and entry["documents"] == list(
            dict.fromkeys(cited)
        )
        assert entry["actor"] == log.actor("api", _key_id(USER_KEY))
        assert "question" not in entry  # NARA_AUDIT_KEEP_QUESTIONS is off

        before = len(log.entries())
        found = client.post("/v1/search", json={"query": "mobila team"}, headers=USER).json()
        entry = one_entry(services, before)
        assert entry["action"] == "search"
        hits = [r["source"]["document_id"] for r in found["results"]]
        assert entry["documents"] == list(dict.fromkeys(hits))

        before = len(log.entries())
        files = {"files": ("rutin.txt", ROUTINE.encode())}
        upload = client.post("/v1/documents", files=files, headers=ADMIN)
        assert upload.status_code == 200, upload.text
        entry = one_entry(services, before)
        assert (entry["action"], entry["documents"], entry["status"]) == (
            "upload",
            ["rutin"],
            "ok",
        )
        assert (
            entry["actor"]
            == log.actor("api", _key_id(ADMIN_KEY))
            != log.actor("api", _key_id(USER_KEY))
        )

        before = len(log.entries())
        assert client.delete("/v1/documents/rutin", headers=ADMIN).status_code == 200
        entry = one_entry(services, before)
        assert (entry["action"], entry["documents"], entry["status"]) == (
            "removal",
            ["rutin"],
            "ok",
        )

        before = len(log.entries())
        assert client.delete("/v1/documents/rutin", headers=ADMIN).status_code == 404
        assert one_entry(services, before)["status"] == "error:NotFoundError"

        before = len(log.entries())  # no key: no action, no entry
        assert client.post("/v1/search", json={"query": "x"}).status_code == 401
        assert new_entries(services, before) == []
    assert log.verify() == len(log.entries())


def _key_id(key: str) -> str:
    from ui.app.keys import digest_of

    return f"env:{digest_of(key)[:16]}"  # a NARA_* key is named by its digest


def test_each_chat_action_leaves_exactly_one_entry(
    app: tuple[str, Services], tmp_path: Path
) -> None:
    from gradio_client import Client, handle_file

    url, services = app
    log = services.audit
    with httpx.Client(base_url=url, timeout=60) as anonymous:
        before = len(log.entries())
        assert (
            anonymous.post("/login", data={"username": "anna", "password": "x" * 20}).status_code
            == 400
        )
        assert one_entry(services, before)["status"] == "refused"
        before = len(log.entries())
        assert (
            anonymous.post("/login", data={"username": "anna", "password": USER_KEY}).status_code
            == 200
        )
        entry = one_entry(services, before)
        assert (entry["action"], entry["status"]) == ("sign_in", "ok")
        # The audit names the key's record, not the free name typed at sign-in: two
        # people who type "anna" with two keys are two actors.
        assert entry["actor"] == log.actor("chat", f"key:{_key_id(USER_KEY)}")
        assert entry["actor"] != log.actor("chat", "user:anna")
        anna = log.actor("chat", f"key:{_key_id(ADMIN_KEY)}")

    doc = tmp_path / "rutin.txt"
    doc.write_text(ROUTINE, encoding="utf-8")
    chat = Client(url + "/", auth=("anna", ADMIN_KEY), verbose=False, download_files=False)
    try:
        before = len(log.entries())
        chat.predict(QUESTION, [], [], [], api_name="/respond")
        entries = new_entries(services, before)
        questions = [e for e in entries if e["action"] == "question"]
        assert len(questions) == 1 and questions[0]["interface"] == "chat"
        assert questions[0]["actor"] == anna and questions[0]["status"] == "answered"

        before = len(log.entries())
        summary, _ = chat.predict([handle_file(str(doc))], api_name="/upload")
        assert "1 nytt" in summary
        entry = one_entry(services, before)
        assert (entry["action"], entry["documents"]) == ("upload", ["rutin"])
        assert entry["actor"] == anna

        chat.predict(api_name="/catalogue")  # the page's load event: the list to remove from
        before = len(log.entries())
        chat.predict("rutin", api_name="/ask_remove")  # the confirmation names it first
        said = chat.predict(api_name="/remove")
        assert said.startswith("Borttaget"), said
        entry = one_entry(services, before)
        assert (entry["action"], entry["documents"], entry["status"]) == (
            "removal",
            ["rutin"],
            "ok",
        )
        assert entry["actor"] == anna
    finally:
        chat.close()
    assert log.verify() == len(log.entries())


# -- the command line -----------------------------------------------------------------
def test_each_cli_action_leaves_one_entry_and_verify_catches_edits(tmp_path: Path) -> None:
    cli = Cli(cwd=tmp_path, data_dir=tmp_path / "data")
    audit = tmp_path / "data" / "audit" / "audit.jsonl"

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]

    steps = [
        (("ingest", "-q", str(CORPUS)), "upload"),
        (("ask", QUESTION), "question"),
        (("search", "mobila team"), "search"),
        (("remove", "004_0278aa6b462f4ccb"), "removal"),
    ]
    for n, (args, action) in enumerate(steps, start=1):
        result = cli.run(*args)
        assert result.returncode == 0, result.stderr
        entries = lines()
        assert len(entries) == n and entries[-1]["action"] == action
        assert entries[-1]["interface"] == "cli"
    assert lines()[-1]["documents"] == ["004_0278aa6b462f4ccb"]
    assert cli.run("documents").returncode == 0 and len(lines()) == 4  # a listing is no action

    ok = cli.run("audit", "verify")
    assert ok.returncode == 0 and "4 poster" in ok.stdout
    exported = cli.run("audit", "export", "--format", "csv", "--since", "2000-01-01")
    rows = exported.stdout.splitlines()
    assert rows[0].startswith("seq,at,interface,actor,action") and len(rows) == 5
    later = cli.run("audit", "export", "--format", "jsonl", "--since", "2999-01-01")
    assert later.returncode == 0 and later.stdout == ""

    original = audit.read_text(encoding="utf-8")
    text = original.splitlines(keepends=True)
    audit.write_text(text[0] + text[1].replace('"answered"', '"refused"') + "".join(text[2:]))
    changed = cli.run("audit", "verify")
    assert changed.returncode == 1 and "rad 2 (post 2) är ändrad" in changed.stderr
    audit.write_text(text[0] + "".join(text[2:]))
    deleted = cli.run("audit", "verify")
    assert deleted.returncode == 1 and "saknas" in deleted.stderr
    audit.write_text(original)
    assert cli.run("audit", "verify").returncode == 0


def test_a_teams_question_leaves_exactly_one_entry(app: tuple[str, Services]) -> None:
    from fastapi import FastAPI

    from tests.test_teams import activity, one_message, post
    from ui.teams.bot import add_teams

    _url, services = app
    teams_settings = services.settings.model_copy(update={"teams": TeamsSettings(anonymous=True)})
    teams = Services(teams_settings, services.kb, services.assistant, services.feedback)
    server = FastAPI()
    add_teams(server, teams)
    message = activity(QUESTION)
    before = len(services.audit.entries())
    with serve_app(server) as url:
        reply = one_message(post(url, message))
    entry = one_entry(services, before)
    assert (entry["interface"], entry["action"], entry["status"]) == (
        "teams",
        "question",
        "answered",
    )
    assert entry["documents"] and "[1]" in reply["text"]
    assert entry["actor"] == services.audit.actor("teams", message["from"]["aadObjectId"])
