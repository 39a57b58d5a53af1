"""API keys as records (issue #14): `nara keys create|list|revoke` through the real
command, the keys used against the real app over HTTP, beside the NARA_* keys."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.conftest import CORPUS, make_settings
from tests.http_server import serve_app
from tests.test_cli import Cli
from ui.app.services import build_services
from ui.server import create_app

ENV_KEY = "env-user-key-0123456789abcdef"


def created_key(cli: Cli, *args: str) -> str:
    result = cli.run("keys", "create", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_keys_are_records_kept_hashed_and_open_the_api(tmp_path: Path) -> None:
    cli = Cli(cwd=tmp_path, data_dir=tmp_path / "data")
    user = created_key(cli, "vardcentral-norr", "--group", "norr")
    admin = created_key(cli, "forvaltning", "--admin")
    assert len(user) >= 40 and user != admin
    stored = (tmp_path / "data" / "keys.json").read_text(encoding="utf-8")
    assert user not in stored and admin not in stored  # only digests are kept
    again = cli.run("keys", "create", "forvaltning")
    assert again.returncode == 1 and "finns redan" in again.stderr
    listed = json.loads(cli.run("keys", "list", "--json").stdout)["keys"]
    assert [(k["name"], k["groups"], k["admin"]) for k in listed] == [
        ("vardcentral-norr", ["norr"], False),
        ("forvaltning", ["alla"], True),
    ]
    assert all("digest" not in k for k in listed)

    settings = make_settings(tmp_path / "data", embedder="hash", api_keys=[ENV_KEY])
    services = build_services(settings)
    assert services.kb.ingest([CORPUS]).ok
    files = {"files": ("rutin.txt", "Rutin\n\n# Ansvar\n\nSjuksköterskan ansvarar.\n".encode())}
    with serve_app(create_app(settings, services)) as url, httpx.Client(base_url=url) as c:

        def search(key: str) -> int:
            reply = c.post("/v1/search", json={"query": "ansvar"}, headers=auth(key))
            return reply.status_code

        assert search(user) == 200 and search(admin) == 200 and search(ENV_KEY) == 200
        assert search("x" * 43) == 401
        assert c.post("/v1/documents", files=files, headers=auth(user)).status_code == 403
        assert c.post("/v1/documents", files=files, headers=auth(ENV_KEY)).status_code == 403
        assert c.post("/v1/documents", files=files, headers=auth(admin)).status_code == 200

        revoked = cli.run("keys", "revoke", "vardcentral-norr")
        assert revoked.returncode == 0, revoked.stderr
        assert search(user) == 401  # at once, in the running server
        assert search(admin) == 200

    audit = [json.loads(line) for line in (tmp_path / "data" / "audit" / "audit.jsonl").open()]
    changes = [e for e in audit if e["action"] == "key_change"]
    user_pseudonym = services.audit.actor("api", "vardcentral-norr")
    assert [e["status"] for e in changes] == [
        f"created:{user_pseudonym}",
        f"created:{services.audit.actor('api', 'forvaltning')}",
        f"revoked:{user_pseudonym}",
    ]
    searches = [e for e in audit if e["action"] == "search" and e["actor"] == user_pseudonym]
    assert len(searches) == 1  # the one made with the key before it was revoked
    assert cli.run("keys", "revoke", "vardcentral-norr").returncode == 1


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
