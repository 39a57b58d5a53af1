"""Shared fixtures. Real components throughout: embedded Chroma, a Chroma server on
loopback, the bundled e5 model, the sample corpus."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from nara.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(autouse=True)
def _clean_nara_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's NARA_* variables or .env."""
    for key in list(os.environ):
        if key.startswith("NARA_"):
            monkeypatch.delenv(key)


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[call-arg]


@pytest.fixture
def hash_settings(tmp_path: Path) -> Settings:
    """A fresh store in a temp folder with the deterministic hash embedder."""
    return make_settings(tmp_path / "store", embedder="hash")


@pytest.fixture(scope="session")
def sample_kb(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The sample corpus ingested with the default (bundled e5) embedder, once per run."""
    from knowledge.base import KnowledgeBase

    settings = make_settings(tmp_path_factory.mktemp("sample") / "store")
    kb = KnowledgeBase(settings)
    report = kb.ingest([CORPUS])
    assert report.ok and len(report.added) == 4
    return kb


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`chroma run` on loopback; yields its URL."""
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if exe is None:
        pytest.fail("the `chroma` command is missing; run scripts/setup")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("w")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"Chroma server did not start; see {path / 'server.log'}")
            time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
