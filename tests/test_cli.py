"""The `nara` console script, run as a user runs it: a real process, env vars, a temp store.

Each process start costs about two seconds, so one store is shared by the module and the
independent error cases run in parallel.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ingest import expand_paths
from tests.conftest import CORPUS, ROOT, make_settings

NARA = ROOT / ".venv" / "bin" / "nara"
SOURCE_KEYS = {"document_id", "title", "file", "section", "page", "char_start", "char_end"}
DOROTEA = "000_05b96b91b6c43ee6"
REMOVED = "004_0278aa6b462f4ccb"


@dataclass
class Cli:
    cwd: Path
    data_dir: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")}
        env |= {"NARA_DATA_DIR": str(self.data_dir), "NARA_EMBEDDER": "hash"}
        return env | extra

    def start(self, *args: str, **extra_env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(NARA), *args],
            cwd=self.cwd,
            env=self.env(**extra_env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return finish(self.start(*args, **extra_env))


def finish(proc: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    try:
        out, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def ok_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """A store with the sample corpus, ingested through the CLI."""
    cwd = tmp_path_factory.mktemp("cli")
    cli = Cli(cwd=cwd, data_dir=cwd / "data")
    result = cli.run("ingest", "-q", str(CORPUS))
    assert result.returncode == 0, result.stderr
    assert "Dokument: 4 nya, 0 uppdaterade, 0 oförändrade, 0 misslyckade." in result.stdout
    return cli


def test_documents_json(cli: Cli) -> None:
    docs = ok_json(cli.run("documents", "--json"))["documents"]
    files = sorted(p.name for p in expand_paths([CORPUS]))
    assert [d["file"] for d in docs] == files
    assert [d["document_id"] for d in docs] == [Path(f).stem for f in files]
    assert all(d["chunks"] > 0 and d["title"] and d["version"] for d in docs)


def test_search_json_contract(cli: Cli) -> None:
    query = "Vem ansvarar för kommunikationsplanen?"
    data = ok_json(cli.run("search", query, "--json", "-k", "3"))

    assert set(data) == {"query", "results"} and data["query"] == query
    results = data["results"]
    assert [r["rank"] for r in results] == [1, 2, 3]
    scores = [r["score"] for r in results]
    assert all(isinstance(s, float) for s in scores) and scores == sorted(scores, reverse=True)

    from knowledge.base import KnowledgeBase

    kb = KnowledgeBase(make_settings(cli.data_dir, embedder="hash"))
    for r in results:
        assert set(r) == {"rank", "score", "text", "source"}
        source = r["source"]
        assert set(source) == SOURCE_KEYS
        assert source["file"] == f"{source['document_id']}.txt"  # the name, not a path
        assert (CORPUS / source["file"]).is_file()
        assert source["page"] is None  # plain text has no pages
        assert isinstance(source["section"], str) and source["title"]
        text = kb.document_text(source["document_id"])
        assert r["text"] == text[source["char_start"] : source["char_end"]]
    assert any(
        r["source"]["document_id"] == DOROTEA and r["text"].startswith("Kommunikationsplan")
        for r in results
    )


def test_remove_then_documents_no_longer_lists_it(cli: Cli) -> None:
    removed = cli.run("remove", REMOVED)
    assert removed.returncode == 0, removed.stderr
    assert REMOVED in removed.stdout
    ids = [d["document_id"] for d in ok_json(cli.run("documents", "--json"))["documents"]]
    assert REMOVED not in ids and DOROTEA in ids and len(ids) == 3


def test_errors_are_one_clear_message_and_a_non_zero_exit(cli: Cli) -> None:
    unknown = cli.start("remove", "finns-inte")
    empty = cli.start("search", "", "--json")
    misspelt = cli.start("documents", NARA_EMBEDER="hash")
    unknown_r, empty_r, misspelt_r = finish(unknown), finish(empty), finish(misspelt)

    assert unknown_r.returncode == 1
    assert "finns-inte" in unknown_r.stderr and "nara documents" in unknown_r.stderr
    assert "Traceback" not in unknown_r.stderr and unknown_r.stdout == ""

    assert empty_r.returncode != 0
    assert "Sökfrågan är tom" in empty_r.stderr and "Traceback" not in empty_r.stderr
    assert empty_r.stdout == ""

    assert misspelt_r.returncode != 0
    assert "NARA_EMBEDER" in misspelt_r.stderr and "Traceback" not in misspelt_r.stderr


def test_ask_json_contract_and_registers(cli: Cli) -> None:
    ask = cli.start("ask", "Vem ansvarar för kommunikationsplanen i Dorotea?", "--json")
    registers = cli.start("registers", "responsibilities", "--document", DOROTEA, "--json")
    empty = cli.start("ask", "  ")
    data = ok_json(finish(ask))
    rows = ok_json(finish(registers))["responsibilities"]
    empty_r = finish(empty)

    assert {"question", "answer", "refused", "kind", "citations"} <= set(data)
    assert data["refused"] is False and data["kind"] == "responsibility"
    from knowledge.base import KnowledgeBase

    kb = KnowledgeBase(make_settings(cli.data_dir, embedder="hash"))
    for c in data["citations"]:
        assert set(c) == {"id", "quote", "source"} and set(c["source"]) == SOURCE_KEYS
        text = kb.document_text(c["source"]["document_id"])
        assert text[c["source"]["char_start"] : c["source"]["char_end"]] == c["quote"]
        assert f"[{c['id']}]" in data["answer"]
    assert len([r for r in rows if r["timeline"]]) == 17

    assert empty_r.returncode == 1 and "Frågan är tom" in empty_r.stderr
    assert "Traceback" not in empty_r.stderr


def test_a_settings_change_is_refused_until_the_store_is_rebuilt(tmp_path: Path) -> None:
    cli = Cli(cwd=tmp_path, data_dir=tmp_path / "data")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "plan.md").write_text("# Plan\n\nVi prioriterar barn och unga 2025.\n", "utf-8")
    (docs / "rutin.md").write_text("# Rutin\n\nRutinen gäller till 2026.\n", "utf-8")
    assert cli.run("ingest", "-q", str(docs)).returncode == 0
    (docs / "rutin.md").unlink()  # the rebuild must not keep what is no longer given

    refused = cli.run("ingest", "-q", str(docs), NARA_CHUNK_MAX_CHARS="400")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "nara ingest --rebuild" in refused.stderr
    kept = ok_json(cli.run("documents", "--json"))["documents"]  # the old store is intact
    assert sorted(d["document_id"] for d in kept) == ["plan", "rutin"]

    rebuilt = cli.run("ingest", "-q", "--rebuild", str(docs), NARA_CHUNK_MAX_CHARS="400")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "Dokument: 1 nytt," in rebuilt.stdout and "tömt" in rebuilt.stderr
    now = ok_json(cli.run("documents", "--json", NARA_CHUNK_MAX_CHARS="400"))["documents"]
    assert [d["document_id"] for d in now] == ["plan"]
    hits = ok_json(cli.run("search", "barn och unga", "--json", NARA_CHUNK_MAX_CHARS="400"))
    assert hits["results"] and "barn och unga" in hits["results"][0]["text"]
