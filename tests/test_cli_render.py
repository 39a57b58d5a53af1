"""Terminal rendering (ui/cli/render.py) and the chat loop (ui/cli/chat.py) on real answers
of the real assistant over the sample corpus."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CORPUS, make_settings
from ui.cli.chat import chat_loop, print_answer
from ui.cli.render import plain_text, render_answer, swedish_quotes

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real assistant over the sample corpus (hash embedder: no model to load)."""
    from assistant.service import Assistant
    from knowledge.base import KnowledgeBase

    settings = make_settings(tmp_path_factory.mktemp("render") / "store", embedder="hash")
    kb = KnowledgeBase(settings)
    assert kb.ingest([CORPUS]).ok
    return Assistant(kb)


def test_plain_text_drops_markdown_markers_but_not_underscores_in_names() -> None:
    md = "### Kommunikation\n**Viktigt:** se *planen* och _bilagan_.\n- 000_05b96b91b6c43ee6.txt"
    assert plain_text(md) == (
        "Kommunikation\nViktigt: se planen och bilagan.\n• 000_05b96b91b6c43ee6.txt"
    )
    assert plain_text("2 * 3 = 6") == "2 * 3 = 6"


def test_swedish_quotes() -> None:
    assert swedish_quotes("Enligt «Plan» och „citat”") == "Enligt ”Plan” och ”citat”"


def test_english_question_gets_english_heading_and_colour_only_when_asked(assistant: Any) -> None:
    en = assistant.ask("Who is responsible for the communication plan in Dorotea?")
    sv = assistant.ask("Vem ansvarar för kommunikationsplanen i Dorotea?")
    assert en.lang == "en" and en.citations
    assert "Sources:" in render_answer(en) and "Källor" not in render_answer(en)
    assert "Källor:" in render_answer(sv)
    plain, coloured = render_answer(sv), render_answer(sv, colour=True)
    assert not ANSI.search(plain) and ANSI.search(coloured)
    assert ANSI.sub("", coloured) == plain


def test_print_answer_prints_every_line_once(assistant: Any) -> None:
    out = io.StringIO()
    answer = print_answer(
        assistant.stream("Vem ansvarar för kommunikationsplanen i Dorotea?"), out, False
    )
    text = out.getvalue()
    assert answer is not None and answer.citations
    for line in answer.answer.splitlines():
        assert line and text.count(plain_text(line)) == 1
    for c in answer.citations:
        assert text.count(f"[{c.id}] {c.source.title}") == 1


def test_history_is_kept_across_turns_and_cleared_by_ny(assistant: Any) -> None:
    seen: list[int] = []

    def stream(question: str, history: list[Any]) -> Iterator[Any]:
        seen.append(len(history))
        return assistant.stream(question, history)

    typed = (
        "Vem ansvarar för kommunikationsplanen i Dorotea?\n"
        "Och för intressentkartan?\n/ny\nVad är nära vård?\n"
    )
    out = io.StringIO()
    chat_loop(stream, io.StringIO(typed), out)
    assert seen == [0, 2, 0]
    assert "(Ny konversation.)" in out.getvalue()
