"""`nara chat` and `nara ask` as a user meets them: a real process on a pseudo-terminal
(so the prompt, line editing and colour are those of a terminal), and a reader that stops
early (`nara ask … | head`)."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import CORPUS, ROOT, make_settings

NARA = ROOT / ".venv" / "bin" / "nara"
QUESTION = "Vem ansvarar för kommunikationsplanen i Dorotea?"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMEOUT_S = 120.0
"""Generous: a process start with chromadb takes a few seconds on a busy machine."""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus in a hash-embedded store (the CLI reads it with NARA_EMBEDDER=hash)."""
    from knowledge.base import KnowledgeBase

    data_dir = tmp_path_factory.mktemp("chat") / "data"
    report = KnowledgeBase(make_settings(data_dir, embedder="hash")).ingest([CORPUS])
    assert report.ok and len(report.added) == 4
    return data_dir


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")}
    env.pop("NO_COLOR", None)
    return env | {"NARA_DATA_DIR": str(data_dir), "NARA_EMBEDDER": "hash", "TERM": "xterm"}


class Terminal:
    """A process whose stdin, stdout and stderr are the slave side of a pseudo-terminal."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env)
        os.close(slave)
        self.seen = ""

    def read_until(self, text: str, timeout: float = TIMEOUT_S) -> str:
        """Everything read until `text` has appeared `self.seen.count(text)+1` times."""
        wanted = self.seen.count(text) + 1
        deadline = time.monotonic() + timeout
        while self.seen.count(text) < wanted:
            left = deadline - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and not self._ready(0)):
                raise AssertionError(f"never saw {text!r}; got:\n{self.seen}")
            if self._ready(min(left, 1.0)):
                try:
                    self.seen += os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:  # the process ended and the pty closed
                    break
        return self.seen

    def _ready(self, timeout: float) -> bool:
        return bool(select.select([self.master], [], [], timeout)[0])

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=TIMEOUT_S)
        finally:
            os.close(self.master)


def test_chat_on_a_terminal_prints_each_answer_once(store: Path) -> None:
    term = Terminal([str(NARA), "chat"], _env(store))
    try:
        term.read_until("Fråga> ")
        term.type(QUESTION)
        term.read_until("Fråga> ")
        term.type("/hjälp")
        term.read_until("Fråga> ")
        term.type("/ny")
        term.read_until("Fråga> ")
        term.type("/avsluta")
        assert term.close() == 0
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    raw = term.seen
    text = ANSI.sub("", raw).replace("\r\n", "\n")
    assert ANSI.search(raw), "no colour on a terminal"
    answer = text.split(QUESTION, 1)[1].split("Fråga> ", 1)[0]
    lines = [line for line in answer.splitlines() if line.strip()]
    assert lines and lines[0].startswith("Enligt"), answer
    for line in lines:  # each line of the answer and of its sources once
        assert answer.count(line) == 1, f"printed more than once: {line!r}\n{answer}"
    assert answer.count("Källor:") == 1 and "[1]" in answer
    assert not re.search(r"\*\*|^#+ |[«»„]", answer, re.M), answer
    assert "/ny" in text.split("Kommandon:", 1)[1] and "(Ny konversation.)" in text
    assert "Traceback" not in text


def test_ask_piped_is_plain_and_quiet_when_the_reader_stops(store: Path) -> None:
    piped = subprocess.run(
        [str(NARA), "ask", QUESTION],
        env=_env(store),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert piped.returncode == 0, piped.stderr
    assert not ANSI.search(piped.stdout) and "Källor:" in piped.stdout

    # the reader is gone before the answer is written: `nara ask … | head -0`
    proc = subprocess.Popen(
        [str(NARA), "ask", QUESTION],
        env=_env(store),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=TIMEOUT_S) == 0
    assert err == "", err
