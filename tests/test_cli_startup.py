"""`nara ask` and friends start fast: a command imports what it needs, no more (issue #13).

Each check runs the command in a fresh interpreter, as the console script does, and
lists the heavy modules it loaded. The store is real (embedded Chroma, hash embedder).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_settings
from ui.cli.commands import QUERY_COMMANDS, _passive_threads

NEVER = ("gradio", "fastapi", "uvicorn", "torch", "sentence_transformers", "langchain_openai")
"""Loaded by `nara serve` or an LLM or sentence-transformers setting, never by these."""
READERS = ("docx", "pdfplumber", "bs4")
"""The file readers' libraries: only `nara ingest` of such a file needs them."""
STORE = ("chromadb", "bm25s", "numpy")

PROBE = """
import json, sys
from ui.cli.commands import run
code = run(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(m.split(".")[0] for m in sys.modules)}))
"""


def loaded(args: list[str], data_dir: Path) -> tuple[int, set[str], str]:
    """Exit code, top-level modules loaded and stdout of `nara <args>` in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")}
    env |= {"NARA_DATA_DIR": str(data_dir), "NARA_EMBEDDER": "hash", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    return int(last["code"]), set(last["modules"]), proc.stdout


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from knowledge.base import KnowledgeBase

    folder = tmp_path_factory.mktemp("docs")
    (folder / "plan.md").write_text(
        "# Plan\n\n## Ansvar\n\nKommunikatören ansvarar för kommunikationsplanen.\n",
        encoding="utf-8",
    )
    data_dir = tmp_path_factory.mktemp("startup") / "store"
    assert KnowledgeBase(make_settings(data_dir, embedder="hash")).ingest([folder]).ok
    return data_dir


def test_ask_loads_no_server_model_or_reader_library(store: Path) -> None:
    code, modules, out = loaded(["ask", "Vem ansvarar för kommunikationsplanen?"], store)
    assert code == 0 and "Kommunikatören" in out
    assert modules & {*NEVER, *READERS} == set()
    assert "chromadb" in modules  # it did open the store


def test_documents_loads_no_server_model_or_reader_library(store: Path) -> None:
    code, modules, out = loaded(["documents"], store)
    assert code == 0 and "Plan" in out
    assert modules & {*NEVER, *READERS} == set()


def test_building_the_parser_loads_no_store(store: Path) -> None:
    code, modules, _ = loaded(["keys", "list"], store)
    assert code == 0
    assert modules & {*NEVER, *READERS, *STORE} == set()


def test_query_commands_wait_passively_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    _passive_threads("serve")
    assert "OMP_WAIT_POLICY" not in os.environ
    _passive_threads("ingest")
    assert "OMP_WAIT_POLICY" not in os.environ
    assert "ask" in QUERY_COMMANDS
    _passive_threads("ask")
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    _passive_threads("ask")
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
